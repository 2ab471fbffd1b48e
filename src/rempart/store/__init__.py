"""The store: every audit with its assets, services and findings.

An SQLite file in the data dir by default (``<data dir>/rempart.db``); any SQLAlchemy URL
(PostgreSQL for the fleet server) through the ``store_url`` setting. The schema is
created and upgraded by Alembic when the store is opened.

    with Store.open() as store:
        store.save_audit(audit)
        last = store.latest_audit()
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, overload

from sqlalchemy import Engine, create_engine, event, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from rempart import config
from rempart.core.errors import RempartError, StoreError
from rempart.core.host import HostFacts
from rempart.core.model import Asset, Audit, Evidence, Finding, Service, Severity, to_jsonable
from rempart.core.observations import ALL_OBSERVATIONS, Observation
from rempart.core.scoring import finding_key
from rempart.i18n import _
from rempart.store.models import AssetRow, AuditRow, FindingRow, HostFactsRow, ServiceRow

MIGRATIONS = Path(__file__).parent / "migrations"
_OBSERVATION_TYPES = {cls.kind: cls for cls in ALL_OBSERVATIONS}


def default_url() -> str:
    settings = config.load()
    if settings.store_url:
        return settings.store_url
    return f"sqlite:///{config.data_dir() / 'rempart.db'}"


@functools.cache  # the migrations ship with the package: read the folder once
def head_revision() -> str:
    """The newest migration's revision: migrations are numbered files (``0005_vault.py`` is
    revision ``0005``) in one line, each revising the one before (a test holds it)."""
    return max(p.name[:4] for p in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


def _revision(engine: Engine) -> str | None:
    """The store's schema revision, without loading Alembic (None: new or unreadable)."""
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        return None


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.close()


@overload
def aware(value: datetime) -> datetime: ...
@overload
def aware(value: None) -> None: ...
def aware(value: datetime | None) -> datetime | None:
    """SQLite forgets time zones: every stored date is UTC (None stays None)."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class AuditSummary:
    id: str
    started_at: datetime
    targets: tuple[str, ...]
    assets: int
    findings: int
    by_severity: dict[str, int]


@dataclass(frozen=True)
class AuditDiff:
    """Findings of an audit compared with the previous one (keyed by check and target)."""

    new: tuple[Finding, ...]
    fixed: tuple[Finding, ...]
    still_open: tuple[Finding, ...]


class Store:
    """Access to the store. Open with :meth:`open`; close (or use ``with``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str | None = None) -> Store:
        url = url or default_url()
        try:
            engine = create_engine(url, future=True)
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", _sqlite_pragmas)
            if _revision(engine) != head_revision():
                from alembic import command
                from alembic.config import Config

                cfg = Config()
                cfg.set_main_option("script_location", str(MIGRATIONS))
                cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
                with engine.begin() as conn:
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, "head")
        except (SQLAlchemyError, OSError) as exc:
            raise StoreError(
                _(
                    "Cannot open the store at {url}: {error}. Check the path and its permissions."
                ).format(url=url, error=f"{exc.__class__.__name__}: {str(exc).splitlines()[0]}")
            ) from exc
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _session(self) -> Iterator[Session]:
        try:
            with Session(self.engine) as session, session.begin():
                yield session
        except SQLAlchemyError as exc:
            raise StoreError(
                _("The store could not be written or read: {error}").format(error=exc)
            ) from exc

    # -- writing ---------------------------------------------------------------------

    def save_audit(self, audit: Audit) -> None:
        """Store an audit in one transaction: all of it, or nothing."""
        row = AuditRow(
            id=audit.id,
            started_at=audit.started_at,
            finished_at=audit.finished_at,
            targets=list(audit.targets),
            ports=audit.ports,
            authorized=audit.authorized,
            rempart_version=audit.rempart_version,
            notes=list(audit.notes),
        )
        for asset in audit.assets:
            arow = AssetRow(address=asset.address, hostname=asset.hostname, kind=asset.kind)
            for svc in asset.services:
                arow.services.append(
                    ServiceRow(
                        port=svc.port,
                        transport=svc.transport,
                        name=svc.name,
                        product=svc.product,
                        version=svc.version,
                        cpe=svc.cpe,
                        banner=svc.banner,
                        observations=[to_jsonable(o) for o in svc.observations],
                    )
                )
            row.assets.append(arow)
        for facts in audit.hosts:
            row.hosts.append(
                HostFactsRow(
                    hostname=facts.hostname, platform=facts.platform, facts=facts.to_json()
                )
            )
        for f in audit.findings:
            row.findings.append(
                FindingRow(
                    check_id=f.check_id,
                    severity=f.severity.value,
                    address=f.address,
                    port=f.port,
                    transport=f.transport,
                    evidence=[
                        {"label": e.label, "value": e.value}
                        | ({"value_fr": e.value_fr} if e.value_fr else {})
                        for e in f.evidence
                    ],
                    cves=list(f.cves),
                )
            )
        from rempart.store.lifecycle import update_life

        with self._session() as session:
            session.add(row)
            update_life(session, audit)

    # -- reading ---------------------------------------------------------------------

    def list_audits(self, limit: int = 50) -> list[AuditSummary]:
        """The most recent audits first."""
        with self._session() as session:
            rows = session.scalars(
                select(AuditRow)
                .options(selectinload(AuditRow.findings), selectinload(AuditRow.assets))
                .order_by(AuditRow.started_at.desc())
                .limit(limit)
            ).all()
            out = []
            for r in rows:
                counts: dict[str, int] = {}
                for f in r.findings:
                    counts[f.severity] = counts.get(f.severity, 0) + 1
                out.append(
                    AuditSummary(
                        id=r.id,
                        started_at=aware(r.started_at),
                        targets=tuple(r.targets),
                        assets=len(r.assets),
                        findings=len(r.findings),
                        by_severity=counts,
                    )
                )
            return out

    def get_audit(self, audit_id: str) -> Audit:
        """An audit by id (a unique prefix of at least 4 characters works too)."""
        with self._session() as session:
            row = session.get(AuditRow, audit_id)
            if row is None and len(audit_id) >= 4:
                matches = session.scalars(
                    select(AuditRow).where(AuditRow.id.startswith(audit_id)).limit(2)
                ).all()
                row = matches[0] if len(matches) == 1 else None
            if row is None:
                raise StoreError(
                    _("No audit '{id}' in the store: 'rempart audits' lists them.").format(
                        id=audit_id
                    )
                )
            return _to_audit(row)

    def latest_audit(self) -> Audit | None:
        with self._session() as session:
            row = session.scalars(
                select(AuditRow).order_by(AuditRow.started_at.desc()).limit(1)
            ).first()
            return _to_audit(row) if row else None

    def previous_audit(self, audit: Audit) -> Audit | None:
        """The audit that ran just before ``audit``."""
        with self._session() as session:
            row = session.scalars(
                select(AuditRow)
                .where(AuditRow.started_at < audit.started_at, AuditRow.id != audit.id)
                .order_by(AuditRow.started_at.desc())
                .limit(1)
            ).first()
            return _to_audit(row) if row else None

    def diff_with_previous(self, audit: Audit) -> AuditDiff | None:
        previous = self.previous_audit(audit)
        return None if previous is None else diff_audits(previous, audit)


def diff_audits(previous: Audit, current: Audit) -> AuditDiff:
    """What changed between two audits: new, fixed and still-open findings (a finding is
    known by :func:`rempart.core.scoring.finding_key`, as in the finding life)."""
    before = {finding_key(f): f for f in previous.findings}
    after = {finding_key(f): f for f in current.findings}
    return AuditDiff(
        new=tuple(f for k, f in after.items() if k not in before),
        fixed=tuple(f for k, f in before.items() if k not in after),
        still_open=tuple(f for k, f in after.items() if k in before),
    )


def observation_from_json(data: dict[str, Any]) -> Observation | None:
    """Rebuild a typed observation stored by :func:`to_jsonable`; unknown types are dropped."""
    cls = _OBSERVATION_TYPES.get(str(data.get("type")))
    if cls is None:
        return None
    names = {f.name: f for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        if name in names:
            kwargs[name] = tuple(value) if isinstance(value, list) else value
    try:
        return cls(**kwargs)
    except TypeError:
        return None


def _to_audit(row: AuditRow) -> Audit:
    assets = tuple(
        Asset(
            address=a.address,
            hostname=a.hostname,
            kind=a.kind,
            services=tuple(
                Service(
                    address=a.address,
                    port=s.port,
                    transport=s.transport,
                    name=s.name,
                    product=s.product,
                    version=s.version,
                    cpe=s.cpe,
                    banner=s.banner,
                    observations=tuple(
                        o for o in (observation_from_json(d) for d in s.observations) if o
                    ),
                )
                for s in a.services
            ),
        )
        for a in row.assets
    )
    findings = tuple(
        Finding(
            check_id=f.check_id,
            severity=Severity(f.severity),
            address=f.address,
            port=f.port,
            transport=f.transport,
            evidence=tuple(Evidence(e["label"], e["value"], e.get("value_fr")) for e in f.evidence),
            cves=tuple(f.cves),
        )
        for f in row.findings
    )
    hosts = []
    for h in row.hosts:
        try:
            hosts.append(HostFacts.from_json(h.facts))
        except RempartError:  # written by another version of Rempart: keep the rest
            continue
    return Audit(
        id=row.id,
        started_at=aware(row.started_at),
        finished_at=aware(row.finished_at),
        targets=tuple(row.targets),
        ports=row.ports,
        authorized=row.authorized,
        assets=assets,
        findings=findings,
        notes=tuple(row.notes),
        rempart_version=row.rempart_version,
        hosts=tuple(hosts),
    )


# The life of findings, accepted risks and the grade's history (they need Store: imported last).
from rempart.store.lifecycle import (  # noqa: E402
    Acceptance,
    FindingLife,
    HistoryPoint,
    accept_risk,
    acceptances,
    accepted_keys,
    finding_life,
    grade_history,
    revoke,
)

__all__ = [
    "Acceptance",
    "AuditDiff",
    "AuditSummary",
    "FindingLife",
    "HistoryPoint",
    "Store",
    "accept_risk",
    "acceptances",
    "accepted_keys",
    "aware",
    "default_url",
    "diff_audits",
    "finding_life",
    "grade_history",
    "revoke",
]

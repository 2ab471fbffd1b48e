"""Each finding's life across audits, the risks the practice accepted, the grade's history.

A finding is known by its key (:func:`rempart.core.scoring.finding_key`:
``"check_id|address|port|transport"``, the identity ``diff_audits`` uses). Every audit stored
updates ``finding_life`` in the same transaction (:func:`update_life`, called by
``Store.save_audit``): a key seen for the first time is *new*; seen again, *open*; no longer
seen by an audit that looked at it, *fixed*; seen again after that, open again (the fix is
cleared, the first sighting kept).

"Looked at it" matters: a network scan of one PC says nothing about the NAS, nor about the
survey. An audit judges

* a network finding when it scanned targets that cover the finding's address (a target that
  is not an address or a network, such as ``auto``, covers everything);
* a computer's finding (``HOST-``) when it holds that computer's facts;
* a survey finding (``ORG-``) or a finding on the vault's backups (``BACKUP-``) when it
  holds any such finding or any computer's facts (a full ``rempart audit``: the survey
  answers and the backups are judged with the computer's facts).

A risk accepted (:func:`accept_risk`) carries a reason and an end date at most a year away;
until then the grade counts it at a reduced weight and the plan leaves it out.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from rempart.core.errors import UsageError
from rempart.core.model import Audit, Finding, Severity
from rempart.core.protection import BackupStatus
from rempart.core.scoring import finding_key, score
from rempart.i18n import _
from rempart.store import AuditDiff, Store, aware, diff_audits
from rempart.store.models import AuditRow, FindingLifeRow, FindingRow, RiskAcceptanceRow

MAX_ACCEPTANCE = timedelta(days=366)
MAX_REASON = 2000


@dataclass(frozen=True, slots=True)
class Acceptance:
    """A risk accepted: why, by whom, until when."""

    key: str
    check_id: str
    reason: str
    accepted_at: datetime
    until: datetime
    accepted_by: str | None
    revoked_at: datetime | None = None

    def in_force(self, now: datetime) -> bool:
        return self.revoked_at is None and self.accepted_at <= now < self.until


@dataclass(frozen=True, slots=True)
class FindingLife:
    """When a finding was first and last seen, and fixed (``None`` while it is open)."""

    key: str
    check_id: str
    severity: Severity
    address: str | None
    port: int | None
    transport: str | None
    first_seen_at: datetime
    first_audit: str
    last_seen_at: datetime
    last_audit: str
    fixed_at: datetime | None
    fixed_audit: str | None

    @property
    def fixed(self) -> bool:
        return self.fixed_at is not None


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    """One audit on the grade's curve."""

    audit_id: str
    at: datetime
    grade: str
    points: float
    findings: int


# -- the life of findings ------------------------------------------------------------------


def _networks(targets: Sequence[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network] | None:
    """The networks an audit scanned; ``None`` when one target cannot be read as such."""
    nets = []
    for spec in targets:
        try:
            nets.append(ipaddress.ip_network(spec, strict=False))
        except ValueError:
            return None
    return nets


def judged_by(audit: Audit) -> _Judged:
    """What an audit looked at (see the module's docstring)."""
    hosts = {h.hostname for h in audit.hosts if h.hostname}
    survey = bool(audit.hosts) or any(
        f.check_id.startswith(("ORG-", "BACKUP-")) for f in audit.findings
    )
    return _Judged(
        networks=_networks(audit.targets) if audit.targets else [],
        hosts=frozenset(hosts),
        any_host=bool(audit.hosts),
        survey=survey,
    )


@dataclass(frozen=True, slots=True)
class _Judged:
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] | None
    hosts: frozenset[str]
    any_host: bool
    survey: bool

    def covers(self, check_id: str, address: str | None, port: int | None) -> bool:
        if check_id.startswith("HOST-"):
            return (address in self.hosts) if address else self.any_host
        if check_id.startswith(("ORG-", "BACKUP-")) or (address is None and port is None):
            return self.survey
        if self.networks is None:  # a target such as "auto" or a range: anything
            return True
        if not self.networks or address is None:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self.networks)


def update_life(session: Session, audit: Audit) -> None:
    """Record what ``audit`` saw in ``finding_life``, inside the caller's transaction."""
    seen_at = aware(audit.started_at)
    current: dict[str, Finding] = {}
    for f in audit.findings:
        current.setdefault(finding_key(f), f)
    rows = {r.key: r for r in session.scalars(select(FindingLifeRow)).all()}
    for key, f in sorted(current.items()):
        row = rows.get(key)
        if row is None:
            session.add(
                FindingLifeRow(
                    key=key,
                    check_id=f.check_id,
                    severity=f.severity.value,
                    address=f.address,
                    port=f.port,
                    transport=f.transport,
                    first_seen_at=seen_at,
                    first_audit=audit.id,
                    last_seen_at=seen_at,
                    last_audit=audit.id,
                )
            )
            continue
        if aware(row.last_seen_at) > seen_at:
            # An older audit stored late (an import): it may only move the first sighting.
            if aware(row.first_seen_at) > seen_at:
                row.first_seen_at, row.first_audit = seen_at, audit.id
            continue
        row.severity = f.severity.value
        row.last_seen_at, row.last_audit = seen_at, audit.id
        row.fixed_at, row.fixed_audit = None, None
    judged = judged_by(audit)
    for key, row in rows.items():
        if key in current or row.fixed_at is not None:
            continue
        if aware(row.last_seen_at) >= seen_at:
            continue
        if judged.covers(row.check_id, row.address, row.port):
            row.fixed_at, row.fixed_audit = seen_at, audit.id


def _life(row: FindingLifeRow) -> FindingLife:
    return FindingLife(
        key=row.key,
        check_id=row.check_id,
        severity=Severity(row.severity),
        address=row.address,
        port=row.port,
        transport=row.transport,
        first_seen_at=aware(row.first_seen_at),
        first_audit=row.first_audit,
        last_seen_at=aware(row.last_seen_at),
        last_audit=row.last_audit,
        fixed_at=aware(row.fixed_at),
        fixed_audit=row.fixed_audit,
    )


def finding_life(store: Store, keys: Iterable[str] | None = None) -> dict[str, FindingLife]:
    """The life of the findings with these keys (all of them when ``keys`` is ``None``)."""
    with store._session() as session:
        query = select(FindingLifeRow)
        wanted = None if keys is None else sorted(set(keys))
        if wanted is not None:
            out: dict[str, FindingLife] = {}
            for i in range(0, len(wanted), 500):  # bounded IN lists
                chunk = wanted[i : i + 500]
                for row in session.scalars(query.where(FindingLifeRow.key.in_(chunk))):
                    out[row.key] = _life(row)
            return out
        return {row.key: _life(row) for row in session.scalars(query.order_by(FindingLifeRow.key))}


# -- accepted risks --------------------------------------------------------------------------


def _acceptance(row: RiskAcceptanceRow) -> Acceptance:
    return Acceptance(
        key=row.key,
        check_id=row.check_id,
        reason=row.reason,
        accepted_at=aware(row.accepted_at),
        until=aware(row.until),
        accepted_by=row.accepted_by,
        revoked_at=aware(row.revoked_at),
    )


def end_of(day: date) -> datetime:
    """An acceptance "until 2027-03-31" holds through that whole day (UTC)."""
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=UTC)


def accept_risk(
    store: Store,
    key: str,
    reason: str,
    until: datetime | date,
    by: str | None = None,
    *,
    now: datetime | None = None,
) -> Acceptance:
    """Accept the risk of the finding ``key`` until ``until`` (a date holds through its day).

    The finding must be known to the store, the reason must say something, and the end must
    be in the future and at most a year away: else :class:`UsageError` with one clear line.
    An acceptance in force for the same key is replaced (revoked, then the new one recorded).
    """
    now = now or datetime.now(UTC)
    end = until if isinstance(until, datetime) else end_of(until)
    end = aware(end)
    reason = " ".join(reason.split())
    if not reason:
        raise UsageError(_('Say why the risk is accepted: --reason "..." must not be empty.'))
    if len(reason) > MAX_REASON:
        raise UsageError(
            _("The reason is too long ({n} characters): keep it under {max}.").format(
                n=len(reason), max=MAX_REASON
            )
        )
    if end <= now:
        raise UsageError(
            _("The end date {until} has passed: choose a date in the future.").format(
                until=end.date().isoformat()
            )
        )
    if end > now + MAX_ACCEPTANCE:
        raise UsageError(
            _(
                "The end date {until} is more than a year away: accept a risk for a year at "
                "most, then look at it again."
            ).format(until=end.date().isoformat())
        )
    with store._session() as session:
        life = session.scalars(select(FindingLifeRow).where(FindingLifeRow.key == key)).first()
        if life is None:
            raise UsageError(
                _(
                    "No finding '{key}' in the store: copy the key from the report or the "
                    "dashboard (check|address|port|transport)."
                ).format(key=key)
            )
        for row in session.scalars(
            select(RiskAcceptanceRow).where(
                RiskAcceptanceRow.key == key, RiskAcceptanceRow.revoked_at.is_(None)
            )
        ):
            row.revoked_at = now
        row = RiskAcceptanceRow(
            key=key,
            check_id=life.check_id,
            reason=reason,
            accepted_at=now,
            until=end,
            accepted_by=(by or None) and by[:255],
        )
        session.add(row)
        session.flush()
        return _acceptance(row)


def revoke(store: Store, key: str, *, now: datetime | None = None) -> bool:
    """End the acceptance of ``key`` now; ``False`` when none was in force."""
    now = now or datetime.now(UTC)
    done = False
    with store._session() as session:
        for row in session.scalars(
            select(RiskAcceptanceRow).where(
                RiskAcceptanceRow.key == key, RiskAcceptanceRow.revoked_at.is_(None)
            )
        ):
            if _acceptance(row).in_force(now):
                done = True
            row.revoked_at = now
    return done


def acceptances(store: Store, now: datetime | None = None) -> dict[str, Acceptance]:
    """The acceptances in force at ``now``, by finding key."""
    now = now or datetime.now(UTC)
    with store._session() as session:
        rows = session.scalars(
            select(RiskAcceptanceRow)
            .where(RiskAcceptanceRow.revoked_at.is_(None))
            .order_by(RiskAcceptanceRow.accepted_at, RiskAcceptanceRow.id)
        ).all()
        out: dict[str, Acceptance] = {}
        for row in rows:
            acc = _acceptance(row)
            if acc.in_force(now):
                out[acc.key] = acc
        return out


def accepted_keys(store: Store, now: datetime | None = None) -> frozenset[str]:
    """The keys of the risks accepted and still in force at ``now``."""
    return frozenset(acceptances(store, now))


# -- the previous audit --------------------------------------------------------------------


def _findings_of(session: Session, audit_ids: Sequence[str]) -> dict[str, list[Finding]]:
    """The findings of some audits, identity and severity only (what the grade and the
    comparison need), in one query."""
    found: dict[str, list[Finding]] = {i: [] for i in audit_ids}
    if not audit_ids:
        return found
    rows = session.execute(
        select(
            FindingRow.audit_id,
            FindingRow.check_id,
            FindingRow.severity,
            FindingRow.address,
            FindingRow.port,
            FindingRow.transport,
        )
        .where(FindingRow.audit_id.in_(list(audit_ids)))
        .order_by(FindingRow.id)
    ).all()
    for r in rows:
        found[r.audit_id].append(
            Finding(r.check_id, Severity(r.severity), r.address, r.port, r.transport)
        )
    return found


def change_since_previous(store: Store, audit: Audit) -> AuditDiff | None:
    """What changed since the audit that ran just before ``audit`` (``None`` for the first):
    the same answer as ``Store.diff_with_previous``, without loading the previous audit's
    devices and services."""
    with store._session() as session:
        previous = session.execute(
            select(AuditRow.id, AuditRow.started_at, AuditRow.finished_at)
            .where(AuditRow.started_at < audit.started_at, AuditRow.id != audit.id)
            .order_by(AuditRow.started_at.desc())
            .limit(1)
        ).first()
        if previous is None:
            return None
        findings = _findings_of(session, [previous.id])[previous.id]
    stub = Audit(
        id=previous.id,
        started_at=aware(previous.started_at),
        finished_at=aware(previous.finished_at),
        targets=(),
        ports="",
        findings=tuple(findings),
    )
    return diff_audits(stub, audit)


# -- the grade's history --------------------------------------------------------------------


def grade_history(
    store: Store,
    limit: int = 20,
    *,
    protection: BackupStatus | None = None,
    now: datetime | None = None,
    until: Audit | None = None,
) -> list[HistoryPoint]:
    """The grade of the last ``limit`` audits, oldest first, recomputed from their findings.

    Every point is scored as of ``now`` (acceptances in force now, the backups' state now),
    so the curve shows the work done on the findings and its last point is today's grade.
    ``until``: stop at that audit (the history as the report of an older audit shows it).
    """
    now = now or datetime.now(UTC)
    accepted = accepted_keys(store, now)
    with store._session() as session:
        query = select(AuditRow.id, AuditRow.started_at)
        if until is not None:
            query = query.where(AuditRow.started_at <= until.started_at)
        audits = session.execute(
            query.order_by(AuditRow.started_at.desc(), AuditRow.id.desc()).limit(limit)
        ).all()
        found = _findings_of(session, [a.id for a in audits])
    points = []
    for a in reversed(audits):
        s = score(found[a.id], protection=protection, accepted=accepted, now=now)
        points.append(HistoryPoint(a.id, aware(a.started_at), s.grade, s.points, len(found[a.id])))
    return points


__all__ = [
    "MAX_ACCEPTANCE",
    "Acceptance",
    "FindingLife",
    "HistoryPoint",
    "accept_risk",
    "acceptances",
    "accepted_keys",
    "change_since_previous",
    "end_of",
    "finding_life",
    "grade_history",
    "judged_by",
    "revoke",
    "update_life",
]

"""The dashboard's reads of the store that no other module makes: lists of backup runs,
restore drills, sentinel runs and incidents, and a cheap "has anything changed?" stamp.

Rows become frozen dataclasses before the session closes, so that templates never touch
the database (and never lazy-load in another thread).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from rempart.store import Store
from rempart.store.models import (
    AssetRow,
    AuditRow,
    BackupRunRow,
    FindingRow,
    IncidentRow,
    RestoreDrillRow,
    RiskAcceptanceRow,
    SentinelRunRow,
)


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class BackupRun:
    id: int
    repository: str
    snapshot_id: str | None
    started_at: datetime
    finished_at: datetime | None
    status: str
    files: int
    bytes_read: int
    bytes_added: int
    immutable: bool
    anomalies: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class RestoreDrill:
    id: int
    repository: str
    snapshot_id: str | None
    at: datetime
    kind: str
    files: int
    bytes: int
    ok: bool
    detail: str


@dataclass(frozen=True)
class SentinelRun:
    id: int
    started_at: datetime
    heartbeat_at: datetime
    stopped_at: datetime | None
    pid: int
    host: str
    folders: tuple[str, ...]
    mode: str
    drill: bool


@dataclass(frozen=True)
class TimelineEvent:
    at: str
    kind: str
    path: str | None
    detail: str | None


@dataclass(frozen=True)
class Incident:
    id: int
    started_at: datetime
    detected_at: datetime
    ended_at: datetime | None
    folder: str
    actor_pid: int | None
    actor_name: str | None
    actor_user: str | None
    score: float
    reason: str
    action: str
    files_affected: int
    drill: bool
    status: str
    timeline: tuple[TimelineEvent, ...]


def backup_runs(store: Store, limit: int = 50) -> list[BackupRun]:
    """The most recent backup runs first."""
    with store._session() as session:
        rows = session.scalars(
            select(BackupRunRow)
            .order_by(BackupRunRow.started_at.desc(), BackupRunRow.id.desc())
            .limit(limit)
        ).all()
        return [
            BackupRun(
                id=r.id,
                repository=r.repository,
                snapshot_id=r.snapshot_id,
                started_at=_aware(r.started_at) or r.started_at,
                finished_at=_aware(r.finished_at),
                status=r.status,
                files=r.files or 0,
                bytes_read=r.bytes_read or 0,
                bytes_added=r.bytes_added or 0,
                immutable=bool(r.immutable),
                anomalies=tuple(str(a) for a in (r.anomalies or [])),
                message=r.message or "",
            )
            for r in rows
        ]


def restore_drills(store: Store, limit: int = 50) -> list[RestoreDrill]:
    """The most recent restore drills first."""
    with store._session() as session:
        rows = session.scalars(
            select(RestoreDrillRow)
            .order_by(RestoreDrillRow.at.desc(), RestoreDrillRow.id.desc())
            .limit(limit)
        ).all()
        return [
            RestoreDrill(
                id=r.id,
                repository=r.repository,
                snapshot_id=r.snapshot_id,
                at=_aware(r.at) or r.at,
                kind=r.kind,
                files=r.files or 0,
                bytes=r.bytes or 0,
                ok=bool(r.ok),
                detail=r.detail or "",
            )
            for r in rows
        ]


def sentinel_runs(store: Store, limit: int = 20) -> list[SentinelRun]:
    """The most recent sentinel runs first (drills included: they are marked)."""
    with store._session() as session:
        rows = session.scalars(
            select(SentinelRunRow)
            .order_by(SentinelRunRow.started_at.desc(), SentinelRunRow.id.desc())
            .limit(limit)
        ).all()
        return [
            SentinelRun(
                id=r.id,
                started_at=_aware(r.started_at) or r.started_at,
                heartbeat_at=_aware(r.heartbeat_at) or r.heartbeat_at,
                stopped_at=_aware(r.stopped_at),
                pid=r.pid,
                host=r.host,
                folders=tuple(str(f) for f in (r.folders or [])),
                mode=r.mode,
                drill=bool(r.drill),
            )
            for r in rows
        ]


def _timeline(raw: Any) -> tuple[TimelineEvent, ...]:
    events = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        path, detail = item.get("path"), item.get("detail")
        events.append(
            TimelineEvent(
                at=str(item.get("at", "")),
                kind=str(item.get("kind", "")),
                path=None if path is None else str(path),
                detail=None if detail is None else str(detail),
            )
        )
    return tuple(events)


def incidents(store: Store, limit: int = 50) -> list[Incident]:
    """The most recent incidents first (drills included: they are marked)."""
    with store._session() as session:
        rows = session.scalars(
            select(IncidentRow)
            .order_by(IncidentRow.detected_at.desc(), IncidentRow.id.desc())
            .limit(limit)
        ).all()
        return [
            Incident(
                id=r.id,
                started_at=_aware(r.started_at) or r.started_at,
                detected_at=_aware(r.detected_at) or r.detected_at,
                ended_at=_aware(r.ended_at),
                folder=r.folder,
                actor_pid=r.actor_pid,
                actor_name=r.actor_name,
                actor_user=r.actor_user,
                score=float(r.score or 0.0),
                reason=r.reason or "",
                action=r.action,
                files_affected=r.files_affected or 0,
                drill=bool(r.drill),
                status=r.status,
                timeline=_timeline(r.timeline),
            )
            for r in rows
        ]


def latest_audit_id(store: Store) -> str | None:
    """The id of the latest audit (``Store.latest_audit``'s), without reading it."""
    with store.engine.connect() as conn:
        return conn.execute(
            select(AuditRow.id).order_by(AuditRow.started_at.desc()).limit(1)
        ).scalar()


def state_stamp(store: Store) -> tuple[Any, ...]:
    """A few aggregates that change whenever what the report shows may change: a new
    audit, an acceptance given or revoked, a backup or a drill. Pages built from the same
    stamp are the same (up to the clock), so the costly part is cached by it. One query."""
    stamp = select(
        select(func.count(AuditRow.id)).scalar_subquery(),
        select(func.max(AuditRow.started_at)).scalar_subquery(),
        select(func.count(RiskAcceptanceRow.id)).scalar_subquery(),
        select(func.max(RiskAcceptanceRow.id)).scalar_subquery(),
        select(func.count(RiskAcceptanceRow.revoked_at)).scalar_subquery(),
        select(func.count(BackupRunRow.id)).scalar_subquery(),
        select(func.max(BackupRunRow.finished_at)).scalar_subquery(),
        select(func.count(RestoreDrillRow.id)).scalar_subquery(),
        select(func.max(RestoreDrillRow.id)).scalar_subquery(),
    )
    with store.engine.connect() as conn:
        return tuple(conn.execute(stamp).one())


def sentinel_stamp(store: Store) -> tuple[Any, ...]:
    """Aggregates that move with every sentinel run, heartbeat and incident change."""
    stamp = select(
        select(func.count(SentinelRunRow.id)).scalar_subquery(),
        select(func.max(SentinelRunRow.heartbeat_at)).scalar_subquery(),
        select(func.count(SentinelRunRow.stopped_at)).scalar_subquery(),
        select(func.count(IncidentRow.id)).scalar_subquery(),
        select(func.max(IncidentRow.id)).scalar_subquery(),
        select(func.count(IncidentRow.ended_at)).scalar_subquery(),
        select(func.sum(IncidentRow.files_affected)).scalar_subquery(),
        select(func.count(IncidentRow.id)).where(IncidentRow.status == "open").scalar_subquery(),
    )
    with store.engine.connect() as conn:
        return tuple(conn.execute(stamp).one())


@dataclass(frozen=True)
class AuditLine:
    """One audit in the history: counted by the database, not by loading its findings."""

    id: str
    started_at: datetime
    targets: tuple[str, ...]
    assets: int
    findings: int
    by_severity: dict[str, int]


def audit_lines(store: Store, limit: int = 200) -> list[AuditLine]:
    """The most recent audits first, with their counts of devices and findings."""
    with store._session() as session:
        rows = session.execute(
            select(AuditRow.id, AuditRow.started_at, AuditRow.targets)
            .order_by(AuditRow.started_at.desc(), AuditRow.id.desc())
            .limit(limit)
        ).all()
        ids = [r.id for r in rows]
        assets: dict[str, int] = {}
        severities: dict[str, dict[str, int]] = {i: {} for i in ids}
        if ids:
            assets = {
                audit_id: n
                for audit_id, n in session.execute(
                    select(AssetRow.audit_id, func.count(AssetRow.id))
                    .where(AssetRow.audit_id.in_(ids))
                    .group_by(AssetRow.audit_id)
                )
            }
            for audit_id, severity, n in session.execute(
                select(FindingRow.audit_id, FindingRow.severity, func.count(FindingRow.id))
                .where(FindingRow.audit_id.in_(ids))
                .group_by(FindingRow.audit_id, FindingRow.severity)
            ):
                severities[audit_id][severity] = n
        return [
            AuditLine(
                id=r.id,
                started_at=_aware(r.started_at) or r.started_at,
                targets=tuple(r.targets or ()),
                assets=assets.get(r.id, 0),
                findings=sum(severities[r.id].values()),
                by_severity=severities[r.id],
            )
            for r in rows
        ]

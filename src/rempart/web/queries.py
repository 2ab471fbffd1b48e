"""The dashboard's reads of the store that no other module makes: the latest audit's id and
cheap "has anything changed?" stamps. The lists of backup runs, drills, sentinel runs and
incidents come from the pillars' own store modules (frozen records: templates never touch
the database).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from rempart.store import Store, aware
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
                started_at=aware(r.started_at),
                targets=tuple(r.targets or ()),
                assets=assets.get(r.id, 0),
                findings=sum(severities[r.id].values()),
                by_severity=severities[r.id],
            )
            for r in rows
        ]

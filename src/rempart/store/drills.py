"""Restore drills in the store (table ``restore_drills``): written by
:func:`rempart.vault.drills.run_drill`, read by the audit (through
:func:`rempart.store.status.backup_status`), the dashboard and ``rempart drill restore``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from rempart.store import Store, aware
from rempart.store.models import RestoreDrillRow


@dataclass(frozen=True)
class DrillRecord:
    id: int
    repository: str
    snapshot_id: str | None
    at: datetime
    kind: str  # "sample" | "full"
    files: int
    bytes: int
    ok: bool
    detail: str


def _record(row: RestoreDrillRow) -> DrillRecord:
    return DrillRecord(
        id=row.id,
        repository=row.repository,
        snapshot_id=row.snapshot_id,
        at=aware(row.at),
        kind=row.kind,
        files=row.files,
        bytes=row.bytes,
        ok=row.ok,
        detail=row.detail,
    )


def record_drill(
    store: Store,
    *,
    repository: str,
    snapshot_id: str | None,
    kind: str,
    files: int,
    nbytes: int,
    ok: bool,
    detail: str,
    at: datetime | None = None,
) -> int:
    """Keep one drill's outcome; returns its id."""
    with store._session() as session:
        row = RestoreDrillRow(
            repository=repository,
            snapshot_id=snapshot_id,
            at=at or datetime.now(UTC),
            kind=kind,
            files=files,
            bytes=nbytes,
            ok=ok,
            detail=detail,
        )
        session.add(row)
        session.flush()
        return int(row.id)


def recent_drills(store: Store, limit: int = 20) -> list[DrillRecord]:
    """The latest drills, newest first."""
    with store._session() as session:
        rows = session.scalars(
            select(RestoreDrillRow)
            .order_by(RestoreDrillRow.at.desc(), RestoreDrillRow.id.desc())
            .limit(limit)
        ).all()
        return [_record(r) for r in rows]


def last_full_drill(store: Store, repository: str | None = None) -> DrillRecord | None:
    """The latest successful full drill (of ``repository`` when given)."""
    with store._session() as session:
        query = select(RestoreDrillRow).where(
            RestoreDrillRow.kind == "full", RestoreDrillRow.ok.is_(True)
        )
        if repository is not None:
            query = query.where(RestoreDrillRow.repository == repository)
        row = session.scalars(
            query.order_by(RestoreDrillRow.at.desc(), RestoreDrillRow.id.desc()).limit(1)
        ).first()
        return _record(row) if row else None

"""Backup runs in the store (table ``backup_runs``): one row per ``rempart backup run``.

A run is written as ``running`` before the first byte is read and completed at the end, so
that a backup killed midway leaves a visible trace (a ``running`` row that never finished).
The summaries the audit and the dashboard use are in :mod:`rempart.store.status`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from rempart.store import Store, aware
from rempart.store.models import BackupRunRow

STATUSES = ("running", "ok", "failed", "anomalous")


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


def _run(row: BackupRunRow) -> BackupRun:
    return BackupRun(
        id=row.id,
        repository=row.repository,
        snapshot_id=row.snapshot_id,
        started_at=aware(row.started_at),
        finished_at=aware(row.finished_at),
        status=row.status,
        files=row.files,
        bytes_read=row.bytes_read,
        bytes_added=row.bytes_added,
        immutable=row.immutable,
        anomalies=tuple(row.anomalies or ()),
        message=row.message,
    )


def start_run(store: Store, repository: str, *, immutable: bool, at: datetime | None = None) -> int:
    """Record a run as ``running``; returns its id for :func:`finish_run`."""
    with store._session() as session:
        row = BackupRunRow(
            repository=repository,
            started_at=at or datetime.now(UTC),
            status="running",
            immutable=immutable,
            anomalies=[],
            message="",
        )
        session.add(row)
        session.flush()
        return row.id


def finish_run(
    store: Store,
    run_id: int,
    *,
    status: str,
    snapshot_id: str | None = None,
    files: int = 0,
    bytes_read: int = 0,
    bytes_added: int = 0,
    anomalies: Sequence[str] = (),
    message: str = "",
    at: datetime | None = None,
) -> None:
    if status not in STATUSES:
        raise ValueError(f"unknown backup status {status!r}")
    with store._session() as session:
        row = session.get(BackupRunRow, run_id)
        if row is None:
            raise ValueError(f"no backup run {run_id}")
        row.status = status
        row.snapshot_id = snapshot_id
        row.finished_at = at or datetime.now(UTC)
        row.files = files
        row.bytes_read = bytes_read
        row.bytes_added = bytes_added
        row.anomalies = list(anomalies)
        row.message = message


def mark_anomalous(store: Store, snapshot_id: str, anomalies: Sequence[str]) -> bool:
    """Flag the run that made ``snapshot_id`` (anomaly detection runs after the backup)."""
    with store._session() as session:
        row = session.scalars(
            select(BackupRunRow).where(BackupRunRow.snapshot_id == snapshot_id).limit(1)
        ).first()
        if row is None:
            return False
        row.status = "anomalous" if anomalies else row.status
        row.anomalies = list(anomalies)
        return True


def recent_runs(store: Store, limit: int = 20) -> list[BackupRun]:
    """The latest runs, newest first."""
    with store._session() as session:
        rows = session.scalars(
            select(BackupRunRow)
            .order_by(BackupRunRow.started_at.desc(), BackupRunRow.id.desc())
            .limit(limit)
        ).all()
        return [_run(r) for r in rows]

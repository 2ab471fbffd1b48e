"""The sentinel's records: watch runs with their heartbeat, and incidents with their timeline.

``rempart watch`` opens a run (:func:`start_run`), beats every few seconds (:func:`beat`)
and closes it (:func:`stop_run`); the dashboard and the report read whether a sentinel is
alive through :func:`rempart.store.status.sentinel_status`. An incident is written as soon
as the culprit is stopped (:func:`save_incident`) and completed later (alerts sent, more
files seen) with :func:`update_incident`.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from rempart.store import Store
from rempart.store.models import IncidentRow, SentinelRunRow


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RunRecord:
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
class IncidentRecord:
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
    timeline: tuple[dict[str, Any], ...]


def start_run(store: Store, folders: Sequence[str], mode: str, *, drill: bool = False) -> int:
    import os

    now = _now()
    row = SentinelRunRow(
        started_at=now,
        heartbeat_at=now,
        pid=os.getpid(),
        host=socket.gethostname()[:255],
        folders=list(folders),
        mode=mode,
        drill=drill,
    )
    with store._session() as session:
        session.add(row)
        session.flush()
        return int(row.id)


def beat(store: Store, run_id: int) -> None:
    with store._session() as session:
        row = session.get(SentinelRunRow, run_id)
        if row is not None:
            row.heartbeat_at = _now()


def stop_run(store: Store, run_id: int) -> None:
    with store._session() as session:
        row = session.get(SentinelRunRow, run_id)
        if row is not None:
            row.stopped_at = row.heartbeat_at = _now()


def _run(row: SentinelRunRow) -> RunRecord:
    return RunRecord(
        id=row.id,
        started_at=_aware(row.started_at) or _now(),
        heartbeat_at=_aware(row.heartbeat_at) or _now(),
        stopped_at=_aware(row.stopped_at),
        pid=row.pid,
        host=row.host,
        folders=tuple(row.folders),
        mode=row.mode,
        drill=row.drill,
    )


def latest_run(store: Store, *, drill: bool = False) -> RunRecord | None:
    with store._session() as session:
        row = session.scalars(
            select(SentinelRunRow)
            .where(SentinelRunRow.drill.is_(drill))
            .order_by(SentinelRunRow.heartbeat_at.desc(), SentinelRunRow.id.desc())
            .limit(1)
        ).first()
        return _run(row) if row else None


def save_incident(
    store: Store,
    *,
    started_at: datetime,
    detected_at: datetime,
    folder: str,
    actor_pid: int | None,
    actor_name: str | None,
    actor_user: str | None,
    score: float,
    reason: str,
    action: str,
    files_affected: int,
    drill: bool,
    timeline: Sequence[dict[str, Any]],
) -> int:
    row = IncidentRow(
        started_at=started_at,
        detected_at=detected_at,
        folder=folder[:4096],
        actor_pid=actor_pid,
        actor_name=(actor_name or None) and actor_name[:255],
        actor_user=(actor_user or None) and actor_user[:255],
        score=score,
        reason=reason,
        action=action,
        files_affected=files_affected,
        drill=drill,
        status="open",
        timeline=list(timeline),
    )
    with store._session() as session:
        session.add(row)
        session.flush()
        return int(row.id)


def update_incident(
    store: Store,
    incident_id: int,
    *,
    timeline: Sequence[dict[str, Any]] | None = None,
    files_affected: int | None = None,
    action: str | None = None,
    close: bool = False,
) -> None:
    with store._session() as session:
        row = session.get(IncidentRow, incident_id)
        if row is None:
            return
        if timeline is not None:
            row.timeline = list(timeline)
        if files_affected is not None:
            row.files_affected = files_affected
        if action is not None:
            row.action = action
        if close:
            row.status = "closed"
            row.ended_at = _now()


def _incident(row: IncidentRow) -> IncidentRecord:
    return IncidentRecord(
        id=row.id,
        started_at=_aware(row.started_at) or _now(),
        detected_at=_aware(row.detected_at) or _now(),
        ended_at=_aware(row.ended_at),
        folder=row.folder,
        actor_pid=row.actor_pid,
        actor_name=row.actor_name,
        actor_user=row.actor_user,
        score=row.score,
        reason=row.reason,
        action=row.action,
        files_affected=row.files_affected,
        drill=row.drill,
        status=row.status,
        timeline=tuple(row.timeline or ()),
    )


def recent_incidents(
    store: Store, limit: int = 10, *, include_drills: bool = False
) -> list[IncidentRecord]:
    """The most recent incidents first (drills left out unless asked for)."""
    query = select(IncidentRow).order_by(IncidentRow.detected_at.desc(), IncidentRow.id.desc())
    if not include_drills:
        query = query.where(IncidentRow.drill.is_(False))
    with store._session() as session:
        return [_incident(r) for r in session.scalars(query.limit(limit)).all()]


def get_incident(store: Store, incident_id: int) -> IncidentRecord | None:
    with store._session() as session:
        row = session.get(IncidentRow, incident_id)
        return _incident(row) if row else None


def close_incident(store: Store, incident_id: int) -> bool:
    """Mark an incident dealt with (``rempart watch --close ID``); False if unknown."""
    with store._session() as session:
        row = session.get(IncidentRow, incident_id)
        if row is None:
            return False
        row.status = "closed"
        row.ended_at = row.ended_at or _now()
        return True

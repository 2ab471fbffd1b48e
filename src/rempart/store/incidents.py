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

from rempart.store import Store, aware
from rempart.store.models import IncidentRow, SentinelRunRow


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
        started_at=aware(row.started_at),
        heartbeat_at=aware(row.heartbeat_at),
        stopped_at=aware(row.stopped_at),
        pid=row.pid,
        host=row.host,
        folders=tuple(row.folders),
        mode=row.mode,
        drill=row.drill,
    )


def recent_runs(store: Store, limit: int = 20) -> list[RunRecord]:
    """The most recent watch runs first (drills included: they are marked)."""
    with store._session() as session:
        rows = session.scalars(
            select(SentinelRunRow)
            .order_by(SentinelRunRow.started_at.desc(), SentinelRunRow.id.desc())
            .limit(limit)
        ).all()
        return [_run(r) for r in rows]


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
        started_at=aware(row.started_at),
        detected_at=aware(row.detected_at),
        ended_at=aware(row.ended_at),
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
        timeline=_timeline(row.timeline),
    )


def _timeline(raw: Any) -> tuple[dict[str, Any], ...]:
    """The stored timeline as events that always have their four keys (``at``, ``kind``,
    ``path``, ``detail``), text or None, whatever another version wrote."""
    events = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        path, detail = item.get("path"), item.get("detail")
        events.append(
            {
                "at": str(item.get("at", "")),
                "kind": str(item.get("kind", "")),
                "path": None if path is None else str(path),
                "detail": None if detail is None else str(detail),
            }
        )
    return tuple(events)


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

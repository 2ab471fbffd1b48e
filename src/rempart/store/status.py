"""The protection summaries (``rempart.core.protection``) read from the store.

The vault writes ``backup_runs`` and ``restore_drills``, the sentinel ``sentinel_runs`` and
``incidents``; the audit, the report and the dashboard read them only through here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from rempart.core.protection import BackupStatus, SentinelStatus
from rempart.store import Store, aware
from rempart.store.models import BackupRunRow, IncidentRow, RestoreDrillRow, SentinelRunRow

# A sentinel beats every few seconds; two minutes of silence means it is not watching.
HEARTBEAT_FRESH = timedelta(minutes=2)


def backup_status(store: Store) -> BackupStatus:
    """The last backup and the last restore drill (drills run by the sentinel's exercises
    are not restore drills and are not counted)."""
    with store._session() as session:
        last_run = session.scalars(
            select(BackupRunRow)
            .where(BackupRunRow.status.in_(("ok", "anomalous", "failed")))
            .order_by(BackupRunRow.started_at.desc(), BackupRunRow.id.desc())
            .limit(1)
        ).first()
        last_good = session.scalars(
            select(BackupRunRow)
            .where(BackupRunRow.status.in_(("ok", "anomalous")))
            .order_by(BackupRunRow.started_at.desc(), BackupRunRow.id.desc())
            .limit(1)
        ).first()
        last_drill = session.scalars(
            select(RestoreDrillRow)
            .order_by(RestoreDrillRow.at.desc(), RestoreDrillRow.id.desc())
            .limit(1)
        ).first()
        last_good_drill_at = session.scalar(
            select(func.max(RestoreDrillRow.at)).where(RestoreDrillRow.ok.is_(True))
        )
        return BackupStatus(
            last_backup_at=aware(
                (last_good.finished_at or last_good.started_at) if last_good else None
            ),
            last_backup_ok=None if last_run is None else last_run.status != "failed",
            last_backup_anomalous=bool(last_good and last_good.status == "anomalous"),
            immutable=bool(last_good and last_good.immutable),
            last_drill_at=aware(last_drill.at) if last_drill else None,
            last_drill_ok=None if last_drill is None else last_drill.ok,
            last_good_drill_at=aware(last_good_drill_at),
            repository=(last_run.repository if last_run else None),
        )


def sentinel_status(store: Store, now: datetime | None = None) -> SentinelStatus:
    """Whether a (non-drill) sentinel is watching now, and its incidents outside drills."""
    now = now or datetime.now(UTC)
    with store._session() as session:
        run = session.scalars(
            select(SentinelRunRow)
            .where(SentinelRunRow.drill.is_(False))
            .order_by(SentinelRunRow.heartbeat_at.desc(), SentinelRunRow.id.desc())
            .limit(1)
        ).first()
        open_incidents = session.scalar(
            select(func.count(IncidentRow.id)).where(
                IncidentRow.status == "open", IncidentRow.drill.is_(False)
            )
        )
        last_incident = session.scalar(
            select(func.max(IncidentRow.detected_at)).where(IncidentRow.drill.is_(False))
        )
        heartbeat = aware(run.heartbeat_at) if run else None
        running = bool(
            run is not None
            and run.stopped_at is None
            and heartbeat is not None
            and now - heartbeat <= HEARTBEAT_FRESH
        )
        return SentinelStatus(
            running=running,
            folders=tuple(run.folders) if run else (),
            mode=run.mode if run else None,
            last_heartbeat=heartbeat,
            open_incidents=int(open_incidents or 0),
            last_incident_at=aware(last_incident),
        )

"""What the other pillars say about the practice's protection, as plain data.

The vault records backups and restore drills, the sentinel records its runs and incidents
(both in the store); the audit, the grade and the report judge from these two summaries.
``rempart.store.status`` reads them; nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class BackupStatus:
    """The practice's Rempart backups, as the store knows them."""

    last_backup_at: datetime | None  # last run that ended ok or anomalous
    last_backup_ok: bool | None  # None: no backup ever ran
    last_backup_anomalous: bool
    immutable: bool  # the last good backup went to an Object Lock repository
    last_drill_at: datetime | None  # last restore drill, whatever its result
    last_drill_ok: bool | None  # None: no drill ever ran
    last_good_drill_at: datetime | None  # last successful restore drill
    repository: str | None  # where the last backup went (no secrets)

    @property
    def configured(self) -> bool:
        """True once a backup has been attempted with Rempart's vault."""
        return self.last_backup_ok is not None


@dataclass(frozen=True)
class SentinelStatus:
    """Whether the sentinel is watching, and what it has seen."""

    running: bool  # a heartbeat recent enough (see rempart.store.status.HEARTBEAT_FRESH)
    folders: tuple[str, ...]
    mode: str | None  # "fanotify", "inotify" or "poll"
    last_heartbeat: datetime | None
    open_incidents: int
    last_incident_at: datetime | None


NO_BACKUP = BackupStatus(None, None, False, False, None, None, None, None)
NO_SENTINEL = SentinelStatus(False, (), None, None, 0, None)

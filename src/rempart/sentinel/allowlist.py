"""Who may write ciphertext-like data, and where writes are not judged — for the response.

The list itself is the detector's (:class:`rempart.sentinel.detector.ProcessAllowList`:
``data/allowlist.toml`` — 7-Zip and other archivers with AES, backup software with Rempart's
own vault, VeraCrypt and BitLocker, the database engines of practice software — extended by
``[sentinel] allow_processes`` and ``allow_paths``). One list serves both: the detector lowers
or cancels the score of these writers, and the response never suspends or kills a process
the list names at all (weight below 1), even when a canary made the verdict strong: it names
it instead, and the person decides. The service skips files under ``allow_paths`` before
reading them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path, PurePath

from rempart.config import SentinelSettings
from rempart.sentinel.detector import Event, ProcessAllowList


@dataclass(frozen=True)
class Allowlist:
    """The response's view of the allow-list."""

    policy: ProcessAllowList

    @classmethod
    def from_settings(cls, settings: SentinelSettings | None = None) -> Allowlist:
        settings = settings or SentinelSettings()
        return cls.build(settings.allow_processes, settings.allow_paths)

    @classmethod
    def build(cls, processes: tuple[str, ...] = (), paths: tuple[str, ...] = ()) -> Allowlist:
        folders = [str(Path(p).expanduser()) for p in paths if p.strip()]
        return cls(ProcessAllowList([p for p in processes if p.strip()], folders))

    def _weight(self, path: Path, process: str | None) -> float:
        return self.policy.weight(
            Event(at=time.monotonic(), kind="write", path=path, process=process)
        )

    def process_allowed(self, name: str | None, exe: str | None = None) -> bool:
        """The process is a listed writer (by name, or by its executable's path or name)."""
        nowhere = Path(PurePath("/"))
        for process in (name, exe):
            if process and self._weight(nowhere, process) < 1.0:
                return True
        return False

    def path_allowed(self, path: Path | str) -> bool:
        """Writes under this path are never judged (``allow_paths``)."""
        return self._weight(Path(path), None) == 0.0

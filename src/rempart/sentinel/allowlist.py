"""Who may write ciphertext-like data, and where writes are not judged.

Legitimate writers of encrypted or compressed data must never be stopped: 7-Zip with AES,
backup software (Rempart's own vault included), VeraCrypt, the database engines of the
practice software (SQL Server, PostgreSQL, Firebird, HFSQL, MySQL/MariaDB, SQL Anywhere).
The built-in list below is extended by ``[sentinel] allow_processes`` (names or full paths)
and ``allow_paths`` (folders or globs whose writes are not judged at all).

The response asks :meth:`Allowlist.process_allowed` before suspending anything; the service
asks :meth:`Allowlist.path_allowed` before inspecting a file. Names compare without case
and without ``.exe``, so one list serves Windows and Linux.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePath

from rempart.config import SentinelSettings

# Process names (lower case, no .exe) of legitimate writers of ciphertext-like data.
BUILTIN_PROCESSES: tuple[str, ...] = (
    # archivers with encryption
    "7z",
    "7za",
    "7zz",
    "7zg",
    "7zfm",
    "winrar",
    "rar",
    # disk and file encryption
    "veracrypt",
    "truecrypt",
    # backup software
    "rempart",
    "restic",
    "borg",
    "duplicati",
    "duplicati.server",
    "veeam.endpoint.service",
    "veeamagent",
    "cbengine",
    "acronis_agent",
    "wbengine",
    "robocopy",
    "rsync",
    # database engines of practice software
    "sqlservr",
    "postgres",
    "fbserver",
    "fb_inet_server",
    "firebird",
    "manta",
    "manta64",
    "mantamanager",
    "hfsql",
    "mysqld",
    "mariadbd",
    "dbsrv16",
    "dbsrv17",
    "dbeng17",
    "4d server",
)


def _normal(name: str) -> str:
    name = name.strip().lower()
    return name[:-4] if name.endswith(".exe") else name


@dataclass(frozen=True)
class Allowlist:
    """Process names, executable paths and path globs that the sentinel leaves alone."""

    names: frozenset[str]
    executables: frozenset[str]
    path_globs: tuple[str, ...]

    @classmethod
    def from_settings(cls, settings: SentinelSettings | None = None) -> Allowlist:
        settings = settings or SentinelSettings()
        return cls.build(settings.allow_processes, settings.allow_paths)

    @classmethod
    def build(cls, processes: Iterable[str] = (), paths: Iterable[str] = ()) -> Allowlist:
        names = set(BUILTIN_PROCESSES)
        executables: set[str] = set()
        for item in processes:
            if "/" in item or "\\" in item:
                executables.add(os.path.normcase(os.path.normpath(item)))
            elif item.strip():
                names.add(_normal(item))
        globs = []
        for pattern in paths:
            if not pattern.strip():
                continue
            base = str(Path(pattern).expanduser())
            globs.append(base)
            if not any(ch in base for ch in "*?["):
                globs.append(os.path.join(base, "*"))  # a folder: everything below it
        return cls(frozenset(names), frozenset(executables), tuple(globs))

    def process_allowed(self, name: str | None, exe: str | None = None) -> bool:
        if name and _normal(name) in self.names:
            return True
        if exe:
            if os.path.normcase(os.path.normpath(exe)) in self.executables:
                return True
            if _normal(PurePath(exe).name) in self.names:
                return True
        return False

    def path_allowed(self, path: Path | str) -> bool:
        text = str(path)
        return any(fnmatch.fnmatch(text, pattern) for pattern in self.path_globs)

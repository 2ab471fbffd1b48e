"""The vault: encrypted, deduplicated, database-aware backups (docs/vault-format.md).

Public API (used by the CLI, the restore drills, anomaly detection and the dashboard)::

    backend = open_backend("/media/usb/sauvegardes")          # or "s3://bucket/prefix?…"
    repo, recovery = Repository.init(backend, passphrase)      # recovery: show it once
    repo = Repository.open(backend, passphrase)                # passphrase or recovery key
    result = run_backup(repo, ["/srv/cabinet"], tags=["quotidien"])
    for snap in repo.snapshots(): ...                          # oldest first
    for path, node in repo.walk(snap.tree): ...                # Node: name, type, size, hash…
    data = b"".join(read_file(repo, node))                     # chunks of one file, verified
    restore(repo, snap, target)                                # every file checked by hash
    report = check(repo, read_data=True)

The names are imported when first used (PEP 562): importing ``rempart.vault.errors`` or
``rempart.vault.model`` does not load the engine, so that every ``rempart`` command (they all
register the vault's commands) starts sooner.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rempart.vault.backends import Backend, open_backend
    from rempart.vault.backup import BackupProgress, BackupResult, run_backup
    from rempart.vault.model import Node, Snapshot, SnapshotStats
    from rempart.vault.repo import Repository

_WHERE = {
    "Backend": "rempart.vault.backends",
    "open_backend": "rempart.vault.backends",
    "BackupProgress": "rempart.vault.backup",
    "BackupResult": "rempart.vault.backup",
    "run_backup": "rempart.vault.backup",
    "Node": "rempart.vault.model",
    "Snapshot": "rempart.vault.model",
    "SnapshotStats": "rempart.vault.model",
    "Repository": "rempart.vault.repo",
}

__all__ = [
    "Backend",
    "BackupProgress",
    "BackupResult",
    "Node",
    "Repository",
    "Snapshot",
    "SnapshotStats",
    "open_backend",
    "run_backup",
]


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'rempart.vault' has no attribute {name!r}")
    value = getattr(importlib.import_module(where), name)
    globals()[name] = value
    return value

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
"""

from __future__ import annotations

from rempart.vault.backends import Backend, open_backend
from rempart.vault.backup import BackupProgress, BackupResult, run_backup
from rempart.vault.model import Node, Snapshot, SnapshotStats
from rempart.vault.repo import Repository

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

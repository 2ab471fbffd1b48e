"""``rempart backup forget`` (which snapshots to drop) and ``prune`` (which data goes with them).

Keep policies follow restic's meaning: ``--keep-daily 30`` keeps the newest snapshot of each
of the last 30 days that have one, and so on; a snapshot kept by any rule stays. Deleting is
refused by an immutable repository while retention lasts: the command says what stays.
Prune order (docs/vault-format.md, section 10): new packs, new index, delete old index files,
delete packs no index references.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from rempart.i18n import _
from rempart.vault.errors import RetentionRefused, VaultError
from rempart.vault.model import Snapshot
from rempart.vault.repo import PackWriter, Repository, encode_index, object_name

REPACK_UNUSED = 0.25  # a pack with more than this share of unused bytes is rewritten


@dataclass(frozen=True)
class KeepPolicy:
    last: int = 0
    daily: int = 0
    weekly: int = 0
    monthly: int = 0

    @property
    def empty(self) -> bool:
        return not (self.last or self.daily or self.weekly or self.monthly)


def _buckets(t: datetime) -> dict[str, object]:
    local = t.astimezone()
    iso = local.isocalendar()
    return {
        "last": object(),  # every snapshot is its own bucket
        "daily": local.date(),
        "weekly": (iso[0], iso[1]),
        "monthly": (local.year, local.month),
    }


def apply_policy(
    snapshots: Sequence[Snapshot], policy: KeepPolicy
) -> tuple[list[Snapshot], list[Snapshot]]:
    """(kept, removed), each oldest first. A pure function: tested on plain snapshots."""
    if policy.empty:
        raise VaultError(
            _("Say what to keep, for example --keep-daily 30 --keep-monthly 12 (or --keep-last N).")
        )
    remaining = {
        "last": policy.last,
        "daily": policy.daily,
        "weekly": policy.weekly,
        "monthly": policy.monthly,
    }
    seen: dict[str, object] = {}
    kept: set[str] = set()
    for snap in sorted(snapshots, key=lambda s: s.time, reverse=True):
        buckets = _buckets(snap.time)
        for rule, left in remaining.items():
            if left <= 0:
                continue
            if rule in seen and seen[rule] == buckets[rule]:
                continue
            seen[rule] = buckets[rule]
            remaining[rule] = left - 1
            kept.add(snap.name)
    ordered = sorted(snapshots, key=lambda s: s.time)
    return [s for s in ordered if s.name in kept], [s for s in ordered if s.name not in kept]


@dataclass(frozen=True)
class ForgetResult:
    kept: tuple[Snapshot, ...]
    removed: tuple[Snapshot, ...]
    refused: tuple[Snapshot, ...]  # under retention: they stay until it ends


def forget(
    repo: Repository, policy: KeepPolicy, *, host: str | None = None, dry_run: bool = False
) -> ForgetResult:
    snaps = [s for s in repo.snapshots() if host is None or s.host == host]
    kept, removable = apply_policy(snaps, policy)
    if dry_run:
        return ForgetResult(tuple(kept), tuple(removable), ())
    repo.lock(exclusive=True)
    removed: list[Snapshot] = []
    refused: list[Snapshot] = []
    try:
        for snap in removable:
            try:
                repo.backend.delete("snapshots", snap.name)
                removed.append(snap)
            except RetentionRefused:
                refused.append(snap)
    finally:
        repo.unlock()
    return ForgetResult(tuple(kept), tuple(removed), tuple(refused))


@dataclass(frozen=True)
class PruneResult:
    packs_deleted: int
    packs_repacked: int
    bytes_freed: int
    refused: int  # objects the storage kept (retention)
    dry_run: bool


def used_blobs(repo: Repository) -> set[bytes]:
    """Every blob (trees and chunks) a snapshot still needs."""
    used: set[bytes] = set()
    trees: list[str] = [s.tree for s in repo.snapshots()]
    while trees:
        tree = trees.pop()
        tree_id = bytes.fromhex(tree)
        if tree_id in used:
            continue
        used.add(tree_id)
        for node in repo.load_tree(tree):
            if node.type == "dir":
                trees.append(node.subtree)
            elif node.type == "file":
                used.update(bytes.fromhex(c) for c in node.content)
    return used


def prune(
    repo: Repository,
    *,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> PruneResult:
    if not dry_run:
        repo.lock(exclusive=True)
    try:
        return _prune(repo, dry_run, progress)
    finally:
        repo.unlock()


def _prune(
    repo: Repository, dry_run: bool, progress: Callable[[int, int], None] | None
) -> PruneResult:
    repo.load_index(strict=True)
    used = used_blobs(repo)
    packs: dict[str, list[tuple[int, bytes, int, int, int]]] = {}
    for entries_by_pack in repo.index_files.values():
        for pack, entries in entries_by_pack.items():
            packs[pack] = entries
    stored = set(repo.backend.list("data"))
    drop: set[str] = set(stored - set(packs))  # packs of interrupted backups
    repack: dict[str, list[tuple[int, bytes, int, int, int]]] = {}
    keep: dict[str, list[tuple[int, bytes, int, int, int]]] = {}
    for pack, entries in packs.items():
        total = sum(e[3] for e in entries)
        live = sum(e[3] for e in entries if e[1] in used)
        if live == 0:
            drop.add(pack)
        elif total - live > REPACK_UNUSED * total:
            repack[pack] = entries
        else:
            keep[pack] = entries
    freed = 0
    for pack in drop | set(repack):
        if pack in stored:
            freed += repo.backend.size("data", pack)
    if dry_run:
        return PruneResult(len(drop), len(repack), freed, 0, True)
    # 1. live blobs of mostly-empty packs into new packs (copied sealed, not re-encrypted)
    writer = PackWriter(repo)
    writer.repacking = True
    copied: set[bytes] = set()
    try:
        for i, (pack, entries) in enumerate(sorted(repack.items())):
            if progress:
                progress(i, len(repack))
            for t, blob_id, off, length, raw in entries:
                if blob_id in used and blob_id not in copied:
                    copied.add(blob_id)
                    sealed = repo.backend.get_range("data", pack, off, length)
                    writer.add(t, blob_id, sealed, raw)
        writer.flush()
    finally:
        writer.close()
    new_indexes = set(writer.index_files)
    # 2. one index of every pack that stays
    refused = 0
    if keep:
        raw_index = encode_index(repo.master, keep)
        name = object_name(raw_index)
        if not repo.backend.exists("index", name):
            repo.backend.put("index", name, raw_index)
        new_indexes.add(name)
    # 3. old index files, then 4. the packs no surviving index lists
    surviving: set[str] = set()
    for name, by_pack in list(repo.index_files.items()):
        if name in new_indexes:
            continue
        try:
            repo.backend.delete("index", name)
        except RetentionRefused:
            refused += 1
            surviving.update(by_pack)
    for pack in sorted(drop | set(repack)):
        if pack in surviving:
            continue
        try:
            repo.backend.delete("data", pack)
        except RetentionRefused:
            refused += 1
    cleanup = getattr(repo.backend, "temp_files", None)
    if callable(cleanup):
        for tmp in cleanup():
            try:
                tmp.unlink()
            except OSError:
                pass
    if progress:
        progress(len(repack), len(repack))
    repo.load_index()
    return PruneResult(len(drop), len(repack), freed, refused, False)

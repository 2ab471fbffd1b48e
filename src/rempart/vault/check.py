"""``rempart backup check``: is every snapshot complete and every byte intact?

Structure (always): index files decrypt, every indexed pack exists and is long enough,
every snapshot and tree decrypts, every chunk a tree names is indexed.
``read_data``: every pack (or the ``subset`` N of M) is read whole, its name compared with its
BLAKE3, its header decrypted and every blob decrypted and its keyed ID recomputed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rempart.i18n import _
from rempart.vault.crypto import DecryptError
from rempart.vault.errors import VaultError
from rempart.vault.model import DATA, TREE
from rempart.vault.repo import Repository, decode_pack_header, object_name, open_blob


@dataclass(frozen=True)
class CheckReport:
    problems: tuple[str, ...]  # one line each; empty: the repository is sound
    notes: tuple[str, ...]  # harmless leftovers (packs of an interrupted backup...)
    snapshots: int
    packs: int
    packs_read: int
    blobs: int

    @property
    def ok(self) -> bool:
        return not self.problems


def parse_subset(text: str) -> tuple[int, int]:
    """``"2/5"`` → (2, 5): the second fifth of the packs."""
    try:
        n_text, m_text = text.split("/", 1)
        n, m = int(n_text), int(m_text)
    except ValueError:
        n, m = 0, 0
    if not (1 <= n <= m):
        raise VaultError(
            _("--subset takes N/M with 1 ≤ N ≤ M (for example 1/10), not '{text}'.").format(
                text=text
            )
        )
    return n, m


def in_subset(pack: str, subset: tuple[int, int] | None) -> bool:
    if subset is None:
        return True
    n, m = subset
    return int(pack[:8], 16) % m == n - 1


def check(
    repo: Repository,
    *,
    read_data: bool = False,
    subset: tuple[int, int] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> CheckReport:
    problems: list[str] = []
    notes: list[str] = []
    for name in repo.load_index(strict=False):
        problems.append(
            _("index file {name}: damaged (truncated or altered)").format(name=name[:16])
        )
    stored = set(repo.backend.list("data"))
    packs: dict[str, list[tuple[int, bytes, int, int, int]]] = {}
    for entries_by_pack in repo.index_files.values():
        for pack, entries in entries_by_pack.items():
            packs.setdefault(pack, []).extend(entries)
    missing_packs: set[str] = set()
    for pack, entries in sorted(packs.items()):
        if pack not in stored:
            missing_packs.add(pack)
            problems.append(_("pack {name}: missing").format(name=pack[:16]))
            continue
        end = max(off + length for _t, _i, off, length, _r in entries)
        if repo.backend.size("data", pack) < end + 4:
            problems.append(_("pack {name}: truncated").format(name=pack[:16]))
    orphans = stored - set(packs)
    if orphans:
        notes.append(
            _(
                "{n} pack(s) are in no index (left by an interrupted backup): "
                "'rempart backup prune' removes them"
            ).format(n=len(orphans))
        )
    # snapshots and trees
    seen_trees: set[str] = set()
    missing_blobs: set[bytes] = set()
    snaps = 0
    for name in list(repo.backend.list("snapshots")):
        try:
            snap = repo.load_snapshot(name)
        except VaultError:
            problems.append(_("snapshot {name}: damaged").format(name=name[:8]))
            continue
        snaps += 1
        stack = [snap.tree]
        while stack:
            tree = stack.pop()
            if tree in seen_trees:
                continue
            seen_trees.add(tree)
            tree_id = bytes.fromhex(tree)
            ref = repo.index.get(tree_id)
            if ref is None or ref.pack in missing_packs:
                problems.append(
                    _("snapshot {name}: a folder listing is missing ({id})").format(
                        name=name[:8], id=tree[:16]
                    )
                )
                continue
            try:
                nodes = repo.load_tree(tree)
            except VaultError:
                problems.append(
                    _("snapshot {name}: a folder listing is damaged ({id})").format(
                        name=name[:8], id=tree[:16]
                    )
                )
                continue
            for node in nodes:
                if node.type == "dir":
                    stack.append(node.subtree)
                elif node.type == "file":
                    for c in node.content:
                        blob_id = bytes.fromhex(c)
                        ref = repo.index.get(blob_id)
                        if (
                            ref is None or ref.pack in missing_packs
                        ) and blob_id not in missing_blobs:
                            missing_blobs.add(blob_id)
                            problems.append(
                                _("snapshot {name}: a chunk of {file} is missing").format(
                                    name=name[:8], file=node.name
                                )
                            )
    packs_read = 0
    blobs = 0
    if read_data:
        todo = [p for p in sorted(packs) if p in stored and in_subset(p, subset)]
        for i, pack in enumerate(todo):
            if progress:
                progress(i, len(todo))
            data = repo.backend.get("data", pack)
            packs_read += 1
            if object_name(data) != pack:
                problems.append(
                    _("pack {name}: content altered (hash differs)").format(name=pack[:16])
                )
                continue
            try:
                header = decode_pack_header(repo.master, data)
            except DecryptError:
                problems.append(_("pack {name}: header damaged").format(name=pack[:16]))
                continue
            listed = {(t, i, off, length) for t, i, off, length, _r in header}
            if any((t, i, off, length) not in listed for t, i, off, length, _r in packs[pack]):
                problems.append(
                    _("pack {name}: its header disagrees with the index").format(name=pack[:16])
                )
            for t, blob_id, off, length, _raw in header:
                blobs += 1
                try:
                    plain = open_blob(repo.master, t, blob_id, data[off : off + length])
                except DecryptError:
                    problems.append(
                        _("pack {name}: a chunk does not decrypt").format(name=pack[:16])
                    )
                    continue
                if t not in (DATA, TREE) or repo.master.blob_id(plain) != blob_id:
                    problems.append(
                        _("pack {name}: a chunk does not match its ID").format(name=pack[:16])
                    )
        if progress:
            progress(len(todo), len(todo))
    return CheckReport(
        problems=tuple(problems),
        notes=tuple(notes),
        snapshots=snaps,
        packs=len(packs),
        packs_read=packs_read,
        blobs=blobs,
    )

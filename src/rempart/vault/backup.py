"""``rempart backup run``: files → chunks → dedup → zstd → AES-GCM → packs → index → snapshot.

The main thread walks and reads files and cuts chunks; a thread pool hashes, compresses and
encrypts them (BLAKE3, zstd and AES-GCM release the GIL, so every core works); a second small
pool uploads packs. Files unchanged since the parent snapshot (same size, mtime and inode)
are not read again. Order of writes: packs, index, snapshot (docs/vault-format.md, section 10).
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePath
from typing import Protocol

import blake3

from rempart.i18n import _
from rempart.vault.chunker import DEFAULT_PAGE_SIZE, database_page_size
from rempart.vault.errors import VaultError
from rempart.vault.model import DATA, TREE, Node, Snapshot, SnapshotStats, encode_tree
from rempart.vault.repo import PackWriter, Repository, host_name, seal_blob, user_name
from rempart.vault.sources import DirectSource, SnapshotSource

INFLIGHT_BYTES = 96 * 1024 * 1024
HASH_BACKLOG = 32 * 1024 * 1024
BATCH_BYTES = 1024 * 1024  # small (database) chunks go to the pool by the MiB


def _update(hasher: blake3.blake3, batch: list[bytes]) -> None:
    for chunk in batch:
        hasher.update(chunk)


class BackupProgress(Protocol):
    def start(self, files: int, total_bytes: int) -> None: ...

    def advance(self, nbytes: int, files: int = 0) -> None: ...


@dataclass(frozen=True)
class BackupResult:
    snapshot: Snapshot
    errors: tuple[str, ...]  # files that could not be read (skipped), one line each


@dataclass
class _File:
    name: str
    path: str
    st: os.stat_result


@dataclass
class _Link:
    name: str
    path: str
    st: os.stat_result
    target: str


@dataclass
class _Dir:
    name: str
    path: str
    st: os.stat_result | None
    children: dict[str, _Dir | _File | _Link] = field(default_factory=dict)


@dataclass
class _Pending:
    """A file being chunked: its blob IDs arrive from the pool in order."""

    scan: _File
    ids: list[bytes | None] = field(default_factory=list)
    hash: Future[str] | None = None
    remaining: int = 0
    read_done: bool = False
    failed: bool = False
    size: int = 0


def _components(path: str) -> tuple[str, ...]:
    pure = PurePath(path)
    parts = list(pure.parts)
    if pure.anchor:
        parts = parts[1:]
        drive = pure.drive.rstrip(":\\/")
        if drive:
            parts.insert(0, drive)
    return tuple(parts)


def _excluded(name: str, path: str, patterns: Sequence[str]) -> bool:
    norm = path.replace("\\", "/")
    for pattern in patterns:
        pat = pattern.replace("\\", "/")
        if fnmatch.fnmatch(name, pat) or fnmatch.fnmatch(norm, pat):
            return True
    return False


class _Scanner:
    def __init__(self, excludes: Sequence[str], skip: Sequence[str]) -> None:
        self.excludes = tuple(excludes)
        self.skip = {os.path.normcase(os.path.abspath(p)) for p in skip}
        self.files = 0
        self.bytes = 0
        self.errors: list[str] = []

    def add_path(self, root: _Dir, path: str) -> None:
        parts = _components(path)
        node = root
        current = PurePath(path).anchor or ""
        for part in parts[:-1]:
            current = os.path.join(current, part) if current else part
            child = node.children.get(part)
            if not isinstance(child, _Dir):
                try:
                    st = os.stat(current)
                except OSError:
                    st = None
                child = _Dir(part, current, st)
                node.children[part] = child
            node = child
        self.scan(node, parts[-1], path)

    def scan(self, parent: _Dir, name: str, path: str) -> None:
        if _excluded(name, path, self.excludes):
            return
        if os.path.normcase(os.path.abspath(path)) in self.skip:
            return
        try:
            st = os.lstat(path)
        except OSError as exc:
            self.errors.append(f"{path}: {exc.strerror or exc}")
            return
        if stat.S_ISLNK(st.st_mode):
            try:
                parent.children[name] = _Link(name, path, st, os.readlink(path))
            except OSError as exc:
                self.errors.append(f"{path}: {exc.strerror or exc}")
        elif stat.S_ISDIR(st.st_mode):
            existing = parent.children.get(name)
            node = existing if isinstance(existing, _Dir) else _Dir(name, path, st)
            node.st = st
            parent.children[name] = node
            try:
                entries = sorted(os.listdir(path))
            except OSError as exc:
                self.errors.append(f"{path}: {exc.strerror or exc}")
                return
            for entry in entries:
                self.scan(node, entry, os.path.join(path, entry))
        elif stat.S_ISREG(st.st_mode):
            parent.children[name] = _File(name, path, st)
            self.files += 1
            self.bytes += st.st_size


def _match(parent_nodes: dict[str, Node] | None, scan: _File) -> Node | None:
    if parent_nodes is None:
        return None
    old = parent_nodes.get(scan.name)
    if old is None or old.type != "file":
        return None
    st = scan.st
    if old.size == st.st_size and old.mtime_ns == st.st_mtime_ns and old.inode == st.st_ino:
        return old
    return None


class _Engine:
    def __init__(
        self,
        repo: Repository,
        source: SnapshotSource,
        progress: BackupProgress | None,
        database_globs: Sequence[str],
        page_size: int,
        workers: int,
    ) -> None:
        self.repo = repo
        self.source = source
        self.progress = progress
        self.database_globs = tuple(database_globs)
        self.page_size = page_size
        self.writer = PackWriter(repo)
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rempart-seal")
        # whole-file BLAKE3 in its own thread (in order), beside the reading thread
        self.hash_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rempart-hash")
        self.hash_backlog: deque[tuple[Future[object], int]] = deque()
        self.hash_bytes = 0
        self.fifo: deque[tuple[_Pending, int, Future[list[tuple[bytes, bytes | None, int]]]]] = (
            deque()
        )
        self.inflight = 0
        self.errors: list[str] = []
        self.files = 0
        self.dirs = 0
        self.bytes = 0
        self.unchanged = 0
        self.nodes: dict[int, Node] = {}

    # -- the pool ---------------------------------------------------------------------

    def _seal(self, batch: list[bytes]) -> list[tuple[bytes, bytes | None, int]]:
        """Hash, and if new compress and encrypt, a batch of chunks (in a pool thread)."""
        master = self.repo.master
        out: list[tuple[bytes, bytes | None, int]] = []
        for chunk in batch:
            blob_id = master.blob_id(chunk)
            if self.writer.known(blob_id):
                out.append((blob_id, None, len(chunk)))
            else:
                out.append((blob_id, seal_blob(master, DATA, blob_id, chunk), len(chunk)))
        return out

    def _drain(self, limit: int) -> None:
        while self.fifo and (self.inflight > limit or self.fifo[0][2].done()):
            pending, start, fut = self.fifo.popleft()
            done = 0
            for k, (blob_id, sealed, raw_len) in enumerate(fut.result()):
                if sealed is not None:
                    self.writer.add(DATA, blob_id, sealed, raw_len)
                pending.ids[start + k] = blob_id
                done += raw_len
            self.inflight -= done
            pending.remaining -= 1
            if self.progress:
                self.progress.advance(done)
            if pending.read_done and pending.remaining == 0:
                self._finish(pending)

    def _submit(self, pending: _Pending, hasher: blake3.blake3, batch: list[bytes]) -> None:
        nbytes = sum(len(c) for c in batch)
        self._hash(hasher, batch, nbytes)
        start = len(pending.ids)
        pending.ids.extend([None] * len(batch))
        pending.remaining += 1
        self.inflight += nbytes
        self.fifo.append((pending, start, self.pool.submit(self._seal, batch)))
        self._drain(INFLIGHT_BYTES)
        self.repo.refresh_lock()

    def _finish(self, pending: _Pending) -> None:
        if pending.failed:
            return
        st = pending.scan.st
        self.nodes[id(pending.scan)] = Node(
            name=pending.scan.name,
            type="file",
            mode=stat.S_IMODE(st.st_mode),
            mtime_ns=st.st_mtime_ns,
            size=pending.size,
            inode=st.st_ino,
            content=tuple(i.hex() for i in pending.ids if i is not None),
            hash=pending.hash.result() if pending.hash else "",
        )
        if self.progress:
            self.progress.advance(0, files=1)

    def _hash(self, hasher: blake3.blake3, batch: list[bytes], nbytes: int) -> None:
        """Queue ``batch`` for the file hash, holding at most HASH_BACKLOG bytes queued."""
        self.hash_backlog.append((self.hash_pool.submit(_update, hasher, batch), nbytes))
        self.hash_bytes += nbytes
        while self.hash_backlog and (
            self.hash_bytes > HASH_BACKLOG or self.hash_backlog[0][0].done()
        ):
            fut, size = self.hash_backlog.popleft()
            fut.result()
            self.hash_bytes -= size

    # -- files --------------------------------------------------------------------------

    def file(self, scan: _File, parent_nodes: dict[str, Node] | None) -> None:
        old = _match(parent_nodes, scan)
        if old is not None and all(bytes.fromhex(c) in self.repo.index for c in old.content):
            st = scan.st
            self.nodes[id(scan)] = Node(
                name=scan.name,
                type="file",
                mode=stat.S_IMODE(st.st_mode),
                mtime_ns=st.st_mtime_ns,
                size=old.size,
                inode=st.st_ino,
                content=old.content,
                hash=old.hash,
            )
            self.files += 1
            self.unchanged += 1
            self.bytes += old.size
            if self.progress:
                self.progress.advance(old.size, files=1)
            return
        pending = _Pending(scan)
        hasher = blake3.blake3(max_threads=1)
        total = 0
        try:
            with self.source.open(scan.path) as fh:
                head = fh.read(100)
                page = database_page_size(
                    PurePath(scan.path), head, self.database_globs, self.page_size
                )
                fh.seek(0)
                if page is not None:
                    chunk_size = page * self.repo.config.chunker.pages_per_chunk
                    chunks = self.repo.chunker.fixed(fh, chunk_size)
                else:
                    chunks = self.repo.chunker.cdc(fh)
                batch: list[bytes] = []
                batch_bytes = 0
                for chunk in chunks:
                    batch.append(chunk)
                    batch_bytes += len(chunk)
                    total += len(chunk)
                    if batch_bytes >= BATCH_BYTES:
                        self._submit(pending, hasher, batch)
                        batch, batch_bytes = [], 0
                if batch:
                    self._submit(pending, hasher, batch)
        except OSError as exc:
            pending.failed = True
            self.errors.append(f"{scan.path}: {exc.strerror or exc}")
        pending.hash = self.hash_pool.submit(hasher.hexdigest)
        pending.size = total
        pending.read_done = True
        if not pending.failed:
            self.files += 1
            self.bytes += total
        if pending.remaining == 0:
            self._finish(pending)

    # -- directories -------------------------------------------------------------------

    def walk(self, node: _Dir, parent_tree: str | None) -> None:
        parent_nodes: dict[str, Node] | None = None
        if parent_tree:
            try:
                parent_nodes = {n.name: n for n in self.repo.load_tree(parent_tree)}
            except VaultError:
                parent_nodes = None
        for name in sorted(node.children):
            child = node.children[name]
            if isinstance(child, _File):
                self.file(child, parent_nodes)
            elif isinstance(child, _Dir):
                sub = parent_nodes.get(name) if parent_nodes else None
                self.walk(child, sub.subtree if sub and sub.type == "dir" else None)

    def tree(self, node: _Dir) -> str:
        out: list[Node] = []
        for name in sorted(node.children):
            child = node.children[name]
            if isinstance(child, _File):
                built = self.nodes.get(id(child))
                if built is not None:
                    out.append(built)
            elif isinstance(child, _Link):
                out.append(
                    Node(
                        name=name,
                        type="symlink",
                        mode=stat.S_IMODE(child.st.st_mode),
                        mtime_ns=child.st.st_mtime_ns,
                        target=child.target,
                    )
                )
            else:
                self.dirs += 1
                st = child.st
                out.append(
                    Node(
                        name=name,
                        type="dir",
                        mode=stat.S_IMODE(st.st_mode) if st else 0o755,
                        mtime_ns=st.st_mtime_ns if st else 0,
                        subtree=self.tree(child),
                    )
                )
        raw = encode_tree(out)
        tree_id = self.repo.master.blob_id(raw)
        if not self.writer.known(tree_id):
            self.writer.add(
                TREE, tree_id, seal_blob(self.repo.master, TREE, tree_id, raw), len(raw)
            )
        return tree_id.hex()

    def finish(self) -> None:
        self._drain(-1)

    def close(self) -> None:
        for _p, _i, fut in self.fifo:
            fut.cancel()
        self.pool.shutdown(wait=True)
        self.hash_pool.shutdown(wait=True)
        self.writer.close()


def find_parent(repo: Repository, host: str, paths: Sequence[str]) -> Snapshot | None:
    """The snapshot whose tree serves as file cache: the latest of this host with the same
    paths, else the latest of this host sharing one (nodes are matched by path, so any tree
    of the same files will do)."""
    wanted = sorted(paths)
    mine = [s for s in repo.snapshots() if s.host == host]
    for snap in reversed(mine):
        if sorted(snap.paths) == wanted:
            return snap
    for snap in reversed(mine):
        if set(snap.paths) & set(paths):
            return snap
    return None


def run_backup(
    repo: Repository,
    paths: Sequence[str],
    *,
    tags: Sequence[str] = (),
    excludes: Sequence[str] = (),
    database_globs: Sequence[str] = (),
    page_size: int = DEFAULT_PAGE_SIZE,
    source: SnapshotSource | None = None,
    progress: BackupProgress | None = None,
    workers: int | None = None,
    use_parent: bool = True,
    skip: Sequence[str] = (),
) -> BackupResult:
    """Save ``paths`` as a new snapshot; files that cannot be read are skipped and listed."""
    abs_paths = [os.path.abspath(os.path.expanduser(p)) for p in paths]
    if not abs_paths:
        raise VaultError(
            _("Nothing to back up: give folders, or set 'paths' in the [vault] settings.")
        )
    for path in abs_paths:
        if not os.path.lexists(path):
            raise VaultError(
                _("The folder {path} does not exist: check the path.").format(path=path)
            )
    host = host_name()
    skipped = list(skip)
    local_root = getattr(repo.backend, "root", None)
    if isinstance(local_root, Path):
        skipped.append(str(local_root))  # never back up the repository into itself
    scanner = _Scanner(excludes, skipped)
    root = _Dir("", "", None)
    for path in abs_paths:
        scanner.add_path(root, path)
    parent = find_parent(repo, host, abs_paths) if use_parent else None
    repo.lock(exclusive=False)
    src = source or DirectSource()
    engine = _Engine(repo, src, progress, database_globs, page_size, workers or os.cpu_count() or 2)
    try:
        with src:
            if progress:
                progress.start(scanner.files, scanner.bytes)
            engine.walk(root, parent.tree if parent else None)
            engine.finish()
        tree = engine.tree(root)
        engine.writer.flush()
        errors = tuple(scanner.errors + engine.errors)
        snapshot = Snapshot(
            name="",
            time=datetime.now(UTC),
            host=host,
            user=user_name(),
            paths=tuple(abs_paths),
            tags=tuple(tags),
            tree=tree,
            parent=parent.name if parent else None,
            source=src.kind,
            stats=SnapshotStats(
                files=engine.files,
                dirs=engine.dirs,
                bytes=engine.bytes,
                bytes_added=engine.writer.bytes_added,
                blobs_added=engine.writer.blobs_added,
                packs_added=engine.writer.packs_added,
                files_unchanged=engine.unchanged,
                errors=len(errors),
            ),
        )
        saved = repo.save_snapshot(snapshot)
        return BackupResult(saved, errors)
    finally:
        engine.close()
        repo.unlock()

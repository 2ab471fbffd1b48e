"""``rempart backup run``: files → chunks → dedup → zstd → AES-GCM → packs → index → snapshot.

Every core works: reader threads each take a file (read, keyed permutation in NumPy, cut by
the compiled FastCDC, whole-file BLAKE3: all but the cutting release the GIL, and several
files are cut at once), a pool hashes, compresses and encrypts the chunks (BLAKE3, zstd and
AES-GCM release the GIL), the main thread hands the sealed chunks to the pack writer in order,
whose own threads store the packs. Files unchanged since the parent snapshot (same size, mtime
and inode) are not read again. Order of writes: packs, index, snapshot
(docs/vault-format.md, section 10)."""

from __future__ import annotations

import fnmatch
import os
import queue
import stat
import threading
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
from rempart.vault.repo import Buffer, PackWriter, Repository, host_name, seal_blob, user_name
from rempart.vault.sources import DirectSource, SnapshotSource

INFLIGHT_BYTES = 64 * 1024 * 1024  # chunks read and not yet in a pack, at most
BATCH_BYTES = 1024 * 1024  # small (database) chunks go to the pool by the MiB
READERS = 2  # files read and cut at once (each reader thread takes one file)


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
    """A file being read: its blob IDs arrive in order, batch after batch."""

    scan: _File
    ids: list[bytes] = field(default_factory=list)
    hash: str = ""
    size: int = 0
    error: str | None = None  # why the file could not be read (it is left out)


@dataclass
class _Batch:
    """Chunks of one file handed to the sealing pool (the reader thread's half) and, once
    sealed, to the pack writer (the main thread's half)."""

    pending: _Pending
    nbytes: int
    sealed: Future[list[tuple[bytes, Buffer | None, int]]] | None  # None: the file's end


class _Stop(Exception):
    """The backup is being abandoned: reader threads leave their file."""


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
    """The pipeline. Reader threads (``readers``) each take a file: read it, map and cut it
    (NumPy and the compiled chunker), hash it whole, and hand batches of chunks to the
    sealing pool (keyed BLAKE3, zstd, AES-GCM: all release the GIL). The main thread walks
    the folders, queues files for the readers, and takes the sealed batches in the order
    they were made to the pack writer, whose own threads store the packs. Several files are
    read at once, so that the cutting, which is serial within a file, uses every core too.
    Memory is bounded by the bytes in flight (``INFLIGHT_BYTES``) and the files queued."""

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
        self.readers = max(1, min(workers, READERS))
        self.read_pool = ThreadPoolExecutor(
            max_workers=self.readers, thread_name_prefix="rempart-read"
        )
        self.events: queue.SimpleQueue[_Batch | BaseException] = queue.SimpleQueue()
        self.backlog: deque[_Batch] = deque()
        self.budget = threading.Condition()
        self.inflight = 0
        self.stopping = False
        self.open_files = 0
        self.errors: list[str] = []
        self.files = 0
        self.dirs = 0
        self.bytes = 0
        self.unchanged = 0
        self.nodes: dict[int, Node] = {}

    # -- reader threads ------------------------------------------------------------------

    def _seal(self, batch: list[memoryview]) -> list[tuple[bytes, Buffer | None, int]]:
        """Hash, and if new compress and encrypt, a batch of chunks (in a pool thread)."""
        master = self.repo.master
        out: list[tuple[bytes, Buffer | None, int]] = []
        for chunk in batch:
            blob_id = master.blob_id(chunk)
            if self.writer.known(blob_id):
                out.append((blob_id, None, len(chunk)))
            else:
                out.append((blob_id, seal_blob(master, DATA, blob_id, chunk), len(chunk)))
        return out

    def _send(self, pending: _Pending, batch: list[memoryview], nbytes: int) -> None:
        """Wait for room in the bytes in flight, then hand ``batch`` to the sealing pool."""
        with self.budget:
            while self.inflight > 0 and self.inflight + nbytes > INFLIGHT_BYTES:
                if self.stopping:
                    raise _Stop
                self.budget.wait()
            if self.stopping:
                raise _Stop
            self.inflight += nbytes
        self.events.put(_Batch(pending, nbytes, self.pool.submit(self._seal, batch)))

    def _read(self, pending: _Pending) -> None:
        """A reader thread's work on one file; the main thread learns the end by an event."""
        try:
            self._read_file(pending)
        except _Stop:
            pass
        except OSError as exc:
            pending.error = f"{pending.scan.path}: {exc.strerror or exc}"
        except BaseException as exc:  # a bug or an interruption: the main thread re-raises
            self.events.put(exc)
            return
        self.events.put(_Batch(pending, 0, None))

    def _read_file(self, pending: _Pending) -> None:
        path = pending.scan.path
        hasher = blake3.blake3(max_threads=1)
        with self.source.open(path) as fh:
            head = fh.read(100)
            page = database_page_size(PurePath(path), head, self.database_globs, self.page_size)
            fh.seek(0)
            if page is not None:
                chunk_size = page * self.repo.config.chunker.pages_per_chunk
                chunks = self.repo.chunker.fixed(fh, chunk_size, hasher.update)
            else:
                chunks = self.repo.chunker.cdc(fh, hasher.update)
            batch: list[memoryview] = []
            batch_bytes = 0
            for chunk in chunks:
                batch.append(chunk)
                batch_bytes += len(chunk)
                pending.size += len(chunk)
                if batch_bytes >= BATCH_BYTES:
                    self._send(pending, batch, batch_bytes)
                    batch, batch_bytes = [], 0
            if batch:
                self._send(pending, batch, batch_bytes)
        pending.hash = hasher.hexdigest()

    # -- the main thread -----------------------------------------------------------------

    def _pump(self, wait: bool) -> None:
        """Take sealed batches to the pack writer, in order: those ready, and when ``wait``,
        at least the next one."""
        while True:
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                break
            self._arrived(event)
        while True:
            if not self.backlog:
                if not wait:
                    return
                self._arrived(self.events.get())
                continue
            head = self.backlog[0]
            if head.sealed is not None and not head.sealed.done() and not wait:
                return
            self.backlog.popleft()
            self._handle(head)
            wait = False
            self.repo.refresh_lock()

    def _arrived(self, event: _Batch | BaseException) -> None:
        if isinstance(event, BaseException):
            raise event
        self.backlog.append(event)

    def _handle(self, batch: _Batch) -> None:
        pending = batch.pending
        if batch.sealed is None:  # the file's end: every batch of it was handled before
            self.open_files -= 1
            if pending.error is not None:
                self.errors.append(pending.error)
                return
            self.files += 1
            self.bytes += pending.size
            self._finish(pending)
            return
        for blob_id, sealed, raw_len in batch.sealed.result():
            if sealed is not None:
                self.writer.add(DATA, blob_id, sealed, raw_len)
            pending.ids.append(blob_id)
        with self.budget:
            self.inflight -= batch.nbytes
            self.budget.notify_all()
        if self.progress:
            self.progress.advance(batch.nbytes)

    def _finish(self, pending: _Pending) -> None:
        st = pending.scan.st
        self.nodes[id(pending.scan)] = Node(
            name=pending.scan.name,
            type="file",
            mode=stat.S_IMODE(st.st_mode),
            mtime_ns=st.st_mtime_ns,
            size=pending.size,
            inode=st.st_ino,
            content=tuple(i.hex() for i in pending.ids),
            hash=pending.hash,
        )
        if self.progress:
            self.progress.advance(0, files=1)

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
        while self.open_files >= 2 * self.readers:
            self._pump(wait=True)
        self.open_files += 1
        self.read_pool.submit(self._read, _Pending(scan))
        self._pump(wait=False)

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
        """Every file read, every sealed batch handed to the pack writer."""
        while self.open_files or self.backlog:
            self._pump(wait=True)

    def close(self) -> None:
        """Stop the threads (after an error or Ctrl-C: readers leave their file)."""
        with self.budget:
            self.stopping = True
            self.budget.notify_all()
        self.read_pool.shutdown(wait=True, cancel_futures=True)
        for batch in self.backlog:
            if batch.sealed is not None:
                batch.sealed.cancel()
        self.pool.shutdown(wait=True, cancel_futures=True)
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
            try:
                if progress:
                    progress.start(scanner.files, scanner.bytes)
                engine.walk(root, parent.tree if parent else None)
                engine.finish()
            except BaseException:
                engine.close()  # no reader left on a shadow copy about to be deleted
                raise
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

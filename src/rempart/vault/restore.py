"""``rempart backup restore``: a snapshot (or some of its paths) back onto disk, verified.

Into a new folder by default; an existing file is never replaced without ``overwrite``
(checked for every file before the first byte is written). Each file is written under a
temporary name, its BLAKE3 compared with the one recorded at backup time, and only then
renamed into place: a restore killed half-way leaves no file that is not exactly the saved
one.

Where a restored file replaces one (``overwrite``), or when asked (``durable``), it is also
made durable (``fsync``) before its rename: after a power cut the old file or the whole new
one is there, never an empty one. Into a new folder, a restore leaves the flushing to the
system, as restic, borg and rsync do (a restore runs at the speed of decryption instead of
the disk's); a power cut in the seconds after it costs at worst another restore, from a vault
that the restore never changed.

Speed: packs are read in large ranges in the order the files need them, several threads
decrypt and decompress, pieces go to disk with positioned writes (a database's small chunks
as one write per run), each file is hashed in memory as its bytes arrive in order, and the
wait for the disk (``fsync``, when durable) happens in background threads while decryption
goes on.
"""

from __future__ import annotations

import errno
import itertools
import os
import secrets
import stat
import sys
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import NamedTuple, Protocol

import blake3

from rempart.i18n import _
from rempart.vault.errors import RepositoryCorrupt, RestoreRefused, VaultError
from rempart.vault.model import DATA, BlobRef, Node, Snapshot
from rempart.vault.repo import Buffer, Repository

PREFETCH = 8
RUN_BYTES = 4 * 1024 * 1024
READ_BYTES = 8 * 1024 * 1024  # one ranged read of a pack, at most (a pack is ~16 MiB)
READ_GAP = 1024 * 1024  # blobs this close in a pack are read together, the gap thrown away
MAX_OPEN = 64  # files kept open between writes; beyond, each write opens and closes
MAX_IOV = 512  # buffers per positioned write (IOV_MAX is 1024 on Linux)
SYNCERS = 6  # threads that wait for the disk (fsync) while the others decrypt: a disk absorbs
# more with several flushes queued (measured: 2 → 6 took a 2 GB restore from ~8.8 s to ~7.5 s)
_PWRITE = hasattr(os, "pwritev") and hasattr(os, "pwrite")
_BINARY = getattr(os, "O_BINARY", 0)
_WRITEBACK = sys.platform.startswith("linux") and hasattr(os, "posix_fadvise")


class RestoreProgress(Protocol):
    def start(self, files: int, total_bytes: int) -> None: ...

    def advance(self, nbytes: int, files: int = 0) -> None: ...


@dataclass(frozen=True)
class RestoreResult:
    target: Path
    files: int
    dirs: int
    bytes: int


def _runs(repo: Repository, ids: Sequence[bytes]) -> list[list[bytes]]:
    """Consecutive blobs stored back to back in one pack, grouped so that one ranged read
    fetches them all (a database file's small chunks: one request per few MiB, not per page)."""
    runs: list[list[bytes]] = []
    end = -1
    pack = ""
    size = 0
    for blob_id in ids:
        ref = repo.index.get(blob_id)
        if ref is None:
            runs.append([blob_id])  # read_blob names the missing chunk
            pack, end = "", -1
            continue
        if runs and ref.pack == pack and ref.offset == end and size + ref.length <= RUN_BYTES:
            runs[-1].append(blob_id)
            size += ref.length
        else:
            runs.append([blob_id])
            size = ref.length
        pack, end = ref.pack, ref.offset + ref.length
    return runs


def _read_run(repo: Repository, run: Sequence[bytes]) -> list[bytes]:
    if len(run) == 1:
        return [repo.read_blob(run[0])]
    refs = [repo.index[b] for b in run]
    start = refs[0].offset
    data = repo.backend.get_range(
        "data", refs[0].pack, start, refs[-1].offset + refs[-1].length - start
    )
    return [
        repo.open_sealed(b, ref, data[ref.offset - start : ref.offset - start + ref.length], DATA)
        for b, ref in zip(run, refs, strict=True)
    ]


def read_file(
    repo: Repository, node: Node, pool: ThreadPoolExecutor | None = None
) -> Iterator[bytes]:
    """The plaintext chunks of a file, in order (fetched ahead in ``pool`` when given)."""
    runs = _runs(repo, [bytes.fromhex(c) for c in node.content])
    if pool is None or len(runs) < 2:
        for run in runs:
            yield from _read_run(repo, run)
        return
    window: deque[Future[list[bytes]]] = deque()
    pos = 0
    try:
        while pos < len(runs) or window:
            while pos < len(runs) and len(window) < PREFETCH:
                window.append(pool.submit(_read_run, repo, runs[pos]))
                pos += 1
            yield from window.popleft().result()
    finally:
        for fut in window:
            fut.cancel()


def file_hash(chunks: Iterator[bytes]) -> tuple[str, int]:
    hasher = blake3.blake3(max_threads=1)
    size = 0
    for chunk in chunks:
        hasher.update(chunk)
        size += len(chunk)
    return hasher.hexdigest(), size


def normalise_include(path: str) -> str:
    """``/srv/cabinet/x``, ``C:\\Cabinet\\x`` or ``srv/cabinet/x`` → the tree path."""
    pure = PurePath(path.replace("\\", "/"))
    parts = [p for p in pure.parts if p not in ("/", "")]
    if parts and parts[0].endswith(":"):
        parts[0] = parts[0].rstrip(":")
    return "/".join(parts).strip("/")


def _selected(path: str, includes: Sequence[str]) -> bool:
    if not includes:
        return True
    return any(path == inc or path.startswith(inc + "/") for inc in includes)


def _ancestor(path: str, includes: Sequence[str]) -> bool:
    return any(inc.startswith(path + "/") for inc in includes)


def plan(
    repo: Repository, snapshot: Snapshot, includes: Sequence[str] = ()
) -> list[tuple[str, Node]]:
    """The nodes a restore writes (directories included), in tree order."""
    incs = [normalise_include(i) for i in includes]
    out: list[tuple[str, Node]] = []

    def visit(tree: str, prefix: str) -> None:
        for node in repo.load_tree(tree):
            path = f"{prefix}/{node.name}" if prefix else node.name
            if _selected(path, incs):
                out.append((path, node))
                if node.type == "dir":
                    visit(node.subtree, path)
            elif node.type == "dir" and _ancestor(path, incs):
                out.append((path, node))
                visit(node.subtree, path)

    visit(snapshot.tree, "")
    if incs and not any(n.type != "dir" or _selected(p, incs) for p, n in out):
        raise VaultError(
            _("None of the paths asked for is in snapshot {id}: see 'rempart backup diff'.").format(
                id=snapshot.short_id
            )
        )
    return out


class _Target:
    """One file being restored: its temporary name, open descriptor and hashing state.

    Pieces of a file arrive from several threads and not always in order. Each write that
    lands exactly where the hash has reached is hashed in memory (the common case: packs are
    read in backup order); whatever lands ahead is hashed at the end by reading it back from
    the temporary file. Either way the whole file is verified before it takes its name.
    Mutable, guarded by ``lock``.
    """

    __slots__ = ("created", "dest", "fd", "hashed", "hasher", "lock", "node", "remaining", "tmp")

    def __init__(self, node: Node, dest: Path) -> None:
        self.node = node
        self.dest = dest
        self.tmp = dest.parent / f".{dest.name}.rempart-{secrets.token_hex(4)}"
        self.lock = threading.Lock()
        self.fd = -1
        self.created = False
        self.remaining = node.size
        self.hashed = 0
        self.hasher = blake3.blake3(max_threads=1)


class _Piece(NamedTuple):
    """A blob of a read, and every place (file, offset) its plaintext goes."""

    blob_id: bytes
    ref: BlobRef
    dests: list[tuple[_Target, int]]


class _Read(NamedTuple):
    """One ranged read of a pack: the blobs it holds, in pack order."""

    pack: str
    offset: int
    length: int
    pieces: list[_Piece]


def _layout(repo: Repository, targets: Sequence[_Target]) -> list[_Read]:
    """Every blob the files need, grouped into few large reads per pack (packs in the order
    files first need them, so that files complete early and mostly in order). A blob used
    several times (a copied file, a repeated page) is read once."""
    packs: dict[str, dict[int, _Piece]] = {}
    for target in targets:
        pos = 0
        for chunk in target.node.content:
            blob_id = bytes.fromhex(chunk)
            ref = repo.index.get(blob_id)
            if ref is None:
                raise repo.not_indexed(blob_id)
            pieces = packs.setdefault(ref.pack, {})
            piece = pieces.get(ref.offset)
            if piece is None:
                piece = pieces[ref.offset] = _Piece(blob_id, ref, [])
            piece.dests.append((target, pos))
            pos += ref.raw_length
        if pos != target.node.size:
            raise _mismatch(target.dest)
    reads: list[_Read] = []
    for pack, by_offset in packs.items():
        current: list[_Piece] = []
        start = end = 0
        for off in sorted(by_offset):
            piece = by_offset[off]
            if current and (off - end > READ_GAP or off + piece.ref.length - start > READ_BYTES):
                reads.append(_Read(pack, start, end - start, current))
                current = []
            if not current:
                start = off
            current.append(piece)
            end = max(end, off + piece.ref.length)
        if current:
            reads.append(_Read(pack, start, end - start, current))
    return reads


def _mismatch(dest: Path) -> RepositoryCorrupt:
    return RepositoryCorrupt(
        _(
            "The restored file {path} does not match its backup (hash differs): "
            "run 'rempart backup check --read-data'."
        ).format(path=dest)
    )


class _Restorer:
    """Reads, decrypts and decompresses packs in several threads (zstd, BLAKE3 and file I/O
    release the GIL; AES-GCM holds it but runs at GB/s) and writes each piece where it
    belongs with positioned writes; the thread that writes a file's last byte verifies it
    and hands it to the background threads that make it durable and move it into place."""

    def __init__(
        self, repo: Repository, progress: RestoreProgress | None, *, durable: bool
    ) -> None:
        self.repo = repo
        self.progress = progress
        self.durable = durable
        self.stop = threading.Event()
        self.errors: list[BaseException] = []
        self.reads: list[_Read] = []
        self.threads: list[threading.Thread] = []
        self.next = itertools.count()
        self.open_budget = threading.Semaphore(MAX_OPEN)
        self.lock = threading.Lock()
        self.bytes = 0
        self.syncer = ThreadPoolExecutor(max_workers=SYNCERS, thread_name_prefix="rempart-sync")
        self.placing: deque[Future[None]] = deque()

    # -- threads -------------------------------------------------------------------------

    def run(self, reads: list[_Read], workers: int) -> None:
        self.reads = reads
        self.threads = [
            threading.Thread(target=self._worker, name=f"rempart-restore-{i}", daemon=True)
            for i in range(max(1, min(workers, len(reads))))
        ]
        for thread in self.threads:
            thread.start()
        for thread in self.threads:
            thread.join()
        if self.errors:
            raise self.errors[0]

    def _worker(self) -> None:
        try:
            while not self.stop.is_set():
                i = next(self.next)
                if i >= len(self.reads):
                    return
                self._do_read(self.reads[i])
        except BaseException as exc:  # handed to the main thread
            self.errors.append(exc)
            self.stop.set()

    def _do_read(self, read: _Read) -> None:
        repo = self.repo
        data = memoryview(repo.backend.get_range("data", read.pack, read.offset, read.length))
        # runs of consecutive pieces of one file become one positioned write
        runs: dict[int, tuple[_Target, int, list[Buffer], int]] = {}
        for piece in read.pieces:
            ref = piece.ref
            at = ref.offset - read.offset
            plain = repo.open_sealed_buffer(piece.blob_id, ref, data[at : at + ref.length])
            if len(plain) != ref.raw_length:
                raise repo.corrupt("data", read.pack)
            for target, pos in piece.dests:
                key = id(target)
                run = runs.get(key)
                if run is not None and run[1] + run[3] == pos and len(run[2]) < MAX_IOV:
                    run[2].append(plain)
                    runs[key] = (target, run[1], run[2], run[3] + len(plain))
                    if run[3] + len(plain) >= RUN_BYTES:
                        self._write(*runs.pop(key))
                else:
                    if run is not None:
                        self._write(*run)
                    runs[key] = (target, pos, [plain], len(plain))
        del data
        for run in runs.values():
            self._write(*run)

    # -- files ---------------------------------------------------------------------------

    def create(self, target: _Target) -> None:
        """Create the temporary file (never an existing name) and reserve its space."""
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        fd = os.open(target.tmp, flags, 0o600)
        target.created = True
        if target.node.size and hasattr(os, "posix_fallocate"):
            try:
                os.posix_fallocate(fd, 0, target.node.size)
            except OSError as exc:
                if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                    os.close(fd)
                    raise
                # a file system without fallocate: the writes allocate as they go
        if self.open_budget.acquire(blocking=False):
            target.fd = fd
        else:
            os.close(fd)

    def _write(self, target: _Target, pos: int, bufs: list[Buffer], size: int) -> None:
        with target.lock:
            if not target.created:
                self.create(target)
            if not _PWRITE:  # Windows: seek and write under the file's lock
                self._write_bufs(target, pos, bufs)
        if _PWRITE:
            self._write_bufs(target, pos, bufs)
        with target.lock:
            if pos == target.hashed:
                for buf in bufs:
                    target.hasher.update(buf)
                target.hashed += size
            target.remaining -= size
            done = target.remaining == 0
        if self.progress:
            self.progress.advance(size)
        if done:
            self.finish(target)

    def _write_bufs(self, target: _Target, pos: int, bufs: list[Buffer]) -> None:
        fd = target.fd if target.fd >= 0 else os.open(target.tmp, os.O_WRONLY | _BINARY)
        try:
            if _PWRITE:
                size = sum(len(b) for b in bufs)
                written = os.pwritev(fd, bufs, pos)
                if written < size:  # a short write: finish it piece by piece
                    tail = memoryview(b"".join(bufs))[written:]
                    at = pos + written
                    while tail:
                        n = os.pwrite(fd, tail, at)
                        tail, at = tail[n:], at + n
                if _WRITEBACK and self.durable:
                    # Linux starts writing these pages to disk now, without waiting: the
                    # fsync before the rename then finds little left to do
                    os.posix_fadvise(fd, pos, size, os.POSIX_FADV_DONTNEED)
            else:
                os.lseek(fd, pos, os.SEEK_SET)
                for buf in bufs:
                    view = memoryview(buf)
                    while view:
                        view = view[os.write(fd, view) :]
        finally:
            if fd != target.fd:
                os.close(fd)

    def finish(self, target: _Target) -> None:
        """Hash what was not hashed in memory and compare; then, in the background, make
        the file durable if asked and give it its name (``fsync`` waits for the disk: the
        threads that decrypt go on meanwhile)."""
        node = target.node
        if not target.created:  # an empty file
            self.create(target)
        fd = target.fd if target.fd >= 0 else os.open(target.tmp, os.O_RDWR | _BINARY)
        try:
            pos = target.hashed
            if pos < node.size:
                os.lseek(fd, pos, os.SEEK_SET)
                while pos < node.size:
                    block = os.read(fd, min(READ_BYTES, node.size - pos))
                    if not block:
                        break
                    target.hasher.update(block)
                    pos += len(block)
            if pos != node.size or target.hasher.hexdigest() != node.hash:
                raise _mismatch(target.dest)
        except BaseException:
            self._close(target, fd)
            raise
        with self.lock:
            self.placing.append(self.syncer.submit(self._place, target, fd))

    def _close(self, target: _Target, fd: int) -> None:
        os.close(fd)
        if fd == target.fd:
            target.fd = -1
            self.open_budget.release()

    def _place(self, target: _Target, fd: int) -> None:
        node = target.node
        try:
            if self.durable and not self.stop.is_set():
                os.fsync(fd)
        finally:
            self._close(target, fd)
        if self.stop.is_set():
            return  # a failure elsewhere: the temporary file is removed with the others
        os.chmod(target.tmp, node.mode or 0o644)
        os.utime(target.tmp, ns=(node.mtime_ns, node.mtime_ns))
        os.replace(target.tmp, target.dest)
        target.created = False  # the temporary name is gone: nothing to clean up
        with self.lock:
            self.bytes += node.size
        if self.progress:
            self.progress.advance(0, files=1)

    def wait_placed(self) -> None:
        """Every verified file durable and in place (raises the first failure)."""
        try:
            while True:
                with self.lock:
                    if not self.placing:
                        return
                    fut = self.placing.popleft()
                fut.result()
        except BaseException:
            self.stop.set()
            raise

    def close(self) -> None:
        """Wait for every thread (after a failure or Ctrl-C, ``stop`` makes it quick: each
        ends its current read), so that nothing creates a file after :meth:`clean`."""
        for thread in self.threads:
            thread.join()
        self.syncer.shutdown(wait=True)

    def clean(self, targets: Sequence[_Target]) -> None:
        """After a failure: close and remove every temporary file still there."""
        for target in targets:
            if target.fd >= 0:
                try:
                    os.close(target.fd)
                except OSError:
                    pass
                target.fd = -1
            if target.created:
                try:
                    target.tmp.unlink()
                except OSError:
                    pass
                target.created = False


def restore(
    repo: Repository,
    snapshot: Snapshot,
    target: Path,
    *,
    includes: Sequence[str] = (),
    overwrite: bool = False,
    durable: bool | None = None,
    progress: RestoreProgress | None = None,
    workers: int | None = None,
) -> RestoreResult:
    """Restore ``snapshot`` (or the ``includes`` paths of it) below ``target``.

    ``durable``: every file flushed to disk before its rename (default: when ``overwrite``).
    """
    target = Path(target).expanduser().absolute()
    items = plan(repo, snapshot, includes)
    conflicts = [
        p for p, n in items if n.type != "dir" and os.path.lexists(target / Path(*p.split("/")))
    ]
    if conflicts and not overwrite:
        raise RestoreRefused(
            _(
                "{n} file(s) already exist in {target} (first: {first}): choose a new folder "
                "or add --overwrite."
            ).format(n=len(conflicts), target=target, first=conflicts[0])
        )
    files = [(p, n) for p, n in items if n.type == "file"]
    targets = [_Target(node, target / Path(*p.split("/"))) for p, node in files]
    reads = _layout(repo, targets)  # a chunk missing from the index: refused before any write
    if progress:
        progress.start(len(files), sum(n.size for _p, n in files))
    try:
        target.mkdir(parents=True, exist_ok=True)
        for path, node in items:
            dest = target / Path(*path.split("/"))
            if node.type == "dir":
                dest.mkdir(parents=True, exist_ok=True)
            elif node.type == "symlink":
                if os.path.lexists(dest):
                    dest.unlink()
                try:
                    os.symlink(node.target, dest)
                except OSError:
                    pass  # Windows without the privilege: the link is skipped
    except OSError as exc:
        raise VaultError(
            _("Cannot write into {target}: {error}.").format(target=target, error=exc.strerror)
        ) from exc
    n = workers or min(8, (os.cpu_count() or 2) + 1)
    worker = _Restorer(repo, progress, durable=overwrite if durable is None else durable)
    try:
        for t in targets:
            if t.node.size == 0:
                worker.finish(t)
        worker.run(reads, n)
        worker.wait_placed()
    except OSError as exc:
        worker.stop.set()
        worker.close()
        worker.clean(targets)
        raise VaultError(
            _("Cannot write into {target}: {error}.").format(
                target=target, error=exc.strerror or exc
            )
        ) from exc
    except BaseException:
        worker.stop.set()
        worker.close()
        worker.clean(targets)
        raise
    worker.close()
    total = worker.bytes
    dirs = [(p, n) for p, n in items if n.type == "dir"]
    for path, node in reversed(dirs):  # after their content, or writing would change them
        dest = target / Path(*path.split("/"))
        try:
            if node.mode:
                os.chmod(dest, stat.S_IMODE(node.mode) | 0o700)
            os.utime(dest, ns=(node.mtime_ns, node.mtime_ns))
        except OSError:
            pass
    return RestoreResult(target=target, files=len(files), dirs=len(dirs), bytes=total)

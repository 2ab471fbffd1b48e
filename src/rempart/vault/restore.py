"""``rempart backup restore``: a snapshot (or some of its paths) back onto disk, verified.

Into a new folder by default; an existing file is never replaced without ``overwrite``
(checked for every file before the first byte is written). Each file is written under a
temporary name, its BLAKE3 compared with the one recorded at backup time, and only then
renamed into place: a restored file is either exactly the saved one or absent.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Protocol

import blake3

from rempart.i18n import _
from rempart.vault.errors import RepositoryCorrupt, RestoreRefused, VaultError
from rempart.vault.model import DATA, Node, Snapshot
from rempart.vault.repo import Repository

PREFETCH = 8
RUN_BYTES = 4 * 1024 * 1024


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


def _write_file(
    repo: Repository,
    node: Node,
    dest: Path,
    pool: ThreadPoolExecutor,
    progress: RestoreProgress | None,
) -> int:
    tmp = dest.parent / f".{dest.name}.rempart-{secrets.token_hex(4)}"
    hasher = blake3.blake3(max_threads=1)
    size = 0
    try:
        with open(tmp, "wb") as fh:
            for chunk in read_file(repo, node, pool):
                fh.write(chunk)
                hasher.update(chunk)
                size += len(chunk)
                if progress:
                    progress.advance(len(chunk))
            fh.flush()
            os.fsync(fh.fileno())
        if hasher.hexdigest() != node.hash or size != node.size:
            raise RepositoryCorrupt(
                _(
                    "The restored file {path} does not match its backup (hash differs): "
                    "run 'rempart backup check --read-data'."
                ).format(path=dest)
            )
        os.chmod(tmp, node.mode or 0o644)
        os.utime(tmp, ns=(node.mtime_ns, node.mtime_ns))
        os.replace(tmp, dest)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise
    if progress:
        progress.advance(0, files=1)
    return size


def restore(
    repo: Repository,
    snapshot: Snapshot,
    target: Path,
    *,
    includes: Sequence[str] = (),
    overwrite: bool = False,
    progress: RestoreProgress | None = None,
    workers: int | None = None,
) -> RestoreResult:
    """Restore ``snapshot`` (or the ``includes`` paths of it) below ``target``."""
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
    n = workers or os.cpu_count() or 2
    total = 0
    with (
        ThreadPoolExecutor(max_workers=n, thread_name_prefix="rempart-restore") as files_pool,
        ThreadPoolExecutor(max_workers=n, thread_name_prefix="rempart-fetch") as blob_pool,
    ):
        futures = [
            files_pool.submit(
                _write_file, repo, node, target / Path(*p.split("/")), blob_pool, progress
            )
            for p, node in files
        ]
        try:
            for fut in futures:
                total += fut.result()
        except OSError as exc:
            for fut in futures:
                fut.cancel()
            raise VaultError(
                _("Cannot write into {target}: {error}.").format(
                    target=target, error=exc.strerror or exc
                )
            ) from exc
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise
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

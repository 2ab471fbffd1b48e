"""Cutting files into chunks (docs/vault-format.md, section 3).

Ordinary files: FastCDC with a keyed gear table, computed as the package's compiled FastCDC
over the bytes mapped through a key-derived permutation (same cut points, C speed; the mapping
runs in NumPy without the GIL, so the other threads of a backup keep working meanwhile).
Database files: fixed chunks aligned on pages, so that a changed page costs one small chunk.
"""

from __future__ import annotations

import fnmatch
import struct
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, BinaryIO

import blake3

try:  # the compiled chunker: wheels for CPython 3.11 and 3.12 (Windows, Linux, macOS)
    from fastcdc.fastcdc_cy import fastcdc_cy as _fastcdc  # type: ignore[import-untyped]

    COMPILED = True
except ImportError:  # elsewhere the same cut points in pure Python, much slower
    from fastcdc.fastcdc_py import fastcdc_py as _fastcdc  # type: ignore[import-untyped]

    COMPILED = False

Buffer = bytes | bytearray | memoryview
OnRead = Callable[[bytes], object]

_local = threading.local()

MIN_SIZE = 512 * 1024
AVG_SIZE = 1024 * 1024
MAX_SIZE = 8 * 1024 * 1024
WINDOW = 16 * 1024 * 1024
PAGES_PER_CHUNK = 2
DEFAULT_PAGE_SIZE = 8192
FIXED_READ = 4 * 1024 * 1024

SQLITE_MAGIC = b"SQLite format 3\x00"
DATABASE_EXTENSIONS = frozenset(
    {".mdf", ".ndf", ".ldf", ".fdb", ".gdb", ".fic", ".ndx", ".mmo", ".db"}
)


def gear_permutation(chunker_key: bytes) -> bytes:
    """The 256-byte translation table π (Fisher–Yates driven by keyed BLAKE3, section 3.1)."""
    stream = blake3.blake3(b"rempart chunker permutation v1", key=chunker_key).digest(length=1024)
    words = struct.unpack("<256I", stream)
    perm = list(range(256))
    for i in range(255, 0, -1):
        j = words[i] % (i + 1)
        perm[i], perm[j] = perm[j], perm[i]
    return bytes(perm)


@dataclass(frozen=True)
class ChunkerParams:
    min_size: int = MIN_SIZE
    avg_size: int = AVG_SIZE
    max_size: int = MAX_SIZE
    pages_per_chunk: int = PAGES_PER_CHUNK


def _read_full(fh: BinaryIO, size: int) -> bytes:
    parts: list[bytes] = []
    want = size
    while want > 0:
        part = fh.read(want)
        if not part:
            break
        parts.append(part)
        want -= len(part)
    return parts[0] if len(parts) == 1 else b"".join(parts)


class Chunker:
    """Cuts a stream into chunks; one instance per repository (the permutation is keyed)."""

    def __init__(self, chunker_key: bytes, params: ChunkerParams | None = None) -> None:
        self.params = params or ChunkerParams()
        self.table = gear_permutation(chunker_key)
        self._table16: Any = None  # π on pairs of bytes, built at the first use

    def permuted(self, data: Buffer, start: int = 0) -> memoryview:
        """``data`` with every byte from ``start`` on replaced by its image under π
        (section 3.1); the bytes before ``start`` are left undefined.

        Two bytes at a time through a 65 536-entry table (128 KiB, it stays in cache) with
        NumPy, which releases the GIL: the hashing, compressing and encrypting threads keep
        working meanwhile. ``bytes.translate`` would give the same bytes, holding the GIL.
        """
        import numpy as np  # here: only a backup that cuts chunks needs it (start-up)

        if self._table16 is None:
            t8 = np.frombuffer(self.table, dtype=np.uint8).astype(np.uint16)
            pairs = np.arange(65536, dtype=np.uint32)
            self._table16 = (t8[pairs & 0xFF] | (t8[pairs >> 8] << 8)).astype("<u2")
        n = len(data)
        start = min(start & ~1, n & ~1)  # pairs start on even offsets
        even = n & ~1
        scratch = getattr(_local, "scratch", None)
        if scratch is None or len(scratch) < n:
            # one buffer per thread, reused: only the cut offsets leave :meth:`cuts`
            scratch = _local.scratch = np.empty(max(n, WINDOW + MAX_SIZE), dtype=np.uint8)
        out = scratch[:n]
        if even > start:
            np.take(
                self._table16,
                np.frombuffer(data, dtype="<u2", count=(even - start) // 2, offset=start),
                out=out[start:even].view("<u2"),
                mode="clip",
            )
        if n & 1:
            out[-1] = self.table[data[-1]]
        return out.data

    def cuts(self, data: Buffer) -> list[tuple[int, int]]:
        """``(offset, length)`` of the content-defined chunks of ``data`` taken whole
        (the permuted bytes are gone when this returns: :meth:`permuted` reuses them).

        The gear hash never looks at a chunk's first ``min_size`` bytes, so the first
        chunk's are not permuted (10 % of the work on files of a few megabytes)."""
        p = self.params
        return [
            (c.offset, c.length)
            for c in _fastcdc(
                self.permuted(data, start=p.min_size),
                min_size=p.min_size,
                avg_size=p.avg_size,
                max_size=p.max_size,
            )
        ]

    def cdc(self, fh: BinaryIO, on_read: OnRead | None = None) -> Iterator[memoryview]:
        """Content-defined chunks of ``fh``, read in windows (memory: about two windows).

        Chunks are views of the window they were read in (no copy): a window stays in
        memory until its last chunk is released. ``on_read`` sees every byte once, in
        order, as it is read (the whole-file hash).
        """
        p = self.params
        carry = b""
        while True:
            block = _read_full(fh, WINDOW)
            if on_read is not None and block:
                on_read(block)
            eof = len(block) < WINDOW
            buf = carry + block if carry else block
            carry = b""
            if not buf:
                return
            if len(buf) <= p.min_size:
                if eof:
                    yield memoryview(buf)
                    return
                carry = buf
                continue
            cuts = self.cuts(buf)
            if not eof:
                last_offset, _last_len = cuts.pop()
                carry = buf[last_offset:]
            view = memoryview(buf)
            for offset, length in cuts:
                yield view[offset : offset + length]
            if eof:
                return

    def fixed(
        self, fh: BinaryIO, chunk_size: int, on_read: OnRead | None = None
    ) -> Iterator[memoryview]:
        """Chunks of ``chunk_size`` bytes at offsets that are multiples of it (views, and
        ``on_read``, as :meth:`cdc`'s)."""
        per_read = max(1, FIXED_READ // chunk_size) * chunk_size
        while True:
            block = _read_full(fh, per_read)
            if not block:
                return
            if on_read is not None:
                on_read(block)
            view = memoryview(block)
            for offset in range(0, len(block), chunk_size):
                yield view[offset : offset + chunk_size]
            if len(block) < per_read:
                return


def database_page_size(
    path: PurePath, head: bytes, globs: Sequence[str], page_size: int
) -> int | None:
    """The page size when ``path`` is a database file (section 3.2), else ``None``."""
    if head.startswith(SQLITE_MAGIC) and len(head) >= 18:
        (raw,) = struct.unpack(">H", head[16:18])
        size = 65536 if raw == 1 else raw
        if size >= 512 and size & (size - 1) == 0:
            return size
        return page_size
    if path.suffix.lower() in DATABASE_EXTENSIONS:
        return page_size
    text = str(path).replace("\\", "/").lower()
    for pattern in globs:
        pat = pattern.replace("\\", "/").lower()
        if fnmatch.fnmatchcase(text, pat) or fnmatch.fnmatchcase(path.name.lower(), pat):
            return page_size
    return None

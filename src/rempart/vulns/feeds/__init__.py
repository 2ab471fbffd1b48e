"""Readers of the public vulnerability feeds: NVD CVE 2.0 (JSON), CISA KEV (JSON), EPSS (CSV).

Every byte of a feed is hostile: files are read as streams (plain, ``.gz`` or ``.zip``),
decompression is capped, the SHA-256 of both the file and its content is computed while
reading (an NVD ``.meta`` file gives the hash of the uncompressed JSON, a user may give the
hash of the file they downloaded), and every problem becomes one :class:`DataError` that names
the file and says what to do.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO

from rempart.core.errors import DataError
from rempart.i18n import _
from rempart.vulns.feeds.cpe import Cpe, cpe_match_applies, parse

__all__ = [
    "MAX_CONTENT",
    "Cpe",
    "FeedStream",
    "cpe_match_applies",
    "parse",
]

MAX_CONTENT = 8 * 1024**3  # decompressed bytes per feed file; the full NVD set is ~ 2 GB
CHUNK = 1024 * 1024


class _Reader(io.RawIOBase):
    """A read-only stream that hashes and counts what goes through it, with a cap."""

    def __init__(
        self,
        inner: IO[bytes],
        *,
        cap: int | None = None,
        on_read: Callable[[int], None] | None = None,
        too_big: Callable[[], DataError] | None = None,
    ) -> None:
        self._inner = inner
        self.sha256 = hashlib.sha256()
        self.count = 0
        self._cap = cap
        self._on_read = on_read
        self._too_big = too_big

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        n = len(data)
        if n:
            buffer[:n] = data
            self.sha256.update(data)
            self.count += n
            if self._cap is not None and self.count > self._cap and self._too_big:
                raise self._too_big()
            if self._on_read:
                self._on_read(n)
        return n

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            chunks: list[bytes] = []
            while True:
                chunk = self.read(CHUNK)
                if not chunk:
                    return b"".join(chunks)
                chunks.append(chunk)
        buffer = bytearray(size)
        n = self.readinto(buffer)
        return bytes(buffer[:n])


class FeedStream:
    """The decompressed content of a feed file, hashed while it is read.

    ``with FeedStream(path) as feed: data = feed.stream.read()``; after :meth:`finish`,
    ``file_sha256`` and ``content_sha256`` hold the hashes of the file and of its content.
    ``on_read(n)`` is told about every ``n`` bytes of the *file* read (for a progress bar).
    """

    def __init__(self, path: Path, *, on_read: Callable[[int], None] | None = None) -> None:
        self.path = path
        self._on_read = on_read
        self._raw: IO[bytes] | None = None
        self._file: _Reader | None = None
        self._zip: zipfile.ZipFile | None = None
        self._inner: IO[bytes] | None = None
        self._content: _Reader | None = None
        self.stream: io.BufferedReader
        self.file_sha256 = ""
        self.content_sha256 = ""
        self.compression = ""

    def __enter__(self) -> FeedStream:
        try:
            self._raw = open(self.path, "rb")
            magic = self._raw.read(4)
            self._raw.seek(0)
        except OSError as exc:
            self.close()
            raise DataError(
                _("Cannot read {path}: {error}.").format(path=self.path, error=exc.strerror or exc)
            ) from exc
        self._file = _Reader(self._raw, on_read=self._on_read)
        try:
            if magic[:2] == b"\x1f\x8b":
                self.compression = "gzip"
                self._inner = gzip.GzipFile(fileobj=self._file, mode="rb")  # type: ignore[assignment]
            elif magic == b"PK\x03\x04":
                self.compression = "zip"
                self._inner = self._open_zip()
            else:
                self._inner = self._file  # type: ignore[assignment]
        except (OSError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
            self.close()
            raise self.damaged(exc) from exc
        assert self._inner is not None
        self._content = _Reader(self._inner, cap=MAX_CONTENT, too_big=self._too_big)
        self.stream = io.BufferedReader(self._content, buffer_size=CHUNK)
        return self

    def _open_zip(self) -> IO[bytes]:
        # A zip needs random access: hash the whole file first, then read its one member.
        assert self._file is not None
        while self._file.read(CHUNK):
            pass
        assert self._raw is not None
        self._raw.seek(0)
        self._zip = zipfile.ZipFile(self._raw)
        members = [i for i in self._zip.infolist() if not i.is_dir()]
        if len(members) != 1:
            raise DataError(
                _("{path} holds {count} files; a feed archive holds exactly one.").format(
                    path=self.path, count=len(members)
                )
            )
        return self._zip.open(members[0])

    def _too_big(self) -> DataError:
        return DataError(
            _("{path} unpacks to more than {limit} GB: this is not a feed.").format(
                path=self.path, limit=MAX_CONTENT // 1024**3
            )
        )

    def finish(self) -> None:
        """Read what is left (checking the compressed stream to its end) and take the hashes."""
        assert self._content is not None and self._file is not None
        try:
            while self.stream.read(CHUNK):
                pass
            if self.compression != "zip":
                while self._file.read(CHUNK):
                    pass
        except (OSError, zipfile.BadZipFile, zlib.error) as exc:
            raise self.damaged(exc) from exc
        except EOFError as exc:
            raise self.truncated() from exc
        self.content_sha256 = self._content.sha256.hexdigest()
        self.file_sha256 = self._file.sha256.hexdigest()

    def truncated(self) -> DataError:
        return DataError(
            _(
                "{path} is truncated (the download or the copy was interrupted). "
                "Download it again; the previous knowledge is kept."
            ).format(path=self.path)
        )

    def damaged(self, exc: BaseException) -> DataError:
        if isinstance(exc, EOFError):
            return self.truncated()
        return DataError(
            _(
                "{path} is damaged ({error}). Download it again; the previous knowledge is kept."
            ).format(path=self.path, error=exc)
        )

    def close(self) -> None:
        for handle in (self._inner, self._zip, self._raw):
            if handle is not None:
                try:
                    handle.close()
                except (OSError, EOFError, zlib.error):
                    pass
        self._inner = self._zip = self._raw = None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def read_meta(path: Path) -> str | None:
    """The ``sha256:`` of an NVD ``.meta`` file beside ``path`` (``x.json.gz`` → ``x.meta``)."""
    name = path.name
    for suffix in (".gz", ".zip", ".json"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    meta = path.with_name(name + ".meta")
    if meta == path or not meta.is_file():
        return None
    try:
        with open(meta, "rb") as handle:
            text = handle.read(64 * 1024).decode("utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        key, _sep, value = line.partition(":")
        if key.strip().lower() == "sha256":
            value = value.strip().lower()
            if len(value) == 64 and all(c in "0123456789abcdef" for c in value):
                return value
            raise DataError(_("{path} holds a malformed sha256 line.").format(path=meta))
    return None

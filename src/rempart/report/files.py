"""Writing report files atomically: a reader never sees half a report.

The text goes to a temporary file in the same folder, is flushed to disk, then replaces
the target with :func:`os.replace` (atomic on POSIX and Windows).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from rempart.core.errors import RempartError


class ReportError(RempartError):
    """A report file cannot be written."""


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; :class:`ReportError` on failure."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise ReportError(
            f"Cannot write {path}: {exc.strerror or exc}. Choose another folder."
        ) from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise ReportError(
            f"Cannot write {path}: {exc.strerror or exc}. Choose another folder."
        ) from exc
    return path

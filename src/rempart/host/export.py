"""Moving one computer's facts to the computer that writes the report.

``rempart audit --host --export host.json`` on each PC, then
``rempart audit --import host.json ...`` on one of them. The file is the JSON of
:meth:`HostFacts.to_json`; it is written atomically (temporary file, then rename) so that an
interrupted export never leaves half a file, and read defensively: bounded size, one clear
error naming what is wrong.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from rempart.core.errors import RempartError, UsageError
from rempart.core.host import HostFacts
from rempart.i18n import _

MAX_EXPORT = 4 * 1024 * 1024


class HostImportError(UsageError):
    """A host facts file cannot be read: missing, too large, not JSON, or a bad field."""


def export_host(facts: HostFacts, path: str | os.PathLike[str]) -> Path:
    """Write ``facts`` to ``path`` atomically; returns the path written."""
    target = Path(path)
    text = json.dumps(facts.to_json(), ensure_ascii=False, indent=2) + "\n"
    directory = target.parent if str(target.parent) else Path(".")
    try:
        fd, temp = tempfile.mkstemp(prefix=".rempart-host-", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise RempartError(
            _("cannot write {path}: {reason}").format(path=target, reason=exc.strerror or exc)
        ) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise RempartError(
            _("cannot write {path}: {reason}").format(path=target, reason=exc.strerror or exc)
        ) from None
    return target


def import_host(path: str | os.PathLike[str]) -> HostFacts:
    """Read a file written by :func:`export_host`; :class:`HostImportError` if malformed."""
    source = Path(path)
    try:
        with source.open("rb") as handle:
            raw = handle.read(MAX_EXPORT + 1)
    except FileNotFoundError:
        raise HostImportError(
            _("{path}: no such file (export it with `rempart audit --host --export FILE`)").format(
                path=source
            )
        ) from None
    except OSError as exc:
        raise HostImportError(
            _("{path}: cannot read it: {reason}").format(path=source, reason=exc.strerror or exc)
        ) from None
    if len(raw) > MAX_EXPORT:
        raise HostImportError(
            _("{path}: too large for a host facts file (over {size} MB)").format(
                path=source, size=MAX_EXPORT // (1024 * 1024)
            )
        )
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise HostImportError(
            _("{path}: not a host facts file (invalid JSON); export it again").format(path=source)
        ) from None
    try:
        return HostFacts.from_json(data)
    except UsageError as exc:
        raise HostImportError(f"{source}: {exc}") from None

"""Import Recog's fingerprint files into Rempart's data folder, all or nothing.

``rempart data import-fingerprints DIR`` calls :func:`import_recog`: every ``*.xml`` of DIR
is parsed first; one malformed file refuses the whole import and leaves the previous one in
place. The files are then copied into a staging folder beside the target and swapped in by
renames, so that a crash or a full disk never leaves half a database behind. Recog's licence
files travel with the data (BSD-2 asks for it).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from rempart.core.errors import DataError
from rempart.discover.fingerprints.db import default_recog_dir
from rempart.discover.fingerprints.recog import FingerprintFile, parse_file, verify_example
from rempart.i18n import _

__all__ = ["ImportResult", "import_recog", "verify_files"]

LICENCE_FILES = ("LICENSE", "COPYING", "LICENSE.txt", "COPYING.txt")
MAX_FILES = 1000


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What was imported, and how many of its examples Rempart's reader reproduces."""

    target: Path
    files: int
    fingerprints: int
    examples: int
    examples_passed: int
    failures: tuple[str, ...]


def verify_files(files: list[FingerprintFile]) -> tuple[int, int, tuple[str, ...]]:
    """(examples, passed, failure messages) over every example of ``files``."""
    total = passed = 0
    failures: list[str] = []
    for file in files:
        for fingerprint in file.fingerprints:
            for example in fingerprint.examples:
                total += 1
                reason = verify_example(fingerprint, example)
                if reason is None:
                    passed += 1
                else:
                    failures.append(f"{file.name}: {fingerprint.description}: {reason}")
    return total, passed, tuple(failures)


def _read_all(source: Path) -> tuple[Path, list[Path], list[FingerprintFile]]:
    if not source.is_dir():
        raise DataError(
            _(
                "{path} is not a folder: give the folder that holds Recog's *.xml files "
                "(recog/xml in Recog's repository)."
            ).format(path=source)
        )
    paths = sorted(p for p in source.glob("*.xml") if p.is_file())
    if not paths and (source / "xml").is_dir():  # the root of a Recog checkout
        source = source / "xml"
        paths = sorted(p for p in source.glob("*.xml") if p.is_file())
    if not paths:
        raise DataError(
            _("No *.xml fingerprint file in {path}: nothing imported.").format(path=source)
        )
    if len(paths) > MAX_FILES:
        raise DataError(
            _("{path} holds more than {n} XML files: refused.").format(path=source, n=MAX_FILES)
        )
    parsed = []
    for path in paths:
        try:
            parsed.append(parse_file(path))
        except DataError as exc:
            raise DataError(_("{error} Nothing imported.").format(error=exc)) from exc
    return source, paths, parsed


def _swap_in(staging: Path, target: Path) -> None:
    """Replace ``target`` by ``staging`` with renames (a directory cannot be replaced
    atomically on every OS: the old one is moved aside first and put back on failure)."""
    old: Path | None = None
    if target.exists():
        old = target.with_name(f".{target.name}-old-{uuid.uuid4().hex[:8]}")
        os.replace(target, old)
    try:
        os.replace(staging, target)
    except OSError:
        if old is not None:
            os.replace(old, target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def import_recog(source: Path, target: Path | None = None) -> ImportResult:
    """Validate every ``*.xml`` of ``source`` (or of ``source/xml``, a Recog checkout) then
    install them into ``target``.

    ``target`` defaults to ``fingerprints_dir()/recog``. Raises :class:`DataError` (nothing
    changed) when ``source`` is missing, empty or holds a malformed file.
    """
    target = target or default_recog_dir()
    source, paths, parsed = _read_all(source)
    examples, passed, failures = verify_files(parsed)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-import-", dir=target.parent))
        staging.chmod(0o755)  # mkdtemp's 0700 would hide the data from other accounts
    except OSError as exc:
        raise DataError(
            _("Cannot write into {path}: {error}.").format(
                path=target.parent, error=exc.strerror or exc
            )
        ) from exc
    try:
        for path in paths:
            shutil.copyfile(path, staging / path.name)
            examples_dir = path.with_suffix("")
            if examples_dir.is_dir():
                shutil.copytree(examples_dir, staging / examples_dir.name)
        for name in LICENCE_FILES:
            licence = source / name
            if licence.is_file():
                shutil.copyfile(licence, staging / name)
        _swap_in(staging, target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise DataError(
            _(
                "Cannot install the fingerprints into {path}: {error}. "
                "The previous fingerprints are unchanged."
            ).format(path=target, error=exc.strerror or exc)
        ) from exc
    return ImportResult(
        target=target,
        files=len(parsed),
        fingerprints=sum(len(f.fingerprints) for f in parsed),
        examples=examples,
        examples_passed=passed,
        failures=failures,
    )

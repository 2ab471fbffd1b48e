"""Canary files: decoys in every protected folder that no person or program has reason to touch.

Why they work: ransomware walks folders and encrypts what it finds; most walkers go in name
order (Windows lists NTFS folders sorted; many families sort to split work between threads).
A canary named to sort *first* (``!!!_0000_…``) is hit before any real file, one named to sort
*last* (``zzzz_…``) catches reverse walkers. Touching one is the strongest evidence there is.

Why real content: families skip files that are not documents, or tiny, or empty. The canaries are
a genuine ``.docx`` and a genuine ``.xlsx`` (valid Office zips, a few KiB, synthetic text) and
they say, to a person who opens them, what they are and not to touch them.

On Windows they get the *hidden* attribute (ransomware encrypts hidden files; people do not see
them). :func:`restore` puts them back as they were after a drill (or an attack): copies renamed
by ransomware (``!!!_0000_….docx.lockbit``) are removed, the canaries rewritten.
"""

from __future__ import annotations

import io
import os
import sys
import zipfile
from functools import cache
from pathlib import Path

FIRST = "!!!_0000_ne_pas_supprimer_rempart.docx"
LAST = "zzzz_ne_pas_supprimer_rempart.xlsx"
NAMES = (FIRST, LAST)
_LOWER = tuple(n.lower() for n in NAMES)

_ZIP_DATE = (2026, 1, 5, 8, 30, 0)
_MESSAGE = (
    "Fichier témoin de Rempart : ne pas ouvrir, modifier ni supprimer. "
    "S'il change, Rempart considère que les fichiers du dossier sont en train d'être chiffrés. "
    "Rempart canary file: do not open, change or delete."
)

_CONTENT_TYPES_DOCX = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_RELS_DOCX = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)
_CONTENT_TYPES_XLSX = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
_RELS_XLSX = _RELS_DOCX.replace("word/document.xml", "xl/workbook.xml")
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Rempart" sheetId="1" r:id="rId1"/></sheets></workbook>'
)


def _zip(parts: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            info = zipfile.ZipInfo(name, _ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.encode("utf-8"))
    return buffer.getvalue()


def _docx() -> bytes:
    paragraphs = "".join(
        f'<w:p><w:r><w:t xml:space="preserve">{line}</w:t></w:r></w:p>'
        for line in (_MESSAGE, *(f"Ligne témoin {i:03d}." for i in range(60)))
    )
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body>{paragraphs}</w:body></w:document>"
    )
    return _zip(
        {
            "[Content_Types].xml": _CONTENT_TYPES_DOCX,
            "_rels/.rels": _RELS_DOCX,
            "word/document.xml": document,
        }
    )


def _xlsx() -> bytes:
    rows = "".join(
        f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>{text}</t></is></c>'
        f'<c r="B{i}"><v>{i * 37 % 1000}</v></c></row>'
        for i, text in enumerate((_MESSAGE, *(f"Témoin {n:03d}" for n in range(80))), start=1)
    )
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{rows}</sheetData></worksheet>"
    )
    return _zip(
        {
            "[Content_Types].xml": _CONTENT_TYPES_XLSX,
            "_rels/.rels": _RELS_XLSX,
            "xl/workbook.xml": _WORKBOOK,
            "xl/_rels/workbook.xml.rels": _WORKBOOK_RELS,
            "xl/worksheets/sheet1.xml": sheet,
        }
    )


@cache
def content(name: str) -> bytes:
    """The bytes of canary ``name`` (always the same: a restore is a rewrite)."""
    if name == FIRST:
        return _docx()
    if name == LAST:
        return _xlsx()
    raise ValueError(f"not a canary name: {name}")


def is_canary(path: Path | str) -> bool:
    """A canary, or a copy of one renamed by ransomware (``!!!_0000_….docx.lockbit``)."""
    name = os.path.basename(os.fspath(path)).lower()
    return any(name == c or name.startswith(c + ".") for c in _LOWER)


def is_intact(path: Path) -> bool:
    """``path`` is a canary holding exactly its own bytes (not a link, not changed)."""
    path = Path(path)
    name = next((n for n in NAMES if n.lower() == path.name.lower()), None)
    if name is None:
        return False
    try:
        if path.is_symlink() or path.stat().st_size > 64 * 1024:
            return False
        return path.read_bytes() == content(name)
    except OSError:
        return False


def paths(folder: Path) -> list[Path]:
    return [folder / name for name in NAMES]


def _hide(path: Path) -> None:
    if sys.platform != "win32":
        return
    import ctypes  # pragma: no cover - Windows only

    hidden = 0x2
    ctypes.windll.kernel32.SetFileAttributesW(str(path), hidden)


def _unhide(path: Path) -> None:
    if sys.platform != "win32":
        return
    import ctypes  # pragma: no cover - Windows only

    normal = 0x80
    ctypes.windll.kernel32.SetFileAttributesW(str(path), normal)


def _write(path: Path, data: bytes) -> None:
    """Write through a temporary name then replace: never a half-written canary."""
    tmp = path.with_name(f".{path.name}.rempart-tmp")
    if path.exists():
        _unhide(path)
    tmp.write_bytes(data)
    os.replace(tmp, path)
    _hide(path)


def place(folder: Path) -> list[Path]:
    """Put the canaries in ``folder`` (kept as they are when already there and intact)."""
    folder = Path(folder)
    placed = []
    for name in NAMES:
        path = folder / name
        data = content(name)
        try:
            intact = path.is_file() and not path.is_symlink() and path.read_bytes() == data
        except OSError:
            intact = False
        if not intact:
            if path.is_symlink() or path.is_dir():
                raise OSError(f"{path} is in the way of a canary (a link or a folder)")
            _write(path, data)
        placed.append(path)
    return placed


def _debris(folder: Path) -> list[Path]:
    """Renamed copies of the canaries (``!!!_0000_….docx.lockbit``) in ``folder``."""
    found: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return found
    for entry in entries:
        lower = entry.name.lower()
        if lower not in _LOWER and is_canary(entry.name) and entry.is_file(follow_symlinks=False):
            found.append(Path(entry.path))
    return found


def restore(folder: Path) -> list[Path]:
    """After a drill or an attack: remove renamed copies, rewrite the canaries as they were."""
    folder = Path(folder)
    for path in _debris(folder):
        try:
            path.unlink()
        except FileNotFoundError:
            pass
    for path in paths(folder):
        if path.is_symlink():
            path.unlink()
    return place(folder)


def remove(folder: Path) -> None:
    """Take the canaries (and any renamed copies) out of ``folder``."""
    folder = Path(folder)
    for path in [*paths(folder), *_debris(folder)]:
        try:
            if path.is_symlink() or path.is_file():
                _unhide(path)
                path.unlink()
        except FileNotFoundError:
            pass

"""The type of a file from its first bytes (magic numbers), and the type its extension promises.

Why not trust the extension: ransomware keeps or changes names at will; what a file *is* shows
in its first bytes. Why still know the extension's type: a new file ``radio.jpg`` whose first
bytes are not a JPEG, or ``radio.jpg.lockbit`` holding random bytes, are both telling.

Kinds are short stable strings (stored in the baseline, ``kind`` column, 32 characters at most).
``"data"`` means an unrecognised binary; ``"text"`` text in an 8-bit or UTF-8 encoding;
``"base64"`` text made only of an evenly used base64 alphabet (the ciphertext of some families).
"""

from __future__ import annotations

from pathlib import PurePath

import numpy as np

from rempart.sentinel import stats

EMPTY = "empty"
DATA = "data"
TEXT = "text"
BASE64 = "base64"

# (offset, magic, kind), most specific first.
_MAGICS: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\xff\xd8\xff", "jpeg"),
    (0, b"\x89PNG\r\n\x1a\n", "png"),
    (0, b"GIF87a", "gif"),
    (0, b"GIF89a", "gif"),
    (0, b"II*\x00", "tiff"),
    (0, b"MM\x00*", "tiff"),
    (0, b"%PDF-", "pdf"),
    (0, b"PK\x03\x04", "zip"),
    (0, b"PK\x05\x06", "zip"),
    (0, b"7z\xbc\xaf\x27\x1c", "7z"),
    (0, b"Rar!\x1a\x07", "rar"),
    (0, b"\x1f\x8b\x08", "gzip"),
    (0, b"BZh", "bzip2"),
    (0, b"\xfd7zXZ\x00", "xz"),
    (0, b"\x28\xb5\x2f\xfd", "zstd"),
    (0, b"SQLite format 3\x00", "sqlite"),
    (0, b"\xd9\xd5\x05\xf9\x20\xa1\x63\xd7", "sqlite-journal"),
    (0, b"\x37\x7f\x06\x82", "sqlite-wal"),
    (0, b"\x37\x7f\x06\x83", "sqlite-wal"),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
    (0, b"MSCF\x00\x00\x00\x00", "cab"),
    (0, b"{\\rtf", "rtf"),
    (0, b"MZ", "exe"),
    (0, b"\x7fELF", "elf"),
    (0, b"\xff\xfe", "text-utf16"),
    (0, b"\xfe\xff", "text-utf16"),
    (0, b"BM", "bmp"),
    (0, b"OggS", "ogg"),
    (0, b"RIFF", "riff"),
    (4, b"ftyp", "mp4"),
    (0, b"ID3", "mp3"),
)

#: What an extension promises (lower case, without the dot). Absent: no promise.
EXTENSION_KINDS: dict[str, str] = {
    "jpg": "jpeg", "jpeg": "jpeg", "jpe": "jpeg", "jfif": "jpeg",
    "png": "png", "gif": "gif", "tif": "tiff", "tiff": "tiff", "bmp": "bmp",
    "pdf": "pdf",
    "zip": "zip", "docx": "zip", "docm": "zip", "xlsx": "zip", "xlsm": "zip", "pptx": "zip",
    "odt": "zip", "ods": "zip", "odp": "zip", "jar": "zip", "epub": "zip",
    "doc": "ole", "xls": "ole", "ppt": "ole", "msg": "ole",
    "7z": "7z", "rar": "rar", "gz": "gzip", "tgz": "gzip", "bz2": "bzip2", "xz": "xz",
    "zst": "zstd",
    "sqlite": "sqlite", "sqlite3": "sqlite", "db3": "sqlite",
    "dcm": "dicom", "dicom": "dicom",
    "txt": "text", "csv": "text", "log": "text", "xml": "text", "html": "text", "htm": "text",
    "json": "text", "ini": "text", "md": "text", "tsv": "text", "hl7": "text",
    "rtf": "rtf", "exe": "exe", "dll": "exe",
}  # fmt: skip

_TEXT_BYTES = np.zeros(256, dtype=bool)
for _b in (9, 10, 12, 13):
    _TEXT_BYTES[_b] = True
_TEXT_BYTES[0x20:0x7F] = True
_TEXT_BYTES[0x80:0x100] = True  # UTF-8 sequences and Latin-1 / cp1252 letters


def text_ratio(hist: np.ndarray, size: int) -> float:
    """Share of bytes that occur in text (printable ASCII, tab/CR/LF, 8-bit letters)."""
    if size <= 0:
        return 1.0
    return float(hist[_TEXT_BYTES].sum()) / size


def looks_text(data: bytes, hist: np.ndarray | None = None) -> bool:
    """Text: no NUL, at most 2% control bytes, and, when bytes ≥ 0x80 are many, mostly valid
    UTF-8 (cut sequences at the edges tolerated) or few enough to be Latin-1 accents."""
    if not data:
        return False
    hist = stats.counts(data) if hist is None else hist
    if hist[0]:
        return False
    if text_ratio(hist, len(data)) < 0.98:
        return False
    high = int(hist[0x80:].sum())
    if high <= len(data) * 0.1:
        return True
    try:
        data[4:-4].decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def is_dicom(head: bytes) -> bool:
    return len(head) >= 132 and head[128:132] == b"DICM"


_LONG_VRS = frozenset(b"OB OD OF OL OV OW SQ UC UN UR UT UV".split())
_VRS = frozenset(
    b"AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL "
    b"UN UR US UT UV".split()
)


def is_raw_dicom(head: bytes) -> bool:
    """A DICOM dataset without the Part 10 preamble (older imaging software writes these):
    from byte 0, a chain of at least three elements, group 0002 or 0008 first, in tag order,
    each in explicit VR little endian (a known VR) or implicit (a plausible length)."""
    if len(head) < 24 or head[:2] not in (b"\x02\x00", b"\x08\x00"):
        return False
    pos, last, count = 0, -1, 0
    while pos + 8 <= len(head) and count < 8:
        group = int.from_bytes(head[pos : pos + 2], "little")
        element = int.from_bytes(head[pos + 2 : pos + 4], "little")
        tag = (group << 16) | element
        if tag <= last or group % 2:
            return False
        last = tag
        vr = head[pos + 4 : pos + 6]
        if vr in _VRS:
            if vr in _LONG_VRS:
                pos += 12 + int.from_bytes(head[pos + 8 : pos + 12], "little")
            else:
                pos += 8 + int.from_bytes(head[pos + 6 : pos + 8], "little")
        else:
            length = int.from_bytes(head[pos + 4 : pos + 8], "little")
            if length == 0xFFFFFFFF:
                length = 0
            elif length > 1 << 24:
                return False
            pos += 8 + length
        count += 1
    return count >= 3


def sniff(head: bytes) -> str:
    """The kind of a file from its first bytes (a few KiB are enough)."""
    if not head:
        return EMPTY
    if is_dicom(head):
        return "dicom"
    for offset, magic, kind in _MAGICS:
        if head[offset : offset + len(magic)] == magic:
            return kind
    if is_raw_dicom(head):
        return "dicom"
    hist = stats.counts(head)
    if stats.looks_base64_random(hist, len(head)):
        return BASE64
    if looks_text(head, hist):
        return TEXT
    return DATA


def _extension_kind(suffix: str) -> str | None:
    return EXTENSION_KINDS.get(suffix.lower().lstrip("."))


def expected_kind(path: PurePath) -> str | None:
    """The kind the name promises: the last extension, else the one before a foreign last
    extension (``radio.jpg.lockbit`` promises a JPEG)."""
    suffixes = path.suffixes[-2:]
    if not suffixes:
        return None
    kind = _extension_kind(suffixes[-1])
    if kind is None and len(suffixes) == 2:
        kind = _extension_kind(suffixes[0])
    return kind


def same_family(before: str, after: str) -> bool:
    """Kinds that may replace each other in a benign save (text saved as RTF, etc.)."""
    if before == after:
        return True
    texts = {TEXT, "rtf", "text-utf16"}
    if before in texts and after in texts:
        return True
    return {before, after} <= {"zip", "ole"}  # an Office file saved in the other format

"""Is this still a valid file of its type? Structural checks on bounded reads.

Why structure: a dental practice writes high-entropy files all day (JPEG x-rays, Office
documents, zipped exports), so entropy alone cries wolf. Encryption, even partial (LockFile's
16 bytes of every 32, BlackBasta's 64 of 192, LockBit 2's first 4 KiB, 10% of every 64 KiB
block), always breaks the *head* of the file: the magic number, the first segments, chunks or
headers. A valid head is what benign writers always leave.

Two verdicts per file, because a file caught in the middle of being written is truncated, not
destroyed:

* :func:`check_head` — the first bytes (magic, segment/chunk/header chain): ``False`` means
  the structure is broken where no benign writer breaks it;
* :func:`check_tail` — the end record (JPEG EOI, PNG IEND, ZIP end of central directory,
  PDF ``%%EOF``/``startxref``, GIF trailer, SQLite page multiple): ``False`` may be a write in
  progress, so it weighs only beside other evidence.

Both return ``None`` when the kind has no checker or when the bytes read do not suffice to
decide. Every reader is bounded (``Reader.read`` refuses more than :data:`MAX_EXTRA`).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from rempart.sentinel import magic

#: Largest extra read a checker may ask for (besides head and tail).
MAX_EXTRA = 64 * 1024


@dataclass(frozen=True)
class Reader:
    """What a checker may see of a file: its size, head, tail, and small reads elsewhere."""

    size: int
    head: bytes
    tail: bytes
    read_at: Callable[[int, int], bytes] | None = None

    def read(self, offset: int, length: int) -> bytes:
        """Bytes at ``offset`` (from head or tail when covered, else one bounded read)."""
        length = min(length, MAX_EXTRA)
        if offset < 0 or offset >= self.size:
            return b""
        if offset + length <= len(self.head):
            return self.head[offset : offset + length]
        tail_start = self.size - len(self.tail)
        if offset >= tail_start:
            return self.tail[offset - tail_start : offset - tail_start + length]
        if self.read_at is None:
            return b""
        try:
            return self.read_at(offset, length)
        except OSError:
            return b""


# -- heads -------------------------------------------------------------------------------------


def _jpeg_head(r: Reader) -> bool | None:
    h = r.head
    if h[:3] != b"\xff\xd8\xff":
        return False
    pos = 2
    while pos + 4 <= len(h):
        if h[pos] != 0xFF:
            return False
        marker = h[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0x00, 0x01) or 0xD0 <= marker <= 0xD7:
            return False  # stuffing/TEM/RST cannot appear between header segments
        if marker == 0xD9:
            return pos > 2
        (length,) = struct.unpack(">H", h[pos + 2 : pos + 4])
        if length < 2:
            return False
        if marker == 0xDA:  # start of scan: headers done
            return True
        pos += 2 + length
        if pos + 2 > len(h):
            # The chain runs past the head: one small read tells whether a marker follows.
            if pos + 2 > r.size:
                return None  # truncated (a write in progress) or damaged: cannot tell
            following = r.read(pos, 2)
            return None if not following else following[:1] == b"\xff"
    return True


_PNG_SIG = b"\x89PNG\r\n\x1a\n"


def _png_head(r: Reader) -> bool | None:
    h = r.head
    if h[:8] != _PNG_SIG:
        return False
    pos, first = 8, True
    while pos + 8 <= len(h):
        (length,) = struct.unpack(">I", h[pos : pos + 4])
        ctype = h[pos + 4 : pos + 8]
        if not ctype.isalpha() or length > 0x7FFFFFFF:
            return False
        if first and ctype != b"IHDR":
            return False
        first = False
        end = pos + 12 + length
        if end > len(h):
            return True  # chunk continues past the head
        (crc,) = struct.unpack(">I", h[end - 4 : end])
        if zlib.crc32(h[pos + 4 : end - 4]) != crc:
            return False
        if ctype == b"IEND":
            return True
        pos = end
    return not first


def _zip_head(r: Reader) -> bool | None:
    h = r.head
    if h[:4] == b"PK\x05\x06":
        return r.size == 22 + struct.unpack("<H", h[20:22])[0] if len(h) >= 22 else None
    if h[:4] != b"PK\x03\x04" or len(h) < 30:
        return False
    version, _flags, method = struct.unpack("<HHH", h[4:10])
    name_len, extra_len = struct.unpack("<HH", h[26:30])
    if version > 100 or method not in (0, 1, 6, 8, 9, 12, 14, 93, 95, 98, 99):
        return False
    name = h[30 : 30 + name_len]
    if name_len == 0 or (len(name) == name_len and (b"\x00" in name)):
        return False
    return bool(extra_len < 0x10000)


def _pdf_head(r: Reader) -> bool | None:
    at = r.head.find(b"%PDF-", 0, 1024)
    if at < 0:
        return False
    version = r.head[at + 5 : at + 8]
    return len(version) == 3 and version[:1].isdigit() and version[1:2] == b"."


def _dicom_head(r: Reader) -> bool | None:
    """128-byte preamble, ``DICM``, then a chain of explicit-VR group 0002 elements (or a
    dataset without preamble, as older imaging software writes)."""
    h = r.head
    if not magic.is_dicom(h):
        return magic.is_raw_dicom(h)
    pos = 132
    seen = 0
    last_tag = -1
    while pos + 8 <= len(h):
        group, element = struct.unpack("<HH", h[pos : pos + 4])
        if group != 0x0002:
            return seen > 0 and group > 0x0002 and _dicom_next_ok(h, pos)
        tag = (group << 16) | element
        if tag <= last_tag:
            return False
        last_tag = tag
        vr = h[pos + 4 : pos + 6]
        if not (vr.isalpha() and vr.isupper()):
            return False
        if vr in (b"OB", b"OW", b"OF", b"SQ", b"UT", b"UN"):
            if pos + 12 > len(h):
                return True
            if h[pos + 6 : pos + 8] != b"\x00\x00":
                return False
            (length,) = struct.unpack("<I", h[pos + 8 : pos + 12])
            pos += 12 + length
        else:
            (length,) = struct.unpack("<H", h[pos + 6 : pos + 8])
            pos += 8 + length
        seen += 1
        if length > r.size:
            return False
    return seen > 0


def _dicom_next_ok(h: bytes, pos: int) -> bool:
    """The first dataset element after the meta group: an even group of a plausible size."""
    group, _element = struct.unpack("<HH", h[pos : pos + 4])
    return bool(group % 2 == 0 or group < 0x0100)


def _sqlite_head(r: Reader) -> bool | None:
    h = r.head
    if len(h) < 100:
        return None if len(h) >= 16 and h[:16] == b"SQLite format 3\x00" else False
    if h[:16] != b"SQLite format 3\x00":
        return False
    (page,) = struct.unpack(">H", h[16:18])
    page = 65536 if page == 1 else page
    if page < 512 or page & (page - 1):
        return False
    if h[18] not in (1, 2) or h[19] not in (1, 2):
        return False
    return h[21:24] == b"\x40\x20\x20"


def _gzip_head(r: Reader) -> bool | None:
    h = r.head
    if h[:3] != b"\x1f\x8b\x08" or len(h) < 10 or h[3] & 0xE0:
        return False
    try:
        zlib.decompressobj(wbits=31).decompress(h, 4096)
    except zlib.error:
        return False
    return True


def _7z_head(r: Reader) -> bool | None:
    h = r.head
    if h[:6] != b"7z\xbc\xaf\x27\x1c" or len(h) < 32:
        return False
    (crc,) = struct.unpack("<I", h[8:12])
    if crc == 0 and not any(h[12:32]):
        return None  # 7-Zip and py7zr fill the start header in when the archive is closed
    if zlib.crc32(h[12:32]) != crc:
        return False
    next_offset, next_size = struct.unpack("<QQ", h[12:28])
    return bool(32 + next_offset + next_size <= r.size)


def _ole_head(r: Reader) -> bool | None:
    h = r.head
    if h[:8] != b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" or len(h) < 512:
        return False if h[:8] != b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" else None
    byte_order, sector_shift = struct.unpack("<HH", h[28:32])
    return byte_order == 0xFFFE and sector_shift in (9, 12)


def _gif_head(r: Reader) -> bool | None:
    return r.head[:6] in (b"GIF87a", b"GIF89a")


def _tiff_head(r: Reader) -> bool | None:
    h = r.head
    if h[:4] == b"II*\x00":
        (ifd,) = struct.unpack("<I", h[4:8])
    elif h[:4] == b"MM\x00*":
        (ifd,) = struct.unpack(">I", h[4:8])
    else:
        return False
    return bool(8 <= ifd < r.size)


def _bmp_head(r: Reader) -> bool | None:
    h = r.head
    if h[:2] != b"BM" or len(h) < 14:
        return False
    (size,) = struct.unpack("<I", h[2:6])
    return size in (r.size, 0)


def _exe_head(r: Reader) -> bool | None:
    h = r.head
    if h[:2] != b"MZ" or len(h) < 64:
        return False
    (pe,) = struct.unpack("<I", h[60:64])
    if pe + 4 > r.size:
        return False
    sig = r.read(pe, 4)
    return None if not sig else sig == b"PE\x00\x00"


def _sqlite_journal_head(r: Reader) -> bool | None:
    # SQLite writes a rollback journal's magic last (zeros until the journal is synced) and
    # zeroes it to end a journal it keeps: a zeroed magic is a journal at work, not destroyed.
    return r.head[:8] in (b"\xd9\xd5\x05\xf9\x20\xa1\x63\xd7", bytes(8))


def _sqlite_wal_head(r: Reader) -> bool | None:
    return r.head[:4] in (b"\x37\x7f\x06\x82", b"\x37\x7f\x06\x83")


def _rtf_head(r: Reader) -> bool | None:
    return r.head[:5] == b"{\\rtf"


def _text_head(r: Reader) -> bool | None:
    return magic.looks_text(r.head) or r.size == 0


def _utf16_head(r: Reader) -> bool | None:
    return r.head[:2] in (b"\xff\xfe", b"\xfe\xff")


HEAD_CHECKS: dict[str, Callable[[Reader], bool | None]] = {
    "jpeg": _jpeg_head,
    "png": _png_head,
    "zip": _zip_head,
    "pdf": _pdf_head,
    "dicom": _dicom_head,
    "sqlite": _sqlite_head,
    "sqlite-journal": _sqlite_journal_head,
    "sqlite-wal": _sqlite_wal_head,
    "gzip": _gzip_head,
    "7z": _7z_head,
    "ole": _ole_head,
    "gif": _gif_head,
    "tiff": _tiff_head,
    "bmp": _bmp_head,
    "exe": _exe_head,
    "rtf": _rtf_head,
    "text": _text_head,
    "text-utf16": _utf16_head,
}


# -- tails -------------------------------------------------------------------------------------


def _jpeg_tail(r: Reader) -> bool | None:
    return b"\xff\xd9" in r.tail.rstrip(b"\x00")[-64:]


def _png_tail(r: Reader) -> bool | None:
    return r.tail.endswith(b"\x00\x00\x00\x00IEND\xaeB`\x82")


def _zip_tail(r: Reader) -> bool | None:
    at = r.tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(r.tail):
        return False
    eocd = r.tail[at : at + 22]
    _disk, _cd_disk, _n_disk, _n, cd_size, cd_offset, _comment = struct.unpack(
        "<HHHHIIH", eocd[4:22]
    )
    if cd_offset == 0xFFFFFFFF:  # ZIP64: the end record lies elsewhere; the tail is fine
        return True
    eocd_offset = r.size - len(r.tail) + at
    if cd_offset + cd_size != eocd_offset:
        return False
    if cd_size == 0:
        return True
    first = r.read(cd_offset, 4)
    return None if not first else first == b"PK\x01\x02"


def _pdf_tail(r: Reader) -> bool | None:
    t = r.tail[-2048:]
    if b"%%EOF" not in t:
        return False
    at = t.rfind(b"startxref")
    if at < 0:
        return False
    digits = t[at + 9 :].split(maxsplit=1)
    if not digits or not digits[0].isdigit():
        return False
    offset = int(digits[0])
    if offset >= r.size:
        return False
    target = r.read(offset, 32)
    if not target:
        return None
    return target.startswith(b"xref") or b" obj" in target


def _gif_tail(r: Reader) -> bool | None:
    return r.tail.endswith(b";")


def _sqlite_tail(r: Reader) -> bool | None:
    if len(r.head) < 18:
        return None
    (page,) = struct.unpack(">H", r.head[16:18])
    page = 65536 if page == 1 else page
    return page >= 512 and r.size % page == 0


TAIL_CHECKS: dict[str, Callable[[Reader], bool | None]] = {
    "jpeg": _jpeg_tail,
    "png": _png_tail,
    "zip": _zip_tail,
    "pdf": _pdf_tail,
    "gif": _gif_tail,
    "sqlite": _sqlite_tail,
}

#: Kinds whose content is *expected* to look random: entropy says nothing about them.
DENSE_KINDS = frozenset(
    {"jpeg", "png", "gif", "zip", "7z", "rar", "gzip", "bzip2", "xz", "zstd", "cab", "mp4",
     "mp3", "ogg"}
)  # fmt: skip


def check_head(kind: str, reader: Reader) -> bool | None:
    """Is the head a valid ``kind``? ``None``: no checker for that kind, or cannot tell."""
    check = HEAD_CHECKS.get(kind)
    if check is None or reader.size == 0:
        return None
    try:
        return check(reader)
    except (struct.error, ValueError, IndexError):
        return False


def check_tail(kind: str, reader: Reader) -> bool | None:
    """Is the end record of a ``kind`` file in place? ``None``: no checker, cannot tell."""
    check = TAIL_CHECKS.get(kind)
    if check is None or reader.size == 0:
        return None
    try:
        return check(reader)
    except (struct.error, ValueError, IndexError):
        return False


def has_checker(kind: str | None) -> bool:
    return kind is not None and kind in HEAD_CHECKS

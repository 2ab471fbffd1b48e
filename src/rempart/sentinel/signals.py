"""What a written file says: one cheap look at a file after a write, compared with its baseline.

:func:`inspect` reads a bounded sample — the head (8 KiB), the tail (4 KiB) and a few 4 KiB
windows in between (files up to 64 KiB are read whole) — and never the whole of a large file,
so that hundreds of files a second can be judged on one core. It never raises on a hostile,
vanishing or unreadable file: it returns ``None``.

Why a sample of windows and not one global entropy: modern families encrypt only part of each
file (LockFile 16 of every 32 bytes, BlackBasta 64 of 192, LockBit 2 the first 4 KiB, others 10%
of every 64 KiB block). The head always suffers, and some windows turn uniform while others
keep their plain bytes; a global figure would average that away.

The result, :class:`FileSignals`, says what was seen; the *verdict* is the detector's job.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
import tomllib
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import ppdeep  # type: ignore[import-untyped]

from rempart.i18n import _
from rempart.sentinel import canaries, formats, magic, stats

if TYPE_CHECKING:
    from rempart.sentinel.baseline import BaselineEntry

HEAD = 8192
TAIL = 4096
WINDOW = 4096
MIDDLE_WINDOWS = 6
#: Files up to this size are read whole; larger ones are sampled.
WHOLE = 64 * 1024
#: Default budget of bytes read per file.
MAX_BYTES = HEAD + TAIL + MIDDLE_WINDOWS * WINDOW
#: Entropy (bits per byte) of a sample above which content counts as dense.
DENSE_ENTROPY = 7.2
#: Entropy rise over the baseline that, with uniform windows, means "now ciphertext".
BIG_JUMP = 2.0
#: A SQLite rollback journal: SQLite writes its magic last and zeroes it to end a journal it
#: keeps, so a zeroed head is a journal at work (seen as soon as the gate paused a writer
#: while its journal was being written), not a journal destroyed.
JOURNAL = "sqlite-journal"
#: Bytes of the head hashed with ppdeep (baseline) and compared after a change.
FUZZY_BYTES = 2048
#: Ransom notes are short: larger text files are not read for note words.
NOTE_MAX_SIZE = 256 * 1024
#: Cells of the head judged one by one for partial encryption (LockFile's 16 of 32 bytes).
CELL = 16
#: Distinct byte values in a cell from which it looks like random bytes: 16 random bytes
#: have at least 15 distinct values 95 % of the time; 16 bytes of text or of a record, rarely.
CELL_DISTINCT = 15
#: Share of such cells in the head from which the head holds stripes of ciphertext.
STRIPED_CELLS = 0.2
#: Bytes of the head cut into cells: 128 cells are plenty to see stripes, and cost ~40 µs.
CELL_BYTES = 2048

_O_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
_O_FLAGS |= getattr(os, "O_BINARY", 0) | getattr(os, "O_NOATIME", 0)


@dataclass(frozen=True)
class RansomwareData:
    extensions: frozenset[str]
    note_names: tuple[str, ...]
    note_words: tuple[str, ...]
    onion: re.Pattern[str]
    note_name: re.Pattern[str] | None = None  # the names' globs as one pattern (fnmatch)


@cache
def ransomware_data() -> RansomwareData:
    """Known ransomware extensions, ransom-note names and words (``data/ransomware.toml``)."""
    raw = tomllib.loads((Path(__file__).parent / "data" / "ransomware.toml").read_text("utf-8"))
    return RansomwareData(
        extensions=frozenset(e.lower() for e in raw["extensions"]),
        note_names=tuple(n.lower() for n in raw["note_names"]),
        note_words=tuple(w.lower() for w in raw["note_words"]),
        onion=re.compile(raw["onion"]),
        note_name=re.compile(
            "|".join(f"(?:{fnmatch.translate(n.lower())})" for n in raw["note_names"]) or "(?!)"
        ),
    )


@dataclass(frozen=True)
class FileSignals:
    """What one look at a file showed. ``None`` fields: not applicable or could not tell."""

    path: Path
    size: int
    mtime: float
    kind_before: str | None  # from the baseline; None for a file not in it
    promised: str | None  # the kind the name promises (``x.jpg.lockbit`` promises ``jpeg``)
    kind_after: str  # from the magic bytes now
    format_valid: bool | None  # the head is a valid file of its reference kind
    tail_valid: bool | None  # the end record is in place (False may be a write in progress)
    entropy: float  # of the sample, bits per byte
    chi2: float  # of the sample, against uniform bytes
    entropy_jump: float | None  # entropy minus the baseline's (same sampling)
    jump_margin: float  # how much the entropy may move here without meaning anything
    windows: int  # windows of the sample that were judged
    random_windows: int  # of which look like ciphertext
    base64: bool  # text that is the base64 of random bytes
    extension_suspicious: bool  # a known ransomware extension
    ransom_note: bool
    onion: bool  # a Tor onion address in the content
    canary: bool
    similarity: int | None = None  # ppdeep similarity to the baseline (0–100), when computed
    random_cells: float = 0.0  # share of the head's 16-byte cells that look like random bytes
    preamble_random: int = 0  # of a DICOM's 8 preamble cells (before ``DICM``), how many

    # -- strength helpers ---------------------------------------------------------------------

    @property
    def reference_kind(self) -> str | None:
        """What the file should be: its baseline kind, else (a new or empty file) what its
        name promises. A file already unlike its name when known good (a ``.xls`` that is an
        HTML export, a ``.dcm`` of no recognised layout) is judged as what it was."""
        if self.kind_before not in (None, magic.EMPTY):
            return self.kind_before
        return self.promised or self.kind_before

    @property
    def magic_changed(self) -> bool:
        ref = self.reference_kind
        if ref in (None, magic.EMPTY) or self.kind_after == magic.EMPTY:
            return False
        return not magic.same_family(ref, self.kind_after)

    @property
    def became_opaque(self) -> bool:
        """A known kind (a format or text) turned into unrecognised bytes or base64."""
        ref = self.reference_kind
        return (
            ref not in (None, magic.EMPTY, magic.DATA)
            and self.kind_after in (magic.DATA, magic.BASE64)
            and self.magic_changed
        )

    @property
    def destroyed(self) -> bool:
        """The structure is gone: an invalid head, or a known kind turned opaque."""
        return self.format_valid is False or self.became_opaque

    @property
    def high_entropy(self) -> bool:
        """Content at the density of ciphertext (or of its base64)."""
        if self.base64 or self.random_windows:
            return True
        if self.size >= 1024 and self.entropy >= DENSE_ENTROPY:
            return True
        return self.entropy_jump is not None and self.entropy_jump >= self.jump_margin

    @property
    def partial(self) -> bool:
        """Some windows uniform, others not: intermittent encryption."""
        return 0 < self.random_windows < self.windows

    @property
    def encrypted(self) -> bool:
        """Strong evidence for one file: destroyed *and* dense, or a low-entropy file turned
        uniform (a big entropy rise with mostly uniform windows, and nothing like before)."""
        if self.destroyed and self.high_entropy:
            return True
        if (
            self.entropy_jump is not None
            and self.entropy_jump >= max(BIG_JUMP, self.jump_margin)
            and self.windows
            and self.random_windows * 2 >= self.windows
        ):
            return self.similarity is None or self.similarity < 20
        return False

    @property
    def unrecognised(self) -> bool:
        """No valid file of any kind: unrecognised bytes or base64, or the chance magic of a kind
        that its own check rejects (random bytes that happen to begin with ``BM``)."""
        return self.kind_after in (magic.DATA, magic.BASE64) or (
            self.format_valid is False and self.kind_after != self.reference_kind
        )

    @property
    def ciphertext_like(self) -> bool:
        """The bytes themselves look like ciphertext, not merely dense: a uniform window
        (entropy *and* chi-square), the base64 of random bytes, or opaque bytes (no known
        structure) either at the density of ciphertext or striped with random cells (16 of
        32 bytes, 64 of 192). Compressed data of a valid format is none of these."""
        if self.random_windows or self.base64:
            return True
        if not self.unrecognised:
            return False
        dense = self.size >= 1024 and self.entropy >= DENSE_ENTROPY
        return dense or self.random_cells >= STRIPED_CELLS

    @property
    def opaque_new(self) -> bool:
        """A file without baseline whose content is uniform bytes of no known structure."""
        return (
            self.kind_before is None
            and self.kind_after in (magic.DATA, magic.BASE64)
            and self.high_entropy
        )

    @property
    def weight(self) -> float:
        """This file's contribution to its writer's score (see docs/sentinel.md, « Détecteur »)."""
        if self.canary:
            return 100.0
        score = 0.0
        if self.encrypted:
            score += 6.0
        elif self.destroyed and self.kind_before is not None:
            score += 1.5  # an existing file broken, though not dense: worth watching
        elif (
            self.format_valid is None
            and self.entropy_jump is not None
            and self.entropy_jump >= self.jump_margin
            and self.high_entropy
        ):
            score += 1.0
        # A new dense file of no known structure (opaque_new) weighs nothing by itself:
        # unpacked software and encrypted archives are like that. The detector weighs it
        # when an original disappears beside it.
        if self.extension_suspicious:
            score += 4.0 if self.high_entropy else 1.5
        if self.ransom_note:
            score += 7.0 if self.onion else 5.0
        return score

    def reasons(self) -> tuple[str, ...]:
        """Stable reason codes (``docs/sentinel.md`` explains each)."""
        out = []
        if self.canary:
            out.append("canary")
        if self.encrypted:
            out.append("encrypted")
        if self.format_valid is False:
            out.append("format-broken")
        if self.became_opaque:
            out.append("magic-changed")
        if self.partial and self.destroyed:
            out.append("partial")
        if self.base64:
            out.append("base64")
        if self.entropy_jump is not None and self.entropy_jump >= self.jump_margin:
            out.append("entropy-jump")
        if self.opaque_new:
            out.append("opaque-new")
        if self.extension_suspicious:
            out.append("known-extension")
        if self.ransom_note:
            out.append("ransom-note")
        if self.onion:
            out.append("onion")
        return tuple(out)


def describe_reason(code: str) -> str:
    """A reason code of :meth:`FileSignals.reasons`, for a person (current language)."""
    texts = {
        "canary": _("a canary file was touched"),
        "encrypted": _("encrypted-looking: structure destroyed and content dense"),
        "format-broken": _("no longer a valid file of its type"),
        "magic-changed": _("its type changed into unrecognised bytes"),
        "partial": _("partly encrypted (some windows uniform, others plain)"),
        "base64": _("base64 text of random bytes"),
        "entropy-jump": _("entropy rose beyond its usual margin"),
        "opaque-new": _("new file of uniform bytes with no known structure"),
        "known-extension": _("known ransomware extension"),
        "ransom-note": _("ransom note"),
        "onion": _("Tor onion address"),
    }
    return texts.get(code, code)


# -- reading -----------------------------------------------------------------------------------


def _read_at(fd: int, offset: int, length: int) -> bytes:
    if hasattr(os, "pread"):
        chunks = []
        while length > 0:
            chunk = os.pread(fd, length, offset)
            if not chunk:
                break
            chunks.append(chunk)
            offset += len(chunk)
            length -= len(chunk)
        return b"".join(chunks)
    os.lseek(fd, offset, os.SEEK_SET)  # pragma: no cover - Windows
    return os.read(fd, length)  # pragma: no cover


@dataclass(frozen=True)
class Sample:
    size: int
    mtime: float
    head: bytes
    tail: bytes
    windows: tuple[bytes, ...]  # the sampled windows, head and tail included, no overlap


def _middle_offsets(size: int, count: int) -> list[int]:
    lo, hi = HEAD, size - TAIL - WINDOW
    if count <= 0 or hi < lo:
        return []
    align = 65536 if size >= 4 * 65536 else WINDOW  # block starts: where 10%-per-block bites
    step = (hi - lo) / (count + 1)
    offsets = set()
    for i in range(1, count + 1):
        offsets.add(max(lo, min(hi, int(lo + step * i) // align * align)))
    return sorted(offsets)


def _split(data: bytes) -> list[bytes]:
    parts = [data[i : i + WINDOW] for i in range(0, len(data), WINDOW)]
    if len(parts) > 1 and len(parts[-1]) < stats.MIN_WINDOW:
        last = parts.pop()
        parts[-1] += last
    return parts


class Sampled:
    """``with Sampled(path, max_bytes) as got``: ``(Sample, Reader)`` or ``None``; the file
    stays open inside the block so that a format checker may read a little more."""

    def __init__(self, path: Path, max_bytes: int) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.fd = -1

    def __enter__(self) -> tuple[Sample, formats.Reader] | None:
        try:
            self.fd = os.open(self.path, _O_FLAGS)
        except (OSError, ValueError):
            return None
        try:
            return _sample_fd(self.fd, self.max_bytes)
        except (OSError, ValueError, MemoryError, IndexError):
            return None

    def __exit__(self, *exc: object) -> None:
        if self.fd >= 0:
            os.close(self.fd)


def _sample_fd(fd: int, max_bytes: int) -> tuple[Sample, formats.Reader] | None:
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        return None
    size = st.st_size
    if size <= max(WHOLE, max_bytes):
        data = _read_at(fd, 0, size)
        size = len(data)
        head, tail = data[:HEAD], data[-TAIL:] if data else b""
        windows = _split(data)
    else:
        head = _read_at(fd, 0, HEAD)
        tail = _read_at(fd, size - TAIL, TAIL)
        middles = max(0, (max_bytes - HEAD - TAIL) // WINDOW)
        windows = _split(head)
        windows += [_read_at(fd, off, WINDOW) for off in _middle_offsets(size, middles)]
        windows.append(tail)
    budget = [formats.MAX_EXTRA]

    def read_at(offset: int, length: int) -> bytes:
        if budget[0] <= 0:
            return b""
        budget[0] -= length
        return _read_at(fd, offset, length)

    sample = Sample(size, st.st_mtime, head, tail, tuple(w for w in windows if w))
    return sample, formats.Reader(size, head, tail, read_at)


@dataclass(frozen=True)
class Measure:
    """The byte statistics of a sample: global and per window."""

    entropy: float
    chi2: float
    windows: int
    random_windows: int
    base64: bool


def _random_cell_count(data: bytes) -> tuple[int, int]:
    """(cells like random bytes, cells) among the 16-byte cells of ``data``."""
    cells = len(data) // CELL
    if not cells:
        return 0, 0
    grid = np.sort(np.frombuffer(data, dtype=np.uint8, count=cells * CELL).reshape(cells, CELL))
    distinct = 1 + np.count_nonzero(np.diff(grid, axis=1), axis=1)
    return int(np.count_nonzero(distinct >= CELL_DISTINCT)), cells


def random_cells(head: bytes) -> float:
    """Share of the 16-byte cells of ``head`` (its first :data:`CELL_BYTES`) holding at least
    :data:`CELL_DISTINCT` distinct byte values: about 0.95 for ciphertext, half that for
    16-of-32 stripes, near 0 for text, records and pixels. (A cell is too small for entropy;
    distinct values are what it has.)"""
    randoms, cells = _random_cell_count(head[:CELL_BYTES])
    return randoms / cells if cells >= 16 else 0.0


def measure(sample: Sample) -> Measure:
    total = np.zeros(256, dtype=np.int64)
    judged = randoms = 0
    size = 0
    for window in sample.windows:
        hist = stats.counts(window)
        total += hist
        size += len(window)
        if len(window) >= stats.MIN_WINDOW:
            judged += 1
            if stats.from_counts(hist, len(window)).looks_random:
                randoms += 1
    overall = stats.from_counts(total, size)
    head_hist = stats.counts(sample.head)
    b64 = stats.looks_base64_random(head_hist, len(sample.head))
    return Measure(overall.entropy, overall.chi2, judged, randoms, b64)


def _sample_bytes(sample: Sample) -> int:
    return sum(len(w) for w in sample.windows)


def _note_text(sample: Sample, kind: str) -> str | None:
    if kind not in (magic.TEXT, "rtf", "text-utf16") or sample.size > NOTE_MAX_SIZE:
        return None
    raw = sample.head + (sample.tail if sample.size > len(sample.head) else b"")
    if kind == "text-utf16":
        text = raw.decode("utf-16", errors="ignore")
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
    return text.lower()


def note_evidence(name: str, text: str | None) -> tuple[bool, bool]:
    """(is a ransom note, holds an onion address) from a file name and its text."""
    if text is None:  # not text: no note, whatever its name (the name costs a match)
        return False, False
    data = ransomware_data()
    lower = name.lower()
    if data.note_name is not None:
        named = data.note_name.match(lower) is not None
    else:
        named = any(fnmatch.fnmatchcase(lower, pattern) for pattern in data.note_names)
    onion = bool(data.onion.search(text))
    words = sum(1 for w in data.note_words if w in text)
    note = (named and words >= 2) or (onion and words >= 2) or words >= 5
    return note, onion


def suspicious_extension(path: Path) -> bool:
    suffix = path.suffix.lower().lstrip(".")
    return bool(suffix) and suffix in ransomware_data().extensions


def _similarity(head: bytes, fuzzy: str) -> int | None:
    try:
        return int(ppdeep.compare(ppdeep.hash(head), fuzzy))
    except Exception:  # a malformed stored hash must not stop the watch
        return None


def inspect(
    path: Path, baseline: BaselineEntry | None, *, max_bytes: int = MAX_BYTES
) -> FileSignals | None:
    """Look at ``path`` now, against its ``baseline`` entry (``None`` for a new file).

    For a rename, pass the baseline entry of the *source* path. Returns ``None`` if the file
    vanished, is not a regular file (symlinks are not followed) or cannot be read.
    """
    path = Path(path)
    with Sampled(path, max(max_bytes, HEAD + TAIL)) as got:
        if got is None:
            return None
        sample, reader = got
        kind_after = magic.sniff(sample.head)
        promised = magic.expected_kind(path)
        kind_before = baseline.kind if baseline is not None else None
        if kind_before == JOURNAL and len(sample.head) >= 28 and not any(sample.head[:8]):
            kind_after = JOURNAL  # its magic not written yet, or zeroed by SQLite to end it
        signals = FileSignals(
            path=path,
            size=sample.size,
            mtime=sample.mtime,
            kind_before=kind_before,
            promised=promised,
            kind_after=kind_after,
            format_valid=None,
            tail_valid=None,
            entropy=0.0,
            chi2=0.0,
            entropy_jump=None,
            jump_margin=stats.jump_margin(_sample_bytes(sample)),
            windows=0,
            random_windows=0,
            base64=False,
            extension_suspicious=suspicious_extension(path),
            ransom_note=False,
            onion=False,
            canary=canaries.is_canary(path),
        )
        ref = signals.reference_kind
        valid: bool | None = None
        tail: bool | None = None
        if ref is not None and formats.has_checker(ref):
            valid = formats.check_head(ref, reader)
            tail = formats.check_tail(ref, reader) if valid else None
            if not valid and kind_after != ref and formats.has_checker(kind_after):
                # Now a *valid* file of another structured kind (a .txt saved as PDF): not
                # destroyed; the kind change shows in magic_changed.
                if formats.check_head(kind_after, reader):
                    valid, tail = True, None
        elif formats.has_checker(kind_after) and kind_after != magic.TEXT:
            valid = formats.check_head(kind_after, reader)
            tail = formats.check_tail(kind_after, reader) if valid else None
        m = measure(sample)
        jump = None
        if baseline is not None and baseline.size > 0 and sample.size > 0:
            jump = m.entropy - baseline.entropy
        similarity = None
        if (
            baseline is not None
            and baseline.fuzzy
            and jump is not None
            and jump >= signals.jump_margin
        ):
            similarity = _similarity(sample.head[:FUZZY_BYTES], baseline.fuzzy)
        note, onion = note_evidence(path.name, _note_text(sample, kind_after))
    return replace(
        signals,
        format_valid=valid,
        tail_valid=tail,
        entropy=m.entropy,
        chi2=m.chi2,
        entropy_jump=jump,
        windows=m.windows,
        random_windows=m.random_windows,
        base64=m.base64,
        ransom_note=note,
        onion=onion,
        similarity=similarity,
        # Only where it can decide (ciphertext_like): unrecognised bytes not already uniform.
        random_cells=(
            random_cells(sample.head)
            if (kind_after == magic.DATA or (valid is False and kind_after != ref))
            and not (m.random_windows or m.base64)
            else 0.0
        ),
        # A DICOM's preamble is zeros or a small binary header: random cells there are the
        # 64-of-192 families, which spare the ``DICM`` magic at offset 128.
        preamble_random=(
            _random_cell_count(sample.head[:128])[0]
            if kind_before == "dicom" and magic.is_dicom(sample.head)
            else 0
        ),
    )

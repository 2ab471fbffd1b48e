"""inspect(): every family of encryption detected on every type of practice file; a normal
day's rewrites not; hostile or vanishing files never raise."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rempart import i18n
from rempart.sentinel import inspect, measure_file, stats
from rempart.sentinel.baseline import BaselineEntry
from rempart.sentinel.signals import MAX_BYTES, WHOLE, describe_reason
from tests.sentinel import signals_samples as S

TYPES = {
    "radio.jpg": lambda d: S.small_jpeg(),
    "panoramique.jpg": lambda d: S.big_jpeg(900_000),
    "scan.png": lambda d: S.png(),
    "compte-rendu.docx": lambda d: S.docx(),
    "compta.xlsx": lambda d: S.xlsx(),
    "facture.pdf": lambda d: S.pdf(),
    "patients.csv": lambda d: S.csv_text(),
    "cone-beam.dcm": lambda d: S.dicom(800),
    "intraorale.dcm": lambda d: S.dicom(),
    "app.log.gz": lambda d: S.gzip_log(),
    "cabinet.sqlite": lambda d: S.sqlite_db(d / "tmp.sqlite"),
}


@pytest.fixture(scope="module")
def originals(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    work = tmp_path_factory.mktemp("originals")
    return {name: make(work) for name, make in TYPES.items()}


def _baseline(path: Path, data: bytes) -> BaselineEntry:
    path.write_bytes(data)
    entry = measure_file(path)
    assert entry is not None
    return entry


@pytest.mark.parametrize("family", sorted(S.FAMILIES))
@pytest.mark.parametrize("name", sorted(TYPES))
def test_each_family_is_seen_as_encrypted_on_each_type(
    tmp_path: Path, originals: dict[str, bytes], name: str, family: str
) -> None:
    path = tmp_path / name
    before = _baseline(path, originals[name])
    unchanged = inspect(path, before)
    assert unchanged is not None and not unchanged.encrypted and unchanged.weight == 0
    path.write_bytes(S.FAMILIES[family](originals[name]))
    seen = inspect(path, before)
    assert seen is not None
    assert seen.encrypted, (family, name, seen)
    assert seen.weight >= 6
    assert "encrypted" in seen.reasons()


@pytest.mark.parametrize("name", sorted(TYPES))
def test_encrypted_copy_under_a_new_name_is_seen_without_baseline(
    tmp_path: Path, originals: dict[str, bytes], name: str
) -> None:
    """Write-new-then-delete: ``radio.jpg.lockbit`` has no baseline; its name still promises a
    JPEG and its content is ciphertext."""
    path = tmp_path / (name + ".lockbit")
    path.write_bytes(S.full(originals[name]))
    seen = inspect(path, None)
    assert seen is not None and seen.encrypted and seen.extension_suspicious
    assert seen.promised is not None


def test_partial_encryption_shows_uniform_windows_beside_plain_ones(
    tmp_path: Path, originals: dict[str, bytes]
) -> None:
    path = tmp_path / "patients.csv"
    before = _baseline(path, originals["patients.csv"])
    path.write_bytes(S.lockbit2(originals["patients.csv"]))
    seen = inspect(path, before)
    assert seen is not None and seen.partial and seen.random_windows == 1


def test_base64_of_ciphertext_is_recognised_in_text(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    before = _baseline(path, S.csv_text(300))
    path.write_bytes(S.base64_family(S.csv_text(300)))
    seen = inspect(path, before)
    assert seen is not None
    assert seen.base64 and seen.kind_after == "base64" and seen.encrypted
    # A base64 file that was already base64 is not news.
    export = tmp_path / "export.b64"
    was = _baseline(export, S.base64_family(b"x" * 9000))
    export.write_bytes(S.base64_family(b"y" * 9000))
    again = inspect(export, was)
    assert again is not None and not again.encrypted and again.weight == 0


# -- a normal day -----------------------------------------------------------------------------


def test_xrays_saved_are_not_suspicious_though_dense(tmp_path: Path) -> None:
    for i in range(5):
        path = tmp_path / f"radio-{i}.jpg"
        path.write_bytes(S.big_jpeg(200_000 + i * 10_000, seed=i))
        seen = inspect(path, None)
        assert seen is not None
        assert seen.random_windows > 0  # dense, like ciphertext
        assert seen.format_valid is True and not seen.encrypted and seen.weight == 0


def test_xray_overwritten_by_a_new_xray_is_normal(tmp_path: Path) -> None:
    path = tmp_path / "radio.jpg"
    before = _baseline(path, S.big_jpeg(300_000, seed=1))
    path.write_bytes(S.big_jpeg(310_000, seed=2))
    seen = inspect(path, before)
    assert seen is not None and not seen.destroyed and seen.weight == 0


def test_office_documents_edited_and_saved_are_normal(tmp_path: Path) -> None:
    for name, old, new in (
        ("cr.docx", S.docx(50), S.docx(400)),
        ("compta.xlsx", S.xlsx(100), S.xlsx(900)),
    ):
        path = tmp_path / name
        before = _baseline(path, old)
        path.write_bytes(new)
        seen = inspect(path, before)
        assert seen is not None and seen.format_valid and not seen.encrypted and seen.weight == 0


def test_archives_created_are_normal_even_encrypted_7z(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    archive.write_bytes(S.zip_of({"a.csv": S.csv_text(), "r.jpg": S.small_jpeg()}))
    seven = tmp_path / "export.7z"
    seven.write_bytes(S.seven_zip_encrypted(300_000))
    for path in (archive, seven):
        seen = inspect(path, None)
        assert seen is not None and seen.format_valid is True
        assert not seen.encrypted and seen.weight == 0


def test_sqlite_under_heavy_update_keeps_a_valid_header(tmp_path: Path) -> None:
    path = tmp_path / "cabinet.sqlite"
    before = _baseline(path, S.sqlite_db(path))
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    for i in range(300):
        conn.execute("UPDATE rdv SET acte = ? WHERE id = ?", (os.urandom(40).hex(), i + 1))
        conn.execute("INSERT INTO rdv (patient, quand, acte) VALUES ('x', 'y', ?)", (str(i),))
        conn.commit()
    conn.close()
    seen = inspect(path, before)
    assert seen is not None and seen.format_valid is True and not seen.encrypted
    assert seen.weight == 0


def test_a_sqlite_journal_with_its_magic_zeroed_is_at_work_not_destroyed(tmp_path: Path) -> None:
    """SQLite writes a rollback journal's magic last and zeroes it to end a journal it
    keeps: the sentinel saw such journals as destroyed once the gate paused the writer
    while its journal was being written (a false alarm with a 7z written just before)."""
    db = tmp_path / "cabinet.sqlite"
    S.sqlite_db(db)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=PERSIST")
    for i in range(50):
        conn.execute("UPDATE rdv SET acte = ? WHERE id = ?", (os.urandom(40).hex(), i + 1))
        conn.commit()
    conn.close()
    journal = tmp_path / "cabinet.sqlite-journal"
    kept = journal.read_bytes()
    assert len(kept) >= 512 and not any(kept[:8])  # ended by SQLite: magic zeroed
    journal.write_bytes(b"\xd9\xd5\x05\xf9\x20\xa1\x63\xd7" + kept[8:])  # the same, at work
    before = _baseline(journal, journal.read_bytes())
    assert before.kind == "sqlite-journal"
    journal.write_bytes(kept)
    seen = inspect(journal, before)
    assert seen is not None and seen.kind_after == "sqlite-journal"
    assert seen.format_valid is True and not seen.destroyed and not seen.encrypted


def test_gzip_log_rotation_and_folder_copy_and_unpacked_software_are_normal(
    tmp_path: Path, originals: dict[str, bytes]
) -> None:
    rotated = tmp_path / "app.log.1.gz"
    rotated.write_bytes(S.gzip_log())
    copy = tmp_path / "copie"
    copy.mkdir()
    for name, data in originals.items():
        (copy / name).write_bytes(data)
    software = tmp_path / "logiciel"
    software.mkdir()
    (software / "setup.exe").write_bytes(
        b"MZ"
        + bytes(58)
        + (128).to_bytes(4, "little")
        + bytes(64)
        + b"PE\x00\x00"
        + os.urandom(30000)
    )
    (software / "data1.bin").write_bytes(os.urandom(200_000))  # compressed resources
    (software / "lisezmoi.txt").write_text("Installation du logiciel de radiologie.\n" * 50)
    for path in [rotated, *copy.iterdir(), *software.iterdir()]:
        seen = inspect(path, None)
        assert seen is not None, path
        assert not seen.encrypted and seen.weight == 0, (path.name, seen.reasons())


def test_a_jpeg_caught_half_written_is_truncated_not_destroyed(tmp_path: Path) -> None:
    data = S.big_jpeg(400_000)
    path = tmp_path / "radio.jpg"
    path.write_bytes(data[: len(data) // 3])
    seen = inspect(path, None)
    assert seen is not None
    assert seen.format_valid is True and seen.tail_valid is False
    assert not seen.destroyed and seen.weight == 0


# -- ransom notes -----------------------------------------------------------------------------

ONION = "lockbitapt2d73krlbewgv27tquljgxr33xbwwsp6rkyieto7u4ncead.onion"


@pytest.mark.parametrize(
    "name", ["README_RESTORE_FILES.txt", "HOW_TO_DECRYPT.html", "Restore-My-Files.txt"]
)
def test_ransom_notes_are_recognised_by_name_and_words(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(
        "All your files are encrypted. To decrypt them, pay 0.5 bitcoin (BTC) to our wallet.\n"
        f"Download Tor Browser and open http://{ONION}/ with your unique key.\n",
        encoding="utf-8",
    )
    seen = inspect(path, None)
    assert seen is not None and seen.ransom_note and seen.onion
    assert seen.weight >= 7


def test_a_french_note_without_telling_name_is_recognised_by_its_words(tmp_path: Path) -> None:
    path = tmp_path / "LISEZ-MOI.txt"
    path.write_text(
        "Vos fichiers sont chiffrés. Pour déchiffrer vos données, payez la rançon en bitcoin "
        "(monero accepté). Toute tentative de modifier les fichiers les détruira. Contact us.\n",
        encoding="utf-8",
    )
    seen = inspect(path, None)
    assert seen is not None and seen.ransom_note and not seen.onion


def test_an_ordinary_readme_is_not_a_note(tmp_path: Path) -> None:
    path = tmp_path / "README.txt"
    path.write_text("Logiciel d'imagerie. Pour restaurer une sauvegarde, voir le manuel.\n")
    seen = inspect(path, None)
    assert seen is not None and not seen.ransom_note and seen.weight == 0


# -- hostile, vanishing, odd files ------------------------------------------------------------


def test_vanished_folder_fifo_and_symlink_give_none_without_raising(tmp_path: Path) -> None:
    assert inspect(tmp_path / "absent.docx", None) is None
    assert inspect(tmp_path, None) is None
    target = tmp_path / "target.txt"
    target.write_text("bonjour")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    assert inspect(link, None) is None  # never followed
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "pipe"
        os.mkfifo(fifo)
        assert inspect(fifo, None) is None  # and it did not block


def test_empty_and_tiny_files_are_judged_quietly(tmp_path: Path) -> None:
    empty = tmp_path / "vide.docx"
    empty.write_bytes(b"")
    tiny = tmp_path / "~$lettre.docx"  # Word's owner file: not a zip, tiny, not dense
    tiny.write_bytes(b"\x05Alice" + bytes(50) + "Alice".encode("utf-16-le") + bytes(100))
    for path in (empty, tiny):
        seen = inspect(path, None)
        assert seen is not None and not seen.encrypted and seen.weight == 0


def test_reads_are_bounded_for_large_files(tmp_path: Path) -> None:
    path = tmp_path / "gros.dcm"
    data = S.dicom(1200)  # ~2.9 MB
    path.write_bytes(data)
    reads: list[int] = []
    original = os.pread

    def counting(fd: int, n: int, offset: int) -> bytes:
        reads.append(n)
        return original(fd, n, offset)

    os.pread = counting  # type: ignore[assignment]
    try:
        seen = inspect(path, None)
    finally:
        os.pread = original  # type: ignore[assignment]
    assert seen is not None and seen.format_valid
    assert len(data) > 40 * MAX_BYTES
    assert sum(reads) <= MAX_BYTES + 64 * 1024
    assert WHOLE < len(data)


def test_entropy_thresholds_depend_on_window_size() -> None:
    floors = [stats.random_floor(n) for n in (256, 1024, 4096, 65536)]
    assert floors == sorted(floors)  # small windows: lower bar (random bytes score lower)
    for n in (256, 1024, 4096, 65536):
        assert stats.measure(os.urandom(n)).looks_random
    assert stats.jump_margin(256) > stats.jump_margin(65536)
    text = S.csv_text()[:4096]
    assert not stats.measure(text).looks_random


def test_copy_keeps_working_when_the_file_changes_under_us(tmp_path: Path) -> None:
    src = tmp_path / "a.pdf"
    src.write_bytes(S.pdf())
    shutil.copy(src, tmp_path / "b.pdf")
    seen = inspect(tmp_path / "b.pdf", measure_file(src))
    assert seen is not None and seen.weight == 0


def test_every_reason_code_reads_as_words(tmp_path: Path) -> None:
    i18n.set_language("en")
    path = tmp_path / "HOW_TO_DECRYPT.txt.lockbit"
    path.write_bytes(S.full(S.csv_text()))
    seen = inspect(path, None)
    assert seen is not None
    codes = {*seen.reasons(), "canary", "partial", "base64", "ransom-note", "onion", "opaque-new"}
    for code in codes:
        assert describe_reason(code) != code
    assert (
        describe_reason("encrypted") == "encrypted-looking: structure destroyed and content dense"
    )
    assert describe_reason("no-such-code") == "no-such-code"


@pytest.mark.parametrize("size", [1, 255, 256, 4095, 4096, 4100, 8200, 12_300, 65_537, 90_000])
def test_any_size_is_sampled_whole_windows_and_small_remainders(tmp_path: Path, size: int) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(S.full(bytes(size)))
    entry = measure_file(path)
    seen = inspect(path, entry)
    assert entry is not None and seen is not None
    assert entry.size == size and seen.entropy == pytest.approx(entry.entropy)
    if size >= 4096:
        assert seen.windows >= 1 and seen.random_windows == seen.windows


def test_files_unlike_their_names_are_judged_as_what_they_are(tmp_path: Path) -> None:
    """A ``.xls`` that is an HTML export, a ``.jpg`` that is a PNG, a ``.doc`` in RTF, a
    ``.dcm`` without preamble: normal in a practice, never destroyed."""
    html = b"<html><body><table><tr><td>Patient</td><td>12,50</td></tr></table></body></html>\n"
    cases = {
        "export.xls": html * 200,
        "photo.jpg": S.png(),
        "courrier.doc": b"{\\rtf1\\ansi Madame, ...}" * 100,
        "radio.dcm": S.dicom_raw(),
        "fiche.dcm": S.full(bytes(30_000)),  # a vendor's own compressed format, named .dcm
    }
    for name, data in cases.items():
        path = tmp_path / name
        before = _baseline(path, data)
        path.write_bytes(data + (b"\n" if name != "radio.dcm" else b""))
        again = inspect(path, before)
        assert again is not None and not again.destroyed and again.weight == 0, name
    new = tmp_path / "nouvelle.dcm"
    new.write_bytes(S.dicom_raw(256))
    seen = inspect(new, None)
    assert seen is not None and seen.format_valid is True and seen.weight == 0
    radio = tmp_path / "radio.dcm"
    before = _baseline(radio, S.dicom_raw())
    radio.write_bytes(S.lockfile(S.dicom_raw()))
    attacked = inspect(radio, before)
    assert attacked is not None and attacked.encrypted


_NAMES = ["a.jpg", "b.png", "c.docx", "d.pdf", "e.dcm", "f.sqlite", "g.gz", "h.7z", "i.csv",
          "README_RESTORE_FILES.txt", "j.bin", "k.jpg.lockbit"]  # fmt: skip
_KINDS = [None, "jpeg", "png", "zip", "pdf", "dicom", "sqlite", "gzip", "7z", "text", "data"]
_PREFIXES = [b"", b"\xff\xd8\xff", b"PK\x03\x04", b"%PDF-", b"7z\xbc\xaf\x27\x1c",
             b"SQLite format 3\x00", b"\x89PNG\r\n\x1a\n", b"\x1f\x8b\x08",
             b"\x08\x00\x05\x00CS", bytes(128) + b"DICM"]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(
    data=st.binary(max_size=20_000),
    name=st.sampled_from(_NAMES),
    kind=st.sampled_from(_KINDS),
    prefix=st.sampled_from(_PREFIXES),
)
def test_inspect_never_raises_on_hostile_bytes(
    tmp_path_factory: pytest.TempPathFactory,
    data: bytes,
    name: str,
    kind: str | None,
    prefix: bytes,
) -> None:
    path = tmp_path_factory.mktemp("hostile") / name
    path.write_bytes(prefix + data)
    entry = None if kind is None else BaselineEntry(path, 5000, 0.0, kind, 5.0, 300.0, "3:ab:cd")
    seen = inspect(path, entry)
    assert seen is not None
    assert 0.0 <= seen.entropy <= 8.0 and seen.weight >= 0
    seen.reasons()

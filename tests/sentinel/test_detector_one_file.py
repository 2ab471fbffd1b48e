"""One file is enough when the evidence is specific: an existing structured file turned into
ciphertext by a named process, or deleted by the process that just wrote its encrypted copy.
And the normal writes that look like it — new encrypted archives, files being written,
Office, JPEG and SQLite saves, log rotation, allowed writers — never are."""

from __future__ import annotations

import gzip
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from rempart import i18n
from rempart.sentinel import Baseline, Detector, Event, ProcessAllowList, Thresholds
from rempart.sentinel import inspect as look
from rempart.sentinel.detector import SOLID_KINDS
from rempart.sentinel.signals import FileSignals
from tests.sentinel import signals_samples as S

NAMES = ("radio.jpg", "cr.docx", "fiche.csv", "facture.pdf", "schema.png", "rdv.sqlite")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "Patients"
    root.mkdir()
    (root / "radio.jpg").write_bytes(S.big_jpeg(60_000, seed=3))
    (root / "cr.docx").write_bytes(S.docx(60))
    (root / "fiche.csv").write_bytes(S.csv_text(300))
    (root / "facture.pdf").write_bytes(S.pdf(80))
    (root / "schema.png").write_bytes(S.png())
    (root / "image.dcm").write_bytes(S.dicom(128))
    S.sqlite_db(root / "rdv.sqlite", rows=2000)
    (root / "export.7z").write_bytes(S.seven_zip_encrypted(60_000))
    (root / "releve.dat").write_bytes(b"ENREG;0001;" + bytes(3000))
    return root


@pytest.fixture
def baseline(folder: Path) -> Baseline:
    b = Baseline()
    b.build([folder])
    return b


def sig(path: Path, baseline: Baseline) -> FileSignals:
    signals = look(path, baseline.get(path))
    assert signals is not None
    return signals


def feed_write(detector: Detector, path: Path, baseline: Baseline, t: float = 1.0, **kw: object):
    return detector.feed(Event(t, "close_write", path, **kw), sig(path, baseline))  # type: ignore[arg-type]


@pytest.mark.parametrize("family", sorted(S.FAMILIES))
@pytest.mark.parametrize("name", NAMES)
def test_an_existing_structured_file_turned_into_ciphertext_by_a_named_process_is_strong(
    folder: Path, baseline: Baseline, family: str, name: str
) -> None:
    i18n.set_language("en")
    path = folder / name
    assert baseline.get(path).kind in SOLID_KINDS  # type: ignore[union-attr]
    path.write_bytes(S.FAMILIES[family](path.read_bytes()))
    verdict = feed_write(Detector(), path, baseline, pid=4242, process="svchost-x.exe")
    assert verdict is not None and verdict.strong and verdict.first
    assert verdict.pid == 4242 and verdict.files == (path,)
    assert any("turned into ciphertext" in r and name in r for r in verdict.reasons)


def test_a_dicom_striped_past_its_magic_is_strong_by_its_preamble(
    folder: Path, baseline: Baseline
) -> None:
    """64 of 192 bytes spare a DICOM's ``DICM`` at offset 128, not the preamble before it."""
    dicom = folder / "image.dcm"
    dicom.write_bytes(S.blackbasta(dicom.read_bytes()))
    seen = sig(dicom, baseline)
    assert seen.kind_after == "dicom" and seen.preamble_random >= 2
    verdict = Detector().feed(Event(1.0, "close_write", dicom, pid=7), seen)
    assert verdict is not None and verdict.strong


def test_dicom_saves_are_benign_whatever_their_preamble(tmp_path: Path) -> None:
    """Saved again by the imaging software; and a vendor's random-looking preamble, new at
    every save: the file does not get denser, nothing is lost."""
    root = tmp_path / "Radios"
    root.mkdir()
    plain, vendor = root / "io-1.dcm", root / "io-2.dcm"
    image = S.dicom(128)
    plain.write_bytes(image)
    vendor.write_bytes(S.full(bytes(128)) + image[128:])
    baseline = Baseline()
    baseline.build([root])
    detector = Detector(roots=[root])
    plain.write_bytes(S.dicom(128))
    assert feed_write(detector, plain, baseline, pid=12) is None
    vendor.write_bytes(bytes(S.full(bytes(256))[128:]) + image[128:])
    seen = sig(vendor, baseline)
    assert seen.preamble_random >= 2  # random-looking, yet the same image
    assert feed_write(detector, vendor, baseline, t=1.1, pid=12) is None


def test_random_bytes_that_happen_to_start_like_another_kind_are_still_ciphertext(
    folder: Path, baseline: Baseline
) -> None:
    """One LockFile ciphertext in 65,536 begins with ``BM``: a BMP that its own check rejects."""
    path = folder / "fiche.csv"
    path.write_bytes(b"BM" + S.lockfile(path.read_bytes())[2:])
    seen = sig(path, baseline)
    assert seen.kind_after == "bmp" and seen.format_valid is False and seen.unrecognised
    verdict = Detector().feed(Event(1.0, "close_write", path, pid=13), seen)
    assert verdict is not None and verdict.strong


def test_one_file_is_not_enough_without_a_named_writer_or_from_an_allowed_one(
    folder: Path, baseline: Baseline
) -> None:
    path = folder / "fiche.csv"
    path.write_bytes(S.full(path.read_bytes()))
    assert feed_write(Detector(roots=[folder]), path, baseline) is None  # inotify: no pid
    allow = ProcessAllowList()
    for process in ("7z.exe", "sqlservr.exe"):  # cancelled, lowered to 0.2
        assert feed_write(Detector(allow=allow), path, baseline, pid=8, process=process) is None
    assert feed_write(Detector(Thresholds(one_file=False)), path, baseline, pid=8) is None


def test_an_encrypted_copy_then_the_original_deleted_by_the_same_process_is_strong(
    folder: Path, baseline: Baseline
) -> None:
    i18n.set_language("en")
    detector = Detector(roots=[folder])
    original = folder / "radio.jpg"
    copy = folder / "radio.jpg.locked"
    copy.write_bytes(S.full(original.read_bytes()))
    assert detector.feed(Event(1.0, "create", copy, pid=66), None) is None
    copied = detector.feed(Event(1.01, "close_write", copy, pid=66), look(copy, None))
    assert copied is None or not copied.strong  # a new file alone is never enough
    original.unlink()
    verdict = detector.feed(Event(1.02, "delete", original, pid=66, known="jpeg"), None)
    assert verdict is not None and verdict.strong
    assert any("replaced by its encrypted copy" in r for r in verdict.reasons)
    assert copy in verdict.files


def test_a_copy_encrypted_by_one_program_and_the_original_deleted_by_another_is_not_strong(
    folder: Path, baseline: Baseline
) -> None:
    """A person encrypts a file to send it (``gpg``), then deletes the original in the file
    manager: two programs, nothing to stop."""
    detector = Detector(roots=[folder])
    original = folder / "facture.pdf"
    copy = folder / "facture.pdf.gpg"
    copy.write_bytes(b"\x85\x02\x0c" + S.full(original.read_bytes()))
    assert detector.feed(Event(1.0, "close_write", copy, pid=70), look(copy, None)) is None
    original.unlink()
    gone = Event(5.0, "delete", original, pid=71, process="nautilus", known="pdf")
    assert detector.feed(gone, None) is None


def test_new_files_that_look_encrypted_while_written_never_make_one_file_enough(
    folder: Path, baseline: Baseline
) -> None:
    detector = Detector(roots=[folder])
    t = 1.0
    seven = S.seven_zip_encrypted(120_000)
    in_progress = seven[:6] + bytes(26) + seven[32:]  # 7-Zip fills the start header last
    archive = folder / "sauvegarde.7z"
    for content in (in_progress[:40_000], in_progress, seven):  # a 7z written by Python
        archive.write_bytes(content)
        t += 0.01
        assert detector.feed(Event(t, "write", archive, pid=80), look(archive, None)) is None
    export = folder / "export.zip"
    whole = S.zip_of({f"cr{i}.txt": S.csv_text(200 + i) for i in range(8)})
    for cut in (4096, len(whole) // 2, len(whole)):  # a zip in progress
        export.write_bytes(whole[:cut])
        t += 0.01
        assert detector.feed(Event(t, "write", export, pid=81), look(export, None)) is None
    for i in range(40):  # unpacked software: opaque resources
        blob = folder / f"res{i}.pak2"
        blob.write_bytes(S.full(bytes(30_000 + i)))
        t += 0.01
        assert detector.feed(Event(t, "close_write", blob, pid=82), look(blob, None)) is None
    # An existing encrypted archive rewritten in place (not a kind written head first).
    old = folder / "export.7z"
    old.write_bytes(in_progress)
    assert feed_write(detector, old, baseline, t=t + 1, pid=83) is None
    assert max(detector.scores().values()) < detector.thresholds.alarm


def test_saves_of_existing_files_with_a_named_writer_are_benign(
    folder: Path, baseline: Baseline
) -> None:
    detector = Detector(roots=[folder])
    t = 1.0
    # Office saves in place and through a temporary file renamed over the document.
    doc = folder / "cr.docx"
    for i in range(5):
        doc.write_bytes(S.docx(100 + i))
        t += 0.1
        assert feed_write(detector, doc, baseline, t=t, pid=90, process="WINWORD.EXE") is None
    temp = folder / "~WRL0001.tmp"
    temp.write_bytes(S.docx(200))
    temp.replace(doc)
    renamed = Event(t, "rename", temp, dest=doc, pid=90)
    assert detector.feed(renamed, look(doc, baseline.get(doc))) is None
    # X-rays saved again, seen while written (head first, then the rest).
    radio = folder / "radio.jpg"
    new = S.big_jpeg(80_000, seed=9)
    for cut in (2000, 9000, 40_000, len(new)):
        radio.write_bytes(new[:cut])
        t += 0.01
        event = Event(t, "write", radio, pid=91, process="Sidexis.exe")
        assert detector.feed(event, sig(radio, baseline)) is None
    # A JPEG our checker finds odd (its magic kept), re-saved dense: never one file enough.
    odd = b"\xff\xd8\xff\x01" + S.full(bytes(50_000))
    radio.write_bytes(odd)
    assert feed_write(detector, radio, baseline, t=t + 1, pid=92) is None
    # SQLite under heavy update: the practice software's pages rewritten many times.
    db = folder / "rdv.sqlite"
    conn = sqlite3.connect(db)
    for i in range(30):
        conn.execute("UPDATE rdv SET acte = ? WHERE id % 7 = ?", (f"HBQK{i:03d}", i % 7))
        conn.commit()
        t += 0.01
        assert feed_write(detector, db, baseline, t=t, pid=93, process="cabinet.exe") is None
    conn.close()
    # A text file saved as another valid kind; logs rotated with gzip.
    csv = folder / "fiche.csv"
    csv.write_bytes(gzip.compress(csv.read_bytes()))
    assert feed_write(detector, csv, baseline, t=t + 2, pid=94) is None
    # A data file of no known kind filled with random bytes: weighed, not enough alone.
    dat = folder / "releve.dat"
    dat.write_bytes(S.full(dat.read_bytes()))
    assert feed_write(detector, dat, baseline, t=t + 3, pid=95) is None
    assert not any(s >= detector.thresholds.alarm for a, s in detector.scores().items() if a != 95)


def test_the_rule_reads_only_specific_signals(folder: Path, baseline: Baseline) -> None:
    """Dense but valid, or destroyed but not like ciphertext: not the one-file rule."""
    path = folder / "fiche.csv"
    path.write_bytes(S.full(path.read_bytes()))
    seen = sig(path, baseline)
    assert seen.encrypted and seen.became_opaque and seen.ciphertext_like
    tame = replace(seen, random_windows=0, base64=False, random_cells=0.0, entropy=6.9)
    assert not tame.ciphertext_like
    verdict = Detector().feed(Event(1.0, "close_write", path, pid=5), tame)
    assert verdict is None or not verdict.strong
    new = replace(seen, kind_before=None)
    assert Detector().feed(Event(1.0, "close_write", path, pid=5), new) is None

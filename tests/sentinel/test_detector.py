"""The detector on real signals of real files: strong evidence acts at once, patterns of the
families add up, a normal day does not, the allow-list lowers or cancels, scores decay and
memory stays bounded."""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import pytest

from rempart import i18n
from rempart.sentinel import Baseline, Detector, Event, ProcessAllowList, Thresholds, canaries
from rempart.sentinel import inspect as look
from rempart.sentinel.signals import FileSignals
from tests.sentinel import signals_samples as S


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "Patients"
    root.mkdir()
    for i in range(6):
        (root / f"radio-{i}.jpg").write_bytes(S.big_jpeg(60_000, seed=i))
        (root / f"cr-{i}.docx").write_bytes(S.docx(40 + i))
        (root / f"fiche-{i}.csv").write_bytes(S.csv_text(100 + i))
    canaries.place(root)
    return root


@pytest.fixture
def baseline(folder: Path) -> Baseline:
    b = Baseline()
    b.build([folder])
    return b


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def sig(path: Path, baseline: Baseline, source: Path | None = None) -> FileSignals | None:
    return look(path, baseline.get(source or path))


def encrypt(path: Path) -> None:
    path.write_bytes(S.full(path.read_bytes()))


def test_a_canary_touched_is_strong_at_once_whoever_writes(
    folder: Path, baseline: Baseline
) -> None:
    i18n.set_language("en")
    detector = Detector(allow=ProcessAllowList())
    canary = folder / canaries.FIRST
    encrypt(canary)
    verdict = detector.feed(
        Event(1.0, "close_write", canary, pid=4242, process="7z.exe"), sig(canary, baseline)
    )
    assert verdict is not None and verdict.strong and verdict.first
    assert verdict.actor == 4242 and canary in verdict.files
    assert any("canary" in r for r in verdict.reasons)


def test_a_canary_deleted_or_renamed_is_strong_too(folder: Path) -> None:
    detector = Detector()
    gone = detector.feed(Event(1.0, "delete", folder / canaries.LAST, pid=7), None)
    assert gone is not None and gone.strong
    other = Detector()
    renamed = folder / (canaries.FIRST + ".basta")
    (folder / canaries.FIRST).rename(renamed)
    verdict = other.feed(
        Event(1.0, "rename", folder / canaries.FIRST, dest=renamed, pid=8), look(renamed, None)
    )
    assert verdict is not None and verdict.strong


def test_two_files_encrypted_in_place_are_strong_one_is_not_when_the_writer_is_unknown(
    folder: Path, baseline: Baseline
) -> None:
    detector = Detector(roots=[folder])  # inotify: the folder is the actor
    first, second = folder / "cr-0.docx", folder / "fiche-0.csv"
    encrypt(first)
    assert detector.feed(Event(1.0, "close_write", first), sig(first, baseline)) is None
    encrypt(second)
    verdict = detector.feed(Event(1.1, "close_write", second), sig(second, baseline))
    assert verdict is not None and verdict.strong
    assert set(verdict.files) >= {first, second}
    assert verdict.score >= 10


@pytest.mark.parametrize("family", sorted(S.FAMILIES))
def test_every_family_is_stopped_on_the_second_file(
    folder: Path, baseline: Baseline, family: str
) -> None:
    detector = Detector()
    verdicts = []
    for i, name in enumerate(["radio-1.jpg", "cr-1.docx", "fiche-1.csv"]):
        path = folder / name
        path.write_bytes(S.FAMILIES[family](path.read_bytes()))
        verdicts.append(detector.feed(Event(i, "close_write", path), sig(path, baseline)))
    assert verdicts[0] is None and verdicts[1] is not None and verdicts[1].strong
    assert verdicts[1].actor == f"folder:{folder}"


def test_write_new_then_delete_counts_the_original_as_encrypted(
    folder: Path, baseline: Baseline
) -> None:
    detector = Detector(roots=[folder])
    verdict = None
    for i, name in enumerate(["fiche-2.csv", "radio-2.jpg"]):
        original = folder / name
        copy = folder / (name + ".enc1")
        copy.write_bytes(S.full(original.read_bytes()))
        assert detector.feed(Event(i, "create", copy), None) is None
        detector.feed(Event(i + 0.01, "close_write", copy), sig(copy, baseline))
        original.unlink()
        verdict = detector.feed(Event(i + 0.02, "delete", original), None)
    assert verdict is not None and verdict.strong
    assert any("original" in r for r in verdict.reasons)  # "the original" / "l'original"


def test_renames_to_a_new_extension_add_up(folder: Path, baseline: Baseline) -> None:
    """Files encrypted and renamed to ``.xq7``: the pattern shows in the verdict; valid files
    renamed (nothing lost) do not count."""
    detector = Detector(Thresholds(strong_files=99))  # judge the rename pattern alone
    verdict = None
    for i in range(3):
        src = folder / f"radio-{i}.jpg"
        dest = src.with_suffix(".xq7")
        encrypt(src)
        src.rename(dest)
        verdict = detector.feed(
            Event(i, "rename", src, dest=dest, pid=5), sig(dest, baseline, source=src)
        )
    assert verdict is not None and verdict.score >= 10
    assert any(".xq7" in r for r in verdict.reasons)


def test_move_out_and_back_changed(folder: Path, baseline: Baseline, tmp_path: Path) -> None:
    clock = Clock()
    clock.now = 1.5
    detector = Detector(Thresholds(one_file=False), clock=clock)  # the pattern's own points
    outside = tmp_path / "dehors"
    outside.mkdir()
    path = folder / "cr-3.docx"
    shutil.move(path, outside / path.name)
    assert detector.feed(Event(1.0, "moved_from", path, pid=3), None) is None
    back = outside / path.name
    back.write_bytes(S.full(back.read_bytes()))
    shutil.move(back, path)
    verdict = detector.feed(Event(1.5, "moved_to", path, pid=3), sig(path, baseline))
    assert verdict is None  # one file: 8 points, not yet the alarm
    assert detector.scores()[3] >= 8


def test_a_ransom_note_beside_an_encrypted_file_is_strong(folder: Path, baseline: Baseline) -> None:
    detector = Detector(Thresholds(one_file=False))  # (one file by a named writer is enough)
    path = folder / "cr-4.docx"
    encrypt(path)
    assert detector.feed(Event(1.0, "close_write", path, pid=11), sig(path, baseline)) is None
    note = folder / "README_RESTORE_FILES.txt"
    note.write_text("Your files are encrypted. Pay in bitcoin to decrypt them. Tor browser.\n")
    verdict = detector.feed(Event(1.2, "close_write", note, pid=11), look(note, None))
    assert verdict is not None and verdict.strong


def test_a_normal_day_never_alarms(folder: Path, baseline: Baseline, tmp_path: Path) -> None:
    detector = Detector(allow=ProcessAllowList(), roots=[folder])
    t = 0.0
    # 200 x-rays saved by the imaging software.
    for i in range(200):
        path = folder / f"xray-{i:03d}.jpg"
        path.write_bytes(S.big_jpeg(30_000, seed=100 + i))
        t += 0.05
        assert detector.feed(Event(t, "create", path, pid=21, process="Sidexis.exe"), None) is None
        assert detector.feed(Event(t, "close_write", path, pid=21), look(path, None)) is None
    # Word saves: temp file written, original deleted, temp renamed, owner file created.
    for i in range(6):
        doc = folder / f"cr-{i}.docx"
        temp = folder / f"~WRL{i:04d}.tmp"
        owner = folder / f"~$cr-{i}.docx"
        owner.write_bytes(b"\x05Alice" + bytes(100))
        temp.write_bytes(S.docx(300 + i))
        t += 0.2
        for event, signals in (
            (Event(t, "close_write", owner, pid=22, process="WINWORD.EXE"), look(owner, None)),
            (Event(t, "close_write", temp, pid=22), look(temp, None)),
        ):
            assert detector.feed(event, signals) is None
        doc.unlink()
        assert detector.feed(Event(t, "delete", doc, pid=22), None) is None
        temp.rename(doc)
        event = Event(t, "rename", temp, dest=doc, pid=22)
        assert detector.feed(event, look(doc, baseline.get(temp))) is None
        owner.unlink()
        assert detector.feed(Event(t, "delete", owner, pid=22), None) is None
    # Exports: a zip, a password-protected 7z (by 7-Zip), a folder copy, gzip rotation.
    export = folder / "export.zip"
    export.write_bytes(S.zip_of({"a.csv": S.csv_text(), "r.jpg": S.small_jpeg()}))
    seven = folder / "export.7z"
    seven.write_bytes(S.seven_zip_encrypted(200_000))
    copy = folder / "copie"
    shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("copie", "*.7z"))
    log = folder / "app.log.1"
    log.write_text("ligne\n" * 5000)
    gz = folder / "app.log.1.gz"
    gz.write_bytes(S.gzip_log())
    t += 1
    assert detector.feed(Event(t, "close_write", export, pid=23), look(export, None)) is None
    assert (
        detector.feed(Event(t, "close_write", seven, pid=24, process="7zG.exe"), look(seven, None))
        is None
    )
    for path in sorted(copy.rglob("*")):
        if path.is_file():
            assert detector.feed(Event(t, "close_write", path, pid=25), look(path, None)) is None
    assert detector.feed(Event(t, "close_write", gz, pid=26), look(gz, None)) is None
    log.unlink()
    assert detector.feed(Event(t, "delete", log, pid=26), None) is None
    # Unpacked software: random resource files of unusual extensions.
    for i in range(30):
        blob = folder / f"res{i}.pak2"
        blob.write_bytes(S.full(bytes(50_000 + i)))
        assert detector.feed(Event(t, "close_write", blob, pid=27), look(blob, None)) is None
    assert max(detector.scores().values()) < 1


def test_the_allow_list_cancels_archivers_and_lowers_database_engines(
    folder: Path, baseline: Baseline
) -> None:
    allow = ProcessAllowList(processes=["C:/Programs/Backup/agent.exe"], folders=[])
    detector = Detector(allow=allow)
    for i, name in enumerate(["cr-5.docx", "fiche-5.csv", "radio-5.jpg"]):
        path = folder / name
        encrypt(path)
        assert (
            detector.feed(
                Event(i, "close_write", path, pid=31, process="7z.exe"), sig(path, baseline)
            )
            is None
        )
        assert (
            detector.feed(
                Event(i, "close_write", path, pid=32, process="C:/Programs/Backup/agent.exe"),
                sig(path, baseline),
            )
            is None
        )
    assert detector.scores()[31] == 0 and detector.scores()[32] == 0
    # A database engine is lowered, not cancelled: many destroyed files still add up, slowly.
    assert allow.weight(Event(0, "write", folder / "x", process="sqlservr.exe")) == pytest.approx(
        0.2
    )
    assert allow.weight(Event(0, "write", folder / "x", process="python3")) == 1.0
    by_folder = ProcessAllowList(folders=[folder / "Sauvegardes"])
    assert by_folder.weight(Event(0, "write", folder / "Sauvegardes" / "a.bin")) == 0.0
    assert by_folder.weight(Event(0, "write", folder / "a.bin")) == 1.0


def test_scores_decay_and_files_count_once(folder: Path, baseline: Baseline) -> None:
    clock = Clock()
    detector = Detector(Thresholds(one_file=False), clock=clock)
    path = folder / "fiche-4.csv"
    encrypt(path)
    signals = sig(path, baseline)
    for k in range(20):  # the same file written in many chunks
        detector.feed(Event(clock.now + k * 0.01, "write", path, pid=41), signals)
    assert detector.scores()[41] == pytest.approx(6.0, abs=0.05)
    clock.now += 60
    assert detector.scores()[41] == pytest.approx(3.0, abs=0.05)
    # A second encrypted file long after the window is not "two files at once".
    later = folder / "cr-2.docx"
    encrypt(later)
    clock.now += 700
    assert (
        detector.feed(Event(clock.now, "close_write", later, pid=41), sig(later, baseline)) is None
    )


def test_actors_are_separate_and_memory_is_bounded(folder: Path, baseline: Baseline) -> None:
    detector = Detector(Thresholds(max_actors=8, one_file=False))
    a, b = folder / "cr-0.docx", folder / "cr-1.docx"
    encrypt(a)
    encrypt(b)
    assert detector.feed(Event(1.0, "close_write", a, pid=1), sig(a, baseline)) is None
    assert detector.feed(Event(1.0, "close_write", b, pid=2), sig(b, baseline)) is None
    for pid in range(100, 200):
        detector.feed(Event(2.0, "close_write", folder / "radio-0.jpg", pid=pid), None)
    assert len(detector.scores()) == 8


def test_later_verdicts_about_an_alarmed_actor_only_add_files(
    folder: Path, baseline: Baseline
) -> None:
    detector = Detector(Thresholds(one_file=False))
    verdicts = []
    for i, name in enumerate(["cr-0.docx", "cr-1.docx", "cr-2.docx", "cr-3.docx"]):
        path = folder / name
        encrypt(path)
        verdicts.append(detector.feed(Event(i, "close_write", path, pid=9), sig(path, baseline)))
    assert verdicts[0] is None
    assert verdicts[1] is not None and verdicts[1].first
    assert verdicts[2] is not None and not verdicts[2].first
    assert len(verdicts[3].files) == 4  # type: ignore[union-attr]
    detector.reset(9)
    assert 9 not in detector.scores()


def test_copies_of_canaries_elsewhere_and_identical_rewrites_are_not_touches(
    folder: Path,
) -> None:
    detector = Detector(roots=[folder])
    sub = folder / "Archives"
    sub.mkdir()
    copy = sub / canaries.FIRST
    shutil.copy(folder / canaries.FIRST, copy)
    assert detector.feed(Event(1.0, "close_write", copy, pid=5), look(copy, None)) is None
    copy.unlink()
    assert detector.feed(Event(1.1, "delete", copy, pid=5), None) is None
    canaries.place(folder)  # intact: nothing rewritten
    same = folder / canaries.LAST
    same.write_bytes(canaries.content(canaries.LAST))  # a sync tool writing the same bytes
    assert detector.feed(Event(1.2, "close_write", same, pid=6), look(same, None)) is None
    same.write_bytes(S.full(same.read_bytes()))
    verdict = detector.feed(Event(1.3, "close_write", same, pid=6), look(same, None))
    assert verdict is not None and verdict.strong


def test_remembered_creations_and_moves_stay_bounded(folder: Path) -> None:
    from dataclasses import replace

    detector = Detector(Thresholds(max_recent=64))
    blob = folder / "res.pak2"
    blob.write_bytes(S.full(bytes(20_000)))
    seen = look(blob, None)
    assert seen is not None and seen.opaque_new
    for i in range(5000):
        path = folder / f"r{i}.pak2"
        detector.feed(Event(float(i), "close_write", path, pid=1), replace(seen, path=path))
        detector.feed(Event(float(i), "moved_from", folder / f"m{i}.jpg", pid=1), None)
    assert len(detector._created) <= 64 and len(detector._moved_out) <= 64


def test_a_rotated_log_compressed_then_deleted_is_not_the_new_then_delete_pattern(
    folder: Path,
) -> None:
    clock = Clock()
    clock.now = 6.0
    detector = Detector(roots=[folder], clock=clock)
    for i in range(6):
        log = folder / "cabinet.log.1"
        log.write_text("ligne de journal\n" * 2000)
        gz = folder / "cabinet.log.1.gz"
        lines = "".join(f"09:{n % 60:02d} {os.urandom(12).hex()}\n" for n in range(3000))
        gz.write_bytes(gzip.compress(lines.encode()))
        seen = look(gz, None)
        assert seen is not None and seen.high_entropy  # as dense as ciphertext, yet valid
        assert detector.feed(Event(i, "close_write", gz, pid=4), seen) is None
        log.unlink()
        assert detector.feed(Event(i + 0.1, "delete", log, pid=4), None) is None
        gz.rename(folder / f"cabinet.log.{i + 2}.gz")
    assert max(detector.scores().values()) == 0


def test_valid_files_renamed_to_odd_extensions_lose_nothing_and_do_not_count(
    folder: Path, baseline: Baseline
) -> None:
    clock = Clock()
    clock.now = 5.0
    detector = Detector(clock=clock)
    for i in range(5):
        src = folder / f"radio-{i}.jpg"
        dest = src.with_suffix(".xq7")
        src.rename(dest)
        event = Event(i, "rename", src, dest=dest, pid=5)
        assert detector.feed(event, sig(dest, baseline, source=src)) is None
    assert detector.scores()[5] == 0

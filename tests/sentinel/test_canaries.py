"""Canaries: real Office documents that sort first and last, recognised after a rename,
restored after a drill, removed on request."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from rempart.sentinel import canaries, inspect
from tests.sentinel import signals_samples as S


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "Patients"
    path.mkdir()
    return path


def test_canaries_are_real_documents_that_sort_first_and_last(folder: Path) -> None:
    for name in ("Dupont Élise.docx", "0001-radio.jpg", "_export.csv", "Zorro.pdf", "zz.txt"):
        (folder / name).write_bytes(b"x")
    placed = canaries.place(folder)
    assert [p.name for p in placed] == [canaries.FIRST, canaries.LAST]
    names = sorted(p.name for p in folder.iterdir())
    assert names[0] == canaries.FIRST and names[-1] == canaries.LAST
    # Case-insensitive order too (NTFS and Explorer sort without case).
    ci = sorted((p.name for p in folder.iterdir()), key=str.lower)
    assert ci[0] == canaries.FIRST and ci[-1] == canaries.LAST
    for path in placed:
        with zipfile.ZipFile(path) as archive:
            assert archive.testzip() is None
            assert "[Content_Types].xml" in archive.namelist()
        seen = inspect(path, None)
        assert seen is not None and seen.canary and seen.format_valid is True


def test_is_canary_knows_renamed_copies_and_nothing_else(folder: Path) -> None:
    assert canaries.is_canary(folder / canaries.FIRST)
    assert canaries.is_canary(folder / (canaries.FIRST + ".lockbit"))
    assert canaries.is_canary(str(folder / canaries.LAST.upper()))
    assert not canaries.is_canary(folder / "rapport.docx")
    assert not canaries.is_canary(folder / ("x" + canaries.FIRST))


def test_place_leaves_intact_canaries_alone(folder: Path) -> None:
    first = canaries.place(folder)
    stamps = [p.stat().st_mtime_ns for p in first]
    again = canaries.place(folder)
    assert [p.stat().st_mtime_ns for p in again] == stamps


def test_restore_after_an_attack_puts_everything_back(folder: Path) -> None:
    first, last = canaries.place(folder)
    good = first.read_bytes()
    last.write_bytes(S.full(last.read_bytes()))  # encrypted in place
    renamed = first.with_name(first.name + ".lockbit")
    renamed.write_bytes(S.full(first.read_bytes()))
    first.unlink()  # write-new-then-delete
    restored = canaries.restore(folder)
    assert [p.name for p in restored] == [canaries.FIRST, canaries.LAST]
    assert first.read_bytes() == good
    assert last.read_bytes() == canaries.content(canaries.LAST)
    assert not renamed.exists()


def test_remove_takes_out_canaries_and_their_copies_only(folder: Path) -> None:
    canaries.place(folder)
    (folder / (canaries.LAST + ".basta")).write_bytes(b"junk")
    mine = folder / "radio.jpg"
    mine.write_bytes(S.small_jpeg())
    canaries.remove(folder)
    assert [p.name for p in folder.iterdir()] == ["radio.jpg"]

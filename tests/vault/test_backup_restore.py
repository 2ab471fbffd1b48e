"""Back up, restore bit for bit; deduplication; the file cache; excludes; restore safety."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import BinaryIO, ClassVar

import pytest

from rempart.vault import Repository, run_backup
from rempart.vault.errors import RestoreRefused
from rempart.vault.restore import restore
from rempart.vault.sources import DirectSource
from tests.vault.conftest import reopen, restored_root, snapshot_files


def test_a_restore_gives_back_every_file_bit_for_bit(
    repo: Repository, source: Path, tmp_path: Path
) -> None:
    result = run_backup(repo, [str(source)], tags=["quotidien"])
    assert result.errors == ()
    assert result.snapshot.tags == ("quotidien",)
    target = tmp_path / "restauration"
    done = restore(reopen(Path(repo.location)), result.snapshot, target)
    assert snapshot_files(restored_root(target, source)) == snapshot_files(source)
    assert done.files == result.snapshot.stats.files
    mdf = source / "Base.mdf"
    back = restored_root(target, source) / "Base.mdf"
    assert back.stat().st_mtime_ns == mdf.stat().st_mtime_ns


def test_an_unchanged_folder_adds_almost_nothing_and_is_not_read_again(
    repo: Repository, source: Path
) -> None:
    first = run_backup(repo, [str(source)])

    class Counting(DirectSource):
        opened: ClassVar[list[str]] = []

        def open(self, path: str) -> BinaryIO:
            self.opened.append(path)
            return super().open(path)

    (source / "Compta" / "notes.txt").write_text("changé\n", encoding="utf-8")
    counting = Counting()
    second = run_backup(repo, [str(source)], source=counting)
    assert counting.opened == [str(source / "Compta" / "notes.txt")]
    assert second.snapshot.parent == first.snapshot.name
    assert second.snapshot.stats.files_unchanged == first.snapshot.stats.files - 1
    assert second.snapshot.stats.bytes_added < 8 * 1024  # one chunk, trees and an index


def test_a_copied_file_is_stored_once(repo: Repository, source: Path) -> None:
    first = run_backup(repo, [str(source)])
    for jpg in (source / "Radios" / "2026").glob("*.jpg"):
        shutil.copy(jpg, source / f"copie-{jpg.name}")
    second = run_backup(repo, [str(source)])
    copied = sum(p.stat().st_size for p in source.glob("copie-*"))
    assert copied > 300_000
    assert second.snapshot.stats.bytes_added < copied / 20
    assert first.snapshot.stats.bytes_added > copied


def test_excluded_files_are_not_saved(repo: Repository, source: Path, tmp_path: Path) -> None:
    result = run_backup(repo, [str(source)], excludes=["*.jpg", str(source / "Compta")])
    paths = [p for p, _n in repo.walk(result.snapshot.tree)]
    assert not any(p.endswith(".jpg") for p in paths)
    assert not any("/Compta" in p for p in paths)
    assert any(p.endswith("Base.mdf") for p in paths)


def test_the_repository_is_never_saved_into_itself(tmp_path: Path, source: Path) -> None:
    from tests.vault.conftest import make_repo

    repository, _ = make_repo(source / "coffre")
    result = run_backup(repository, [str(source)])
    assert not any("coffre" in p for p, _n in repository.walk(result.snapshot.tree))


def test_a_restore_never_replaces_existing_files_without_overwrite(
    repo: Repository, source: Path, tmp_path: Path
) -> None:
    snap = run_backup(repo, [str(source)]).snapshot
    target = tmp_path / "restauration"
    restore(repo, snap, target)
    notes = restored_root(target, source) / "Compta" / "notes.txt"
    notes.write_text("modifié après la restauration", encoding="utf-8")
    with pytest.raises(RestoreRefused, match="--overwrite"):
        restore(repo, snap, target)
    assert notes.read_text(encoding="utf-8") == "modifié après la restauration"
    restore(repo, snap, target, overwrite=True)
    assert notes.read_bytes() == (source / "Compta" / "notes.txt").read_bytes()


def test_a_file_that_replaces_another_is_on_disk_before_its_rename(
    repo: Repository, source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--overwrite (or --sync): each restored file is flushed before it takes its name, so a
    power cut leaves the old file or the whole new one; into a new folder the system flushes
    (as restic does), and the restore runs at the speed of decryption."""
    import os

    from rempart.vault import restore as restore_module

    snap = run_backup(repo, [str(source)]).snapshot
    files = sum(1 for p in source.rglob("*") if p.is_file() and not p.is_symlink())
    flushed: list[int] = []
    real_fsync = os.fsync

    def counting_fsync(fd: int) -> None:
        flushed.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(restore_module.os, "fsync", counting_fsync)
    target = tmp_path / "restauration"
    restore(repo, snap, target)
    assert flushed == []
    restore(repo, snap, target, overwrite=True)
    assert len(flushed) == files
    flushed.clear()
    restore(repo, snap, tmp_path / "autre", durable=True)
    assert len(flushed) == files


def test_a_restore_of_one_path_writes_only_that_path(
    repo: Repository, source: Path, tmp_path: Path
) -> None:
    snap = run_backup(repo, [str(source)]).snapshot
    target = tmp_path / "partielle"
    restore(repo, snap, target, includes=[str(source / "Compta")])
    root = restored_root(target, source)
    assert sorted(p.name for p in root.iterdir()) == ["Compta"]
    assert (root / "Compta" / "factures.csv").read_bytes() == (
        source / "Compta" / "factures.csv"
    ).read_bytes()


def test_two_folders_fit_in_one_snapshot(repo: Repository, tmp_path: Path) -> None:
    from tests.vault.conftest import fill

    a = fill(tmp_path / "a", seed=2)
    b = fill(tmp_path / "b", seed=3)
    snap = run_backup(repo, [str(a), str(b)]).snapshot
    target = tmp_path / "r"
    restore(repo, snap, target)
    assert snapshot_files(restored_root(target, a)) == snapshot_files(a)
    assert snapshot_files(restored_root(target, b)) == snapshot_files(b)


def test_the_recovery_key_opens_the_repository(repo_path: Path, source: Path) -> None:
    from tests.vault.conftest import make_repo

    repository, recovery = make_repo(repo_path)
    snap = run_backup(repository, [str(source)]).snapshot
    typed = recovery.lower().replace("-", " ")
    again = reopen(repo_path, typed)
    assert [s.name for s in again.snapshots()] == [snap.name]


def test_adding_a_folder_does_not_read_the_others_again(
    repo: Repository, source: Path, tmp_path: Path
) -> None:
    from tests.vault.conftest import fill

    run_backup(repo, [str(source)])
    extra = fill(tmp_path / "autre", seed=9)

    class Counting(DirectSource):
        opened: ClassVar[list[str]] = []

        def open(self, path: str) -> BinaryIO:
            self.opened.append(path)
            return super().open(path)

    counting = Counting()
    run_backup(repo, [str(source), str(extra)], source=counting)
    assert counting.opened and all(p.startswith(str(extra)) for p in counting.opened)

"""The backup pipeline: several files read at once, chunks as views, the permutation in
NumPy; whatever the threads do, the snapshot is the same, every byte is cut where the format
says, an unreadable file is named and left out, and a failure stops every thread."""

from __future__ import annotations

import io
import os
import random
import threading
from pathlib import Path
from typing import BinaryIO

import pytest
from fastcdc.fastcdc_cy import fastcdc_cy

from rempart.vault import Repository, run_backup
from rempart.vault import chunker as chunker_module
from rempart.vault.chunker import Chunker, ChunkerParams
from rempart.vault.errors import StorageFull
from rempart.vault.restore import restore
from rempart.vault.sources import DirectSource
from tests.vault.conftest import SMALL, reopen, restored_root, snapshot_files


def _many_files(folder: Path, seed: int) -> Path:
    """Forty files from empty to a few windows long, random and compressible, some equal."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    for i in range(40):
        size = rng.choice([0, 1, 17, 4095, 70_000, 300_001, 1_500_000, 2_700_001])
        data = rng.randbytes(size) if i % 3 else (b"patient;acte;montant\n" * size)[:size]
        (folder / f"f{i:02d}.bin").write_bytes(data)
    (folder / "copie.bin").write_bytes((folder / "f07.bin").read_bytes())
    return folder


@pytest.fixture
def small_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows of 1 MiB: the carried bytes between windows are exercised by small files."""
    monkeypatch.setattr(chunker_module, "WINDOW", 1024 * 1024)


def test_the_snapshot_is_the_same_whatever_the_number_of_threads(
    repo: Repository, tmp_path: Path, small_windows: None
) -> None:
    data = _many_files(tmp_path / "cabinet", seed=5)
    one = run_backup(repo, [str(data)], workers=1).snapshot
    many = run_backup(reopen(Path(repo.location)), [str(data)], workers=4, use_parent=False)
    # every file read again, cut and hashed by other threads in another order: same tree
    assert many.snapshot.stats.files_unchanged == 0
    assert many.snapshot.tree == one.tree
    assert many.snapshot.stats.blobs_added == 0  # every chunk and tree was already stored
    target = tmp_path / "r"
    restore(reopen(Path(repo.location)), many.snapshot, target)
    assert snapshot_files(restored_root(target, data)) == snapshot_files(data)


@pytest.mark.parametrize("size", [0, 1, 2, 3, SMALL.min_size, SMALL.min_size + 1, 3_333_333])
def test_cut_points_are_fastcdcs_on_the_permuted_bytes_across_windows(
    size: int, small_windows: None
) -> None:
    chunker = Chunker(bytes(range(32)), SMALL)
    data = random.Random(size).randbytes(size)
    seen: list[bytes] = []
    chunks = [bytes(c) for c in chunker.cdc(io.BytesIO(data), seen.append)]
    assert b"".join(seen) == data  # every byte hashed once, in order
    assert b"".join(chunks) == data
    permuted = data.translate(chunker.table)
    assert bytes(chunker.permuted(data)) == permuted  # NumPy, two bytes at a time
    expected = (
        [
            c.length
            for c in fastcdc_cy(
                permuted,
                min_size=SMALL.min_size,
                avg_size=SMALL.avg_size,
                max_size=SMALL.max_size,
            )
        ]
        if data
        else []
    )
    assert [len(c) for c in chunks] == expected


def test_the_permutation_buffer_is_reused_without_leaking_old_bytes() -> None:
    chunker = Chunker(b"k" * 32, ChunkerParams())
    big = os.urandom(3 * 1024 * 1024 + 1)
    small = os.urandom(1001)
    assert bytes(chunker.permuted(big)) == big.translate(chunker.table)
    assert bytes(chunker.permuted(small)) == small.translate(chunker.table)
    assert len(chunker.permuted(small)) == 1001
    # from an offset (the first min_size bytes of a window are never looked at)
    assert bytes(chunker.permuted(big, start=4097)[4096:]) == big[4096:].translate(chunker.table)


class _Failing(DirectSource):
    """One file cannot be opened, another fails after its first megabyte."""

    def __init__(self, refused: str, broken: str) -> None:
        self.refused = refused
        self.broken = broken

    def open(self, path: str) -> BinaryIO:
        if path == self.refused:
            raise PermissionError(13, "Permission denied")
        fh = super().open(path)
        if path != self.broken:
            return fh

        class Broken(io.RawIOBase):
            def __init__(self) -> None:
                self.done = 0

            def readable(self) -> bool:
                return True

            def seek(self, pos: int, whence: int = 0) -> int:
                return fh.seek(pos, whence)

            def readinto(self, buf: memoryview) -> int:  # type: ignore[override]
                if self.done > 1024 * 1024:
                    raise OSError(5, "Input/output error")
                n = fh.readinto(buf)  # type: ignore[attr-defined]
                self.done += n
                return n

            def close(self) -> None:
                fh.close()
                super().close()

        return Broken()  # type: ignore[return-value]


def test_unreadable_files_are_named_and_left_out_the_rest_is_saved(
    repo: Repository, tmp_path: Path, small_windows: None
) -> None:
    data = _many_files(tmp_path / "cabinet", seed=6)
    refused, broken = str(data / "f03.bin"), str(data / "f05.bin")
    (data / "f05.bin").write_bytes(os.urandom(3 * 1024 * 1024))
    result = run_backup(repo, [str(data)], source=_Failing(refused, broken))
    assert sorted(e.split(":")[0] for e in result.errors) == [refused, broken]
    assert result.snapshot.stats.errors == 2
    target = tmp_path / "r"
    restore(reopen(Path(repo.location)), result.snapshot, target)
    expected = snapshot_files(data)
    del expected["f03.bin"], expected["f05.bin"]
    assert snapshot_files(restored_root(target, data)) == expected


def _our_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("rempart-")]


def test_a_failure_mid_backup_stops_every_thread_and_keeps_the_repository(
    repo: Repository, tmp_path: Path
) -> None:
    data = _many_files(tmp_path / "cabinet", seed=7)
    first = run_backup(repo, [str(data / "f01.bin")]).snapshot
    repository = reopen(Path(repo.location))
    backend = repository.backend
    put = backend.put
    stored: list[str] = []

    def full_after_three(kind: str, name: str, raw: bytes) -> None:
        if kind == "data" and len(stored) >= 3:
            raise StorageFull("disk full (test)")
        put(kind, name, raw)
        stored.append(name)

    backend.put = full_after_three  # type: ignore[method-assign]
    with pytest.raises(StorageFull):
        run_backup(repository, [str(data)], workers=4)
    assert _our_threads() == []
    again = reopen(Path(repo.location))
    assert [s.name for s in again.snapshots()] == [first.name]
    target = tmp_path / "r"
    restore(again, first, target)
    assert (restored_root(target, data) / "f01.bin").read_bytes() == (data / "f01.bin").read_bytes()

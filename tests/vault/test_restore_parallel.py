"""The parallel restore: pieces arrive out of order from several threads, files share blobs,
more files are in flight than may stay open; still every file comes back bit for bit, is
verified before it takes its name, and a failure leaves no temporary file behind."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest

import rempart.vault.restore as restore_mod
from rempart.vault import Repository, run_backup
from rempart.vault.errors import RepositoryCorrupt
from rempart.vault.model import Node
from rempart.vault.restore import restore
from tests.vault.conftest import reopen, restored_root, snapshot_files


@pytest.fixture
def tangled(tmp_path: Path) -> Path:
    """Files that share chunks in every way: copies, a file repeating one block, a database
    whose pages repeat, many small files (more than may stay open at once)."""
    rng = random.Random(7)
    folder = tmp_path / "cabinet"
    (folder / "copies").mkdir(parents=True)
    block = rng.randbytes(300_000)
    (folder / "original.jpg").write_bytes(block + rng.randbytes(900_000))
    (folder / "copies" / "copie.jpg").write_bytes((folder / "original.jpg").read_bytes())
    (folder / "repete.bin").write_bytes(block * 6)
    page = rng.randbytes(8192)
    pages = b"".join(page if i % 3 == 0 else rng.randbytes(8192) for i in range(300))
    (folder / "Base.mdf").write_bytes(pages)
    for i in range(40):
        (folder / "petits" / f"{i % 4}").mkdir(parents=True, exist_ok=True)
        (folder / "petits" / f"{i % 4}" / f"note-{i}.txt").write_bytes(rng.randbytes(i * 999))
    return folder


@pytest.fixture
def small_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tiny reads and a tiny open-file budget, so that a small repository exercises many
    threads writing pieces of one file out of order and files written without a kept fd."""
    monkeypatch.setattr(restore_mod, "READ_BYTES", 96 * 1024)
    monkeypatch.setattr(restore_mod, "READ_GAP", 0)
    monkeypatch.setattr(restore_mod, "MAX_OPEN", 2)


def test_shared_and_repeated_chunks_restore_bit_for_bit_from_many_threads(
    repo: Repository, tangled: Path, tmp_path: Path, small_reads: None
) -> None:
    snap = run_backup(repo, [str(tangled)]).snapshot
    for workers in (1, 6):
        target = tmp_path / f"r{workers}"
        done = restore(reopen(Path(repo.location)), snap, target, workers=workers)
        assert snapshot_files(restored_root(target, tangled)) == snapshot_files(tangled)
        assert done.files == snap.stats.files
        assert done.bytes == sum(len(v) for v in snapshot_files(tangled).values())
        assert list(target.rglob(".*rempart-*")) == []


def test_a_file_that_does_not_match_its_hash_never_takes_its_name(
    repo: Repository,
    tangled: Path,
    tmp_path: Path,
    small_reads: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The hash recorded at backup time is the judge, for the part hashed in memory and the
    part read back from disk alike: a wrong hash (here forged in the tree) stops the restore
    with one clear message and leaves neither the file nor its temporary copy."""
    snap = run_backup(repo, [str(tangled)]).snapshot
    opened = reopen(Path(repo.location))
    real = opened.load_tree

    def forged(tree_id: str) -> tuple[Node, ...]:
        return tuple(
            dataclasses.replace(n, hash="0" * 64) if n.name == "repete.bin" else n
            for n in real(tree_id)
        )

    monkeypatch.setattr(opened, "load_tree", forged)
    target = tmp_path / "r"
    with pytest.raises(RepositoryCorrupt, match=r"repete\.bin"):
        restore(opened, snap, target, workers=4)
    assert not (restored_root(target, tangled) / "repete.bin").exists()
    assert list(target.rglob(".*rempart-*")) == []
    for path in target.rglob("*"):  # whatever did take its name is the saved file
        if path.is_file():
            rel = path.relative_to(restored_root(target, tangled))
            assert path.read_bytes() == (tangled / rel).read_bytes()


def test_an_altered_chunk_mid_file_stops_the_restore_without_leftovers(
    repo: Repository, tangled: Path, tmp_path: Path, small_reads: None
) -> None:
    snap = run_backup(repo, [str(tangled)]).snapshot
    repo_path = Path(repo.location)
    packs = sorted((p for p in (repo_path / "data").rglob("*") if p.is_file()), key=str)
    victim = max(packs, key=lambda p: p.stat().st_size)
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x01
    victim.chmod(0o644)
    victim.write_bytes(bytes(data))
    target = tmp_path / "r"
    with pytest.raises(RepositoryCorrupt, match="check"):
        restore(reopen(repo_path), snap, target, workers=4)
    assert list(target.rglob(".*rempart-*")) == []
    for path in target.rglob("*"):
        if path.is_file():
            rel = path.relative_to(restored_root(target, tangled))
            assert path.read_bytes() == (tangled / rel).read_bytes()

"""Fixtures of the vault's tests: a small repository (small chunks and packs, so that a few
megabytes exercise many packs and index files) and synthetic folders to save."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from rempart.vault import Repository
from rempart.vault.backends.local import LocalBackend
from rempart.vault.chunker import ChunkerParams

PASSPHRASE = "correct horse battery staple"
SMALL = ChunkerParams(min_size=16 * 1024, avg_size=64 * 1024, max_size=256 * 1024)
SMALL_PACK = 256 * 1024


def make_repo(path: Path) -> tuple[Repository, str]:
    return Repository.init(LocalBackend(path), PASSPHRASE, SMALL, pack_size=SMALL_PACK)


def reopen(path: Path, secret: str = PASSPHRASE) -> Repository:
    return Repository.open(LocalBackend(path), secret)


def fill(folder: Path, seed: int = 1, scale: int = 1) -> Path:
    """A small practice folder: random 'images', a compressible CSV, an empty file, a
    symlink, nested folders and a page-structured database file."""
    rng = random.Random(seed)
    (folder / "Radios" / "2026").mkdir(parents=True, exist_ok=True)
    (folder / "Compta").mkdir(exist_ok=True)
    for i in range(3 * scale):
        (folder / "Radios" / "2026" / f"pano-{i}.jpg").write_bytes(
            rng.randbytes(rng.randint(100_000, 600_000))
        )
    rows = "\n".join(f"{i};Dupont-{i % 97};{rng.randint(0, 9999)};EUR" for i in range(20_000))
    (folder / "Compta" / "factures.csv").write_text(rows, encoding="utf-8")
    (folder / "vide.txt").write_bytes(b"")
    (folder / "Compta" / "notes.txt").write_text("Rendez-vous à 9 h, M. Martin\n", encoding="utf-8")
    pages = bytearray()
    for p in range(256 * scale):
        pages += p.to_bytes(4, "little") + rng.randbytes(1024) + bytes(8192 - 1028)
    (folder / "Base.mdf").write_bytes(bytes(pages))
    link = folder / "raccourci"
    if not link.exists():
        os.symlink("Compta/notes.txt", link)
    return folder


def snapshot_files(folder: Path) -> dict[str, bytes]:
    """Every regular file below ``folder`` by relative path (symlinks as their target)."""
    out: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            out[rel] = b"->" + os.readlink(path).encode()
        elif path.is_file():
            out[rel] = path.read_bytes()
    return out


def restored_root(target: Path, source: Path) -> Path:
    """Where a restore puts ``source`` below ``target`` (the tree mirrors absolute paths)."""
    return target.joinpath(*source.absolute().parts[1:])


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return fill(tmp_path / "cabinet")


@pytest.fixture
def repo_path(tmp_path: Path) -> Path:
    return tmp_path / "coffre"


@pytest.fixture
def repo(repo_path: Path) -> Iterator[Repository]:
    repository, _recovery = make_repo(repo_path)
    yield repository

"""The drill's sandbox: synthetic files of a practice's real formats, and refusal of any
path that is not a sandbox the simulator created and marked."""

from __future__ import annotations

import os
import sqlite3
import tempfile
import zipfile
from pathlib import Path

import pytest

from rempart.lab import ransomware
from rempart.lab.sandbox import (
    MARKER_NAME,
    SandboxError,
    create_sandbox,
    default_parent,
    open_sandbox,
    remove_sandbox,
)


@pytest.fixture(scope="module")
def sandbox_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("drill") / "sb"
    create_sandbox(root, files=120, seed=7)
    return root


def test_a_sandbox_holds_a_practice_mix_of_valid_files(sandbox_dir: Path) -> None:
    sandbox = open_sandbox(sandbox_dir)
    manifest = sandbox.manifest()
    assert len(manifest) == 120
    kinds = {entry.kind for entry in manifest.values()}
    assert kinds == {"jpg", "dcm", "pdf", "docx", "xlsx", "csv", "txt", "db"}
    for rel, entry in manifest.items():
        content = (sandbox.data / rel).read_bytes()
        if entry.kind == "jpg":
            assert content[:2] == b"\xff\xd8" and content[-2:] == b"\xff\xd9"
        elif entry.kind == "dcm":
            assert content[128:132] == b"DICM"
        elif entry.kind == "pdf":
            assert content.startswith(b"%PDF-") and content.rstrip().endswith(b"%%EOF")
        elif entry.kind in ("docx", "xlsx"):
            with zipfile.ZipFile(sandbox.data / rel) as archive:
                assert archive.testzip() is None
        elif entry.kind == "db":
            with sqlite3.connect(sandbox.data / rel) as db:
                assert db.execute("SELECT count(*) FROM patients").fetchone()[0] == 300
            db.close()
        else:
            content.decode("utf-8")
    total = sum(entry.size for entry in manifest.values())
    assert total > 1_000_000  # a real practice folder weighs something
    assert sandbox.changed() == []


def test_the_key_and_control_files_stay_outside_the_protected_folder(sandbox_dir: Path) -> None:
    sandbox = open_sandbox(sandbox_dir)
    assert sandbox.key_path.parent == sandbox.root
    assert len(sandbox.key()) == 32
    assert sandbox.key_path.stat().st_mode & 0o077 == 0
    assert not any(p.name in (MARKER_NAME, "rempart-sandbox.key") for p in sandbox.data_files())


def test_a_file_can_be_written_again_identically(sandbox_dir: Path) -> None:
    sandbox = open_sandbox(sandbox_dir)
    manifest = sandbox.manifest()
    db = next(rel for rel, e in manifest.items() if e.kind == "db")
    dcm = next(rel for rel, e in manifest.items() if e.kind == "dcm")
    (sandbox.data / dcm).write_bytes(b"damaged")
    assert sandbox.changed() == [dcm]
    assert sandbox.regenerate(dcm) and sandbox.regenerate(db)
    assert sandbox.changed() == []


@pytest.mark.parametrize(
    "where", ["root", "home", "tmp", "unmarked", "data-dir", "missing"], ids=str
)
def test_anything_but_a_marked_sandbox_is_refused(tmp_path: Path, where: str) -> None:
    unmarked = tmp_path / "Patients"
    unmarked.mkdir()
    (unmarked / "vrai-dossier.txt").write_text("real data")
    path = {
        "root": Path("/"),
        "home": Path.home(),
        "tmp": Path(tempfile.gettempdir()),
        "unmarked": unmarked,
        "data-dir": default_parent().parent,
        "missing": tmp_path / "nowhere",
    }[where]
    with pytest.raises(SandboxError):
        open_sandbox(path)
    if path.exists():
        with pytest.raises(SandboxError):
            create_sandbox(path, files=3)  # an existing folder must be a sandbox to be renewed
    assert (unmarked / "vrai-dossier.txt").read_text() == "real data"


def test_a_copied_marker_without_its_key_is_refused(tmp_path: Path, sandbox_dir: Path) -> None:
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / MARKER_NAME).write_bytes((sandbox_dir / MARKER_NAME).read_bytes())
    with pytest.raises(SandboxError):
        open_sandbox(fake)
    (fake / "rempart-sandbox.key").write_text("00" * 32)  # a key that is not the marker's
    with pytest.raises(SandboxError):
        open_sandbox(fake)


def test_a_valid_marker_in_the_home_folder_does_not_make_it_a_sandbox(
    tmp_path: Path, sandbox_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    for name in (MARKER_NAME, "rempart-sandbox.key"):
        (home / name).write_bytes((sandbox_dir / name).read_bytes())
    (home / "Cabinet").mkdir()
    assert open_sandbox(home).root == home.resolve()  # the copy is a perfect sandbox...
    monkeypatch.setenv("HOME", str(home))
    with pytest.raises(SandboxError):
        open_sandbox(home)  # ...until it is the home folder


def test_writes_through_a_symlink_are_refused(tmp_path: Path) -> None:
    sandbox = create_sandbox(tmp_path / "sb", files=10, seed=1)
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "vrai-patient.txt"
    secret.write_text("real patient, must not change")
    (sandbox.data / "lien.txt").symlink_to(secret)
    (sandbox.data / "dossier-lien").symlink_to(outside, target_is_directory=True)
    for path in (
        sandbox.data / "lien.txt",
        sandbox.data / "dossier-lien" / "vrai-patient.txt",
        sandbox.data / ".." / ".." / "outside" / "vrai-patient.txt",
        secret,
        Path("/etc/passwd"),
    ):
        with pytest.raises(SandboxError):
            sandbox.check(path)
    assert all(not p.is_symlink() for p in sandbox.data_files())
    attack = ransomware.start_attack(sandbox, ransomware.family("overwrite"))
    assert attack.process.wait(timeout=60) == 0
    assert secret.read_text() == "real patient, must not change"
    assert len(sandbox.changed()) == 10
    ransomware.undo(sandbox)
    assert sandbox.changed() == []


def test_a_sandbox_reached_through_a_symlink_is_its_real_folder(tmp_path: Path) -> None:
    sandbox = create_sandbox(tmp_path / "sb", files=3, seed=2)
    link = tmp_path / "raccourci"
    link.symlink_to(sandbox.root, target_is_directory=True)
    assert open_sandbox(link).root == sandbox.root.resolve()
    with pytest.raises(SandboxError):
        sandbox.check(link / "Cabinet" / "x.txt")  # only the resolved path is inside


def test_renewing_and_removing_a_sandbox(tmp_path: Path) -> None:
    first = create_sandbox(tmp_path / "sb", files=5, seed=3)
    (first.data / "extra.txt").write_text("left over")
    renewed = create_sandbox(tmp_path / "sb", files=8, seed=4)
    assert renewed.id == first.id and renewed.key() == first.key()
    assert not (renewed.data / "extra.txt").exists()
    assert len(renewed.data_files()) == 8
    remove_sandbox(renewed)
    assert not (tmp_path / "sb").exists()


def test_the_default_sandbox_lives_in_the_data_dir(rempart_home: Path) -> None:
    sandbox = create_sandbox(files=2, seed=5)
    assert rempart_home in sandbox.root.parents
    assert os.access(sandbox.data, os.W_OK)

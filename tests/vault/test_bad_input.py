"""Bad input and damage: one clear line each, the repository consistent, earlier snapshots
restorable bit for bit (wrong passphrase, missing or altered pack, truncated index, full
disk, a conflicting lock, a missing repository)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rempart import i18n
from rempart.vault import Repository, run_backup
from rempart.vault.backends.local import LocalBackend
from rempart.vault.check import check
from rempart.vault.errors import (
    RepositoryCorrupt,
    RepositoryLocked,
    RepositoryNotFound,
    StorageFull,
    WrongPassphrase,
)
from rempart.vault.restore import restore
from tests.vault.conftest import PASSPHRASE, make_repo, reopen, restored_root, snapshot_files


@pytest.fixture(autouse=True)
def english() -> None:
    """These tests read the messages in English."""
    i18n.set_language("en")


def cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, str, str]:
    """The real ``rempart`` entry point in this process (a subprocess costs seconds)."""
    from rempart.cli.main import run

    monkeypatch.setattr(sys, "argv", ["rempart", "--lang", "en", *args])
    code = 0
    try:
        run()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def _packs(repo_path: Path) -> list[Path]:
    return sorted(p for p in (repo_path / "data").rglob("*") if p.is_file())


def test_a_wrong_passphrase_is_one_clear_line(
    repo: Repository,
    repo_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(WrongPassphrase):
        reopen(repo_path, "not the passphrase")
    wrong = tmp_path / "pw"
    wrong.write_text("not the passphrase\n", encoding="utf-8")
    code, _out, err = cli(
        capsys, monkeypatch, "backup", "list", "-r", str(repo_path), "--passphrase-file", str(wrong)
    )
    assert code != 0
    assert "Wrong passphrase" in one_line(err)
    assert "recovery key" in err


def test_a_missing_repository_says_how_to_create_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(RepositoryNotFound):
        Repository.open(LocalBackend(tmp_path / "nowhere"), PASSPHRASE)
    monkeypatch.setenv("REMPART_VAULT_PASSPHRASE", PASSPHRASE)
    code, _out, err = cli(capsys, monkeypatch, "backup", "list", "-r", str(tmp_path / "nowhere"))
    assert code != 0
    assert "rempart backup init" in one_line(err)


def test_a_missing_pack_is_named_by_check_and_refused_by_restore(
    repo: Repository, repo_path: Path, source: Path, tmp_path: Path
) -> None:
    snap = run_backup(repo, [str(source)]).snapshot
    victim = _packs(repo_path)[0]
    victim.unlink()
    report = check(reopen(repo_path))
    assert not report.ok
    assert any("missing" in p and victim.name[:16] in p for p in report.problems)
    with pytest.raises(RepositoryCorrupt, match="check"):
        restore(reopen(repo_path), snap, tmp_path / "r")
    # what restore did write is complete and verified; nothing half-written is left
    leftovers = [p for p in (tmp_path / "r").rglob(".*rempart-*")]
    assert leftovers == []


def test_an_altered_pack_is_found_by_read_data_and_never_restored(
    repo: Repository, repo_path: Path, source: Path, tmp_path: Path
) -> None:
    snap = run_backup(repo, [str(source)]).snapshot
    victim = max(_packs(repo_path), key=lambda p: p.stat().st_size)
    data = bytearray(victim.read_bytes())
    data[len(data) // 3] ^= 0x40
    os.chmod(victim, 0o644)
    victim.write_bytes(bytes(data))
    assert check(reopen(repo_path)).ok  # the structure is intact...
    report = check(reopen(repo_path), read_data=True)
    assert any("altered" in p for p in report.problems)  # ...the bytes are not
    with pytest.raises(RepositoryCorrupt):
        restore(reopen(repo_path), snap, tmp_path / "r")


def test_a_truncated_index_is_one_clear_error(
    repo: Repository,
    repo_path: Path,
    source: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run_backup(repo, [str(source)])
    index = next((repo_path / "index").iterdir())
    index.write_bytes(index.read_bytes()[:-10])
    with pytest.raises(RepositoryCorrupt):
        reopen(repo_path)
    monkeypatch.setenv("REMPART_VAULT_PASSPHRASE", PASSPHRASE)
    code, _out, err = cli(capsys, monkeypatch, "backup", "list", "-r", str(repo_path))
    assert code != 0
    assert "damaged" in one_line(err)
    code, _out, err = cli(capsys, monkeypatch, "backup", "check", "-r", str(repo_path))
    assert code != 0
    assert "index file" in err and "damaged" in err


def test_a_backup_waits_for_nobody_but_prune_waits_for_backups(
    repo: Repository, repo_path: Path, source: Path
) -> None:
    other = reopen(repo_path)
    other.lock(exclusive=False)  # a backup in progress elsewhere
    run_backup(repo, [str(source)])  # shared locks do not conflict
    from rempart.vault.prune import prune

    with pytest.raises(RepositoryLocked, match="in use"):
        prune(repo)
    other.unlock()
    prune(repo)


@pytest.fixture
def tiny_disk(tmp_path: Path):  # type: ignore[no-untyped-def]
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a real full disk needs root to mount a small tmpfs")
    mount = tmp_path / "usb"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_a_full_disk_stops_the_backup_and_keeps_earlier_snapshots(
    tiny_disk: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo_path = tiny_disk / "coffre"
    repository, _ = make_repo(repo_path)
    small = tmp_path / "petit"
    small.mkdir()
    (small / "ordonnance.txt").write_text("Amoxicilline 1 g\n" * 1000, encoding="utf-8")
    first = run_backup(repository, [str(small)]).snapshot
    (small / "scanner.raw").write_bytes(os.urandom(5 * 1024 * 1024))
    with pytest.raises(StorageFull):
        run_backup(reopen(repo_path), [str(small)])
    monkeypatch.setenv("REMPART_VAULT_PASSPHRASE", PASSPHRASE)
    (small / "scanner2.raw").write_bytes(os.urandom(1024 * 1024))
    code, _out, err = cli(
        capsys, monkeypatch, "backup", "run", str(small), "-r", str(repo_path), "--no-progress"
    )
    assert code != 0
    assert "full" in one_line(err)
    again = reopen(repo_path)
    assert [s.name for s in again.snapshots()] == [first.name]
    assert check(again, read_data=True).ok
    (small / "scanner.raw").unlink()
    (small / "scanner2.raw").unlink()
    target = tmp_path / "r"
    restore(again, first, target)
    assert snapshot_files(restored_root(target, small)) == snapshot_files(small)
    assert not [p for p in repo_path.rglob(".tmp-*")]


def test_init_twice_is_refused(repo: Repository, repo_path: Path) -> None:
    from rempart.vault.errors import RepositoryExists

    with pytest.raises(RepositoryExists):
        make_repo(repo_path)


def test_a_run_without_passphrase_outside_a_terminal_says_where_to_put_it(
    repo: Repository,
    repo_path: Path,
    source: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("REMPART_VAULT_PASSPHRASE", raising=False)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    code, _out, err = cli(capsys, monkeypatch, "backup", "run", str(source), "-r", str(repo_path))
    assert code != 0
    assert "--passphrase-file" in one_line(err)


def test_a_damaged_snapshot_does_not_hide_the_others(
    repo: Repository, repo_path: Path, source: Path
) -> None:
    first = run_backup(repo, [str(source)]).snapshot
    (source / "vide.txt").write_text("plus vide", encoding="utf-8")
    second = run_backup(repo, [str(source)]).snapshot
    victim = repo_path / "snapshots" / first.name
    victim.write_bytes(victim.read_bytes()[:-1])
    again = reopen(repo_path)
    assert [s.name for s in again.snapshots()] == [second.name]
    assert again.damaged_snapshots == [first.name]
    report = check(again)
    assert any(first.name[:8] in p and "damaged" in p for p in report.problems)

"""``rempart backup …`` as a user types it: init shows the recovery key once, run records
itself in the store, list/diff/restore/check/forget/prune answer in plain lines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rempart.store import Store
from rempart.store.backups import recent_runs
from rempart.store.status import backup_status
from tests.vault.conftest import fill, restored_root, snapshot_files
from tests.vault.test_bad_input import cli


def test_the_whole_cycle_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = fill(tmp_path / "cabinet")
    repo = str(tmp_path / "coffre")
    pw = tmp_path / "phrase.txt"
    pw.write_text("une phrase de passe assez longue\n", encoding="utf-8")
    common = ["-r", repo, "--passphrase-file", str(pw)]

    code, out, _err = cli(capsys, monkeypatch, "backup", "init", *common)
    assert code == 0
    recovery = re.search(r"([A-Z2-7]{4}(?:-[A-Z2-7]{4}){7})", out)
    assert recovery, out
    assert "never show it again" in out

    code, out, _err = cli(
        capsys, monkeypatch, "backup", "run", str(source), *common, "--no-progress", "--tag", "soir"
    )
    assert code == 0, _err
    assert "saved" in out
    (source / "Compta" / "nouveau.txt").write_text("facture 42\n", encoding="utf-8")
    (source / "vide.txt").unlink()
    code, out, _err = cli(
        capsys, monkeypatch, "backup", "run", str(source), *common, "--no-progress"
    )
    assert code == 0
    assert "unchanged" in out

    with Store.open() as store:
        runs = recent_runs(store)
        status = backup_status(store)
    assert [r.status for r in runs] == ["ok", "ok"]
    assert runs[0].files == runs[1].files  # one added, one removed
    assert status.last_backup_ok is True and status.repository == str(Path(repo).absolute())

    monkeypatch.setenv("COLUMNS", "250")  # a wide terminal: the table keeps each row on one line
    code, out, _err = cli(capsys, monkeypatch, "backup", "list", *common)
    assert code == 0 and "soir" in out

    code, out, _err = cli(capsys, monkeypatch, "backup", "diff", *common)
    assert code == 0
    assert re.search(r"\+ .*Compta/nouveau\.txt", out)
    assert re.search(r"- .*vide\.txt", out)
    assert "1 added, 1 removed, 0 modified" in out

    monkeypatch.chdir(tmp_path)
    code, out, _err = cli(capsys, monkeypatch, "backup", "restore", *common, "--no-progress")
    assert code == 0, _err
    restored = [p for p in tmp_path.iterdir() if p.name.startswith("restauration-")]
    assert len(restored) == 1  # a new folder, named after the snapshot
    assert snapshot_files(restored_root(restored[0], source)) == snapshot_files(source)

    code, out, _err = cli(capsys, monkeypatch, "backup", "check", *common, "--read-data")
    assert code == 0 and "No problem found" in out

    code, out, _err = cli(
        capsys, monkeypatch, "backup", "forget", *common, "--keep-last", "1", "--prune"
    )
    assert code == 0
    assert "1 snapshot(s) kept, 1 removed" in out

    # the recovery key alone opens the repository
    rec = tmp_path / "recovery.txt"
    rec.write_text(recovery.group(1), encoding="utf-8")
    code, out, _err = cli(
        capsys,
        monkeypatch,
        "backup",
        "check",
        "-r",
        repo,
        "--passphrase-file",
        str(rec),
        "--read-data",
        "--subset",
        "1/2",
    )
    assert code == 0, _err


def test_a_failed_backup_is_recorded_as_failed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = str(tmp_path / "coffre")
    monkeypatch.setenv("REMPART_VAULT_PASSPHRASE", "une phrase de passe")
    assert cli(capsys, monkeypatch, "backup", "init", "-r", repo)[0] == 0
    code, _out, err = cli(
        capsys, monkeypatch, "backup", "run", str(tmp_path / "absent"), "-r", repo, "--no-progress"
    )
    assert code != 0 and "does not exist" in err
    with Store.open() as store:
        runs = recent_runs(store)
    assert [r.status for r in runs] == ["failed"]
    assert "does not exist" in runs[0].message


def test_a_changed_passphrase_opens_and_the_old_one_no_longer_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = str(tmp_path / "coffre")
    old = tmp_path / "ancienne"
    old.write_text("ancienne phrase de passe", encoding="utf-8")
    new = tmp_path / "nouvelle"
    new.write_text("nouvelle phrase de passe", encoding="utf-8")
    code, out, _err = cli(
        capsys, monkeypatch, "backup", "init", "-r", repo, "--passphrase-file", str(old)
    )
    recovery = re.search(r"([A-Z2-7]{4}(?:-[A-Z2-7]{4}){7})", out)
    assert code == 0 and recovery
    code, out, _err = cli(
        capsys,
        monkeypatch,
        "backup",
        "change-passphrase",
        "-r",
        repo,
        "--passphrase-file",
        str(old),
        "--new-passphrase-file",
        str(new),
    )
    assert code == 0, _err
    assert (
        cli(capsys, monkeypatch, "backup", "list", "-r", repo, "--passphrase-file", str(new))[0]
        == 0
    )
    code, _out, err = cli(
        capsys, monkeypatch, "backup", "list", "-r", repo, "--passphrase-file", str(old)
    )
    assert code != 0 and "Wrong passphrase" in err
    rec = tmp_path / "secours"
    rec.write_text(recovery.group(1), encoding="utf-8")
    assert (
        cli(capsys, monkeypatch, "backup", "list", "-r", repo, "--passphrase-file", str(rec))[0]
        == 0
    )

"""Restore drills on real repositories: a sample across snapshots, a full one, a damaged pack
found and named, anomalous snapshots passed over, and the outcome in the store (read by the
audit's status)."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rempart.cli.main import app
from rempart.config import Settings, VaultSettings
from rempart.store import Store
from rempart.store.drills import recent_drills
from rempart.store.status import backup_status
from rempart.vault.backends.local import LocalBackend
from rempart.vault.backup import run_backup
from rempart.vault.drills import choose_sample, run_drill
from rempart.vault.errors import VaultError
from rempart.vault.repo import Repository

PASS = "drill passphrase 42"


def _files(root: Path, n: int, seed: int) -> None:
    rng = random.Random(seed)
    for i in range(n):
        folder = root / f"dossier-{i % 4}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{seed}-{i}.bin").write_bytes(rng.randbytes(rng.randrange(100, 40_000)))


@pytest.fixture
def practice(tmp_path: Path) -> tuple[Repository, Path, Path]:
    """A repository with three snapshots of a changing folder."""
    data = tmp_path / "cabinet"
    repo_dir = tmp_path / "repo"
    repo, _recovery = Repository.init(LocalBackend(repo_dir), PASS)
    for day in range(3):
        _files(data, 20, seed=day)
        run_backup(repo, [str(data)], workers=2)
    return repo, data, repo_dir


def _settings(repo_dir: Path) -> Settings:
    return Settings(vault=VaultSettings(repository=str(repo_dir)))


def test_a_sample_drill_restores_files_of_several_snapshots_and_records_success(
    practice: tuple[Repository, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    _repo, _data, repo_dir = practice
    scratch_parent = tmp_path / "tmp"
    scratch_parent.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch_parent))
    with Store.open() as store:
        result = run_drill(
            _settings(repo_dir), store, passphrase=PASS, full=False, rng=random.Random(7)
        )
        status = backup_status(store)
        drills = recent_drills(store)
    assert result.ok, result.detail
    assert result.kind == "sample"
    assert result.snapshots == 3
    assert result.files == 24
    assert status.last_drill_ok is True
    assert status.last_good_drill_at is not None
    assert drills[0].ok and drills[0].files == 24 and drills[0].kind == "sample"
    # The scratch folder is gone: no second copy of patient data left lying around.
    assert list(scratch_parent.iterdir()) == []


def test_the_sample_favours_the_last_snapshot_and_spreads_the_rest(
    practice: tuple[Repository, Path, Path],
) -> None:
    repo, _data, _dir = practice
    snaps = repo.snapshots()
    chosen = choose_sample(repo, snaps, snaps[-1], random.Random(1), count=10)
    assert len(chosen[snaps[-1].name]) == 5
    assert sum(len(v) for v in chosen.values()) == 10
    assert set(chosen) == {s.name for s in snaps}


def test_a_full_drill_restores_every_file_of_the_last_snapshot(
    practice: tuple[Repository, Path, Path],
) -> None:
    _repo, data, repo_dir = practice
    with Store.open() as store:
        result = run_drill(_settings(repo_dir), store, passphrase=PASS, full=True)
    assert result.ok
    assert result.kind == "full"
    assert result.files == sum(1 for p in data.rglob("*") if p.is_file())
    assert result.bytes == sum(p.stat().st_size for p in data.rglob("*") if p.is_file())


def test_the_first_drill_is_full_then_samples_until_a_month_has_passed(
    practice: tuple[Repository, Path, Path],
) -> None:
    _repo, _data, repo_dir = practice
    with Store.open() as store:
        first = run_drill(_settings(repo_dir), store, passphrase=PASS)
        second = run_drill(_settings(repo_dir), store, passphrase=PASS)
    assert (first.kind, second.kind) == ("full", "sample")


def test_a_damaged_pack_fails_the_drill_and_names_the_files(
    practice: tuple[Repository, Path, Path],
) -> None:
    _repo, _data, repo_dir = practice
    for pack in (repo_dir / "data").rglob("*"):
        if pack.is_file():
            raw = bytearray(pack.read_bytes())
            raw[len(raw) // 3] ^= 0xFF  # one flipped byte in each pack's blobs
            pack.chmod(0o644)
            pack.write_bytes(bytes(raw))
    with Store.open() as store:
        result = run_drill(_settings(repo_dir), store, passphrase=PASS, full=True)
        status = backup_status(store)
    assert not result.ok
    assert result.failures
    assert "\n" not in result.detail
    assert status.last_drill_ok is False


def test_an_anomalous_snapshot_is_passed_over(
    practice: tuple[Repository, Path, Path], tmp_path: Path
) -> None:
    from rempart.store.backups import finish_run, start_run

    repo, data, repo_dir = practice
    (data / "dossier-0" / "HOW_TO_DECRYPT.txt").write_text("pay")
    bad = run_backup(repo, [str(data)], workers=2).snapshot
    with Store.open() as store:
        run_id = start_run(store, repo.location, immutable=False)
        finish_run(
            store, run_id, status="anomalous", snapshot_id=bad.name, anomalies=["ransom note"]
        )
        result = run_drill(_settings(repo_dir), store, passphrase=PASS, full=True)
    assert result.ok
    assert result.skipped_anomalous == (bad.name,)
    assert result.snapshot_id != bad.name


def test_a_wrong_passphrase_is_recorded_as_a_failed_drill(
    practice: tuple[Repository, Path, Path],
) -> None:
    _repo, _data, repo_dir = practice
    with Store.open() as store:
        with pytest.raises(VaultError):
            run_drill(_settings(repo_dir), store, passphrase="not it", full=False)
        status = backup_status(store)
    assert status.last_drill_ok is False
    assert status.last_good_drill_at is None


def test_the_command_prints_one_line_and_json(
    practice: tuple[Repository, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from rempart import i18n

    _repo, _data, repo_dir = practice
    monkeypatch.setenv("REMPART_VAULT_PASSPHRASE", PASS)
    runner = CliRunner()
    out = runner.invoke(
        app, ["--lang", "en", "drill", "restore", "--sample", "--repo", str(repo_dir)]
    )
    assert out.exit_code == 0, out.output
    assert "bit for bit" in out.output
    out = runner.invoke(app, ["drill", "restore", "--full", "--json", "--repo", str(repo_dir)])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["ok"] is True and doc["kind"] == "full" and doc["files"] == 60
    i18n.set_language("fr")


def test_no_repository_configured_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real command, as a person runs it: one line, non-zero exit, no traceback."""
    import subprocess
    import sys

    monkeypatch.setenv("REMPART_VAULT_PASSPHRASE", PASS)
    out = subprocess.run(
        [sys.executable, "-m", "rempart", "--lang", "en", "drill", "restore"],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )
    assert out.returncode != 0
    assert "Traceback" not in out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "--repo" in lines[0], out.stderr

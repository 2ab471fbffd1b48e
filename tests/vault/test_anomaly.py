"""Anomaly detection on real snapshots of a synthetic practice folder: a normal day's changes
pass; an encryption (renamed or in place, with or without a note) is flagged, kept, and
never offered as the last clean restore point."""

from __future__ import annotations

import os
import random
import sqlite3
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from rempart.vault import anomaly
from rempart.vault.backends.local import LocalBackend
from rempart.vault.backup import run_backup
from rempart.vault.repo import Repository

PASS = "correct horse battery staple"
ONION = "lockbitapt2yfbt7lchxejug47kmqvqqxvvjpqkmevv4l3azl3gy6pyd.onion"


def _practice(root: Path, seed: int = 1) -> Path:
    """A small practice: CSV exports, letters, a SQLite agenda, X-ray-like images."""
    rng = random.Random(seed)
    data = root / "cabinet"
    (data / "compta").mkdir(parents=True)
    (data / "courriers").mkdir()
    (data / "radios").mkdir()
    for i in range(12):
        rows = "\n".join(
            f"{2026}-{m:02d}-{d:02d};Patient {rng.randrange(9999)};{rng.randrange(20, 400)},00;CB"
            for m in range(1, 13)
            for d in range(1, 29)
            for _k in range(3)
        )
        (data / "compta" / f"export-{i:02d}.csv").write_text("date;patient;montant;mode\n" + rows)
    for i in range(8):
        words = " ".join(
            rng.choice(["Madame", "soins", "devis", "rendez-vous", "dent"]) for _ in range(900)
        )
        (data / "courriers" / f"lettre-{i}.txt").write_text(words)
    db = sqlite3.connect(data / "agenda.db")
    db.execute("create table rdv (id integer primary key, patient text, quand text, acte text)")
    db.executemany(
        "insert into rdv (patient, quand, acte) values (?, ?, ?)",
        [(f"Patient {i}", f"2026-11-{i % 28 + 1:02d}", "détartrage") for i in range(3000)],
    )
    db.commit()
    db.close()
    for i in range(3):
        (data / "radios" / f"pano-{i}.jpg").write_bytes(
            b"\xff\xd8\xff\xe0" + rng.randbytes(300_000)
        )
    return data


def _encrypt(path: Path) -> bytes:
    key, nonce = os.urandom(32), os.urandom(16)
    enc = Cipher(algorithms.AES(key), modes.CTR(nonce)).encryptor()
    return enc.update(path.read_bytes()) + enc.finalize()


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    created, _recovery = Repository.init(LocalBackend(tmp_path / "repo"), PASS)
    return created


def _backup(repo: Repository, data: Path) -> tuple[str, list[anomaly.Anomaly]]:
    """A backup recorded in the store as ``rempart backup run`` records it."""
    from rempart.store import Store
    from rempart.store.backups import finish_run, start_run

    with Store.open() as store:
        run_id = start_run(store, repo.location, immutable=repo.immutable)
        result = run_backup(repo, [str(data)], workers=2)
        found = anomaly.assess_snapshot(repo, result.snapshot.name)
        finish_run(
            store,
            run_id,
            status="anomalous" if found else "ok",
            snapshot_id=result.snapshot.name,
            anomalies=[str(a) for a in found],
        )
    return result.snapshot.name, found


def test_a_normal_day_is_not_flagged(repo: Repository, tmp_path: Path) -> None:
    data = _practice(tmp_path)
    _name, first = _backup(repo, data)
    assert first == []
    # A day at the practice: appointments added, an export appended, a new X-ray, a letter.
    db = sqlite3.connect(data / "agenda.db")
    db.executemany(
        "insert into rdv (patient, quand, acte) values (?, ?, ?)",
        [(f"Nouveau {i}", "2026-12-01", "contrôle") for i in range(200)],
    )
    db.execute("update rdv set acte = 'annulé' where id % 50 = 0")
    db.commit()
    db.close()
    with (data / "compta" / "export-03.csv").open("a") as fh:
        fh.write("\n2026-12-01;Patient 1;80,00;CB" * 50)
    (data / "radios" / "pano-9.jpg").write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(400_000))
    (data / "courriers" / "lettre-9.txt").write_text("Madame, votre devis est prêt. " * 100)
    (data / "courriers" / "lettre-2.txt").unlink()
    _name, found = _backup(repo, data)
    assert found == [], [str(a) for a in found]


def test_a_first_batch_of_a_new_file_type_is_not_flagged(repo: Repository, tmp_path: Path) -> None:
    """The practice's new sensor writes DICOM files: a new extension, many files, structured."""
    data = _practice(tmp_path)
    _backup(repo, data)
    (data / "dicom").mkdir()
    for i in range(15):
        header = b"\0" * 128 + b"DICM" + b"\x02\x00\x10\x00UI" + b"1.2.840.10008.1.2.4.50 " * 40
        # 12-bit grey levels in 16-bit words, as a sensor writes them: far from random.
        pixels = b"".join(((i * 37 + k) % 4096).to_bytes(2, "little") for k in range(25_600))
        (data / "dicom" / f"img-{i:03d}.dcm").write_bytes(header + pixels)
    _name, found = _backup(repo, data)
    assert found == [], [str(a) for a in found]


def test_new_files_of_an_unknown_extension_that_look_encrypted_are_flagged(
    repo: Repository, tmp_path: Path
) -> None:
    """Ransomware that writes encrypted copies under new names and deletes the originals."""
    data = _practice(tmp_path)
    _backup(repo, data)
    for i, path in enumerate(sorted(data.rglob("*.csv"))):
        (data / "compta" / f"{i:08x}.qz7v").write_bytes(_encrypt(path))
        path.unlink()
    _name, found = _backup(repo, data)
    assert "new_extension" in {a.kind for a in found}, [str(a) for a in found]


def test_encryption_with_renames_and_a_note_is_flagged_every_way(
    repo: Repository, tmp_path: Path
) -> None:
    data = _practice(tmp_path)
    clean, _ = _backup(repo, data)
    for path in [*data.rglob("*.csv"), *data.rglob("*.txt"), data / "agenda.db"]:
        encrypted = _encrypt(path)
        path.unlink()
        path.with_name(path.name + ".lockbit").write_bytes(encrypted)
    (data / "compta" / "Restore-My-Files.txt").write_text(
        f"Your files are encrypted. Visit http://{ONION} to pay.\n"
    )
    name, found = _backup(repo, data)
    kinds = {a.kind for a in found}
    assert {"ransom_note", "onion", "renamed", "new_extension", "compression"} <= kinds, kinds
    assert all("\n" not in str(a) for a in found)

    flags = anomaly.flagged(repo)
    assert name in flags and clean not in flags
    best, skipped = anomaly.latest_clean(repo)
    assert best.name == clean
    assert [s.name for s in skipped] == [name]
    assert (tmp_path / "repo" / "snapshots" / name).is_file()  # flagged, kept


def test_encryption_in_place_is_seen_by_entropy_and_compression(
    repo: Repository, tmp_path: Path
) -> None:
    data = _practice(tmp_path)
    _backup(repo, data)
    for path in [*data.rglob("*.csv"), *data.rglob("*.txt"), data / "agenda.db"]:
        path.write_bytes(_encrypt(path))  # same names: only the content betrays it
    _name, found = _backup(repo, data)
    kinds = {a.kind for a in found}
    assert {"entropy", "compression"} <= kinds, [str(a) for a in found]


def test_a_first_backup_with_a_note_is_flagged_and_has_no_clean_point(
    repo: Repository, tmp_path: Path
) -> None:
    from rempart import i18n
    from rempart.vault.errors import VaultError

    i18n.set_language("en")
    data = _practice(tmp_path)
    (data / "HOW_TO_DECRYPT.html").write_text("<p>All your files are encrypted</p>")
    _name, found = _backup(repo, data)
    assert [a.kind for a in found] == ["ransom_note"]
    with pytest.raises(VaultError, match="anomal"):
        anomaly.latest_clean(repo)


@pytest.mark.skipif(
    not anomaly.markers_supported(), reason="the repository format has no 'anomalies' kind yet"
)
def test_the_marker_in_the_repository_flags_the_snapshot_without_the_store(
    repo: Repository, tmp_path: Path
) -> None:
    """Another PC (another store) reading the repository still sees the flag."""
    data = _practice(tmp_path)
    run_backup(repo, [str(data)], workers=2)
    (data / "compta" / "DECRYPT-FILES.txt").write_text(f"http://{ONION}")
    bad = run_backup(repo, [str(data)], workers=2).snapshot
    found = anomaly.assess_snapshot(repo, bad.name)
    assert found
    assert set(anomaly.flagged(repo)) == {bad.name}
    assert any(p.name == bad.name for p in (tmp_path / "repo").rglob("*"))


def test_entropy_is_measured_in_bits_per_byte() -> None:
    assert anomaly.entropy(b"") == 0.0
    assert anomaly.entropy(b"a" * 1000) == 0.0
    assert anomaly.entropy(bytes(range(256)) * 64) == pytest.approx(8.0)
    assert anomaly.entropy(os.urandom(65536)) > 7.99
    assert anomaly.entropy(("Madame, votre devis " * 1000).encode()) < 4.5


def test_the_store_records_the_run_as_anomalous(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the CLI: ``backup run`` flags the run in the store, and the audit's status
    reader sees the last backup as anomalous."""
    from typer.testing import CliRunner

    from rempart.cli.main import app
    from rempart.store import Store
    from rempart.store.status import backup_status

    monkeypatch.setenv("REMPART_VAULT_PASSPHRASE", PASS)
    data = _practice(tmp_path)
    repo_dir = tmp_path / "repo-cli"
    runner = CliRunner()
    assert runner.invoke(app, ["backup", "init", "--repo", str(repo_dir)]).exit_code == 0
    ok = runner.invoke(app, ["backup", "run", str(data), "--repo", str(repo_dir), "--no-progress"])
    assert ok.exit_code == 0, ok.output
    for path in data.rglob("*.csv"):
        path.with_name(path.name + ".akira").write_bytes(_encrypt(path))
        path.unlink()
    bad = runner.invoke(app, ["backup", "run", str(data), "--repo", str(repo_dir), "--no-progress"])
    assert bad.exit_code == 0, bad.output
    with Store.open() as store:
        status = backup_status(store)
    assert status.last_backup_anomalous

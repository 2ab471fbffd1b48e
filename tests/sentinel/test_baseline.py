"""The baseline: built once with progress, kept in the store, reused on restart, updated on
change, bounded in memory, and never lost in links, loops or unreadable corners."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

from rempart.sentinel import Baseline, canaries, inspect, measure_file
from rempart.store import Store
from rempart.store import sentinel_baseline as stored
from tests.sentinel import signals_samples as S


@pytest.fixture
def practice(tmp_path: Path) -> Path:
    root = tmp_path / "Cabinet"
    (root / "Radios").mkdir(parents=True)
    (root / "Courriers").mkdir()
    (root / "Radios" / "radio-1.jpg").write_bytes(S.small_jpeg())
    (root / "Radios" / "scan.png").write_bytes(S.png())
    (root / "Radios" / "ct.dcm").write_bytes(S.dicom(64))
    (root / "Courriers" / "cr.docx").write_bytes(S.docx())
    (root / "Courriers" / "facture.pdf").write_bytes(S.pdf())
    (root / "patients.csv").write_bytes(S.csv_text(500))
    records = (struct.pack("<IH", i, i * 7 % 65536) + f"Dupont{i:04d}".encode() for i in range(600))
    (root / "fiche.dat").write_bytes(b"".join(records))  # a practice program's own records
    canaries.place(root)
    return root


def test_build_indexes_every_file_with_its_kind_and_reports_progress(
    practice: Path,
) -> None:
    calls: list[tuple[int, int]] = []
    with Store.open() as store:
        baseline = Baseline(store)
        report = baseline.build(
            [practice], progress=lambda done, total: calls.append((done, total))
        )
        assert report.files == 7 and report.computed == 7 and report.reused == 0
        assert calls[-1] == (7, 7) and [d for d, _ in calls] == list(range(1, 8))
        kinds = {e.path.name: e.kind for e in baseline.entries()}
        assert kinds == {
            "radio-1.jpg": "jpeg",
            "scan.png": "png",
            "ct.dcm": "dicom",
            "cr.docx": "zip",
            "facture.pdf": "pdf",
            "patients.csv": "text",
            "fiche.dat": "data",
        }
        fiche = baseline.get(practice / "fiche.dat")
        assert fiche is not None and fiche.fuzzy  # no structure checker: similarity hash kept
        assert baseline.get(practice / "Radios" / "radio-1.jpg").fuzzy is None  # type: ignore[union-attr]
        assert stored.count(store, str(practice)) == 7


def test_a_restart_reuses_what_did_not_change_and_forgets_what_is_gone(practice: Path) -> None:
    with Store.open() as store:
        Baseline(store).build([practice])
    (practice / "patients.csv").write_bytes(S.csv_text(900))
    os.utime(practice / "patients.csv", (1e9, 1e9))
    (practice / "Courriers" / "facture.pdf").unlink()
    (practice / "Courriers" / "nouveau.txt").write_text("Rendez-vous à 9 h.\n")
    with Store.open() as store:
        baseline = Baseline(store)
        report = baseline.build([practice])
        assert (report.computed, report.reused, report.removed) == (2, 5, 1)
        assert baseline.get(practice / "Courriers" / "facture.pdf") is None
        csv = baseline.get(practice / "patients.csv")
        assert csv is not None and csv.mtime == 1e9 and csv.size == len(S.csv_text(900))


def test_load_without_reading_then_entries_come_from_the_store(practice: Path) -> None:
    with Store.open() as store:
        Baseline(store).build([practice])
    with Store.open() as store:
        baseline = Baseline(store, cache_size=2)
        assert baseline.load([practice]) == 7
        for _ in range(2):
            for path in sorted(practice.rglob("*.*")):
                if path.is_file() and not canaries.is_canary(path):
                    assert baseline.get(path) is not None, path
        assert len(baseline._cache) <= 16  # bounded (minimum 16)


def test_update_rename_and_remove_follow_benign_changes(practice: Path) -> None:
    with Store.open() as store:
        baseline = Baseline(store, batch=2)
        baseline.build([practice])
        doc = practice / "Courriers" / "cr.docx"
        doc.write_bytes(S.docx(600))
        entry = baseline.update(doc)
        assert entry is not None and entry.size == len(S.docx(600))
        moved = practice / "Courriers" / "cr-2026.docx"
        doc.rename(moved)
        baseline.rename(doc, moved)
        baseline.remove(practice / "fiche.dat")
        baseline.save()
    with Store.open() as store:
        again = Baseline(store)
        again.load([practice])
        assert again.get(doc) is None and again.get(practice / "fiche.dat") is None
        kept = again.get(moved)
        assert kept is not None and kept.size == len(S.docx(600)) and kept.kind == "zip"


def test_signals_compare_with_the_baseline_of_the_same_sampling(practice: Path) -> None:
    baseline = Baseline()
    baseline.build([practice])
    csv = practice / "patients.csv"
    unchanged = inspect(csv, baseline.get(csv))
    assert unchanged is not None and abs(unchanged.entropy_jump or 0) < 1e-9
    csv.write_bytes(S.lockfile(csv.read_bytes()))
    seen = inspect(csv, baseline.get(csv))
    assert seen is not None and seen.encrypted


def test_links_loops_and_unreadable_corners_are_skipped(practice: Path, tmp_path: Path) -> None:
    outside = tmp_path / "ailleurs"
    outside.mkdir()
    (outside / "secret.txt").write_text("hors du dossier protégé")
    (practice / "lien-dehors").symlink_to(outside)
    (practice / "Radios" / "boucle").symlink_to(practice)
    (practice / "lien.txt").symlink_to(outside / "secret.txt")
    if hasattr(os, "mkfifo"):
        os.mkfifo(practice / "tube")
    baseline = Baseline()
    report = baseline.build([practice])
    names = {e.path.name for e in baseline.entries()}
    assert "secret.txt" not in names and "lien.txt" not in names and "tube" not in names
    assert report.files == 7
    assert all(practice in e.path.parents for e in baseline.entries())


def test_memory_mode_forgets_removed_files_on_rebuild(practice: Path) -> None:
    baseline = Baseline()
    baseline.build([practice])
    (practice / "fiche.dat").unlink()
    report = baseline.build([practice])
    assert report.removed == 1 and report.reused == 6 and len(baseline) == 6


def test_learning_from_signals_matches_a_fresh_measure(practice: Path) -> None:
    baseline = Baseline()
    baseline.build([practice])
    for path in (practice / "Courriers" / "cr.docx", practice / "patients.csv"):
        path.write_bytes(path.read_bytes() + b"\n" if path.suffix == ".csv" else S.docx(90))
        seen = inspect(path, baseline.get(path))
        assert seen is not None and seen.weight == 0
        learned = baseline.learn(seen)
        fresh = measure_file(path)
        assert fresh is not None
        assert (learned.size, learned.kind, learned.entropy, learned.chi2) == (
            fresh.size,
            fresh.kind,
            fresh.entropy,
            fresh.chi2,
        )
        assert baseline.get(path) == learned


def test_unrecognised_files_keep_a_similarity_hash_that_encryption_breaks(practice: Path) -> None:
    baseline = Baseline()
    baseline.build([practice])
    fiche = practice / "fiche.dat"
    entry = baseline.get(fiche)
    assert entry is not None and entry.kind == "data" and entry.fuzzy
    fiche.write_bytes(S.full(fiche.read_bytes()))
    seen = inspect(fiche, entry)
    assert seen is not None and seen.similarity is not None and seen.similarity < 20
    assert seen.encrypted
    # Sparse or repetitive bytes get no hash (it would say nothing and cost much).
    sparse = practice / "zeros.dat"
    sparse.write_bytes(bytes(50_000))
    assert measure_file(sparse).fuzzy is None  # type: ignore[union-attr]

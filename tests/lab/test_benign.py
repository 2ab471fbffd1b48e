"""A normal day's workloads really write what the programs they imitate write (valid
archives, images, documents, databases) — and, with the sentinel watching, raise no alarm."""

from __future__ import annotations

import gzip
import sqlite3
import zipfile
from pathlib import Path

import py7zr
import pytest

from rempart.config import AlertSettings
from rempart.lab import benign
from rempart.lab.sandbox import Sandbox, create_sandbox


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> tuple[Sandbox, list[benign.WorkloadRun]]:
    sandbox = create_sandbox(tmp_path_factory.mktemp("benign") / "sb", files=100, seed=21)
    return sandbox, benign.run_suite(sandbox)


def test_every_workload_finishes_in_its_own_process(
    day: tuple[Sandbox, list[benign.WorkloadRun]],
) -> None:
    _sandbox, runs = day
    assert [r.name for r in runs] == list(benign.WORKLOAD_NAMES)
    assert all(r.returncode == 0 for r in runs), [(r.name, r.stderr) for r in runs]
    assert len({r.pid for r in runs}) == len(runs)


def test_archives_are_valid_and_the_7z_needs_its_password(
    day: tuple[Sandbox, list[benign.WorkloadRun]],
) -> None:
    sandbox, _runs = day
    (archive,) = (sandbox.data / "Exports").glob("*.zip")
    with zipfile.ZipFile(archive) as z:
        assert z.testzip() is None and len(z.namelist()) >= 2
    (seven,) = (sandbox.data / "Exports").glob("*.7z")
    assert seven.read_bytes()[:6] == b"7z\xbc\xaf\x27\x1c"
    with pytest.raises(py7zr.exceptions.PasswordRequired):
        py7zr.SevenZipFile(seven).getnames()  # encrypted headers: names hidden too
    with py7zr.SevenZipFile(seven, password=benign.PASSWORD) as z:
        assert len(z.getnames()) >= 2


def test_two_hundred_valid_jpeg_xrays_are_saved(
    day: tuple[Sandbox, list[benign.WorkloadRun]],
) -> None:
    sandbox, _runs = day
    images = list(sandbox.data.glob("Radiographies/Import */IMG*.jpg"))
    assert len(images) == 200
    for image in images[:20]:
        data = image.read_bytes()
        assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9"


def test_office_documents_are_saved_valid_and_no_temporary_file_is_left(
    day: tuple[Sandbox, list[benign.WorkloadRun]],
) -> None:
    sandbox, _runs = day
    documents = [p for p in sandbox.data_files() if p.suffix in (".docx", ".xlsx")]
    assert documents
    changed = set(sandbox.changed())
    assert any(p.relative_to(sandbox.data).as_posix() in changed for p in documents)
    for document in documents:
        with zipfile.ZipFile(document) as z:
            assert z.testzip() is None
    leftovers = [
        p.name
        for p in sandbox.data.rglob("*")
        if p.name.startswith(("~", ".~lock", "lu")) or p.suffix == ".tmp"
    ]
    assert leftovers == []


def test_database_copy_unpack_and_log_rotation(
    day: tuple[Sandbox, list[benign.WorkloadRun]],
) -> None:
    sandbox, _runs = day
    (db,) = sandbox.data.glob("Logiciel/*.db")
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM journal_benin").fetchone()[0] == 3000
    conn.close()
    (copy,) = sandbox.data.glob("Factures/* - Copie *")
    original = copy.parent / copy.name.split(" - Copie")[0]
    assert sorted(p.name for p in copy.iterdir()) == sorted(p.name for p in original.iterdir())
    unpacked = next(p for p in sandbox.data.glob("Logiciel/Mises a jour/*") if p.is_dir())
    assert (unpacked / "Programme" / "cabinet.exe").read_bytes()[:2] == b"MZ"
    logs = sandbox.data / "Logiciel" / "logs"
    rotated = sorted(logs.glob("cabinet.log.*.gz"))
    assert len(rotated) == 5
    assert b"ouverture dossier" in gzip.decompress(rotated[0].read_bytes())
    assert (logs / "cabinet.log").stat().st_size == 0


def test_a_workload_cannot_write_outside_its_sandbox(tmp_path: Path) -> None:
    sandbox = create_sandbox(tmp_path / "sb", files=10, seed=22)
    outside = tmp_path / "outside"
    outside.mkdir()
    (sandbox.data / "Exports").symlink_to(outside, target_is_directory=True)
    run = benign.run_workload(sandbox, "zip")
    assert run.returncode == 2 and str(sandbox.data / "Exports") in run.stderr
    assert list(outside.iterdir()) == []


def test_a_normal_day_raises_no_alarm(tmp_path: Path) -> None:
    from rempart.sentinel.service import Sentinel

    sandbox = create_sandbox(tmp_path / "sb", files=100, seed=23)
    sentinel = Sentinel([sandbox.data], drill=True, alerts=AlertSettings(desktop=False))
    sentinel.start()
    try:
        results = benign.run_benign_drill(sandbox, sentinel)
    finally:
        sentinel.stop()
    assert [r.name for r in results] == list(benign.WORKLOAD_NAMES)
    assert all(r.ok for r in results), [(r.name, r.error) for r in results]
    assert {r.name: r.reasons for r in results if r.alarms} == {}
    assert sentinel.incidents == []

"""A practice-management database changes a few pages a day: the incremental backup must
store about those pages, not the whole file again (page-aligned chunks, section 3.2)."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

from rempart.vault import Repository, run_backup
from rempart.vault.backends.local import LocalBackend
from rempart.vault.chunker import ChunkerParams, database_page_size

PAGE = 8192


def _rewrite_pages(path: Path, rng: random.Random, share: float) -> int:
    pages = path.stat().st_size // PAGE
    chosen = rng.sample(range(pages), max(1, int(pages * share)))
    with path.open("r+b") as fh:
        for page in chosen:
            fh.seek(page * PAGE + 100)
            fh.write(rng.randbytes(200))
    return len(chosen)


def _database(path: Path, rng: random.Random, pages: int) -> None:
    with path.open("wb") as fh:
        for p in range(pages):
            fh.write(p.to_bytes(8, "little") + rng.randbytes(3000) + bytes(PAGE - 3008))


def test_one_percent_of_pages_changed_costs_about_one_percent(tmp_path: Path) -> None:
    # ordinary-size chunks (the defaults), as in production
    repo, _ = Repository.init(LocalBackend(tmp_path / "coffre"), "pw", ChunkerParams())
    rng = random.Random(5)
    folder = tmp_path / "Logiciel"
    folder.mkdir()
    db = folder / "CABINET.MDF"  # SQL Server data file: detected by extension
    _database(db, rng, pages=4096)  # 32 MiB
    blob = folder / "export.bin"  # the same kind of content, not a database
    blob.write_bytes(db.read_bytes())
    run_backup(repo, [str(folder)], excludes=["export.bin"])
    changed = _rewrite_pages(db, rng, 0.01)
    second = run_backup(repo, [str(folder)], excludes=["export.bin"])
    changed_bytes = changed * PAGE
    assert second.snapshot.stats.bytes_added < 4 * changed_bytes  # 2-page chunks + overhead
    # without page-aligned chunks, the same change would store far more
    other, _ = Repository.init(LocalBackend(tmp_path / "autre"), "pw", ChunkerParams())
    run_backup(other, [str(folder)], excludes=["CABINET.MDF"])
    blob.write_bytes(db.read_bytes())
    cdc = run_backup(other, [str(folder)], excludes=["CABINET.MDF"])
    assert cdc.snapshot.stats.bytes_added > 10 * second.snapshot.stats.bytes_added


def test_database_files_are_recognised_by_header_extension_or_setting(tmp_path: Path) -> None:
    sqlite_path = tmp_path / "agenda.data"
    con = sqlite3.connect(sqlite_path)
    con.execute("PRAGMA page_size = 4096")
    con.execute("CREATE TABLE rdv (id INTEGER, patient TEXT)")
    con.commit()
    con.close()
    head = sqlite_path.read_bytes()[:100]
    assert database_page_size(sqlite_path, head, (), PAGE) == 4096  # from the SQLite header
    for name in ("GESTION.FDB", "patients.fic", "dossier.ndx", "base.ldf", "sqlany.db"):
        assert database_page_size(Path(name), b"", (), PAGE) == PAGE
    assert (
        database_page_size(Path("C:/Logiciel/data.dat"), b"", ("*/Logiciel/*.dat",), 4096) == 4096
    )
    assert database_page_size(Path("photo.jpg"), b"\xff\xd8\xff", ("*.dat",), PAGE) is None

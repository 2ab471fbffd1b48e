"""The knowledge store: absent until a first import, replaced whole by each import, and left
exactly as it was by an import that fails or is interrupted."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from rempart import config, i18n
from rempart.core.errors import DataError
from rempart.vulns.importing import import_path
from rempart.vulns.store import FILENAME, KnowledgeBase, KnowledgeWriter
from tests.support import shared_data


@pytest.fixture(autouse=True)
def english() -> None:
    """Messages are asserted in English (the msgids); French is the catalogue's business."""
    i18n.set_language("en")


def _leftovers() -> list[str]:
    """Files beside the store other than itself and its (permanent, empty) lock file."""
    keep = (FILENAME, FILENAME + ".lock")
    return sorted(p.name for p in config.data_dir().iterdir() if p.name not in keep)


def test_nothing_imported_means_no_knowledge() -> None:
    assert KnowledgeBase.open() is None


def test_store_lives_in_the_data_dir_and_can_be_elsewhere(tmp_path: Path) -> None:
    import_path(shared_data("kev-2025-08-25.json"))
    assert (config.data_dir() / FILENAME).is_file()
    other = tmp_path / "other.db"
    import_path(shared_data("nvd", "records", "CVE-2024-6387.json"), db_path=other)
    kb = KnowledgeBase.open(other)
    assert kb is not None
    with kb:
        assert kb.stats()["cves"] == 1
        assert kb.stats()["kev"] == 0  # the default store was not touched


def test_feeds_accumulate_across_imports() -> None:
    import_path(shared_data("kev-2025-08-25.json"))
    import_path(shared_data("nvd", "nvdcve-2.0-sample.json"))
    kb = KnowledgeBase.open()
    assert kb is not None
    with kb:
        stats = kb.stats()
        assert (stats["kev"], stats["cves"]) == (1404, 35)
        assert set(stats["feeds"]) == {"kev", "nvd"}


def test_interrupted_import_leaves_the_store_and_no_temporary_file() -> None:
    import_path(shared_data("kev-2025-08-25.json"))
    before = (config.data_dir() / FILENAME).read_bytes()

    class Interrupted(Exception):
        pass

    def stop_halfway(done: int, total: int) -> None:
        if done > total // 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        import_path(shared_data("nvd", "nvdcve-2.0-sample.json"), progress=stop_halfway)
    assert (config.data_dir() / FILENAME).read_bytes() == before
    assert _leftovers() == []
    kb = KnowledgeBase.open()
    assert kb is not None
    with kb:
        assert kb.stats()["cves"] == 0
        assert kb.kev("CVE-2021-41773") is not None


def test_reader_opened_before_an_import_keeps_answering() -> None:
    import_path(shared_data("nvd", "records", "CVE-2018-15473.json"))
    kb = KnowledgeBase.open()
    assert kb is not None
    with kb:
        import_path(shared_data("kev-2025-08-25.json"))
        assert kb.cve("CVE-2018-15473") is not None
    fresh = KnowledgeBase.open()
    assert fresh is not None
    with fresh:
        assert fresh.kev("CVE-2021-41773") is not None


def test_damaged_store_gives_a_clear_error_and_a_new_import_repairs_it() -> None:
    path = config.data_dir() / FILENAME
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(DataError, match="cannot be read"):
        KnowledgeBase.open()
    import_path(shared_data("kev-2025-08-25.json"))
    kb = KnowledgeBase.open()
    assert kb is not None
    with kb:
        assert kb.stats()["kev"] == 1404


def test_store_of_another_schema_version_is_refused() -> None:
    import_path(shared_data("kev-2025-08-25.json"))
    path = config.data_dir() / FILENAME
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    db.close()
    with pytest.raises(DataError, match="another version"):
        KnowledgeBase.open()


def test_writer_without_commit_changes_nothing() -> None:
    import_path(shared_data("kev-2025-08-25.json"))
    with KnowledgeWriter() as writer:
        writer.db.execute("DELETE FROM kev")
    kb = KnowledgeBase.open()
    assert kb is not None
    with kb:
        assert kb.stats()["kev"] == 1404
    assert _leftovers() == []


def test_second_import_while_one_runs_is_refused_clearly() -> None:
    with KnowledgeWriter():
        with pytest.raises(DataError, match="Another import"):
            import_path(shared_data("kev-2025-08-25.json"))
    assert import_path(shared_data("kev-2025-08-25.json")).kev == 1404

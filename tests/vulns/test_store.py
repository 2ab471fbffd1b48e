"""The knowledge store: absent until a first import, replaced whole by each import, and left
exactly as it was by an import that fails or is interrupted."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

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


def test_applicable_gives_the_same_rows_as_checking_every_candidate(tmp_path: Path) -> None:
    from rempart.vulns.feeds.cpe import cpe_match_applies

    import_path(shared_data("nvd", "nvdcve-2.0-sample.json"))
    products = [
        ("openbsd", "openssh"),
        ("apache", "http_server"),
        ("qnap", "hybrid_backup_sync"),
        ("fortinet", "fortios"),
        ("microsoft", "windows_10"),
        ("openssl", "openssl"),
        ("citrix", "netscaler_gateway"),
    ]
    versions = [
        "", "1.0", "2.4.49", "2.4.50", "2.4.48", "7.4", "7.4p1", "8.5p1", "9.2p1", "9.8", "6.0.4",
        "7.0.11", "7.2.4", "1.0.1i", "0.9.8", "16.0.0418", "3.0.210411", "13.1-49.13", "1607",
        "10.0.19041", "4.3.6.1446 build 20210428", "5.0.0",
    ]  # fmt: skip
    kb = KnowledgeBase.open()
    assert kb is not None
    with kb:
        checked = 0
        for vendor, product in products:
            rows = kb.candidates(vendor, product)
            assert rows, (vendor, product)
            for version in versions:
                slow = {r for r in rows if cpe_match_applies(r, version)}
                fast = set(kb.applicable(vendor, product, version))
                assert fast == slow, (vendor, product, version)
                ids = kb.applicable_ids(vendor, product, version)
                assert ids == list(
                    dict.fromkeys(r.cve_id for r in kb.applicable(vendor, product, version))
                )
                checked += len(slow)
        assert checked > 50  # the comparison saw real matches, not only empty sets


def test_applicable_agrees_on_many_generated_ranges(tmp_path: Path) -> None:
    import json
    import random

    from rempart.vulns.feeds.cpe import cpe_match_applies

    rng = random.Random(7)

    def version() -> str:
        # up to five numbers: the store's keys keep three, the comparator decides the rest
        return ".".join(str(rng.randrange(0, 12)) for _ in range(rng.randrange(1, 6)))

    records = []
    for n in range(300):
        match: dict[str, object] = {
            "vulnerable": rng.random() < 0.9,
            "criteria": "cpe:2.3:a:acme:pacs:*:*:*:*:*:*:*:*",
        }
        low, high = sorted((version(), version()), key=lambda v: [int(x) for x in v.split(".")])
        if rng.random() < 0.3:  # an exact version, sometimes with an update
            update = rng.choice(["*", "*", "-", "p1"])
            match["criteria"] = f"cpe:2.3:a:acme:pacs:{low}:{update}:*:*:*:*:*:*"
        elif rng.random() < 0.5:
            match["versionStartIncluding" if rng.random() < 0.5 else "versionStartExcluding"] = low
        if match["criteria"].endswith(":pacs:*:*:*:*:*:*:*:*"):
            match["versionEndExcluding" if rng.random() < 0.6 else "versionEndIncluding"] = high
        records.append(
            {
                "id": f"CVE-2040-{n:04d}",
                "lastModified": "2040-01-01",
                "configurations": [{"nodes": [{"cpeMatch": [match]}]}],
            }
        )
    feed = tmp_path / "gen.json"
    feed.write_text(
        json.dumps(
            {
                "format": "NVD_CVE",
                "version": "2.0",
                "vulnerabilities": [{"cve": r} for r in records],
            }
        )
    )
    import_path(feed)
    kb = KnowledgeBase.open()
    assert kb is not None
    with kb:
        rows = kb.candidates("acme", "pacs")
        assert len(rows) == 300
        total = 0
        bounds = [
            b
            for r in rows
            for b in (
                r.version_start_including,
                r.version_start_excluding,
                r.version_end_including,
                r.version_end_excluding,
            )
            if b
        ]
        for n in range(600):
            # exact hits, and versions equal to a bound (where included and excluded differ)
            v = (version(), rng.choice(rows).version, rng.choice(bounds))[n % 3]
            fast = set(kb.applicable("acme", "pacs", v))
            assert fast == {r for r in rows if cpe_match_applies(r, v)}, v
            assert set(kb.applicable_ids("acme", "pacs", v)) == {r.cve_id for r in fast}, v
            total += len(fast)
        assert total > 0


def test_a_recog_folder_goes_to_the_fingerprint_importer() -> None:
    report = import_path(shared_data("recog"))
    assert report.kind == "recog"
    assert report.recog is not None and report.recog.fingerprints > 1000
    assert KnowledgeBase.open() is None  # fingerprints are not vulnerability knowledge


def test_prefetched_facts_are_the_facts_asked_one_by_one() -> None:
    import_path(shared_data("kev-2025-08-25.json"))
    import_path(shared_data("nvd", "nvdcve-2.0-sample.json"))
    # in NVD and KEV, in both, in NVD only, in KEV only (log4shell), in neither
    ids = ["CVE-2017-0144", "CVE-2021-28799", "CVE-2016-6210", "CVE-2021-44228", "CVE-1999-0001"]
    one_by_one = KnowledgeBase.open()
    batched = KnowledgeBase.open()
    assert one_by_one is not None and batched is not None
    with one_by_one, batched:
        batched.prefetch(ids)
        for cve_id in ids:
            assert batched.cve(cve_id) == one_by_one.cve(cve_id)
            assert batched.kev(cve_id) == one_by_one.kev(cve_id)
            assert batched.cvss(cve_id) == one_by_one.cvss(cve_id)
            assert batched.epss(cve_id) == one_by_one.epss(cve_id)
        assert batched.kev("CVE-2017-0144") is not None  # a real answer, not only None
        assert batched.cve("CVE-2016-6210") is not None
        assert batched.kev("CVE-2021-44228") is not None  # KEV-only facts are not hidden


@given(
    st.lists(st.integers(0, 10**9 - 1), min_size=1, max_size=6),
    st.lists(st.integers(0, 10**9 - 1), min_size=1, max_size=6),
)
def test_range_keys_keep_the_order_of_plain_versions(a: list[int], b: list[int]) -> None:
    from rempart.vulns import versions
    from rempart.vulns.store import NO_HIGH, NO_LOW, range_key

    va, vb = ".".join(map(str, a)), ".".join(map(str, b))
    ka, kb = range_key(va), range_key(vb)
    assert ka is not None and kb is not None
    if versions.compare(va, vb) <= 0:
        assert ka <= kb, (va, vb)
    assert range_key("7.4p1") is None and range_key("") is None
    assert NO_LOW < ka < NO_HIGH and NO_LOW < kb < NO_HIGH  # "says nothing" sorts outside

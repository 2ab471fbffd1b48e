"""CISA KEV: the real snapshot imports exactly, and a damaged catalogue changes nothing."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from rempart import i18n
from rempart.core.errors import DataError
from rempart.vulns.importing import import_path
from rempart.vulns.store import KnowledgeBase
from tests.support import shared_data


@pytest.fixture(autouse=True)
def english() -> None:
    """Messages are asserted in English (the msgids); French is the catalogue's business."""
    i18n.set_language("en")


def test_kev_snapshot_imports_1404_entries_293_with_known_ransomware_use(tmp_path: Path) -> None:
    report = import_path(shared_data("kev-2025-08-25.json"))
    assert report.kev == 1404
    assert report.kev_known_ransomware == 293
    kb = KnowledgeBase.open()
    assert kb is not None
    with kb:
        stats = kb.stats()
        assert stats["kev"] == 1404
        assert stats["kev_known_ransomware"] == 293
        assert stats["feeds"]["kev"]["detail"] == "2025.08.25"
        apache = kb.kev("CVE-2021-41773")
        assert apache is not None and apache.known_ransomware
        assert apache.vendor == "Apache"
        git = kb.kev("cve-2025-48384")  # lower case is accepted
        assert git is not None and not git.known_ransomware
        assert kb.kev("CVE-1999-0001") is None


def test_kev_gz_copy_imports_the_same(tmp_path: Path) -> None:
    source = shared_data("kev-2025-08-25.json")
    packed = tmp_path / "kev.json.gz"
    packed.write_bytes(gzip.compress(source.read_bytes()))
    report = import_path(packed)
    assert (report.kev, report.kev_known_ransomware) == (1404, 293)


def test_kev_whose_count_disagrees_is_refused_and_the_old_catalogue_stays(tmp_path: Path) -> None:
    source = shared_data("kev-2025-08-25.json")
    import_path(source)
    data = json.loads(source.read_text(encoding="utf-8"))
    data["vulnerabilities"] = data["vulnerabilities"][:10]
    bad = tmp_path / "kev.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(DataError, match="1,404 entries but holds 10"):
        import_path(bad)
    kb = KnowledgeBase.open()
    assert kb is not None
    with kb:
        assert kb.stats()["kev"] == 1404


def test_kev_cut_mid_write_is_reported_as_truncated(tmp_path: Path) -> None:
    source = shared_data("kev-2025-08-25.json").read_bytes()
    cut = tmp_path / "kev.json"
    cut.write_bytes(source[: len(source) // 2])
    with pytest.raises(DataError, match="truncated"):
        import_path(cut, kind="kev")
    assert KnowledgeBase.open() is None


def test_kev_entry_without_cve_id_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "kev.json"
    bad.write_text(
        json.dumps(
            {
                "catalogVersion": "x",
                "count": 2,
                "vulnerabilities": [
                    {"cveID": "CVE-2020-0001", "knownRansomwareCampaignUse": "Known"},
                    {"cveID": 12, "knownRansomwareCampaignUse": "Unknown"},
                ],
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(DataError, match="entry 2: no valid cveID"):
        import_path(bad)

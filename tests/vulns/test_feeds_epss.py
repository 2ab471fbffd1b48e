"""EPSS: a (generated) CSV.gz imports, and a bad row or a cut file changes nothing."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from rempart import i18n
from rempart.core.errors import DataError
from rempart.vulns.importing import import_path
from rempart.vulns.store import KnowledgeBase

HEADER = "#model_version:v2025.03.14,score_date:2025-08-25T12:55:00Z\ncve,epss,percentile\n"


@pytest.fixture(autouse=True)
def english() -> None:
    """Messages are asserted in English (the msgids); French is the catalogue's business."""
    i18n.set_language("en")


def _epss(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.write_bytes(gzip.compress((header + "\n".join(rows) + "\n").encode()))
    return path


def test_epss_csv_gz_imports_scores_and_date(tmp_path: Path) -> None:
    rows = [f"CVE-2024-{n:05d},0.{n:05d},0.5" for n in range(1, 3001)]
    rows.append("CVE-2024-6387,0.94321,0.99912")
    report = import_path(_epss(tmp_path / "epss_scores-2025-08-25.csv.gz", rows))
    assert report.epss == 3001
    kb = KnowledgeBase.open()
    assert kb is not None
    with kb:
        assert kb.epss("CVE-2024-6387") == pytest.approx(0.94321)
        assert kb.epss("CVE-2024-00002") == pytest.approx(0.00002)
        assert kb.epss("CVE-1999-0001") is None
        feed = kb.feeds()["epss"]
        assert feed.last_modified == "2025-08-25T12:55:00Z"
        assert feed.detail == "v2025.03.14"


def test_plain_csv_without_comment_line_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "epss.csv"
    path.write_text("cve,epss,percentile\nCVE-2021-41773,0.9,0.99\n", encoding="utf-8")
    assert import_path(path).epss == 1


def test_epss_row_out_of_range_is_named_and_old_scores_stay(tmp_path: Path) -> None:
    import_path(_epss(tmp_path / "good.csv.gz", ["CVE-2024-6387,0.5,0.9"]))
    bad = _epss(tmp_path / "bad.csv.gz", ["CVE-2024-6388,0.5,0.9", "CVE-2024-6389,7,0.9"])
    with pytest.raises(DataError, match="line 4"):
        import_path(bad)
    kb = KnowledgeBase.open()
    assert kb is not None
    with kb:
        assert kb.epss("CVE-2024-6387") == pytest.approx(0.5)
        assert kb.epss("CVE-2024-6388") is None


def test_epss_gzip_cut_mid_download_is_truncated(tmp_path: Path) -> None:
    rows = [f"CVE-2023-{n:05d},0.1,0.2" for n in range(20000)]
    whole = _epss(tmp_path / "whole.csv.gz", rows).read_bytes()
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    with pytest.raises(DataError, match="truncated"):
        import_path(cut)
    assert KnowledgeBase.open() is None

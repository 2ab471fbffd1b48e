"""Rows of the CLI summary table: one per finding, most severe first, localised."""

from __future__ import annotations

from rempart.core.model import Audit, Severity
from rempart.report import summary_rows
from tests.checks.practice import EXPECTED


def test_one_row_per_finding_most_severe_first(audit: Audit) -> None:
    rows = summary_rows(audit, "en")
    assert len(rows) == len(EXPECTED)
    assert [r.severity.rank for r in rows] == sorted((r.severity.rank for r in rows), reverse=True)
    first = rows[0]
    assert first.severity is Severity.CRITICAL and first.severity_label == "Critical"
    assert (first.check_id, first.target, first.hostname) == (
        "NET-DEFAULT-CREDENTIALS",
        "127.42.0.1:80/tcp",
        "box",
    )
    assert first.evidence == "accounts accepting the factory password: admin"


def test_titles_follow_the_language(audit: Audit) -> None:
    fr = {r.check_id: r.title for r in summary_rows(audit, "fr")}
    en = {r.check_id: r.title for r in summary_rows(audit, "en")}
    assert fr["NET-TELNET"].startswith("Console Telnet")
    assert en["NET-TELNET"].startswith("Telnet console")

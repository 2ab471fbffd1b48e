"""A vulnerability finding reads in the report's language: its sentences and its labels."""

from __future__ import annotations

from datetime import UTC, datetime

from rempart.core.model import Audit, Evidence, Finding, Severity
from rempart.report.html import render_html
from rempart.report.json import audit_to_json

WHEN = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
FINDING = Finding(
    "NET-VULN-RANSOMWARE",
    Severity.CRITICAL,
    "127.42.0.10",
    445,
    "tcp",
    (
        Evidence(
            "CVE-2017-0144 impact",
            "EternalBlue, used by WannaCry",
            "EternalBlue, utilisée par WannaCry",
        ),
        Evidence("CVE-2017-0144 fixed in", "March 2017 updates", "mises à jour de mars 2017"),
    ),
    ("CVE-2017-0144",),
)
AUDIT = Audit("a1", WHEN, WHEN, ("127.42.0.0/24",), "default", findings=(FINDING,))


def test_french_report_shows_the_french_sentences_and_labels() -> None:
    html = render_html(AUDIT, "fr", generated_at=WHEN)
    assert "utilisée par WannaCry" in html
    assert "CVE-2017-0144 : corrigée dans" in html
    assert "used by WannaCry" not in html


def test_english_report_and_json_keep_english() -> None:
    html = render_html(AUDIT, "en", generated_at=WHEN)
    assert "used by WannaCry" in html and "CVE-2017-0144 fixed in" in html
    doc = audit_to_json(AUDIT, "en", generated_at=WHEN)
    assert doc["findings"][0]["evidence"][0]["value"] == "EternalBlue, used by WannaCry"
    assert audit_to_json(AUDIT, "fr", generated_at=WHEN)["findings"][0]["evidence"][1]["value"] == (
        "mises à jour de mars 2017"
    )

"""Hostile text (from banners, host names, page titles, evidence, the store) in the practice
report: escaped in the HTML, shown as plain text in the PDF, never run, never fetched, bounded."""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from rempart.core.model import Asset, Audit, Evidence, Finding, Service, Severity
from rempart.report.pdf import render_pdf
from rempart.report.practice import PracticeReport, build_report
from rempart.report.practice_html import render_html
from rempart.store import Store
from rempart.store.lifecycle import accept_risk
from rempart.store.models import BackupRunRow, SentinelRunRow
from tests.checks.practice import NOW

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(2)>'
TEMPLATE = "{{ 7*7 }}{% raw %}"
CONTROL = "\x00NUL\x07BEL\x1b[31mANSI\u202eRLO\u2066LRI"
RTL = "\u05e9\u05dc\u05d5\u05dd مرحبا"
HOSTILE = f"{SCRIPT} {IMG} {TEMPLATE} {CONTROL} {RTL}"


class Tags(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def hostile_audit() -> Audit:
    long = HOSTILE + "Z" * 100_000
    service = Service(
        "127.42.0.1",
        80,
        name=HOSTILE,
        product=long,
        version=HOSTILE,
        banner=long,
    )
    asset = Asset("127.42.0.1", hostname=HOSTILE, kind=HOSTILE, services=(service,))
    findings = (
        Finding(
            "NET-DEFAULT-CREDENTIALS",
            Severity.CRITICAL,
            "127.42.0.1",
            80,
            "tcp",
            (Evidence(HOSTILE, long), Evidence("page title", HOSTILE, HOSTILE)),
            (HOSTILE, "CVE-2021-28799"),
        ),
        Finding(
            "NET-FROM-ELSEWHERE", Severity.INFO, "127.42.0.1", 81, "tcp", (Evidence("x", long),)
        ),
        Finding("ORG-NO-BACKUP", Severity.HIGH, None, None, None, (Evidence("source", HOSTILE),)),
    )
    return Audit(
        "hostile-audit",
        NOW,
        NOW,
        (HOSTILE,),
        HOSTILE,
        assets=(asset,),
        findings=findings,
        notes=(long,),
        rempart_version=HOSTILE,
    )


@pytest.fixture
def report(tmp_path: Path) -> PracticeReport:
    audit = hostile_audit()
    store = Store.open(f"sqlite:///{tmp_path / 'hostile.db'}")
    try:
        store.save_audit(audit)
        accept_risk(
            store,
            "NET-FROM-ELSEWHERE|127.42.0.1|81|tcp",
            HOSTILE,
            NOW + timedelta(days=30),
            by=HOSTILE,
            now=NOW,
        )
        with store._session() as session:
            session.add(
                BackupRunRow(
                    repository=HOSTILE,
                    started_at=NOW - timedelta(hours=2),
                    finished_at=NOW - timedelta(hours=1),
                    status="ok",
                    immutable=False,
                    anomalies=[HOSTILE],
                    message=HOSTILE,
                )
            )
            session.add(
                SentinelRunRow(
                    started_at=NOW - timedelta(hours=1),
                    heartbeat_at=NOW - timedelta(seconds=10),
                    pid=1,
                    host=HOSTILE,
                    folders=[HOSTILE],
                    mode="poll",
                )
            )
        return build_report(audit, store=store, lang="fr", now=NOW)
    finally:
        store.close()


def test_hostile_text_is_escaped_and_bounded_in_html(report: PracticeReport) -> None:
    html = render_html(report)
    page = Tags(html)
    assert [t for t, _ in page.tags if t in ("script", "img", "iframe", "object", "embed")] == []
    assert not [a for _, a in page.tags if any(k.startswith("on") for k in a)]
    assert not [a for _, a in page.tags if "src" in a]
    assert "<script>alert" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown, as text
    assert "{{ 7*7 }}" in html  # a template in the data is data: never evaluated
    for ch in ("\x00", "\x07", "\x1b", "\u202e", "\u2066"):
        assert ch not in html
    assert "\u05e9\u05dc\u05d5\u05dd" in html  # right-to-left text is text, kept
    assert "Z" * 500 not in html
    assert len(html) < 200_000  # many 100 kB strings, each bounded to a readable line
    hrefs = [a.get("href") for t, a in page.tags if t == "a"]
    assert all(h and h.startswith("https://") and "<" not in h for h in hrefs)
    assert "https://nvd.nist.gov/vuln/detail/CVE-2021-28799" in hrefs


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
def test_hostile_text_is_plain_text_in_the_pdf(report: PracticeReport, tmp_path: Path) -> None:
    path = tmp_path / "hostile.pdf"
    render_pdf(report, path)
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    flat = " ".join(text.split())
    assert "<script>alert(1)</script>" in flat  # the markup, printed as characters
    assert "onerror=alert(2)>" in flat
    assert "{{ 7*7 }}" in flat
    assert "\x1b" not in text and "\u202e" not in text

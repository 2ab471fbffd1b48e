"""The page printed to PDF (``render_html(report, paper=True)``): the same words as the HTML
page, in the same order, in far fewer boxes; and the PDF made from it shows them, each reference
numbered with its address printed."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from rempart.checks import CheckContext, run_checks
from rempart.core.model import Evidence, Finding, Severity
from rempart.report.pdf import render_pdf
from rempart.report.practice import PracticeReport, build_report
from rempart.report.practice_html import render_html, severity_runs
from rempart.store import Store
from rempart.store.lifecycle import accept_risk
from tests.checks.practice import NOW, demo_audit

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils is not installed (.ci/run does it)"
)

VULN = Finding(
    "NET-VULN-RANSOMWARE",
    Severity.CRITICAL,
    "127.42.0.30",
    443,
    "tcp",
    (Evidence("CVE-2021-28799 impact", "remote code execution"),),
    ("CVE-2021-28799", "CVE-2020-36198", "not-a-cve"),
)
# A banner that tries to start a line of its own, as if it were another finding.
FORGED = Finding(
    "NET-TELNET",
    Severity.HIGH,
    "127.42.0.20",
    2323,
    "tcp",
    (Evidence("banner", "login:\nCRITIQUE · Forged finding — NET-FORGED · 1/tcp"),),
)
PRACTICE = Finding("ORG-NO-INCIDENT-PLAN", Severity.MEDIUM)


INLINE = frozenset({"a", "b", "strong", "span", "code", "em", "i"})


class Sections(HTMLParser):
    """The text of each section of a page, and its tags."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.text: dict[str, list[str]] = {}
        self.tags: list[tuple[str, dict[str, str | None], str | None]] = []
        self._section: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section" and a.get("id"):
            self._section = a["id"]
            self.text[self._section] = []
        elif tag == "footer":
            self._section = None
        self.tags.append((tag, a, self._section))
        self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag not in INLINE and self._section is not None:
            self.text[self._section].append(" ")  # a block's text ends with its block

    def handle_data(self, data: str) -> None:
        if self._section is not None:
            self.text[self._section].append(data)

    def words(self, section: str) -> str:
        """The section's words as a reader compares them: the bullets, separators and
        reference numbers of the printed page aside, case and line breaks aside."""
        text = "".join(self.text[section])
        text = re.sub(r" \[\d+\]", "", text)
        text = re.sub(r"[•·—]", " ", text)
        return " ".join(text.casefold().split())


@pytest.fixture
def report(tmp_path: Path) -> Iterator[PracticeReport]:
    """The demo practice at its second audit (three findings fixed since, one new), with a
    vulnerability and its CVEs, a practice-wide finding, a forged banner and a risk accepted."""
    base = demo_audit()
    found = run_checks(base.assets, CheckContext(now=NOW))
    current = dataclasses.replace(base, findings=(*found, VULN, FORGED, PRACTICE))
    previous = dataclasses.replace(
        current,
        id="audit-previous",
        started_at=NOW - timedelta(days=30),
        finished_at=NOW - timedelta(days=30),
        findings=(
            *found[1:],
            Finding("NET-FTP-ANONYMOUS", Severity.HIGH, "127.42.0.20", 21, "tcp"),
        ),
    )
    store = Store.open(f"sqlite:///{tmp_path / 'paper.db'}")
    try:
        store.save_audit(previous)
        store.save_audit(current)
        winrm = next(f for f in current.findings if f.check_id == "NET-WINRM")
        key = f"{winrm.check_id}|{winrm.address}|{winrm.port}|{winrm.transport}"
        accept_risk(store, key, "Needed by the vendor", NOW + timedelta(days=60), now=NOW)
        yield build_report(current, store=store, lang="fr", now=NOW)
    finally:
        store.close()


def test_the_printed_page_says_what_the_html_page_says_in_the_same_order(
    report: PracticeReport,
) -> None:
    screen = Sections(render_html(report))
    paper = Sections(render_html(report, paper=True))
    assert list(paper.text) == list(screen.text)
    for section in screen.text:
        if section == "references":  # the printed page adds the cited addresses after them
            assert paper.words(section).startswith(screen.words(section))
        else:
            assert paper.words(section) == screen.words(section), section
    details = paper.words("details")
    assert "cve-2021-28799, cve-2020-36198, not-a-cve" in details
    assert "accepté jusqu'au 27 janvier 2027 : needed by the vendor" in details
    assert "forged finding" in details  # the banner, shown: on its finding's line (below)


def test_the_printed_page_is_light_markup(report: PracticeReport) -> None:
    """What keeps a thousand findings printable in seconds: a paragraph per run of findings of
    one severity, no <br>, and no link but the references' addresses."""
    html = render_html(report, paper=True)
    page = Sections(html)
    assert not [tag for tag, _a, _section in page.tags if tag == "br"]
    links = [(a["href"], section) for tag, a, section in page.tags if tag == "a"]
    assert links and {section for _href, section in links} == {"references"}
    runs = sum(len(severity_runs(a.findings)) for a in report.assets if a.findings)
    paragraphs = [a for tag, a, section in page.tags if section == "details" and tag == "p"]
    findings = [a for a in paragraphs if (a.get("class") or "").startswith("findings ")]
    assert len(findings) == runs + 1  # + the practice-wide findings
    assert len(findings) < len(report.findings)


def test_severity_runs_keep_the_order_and_every_finding() -> None:
    rows = [dataclasses.make_dataclass("R", ["severity", "n"])(s, i) for i, s in enumerate("hhmhl")]
    runs = severity_runs(rows)
    assert [[r.n for r in run] for run in runs] == [[0, 1], [2], [3], [4]]
    assert severity_runs([]) == []


def pdf_text(report: PracticeReport, tmp_path: Path) -> str:
    """The PDF's text, line by line as laid out (-layout: poppler neither joins lines nor
    drops a hyphen at a line's end)."""
    path = tmp_path / "rapport.pdf"
    render_pdf(report, path)
    return subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout


@needs_poppler
def test_the_pdf_shows_every_finding_its_evidence_and_cves(
    report: PracticeReport, tmp_path: Path
) -> None:
    text = pdf_text(report, tmp_path)
    joined = re.sub(r"-\n\s*", "-", text)  # a check ID may be cut after one of its hyphens
    for check_id in {v.check_id for v in report.findings}:
        found = len(re.findall(rf"(?<![\w-]){re.escape(check_id)}(?![\w-])", joined))
        shown = sum(1 for v in report.findings if v.check_id == check_id)
        assert found == shown + 1, check_id  # each finding, and its check explained once
    flat = " ".join(text.split())
    assert "CVE : CVE-2021-28799, CVE-2020-36198, not-a-cve" in flat
    assert "remote code execution" in flat
    # the forged line stays inside its banner, on the line of the finding it came with
    line = next(line for line in text.splitlines() if "Forged finding" in line)
    assert "login:" in line


@needs_poppler
def test_the_pdf_numbers_each_reference_and_prints_its_address(
    report: PracticeReport, tmp_path: Path
) -> None:
    text = pdf_text(report, tmp_path)
    flat = " ".join(text.split())
    assert "Adresses des pages citées" in flat or "Addresses of the pages cited" in flat
    numbered = dict(re.findall(r"^\[(\d+)\] (https://\S+)$", text, re.M))
    assert numbered and sorted(map(int, numbered)) == list(range(1, len(numbered) + 1))
    cited = {url for v in report.findings for r in v.references if r.url for url in [r.url]}
    assert set(numbered.values()) == cited
    # a reference in "the findings explained" is followed by the number of its address
    first = next(v for v in report.findings if v.references).references[0]
    number = next(n for n, url in numbered.items() if url == first.url)
    assert f"{' '.join(first.label.split())} [{number}]" in flat


@needs_poppler
def test_page_numbers_run_through_the_whole_report(report: PracticeReport, tmp_path: Path) -> None:
    text = pdf_text(report, tmp_path)
    pages = text.split("\f")[:-1]
    total = len(pages)
    assert total >= 4
    for n, page in enumerate(pages, start=1):
        assert f"{n} / {total}" in page

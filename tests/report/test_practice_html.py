"""The practice report in HTML: page one for the practitioner, the plan, the details per device,
the change since the last audit; one self-contained file, French by default."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from rempart import i18n
from rempart.checks import CheckContext, run_checks
from rempart.core.model import Audit, Evidence, Finding, Severity
from rempart.report.practice import PracticeReport, build_report
from rempart.report.practice_html import render_html, write_practice_html
from rempart.store import Store
from rempart.store.lifecycle import accept_risk
from rempart.store.models import BackupRunRow, RestoreDrillRow, SentinelRunRow
from tests.checks.practice import NOW, demo_audit


class Page(HTMLParser):
    """The page as a person reads it: its tags, its text, the text of each section."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.sections: dict[str, list[str]] = {}
        self._section: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "section" and a.get("id"):
            self._section = a["id"]
            self.sections[self._section] = []

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._section is not None:
            self.sections[self._section].append(data)

    def section(self, name: str) -> str:
        return " ".join(" ".join(self.sections[name]).split())


def demo() -> Audit:
    base = demo_audit()
    return dataclasses.replace(base, findings=run_checks(base.assets, CheckContext(now=NOW)))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(f"sqlite:///{tmp_path / 'report.db'}")
    yield s
    s.close()


def with_history(store: Store) -> tuple[Audit, Audit]:
    """Two audits a month apart: three findings fixed since, one new."""
    current = demo()
    new = current.findings[0]
    fixed = (
        Finding("NET-TELNET", Severity.HIGH, "127.42.0.30", 23, "tcp", (Evidence("banner", "x"),)),
        Finding("NET-FTP-ANONYMOUS", Severity.HIGH, "127.42.0.20", 21, "tcp"),
        Finding("NET-VNC-NO-AUTH", Severity.CRITICAL, "127.42.0.11", 5900, "tcp"),
    )
    previous = dataclasses.replace(
        current,
        id="audit-previous",
        started_at=NOW - timedelta(days=30),
        finished_at=NOW - timedelta(days=30),
        findings=tuple(f for f in current.findings if f != new) + fixed,
    )
    store.save_audit(previous)
    store.save_audit(current)
    return previous, current


def report_of(audit: Audit, store: Store | None = None, lang: str = "fr") -> PracticeReport:
    return build_report(audit, store=store, lang=lang, now=NOW)


def test_page_one_shows_the_grade_the_five_actions_and_the_protection() -> None:
    i18n.set_language("en")
    report = report_of(demo(), lang="en")
    page = Page(render_html(report))
    summary = page.section("summary")

    assert f"Your practice is graded {report.score.grade}." in summary
    grade = [a for t, a in page.tags if t == "p" and a.get("id") == "grade"]
    assert grade and grade[0]["data-grade"] == report.score.grade
    # the label: seven bars, the practice's one outlined, the arrow on it
    assert [a.get("data-grade") for t, a in page.tags if t == "polygon" and "data-grade" in a] == [
        "A",
        "B",
        "C",
        "D",
        "E",
        "F",
        "G",
    ]
    rows = [a["data-action"] for t, a in page.tags if t == "tr" and a.get("data-action")]
    assert rows[:5] == [a.id for a in report.plan[:5]]
    first = report.plan[0]
    assert first.title in summary and first.who_label in summary and first.effort_label in summary
    assert f"These 5 actions bring the practice to {report.plan[4].cumulative_grade}." in summary
    assert "No backup made with Rempart yet." in summary
    assert "never started" in summary
    assert "First audit: nothing to compare with yet." in summary


def test_french_by_default_english_on_request() -> None:
    audit = demo()
    fr = render_html(report_of(audit))
    en = render_html(report_of(audit, lang="en"))
    assert '<html lang="fr">' in fr and '<html lang="en">' in en
    fr, en = " ".join(Page(fr).text), " ".join(Page(en).text)
    # action and check words come from the data, in the report's language
    assert "Changer les mots de passe d'usine des appareils" in fr
    assert "Prise en main à distance (VNC) sans mot de passe" in fr
    assert "Change the devices' factory passwords" in en
    assert "Changer les mots de passe d'usine" not in en
    assert i18n.current_language() == "fr"  # rendering in English left the process alone


def test_sections_come_in_the_order_a_reader_needs() -> None:
    page = Page(render_html(report_of(demo())))
    order = [a["id"] for t, a in page.tags if t == "section"]
    assert order == [
        "summary",
        "overview",
        "plan",
        "details",
        "explained",
        "changes",
        "references",
    ]


def test_details_show_each_device_with_services_findings_and_evidence() -> None:
    i18n.set_language("en")
    audit = demo()
    report = report_of(audit, lang="en")
    html = render_html(report)
    details = Page(html).section("details")
    for name in ("box", "accueil", "serveur", "nas", "radio", "imprimante"):
        assert name in details
    assert "220 NAS FTP server ready." in details  # a banner
    smb = re.search(r'<p class="finding high" data-check="NET-SMB-V1"[^>]*>(.*?)</p>', html, re.S)
    assert smb is not None
    assert "445/tcp" in smb.group(1) and "NT LM 0.12" in smb.group(1)
    shown = re.findall(r'<p class="finding \w+" data-check="([A-Z0-9-]+)"', html)
    assert sorted(shown) == sorted(f.check_id for f in audit.findings)
    explained = Page(html).section("explained")
    assert "WannaCry" in explained  # the risk, written once per check
    assert "SMB 1.0/CIFS File Sharing Support" in explained  # what to do


def test_cves_link_to_the_nvd_as_plain_links() -> None:
    audit = demo()
    vuln = Finding(
        "NET-VULN-RANSOMWARE",
        Severity.CRITICAL,
        "127.42.0.30",
        443,
        "tcp",
        (Evidence("CVE-2021-28799 impact", "remote code execution"),),
        ("CVE-2021-28799", "not-a-cve"),
    )
    html = render_html(report_of(dataclasses.replace(audit, findings=(*audit.findings, vuln))))
    links = [a["href"] for t, a in Page(html).tags if t == "a"]
    assert "https://nvd.nist.gov/vuln/detail/CVE-2021-28799" in links
    assert not [h for h in links if h and "not-a-cve" in h]
    assert "not-a-cve" in html  # shown, as text


def test_page_is_self_contained() -> None:
    html = render_html(report_of(demo()))
    tags = Page(html).tags
    assert not [t for t, _ in tags if t in ("script", "link", "img", "iframe", "object", "embed")]
    assert not [a for _, a in tags if "src" in a or any(k.startswith("on") for k in a)]
    assert "@import" not in html and "url(" not in html
    hrefs = [a["href"] for t, a in tags if t == "a"]
    assert hrefs and all(h and h.startswith("https://") for h in hrefs)
    assert html.count("<svg") >= 2  # the label and the severity bars, inline


def test_references_name_anssi_ans_and_cybermalveillance() -> None:
    page = Page(render_html(report_of(demo())))
    hrefs = {a["href"] for t, a in page.tags if t == "a"}
    assert "https://cyber.gouv.fr/publications/guide-dhygiene-informatique" in hrefs
    assert "https://esante.gouv.fr/produits-services/pgssi-s" in hrefs
    assert "https://www.cybermalveillance.gouv.fr/" in hrefs


def test_change_since_the_previous_audit(store: Store) -> None:
    i18n.set_language("en")
    _previous, current = with_history(store)
    report = report_of(current, store, "en")
    html = render_html(report)
    page = Page(html)
    line = "Since the previous audit (29 October 2026): 3 fixed, 1 new, 23 still open."
    assert line in page.section("summary")
    changes = page.section("changes")
    assert "Fixed (3)" in changes and "New (1)" in changes and "Still open (23)" in changes
    fixed = re.search(r'<ul class="plain changes" id="change-fixed">(.*?)</ul>', html, re.S)
    assert fixed is not None and "Telnet" in fixed.group(1) and "127.42.0.20" in fixed.group(1)
    assert 'id="trend"' in html  # two audits: the grade's curve
    # the finding seen for the first time is marked new, the others carry their first date
    first = current.findings[0]
    new = re.search(rf'data-check="{first.check_id}" data-status="(\w+)"', html)
    assert new is not None and new.group(1) == "new"
    assert "seen since 2026-10-29" in html


def test_backups_drills_and_sentinel_from_the_store(store: Store) -> None:
    i18n.set_language("en")
    _previous, current = with_history(store)
    with store._session() as session:
        session.add(
            BackupRunRow(
                repository="s3://cabinet-backups",
                started_at=NOW - timedelta(hours=5),
                finished_at=NOW - timedelta(hours=4),
                status="ok",
                immutable=True,
                anomalies=[],
                message="",
            )
        )
        session.add(
            RestoreDrillRow(
                repository="s3://cabinet-backups",
                at=NOW - timedelta(days=3),
                kind="sample",
                ok=True,
            )
        )
        session.add(
            SentinelRunRow(
                started_at=NOW - timedelta(days=1),
                heartbeat_at=NOW - timedelta(seconds=20),
                pid=4242,
                host="accueil",
                folders=["/srv/patients", "/srv/radio"],
                mode="fanotify",
            )
        )
    summary = Page(render_html(report_of(current, store, "en"))).section("summary")
    assert "Last backup: 28 November 2026 (today)" in summary
    assert "Copy that cannot be erased (immutable): yes" in summary
    assert "Last restore drill: 25 November 2026 (3 days ago): files restored and checked" in (
        summary
    )
    assert "State: watching 2 folders" in summary and "/srv/patients" in summary
    assert "Alerts: no attack seen" in summary


def test_an_accepted_risk_shows_its_reason_and_end_date(store: Store) -> None:
    i18n.set_language("en")
    _previous, current = with_history(store)
    target = next(f for f in current.findings if f.check_id == "NET-WINRM")
    key = f"{target.check_id}|{target.address}|{target.port}|{target.transport}"
    accept_risk(
        store, key, "Needed by the vendor until the migration", NOW + timedelta(days=60), now=NOW
    )
    html = render_html(report_of(current, store, "en"))
    row = re.search(r'data-check="NET-WINRM" data-status="accepted">(.*?)</p>', html, re.S)
    assert row is not None
    assert "risk accepted" in row.group(1)
    assert "Accepted until 27 January 2027: Needed by the vendor until the migration" in row.group(
        1
    )


def test_an_empty_audit_says_there_is_nothing_to_do() -> None:
    i18n.set_language("en")
    empty = Audit("a", NOW, NOW, ("127.42.0.99",), "default")
    page = Page(render_html(report_of(empty, lang="en")))
    assert "Your practice is graded A." in page.section("summary")
    assert "Nothing to do: no finding calls for an action." in page.section("summary")
    assert "No device answered." in page.section("details")


def test_the_file_is_written_atomically(tmp_path: Path) -> None:
    path = write_practice_html(report_of(demo()), tmp_path / "out" / "rapport.html")
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in path.parent.iterdir()) == ["rapport.html"]

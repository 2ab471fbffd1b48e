"""report.html: findings by severity in the reader's language, self-contained, and safe
with hostile text from the network."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from rempart import i18n
from rempart.core.model import Asset, Audit, Evidence, Finding, Service, Severity
from rempart.core.observations import HttpObservation
from rempart.report import render_html, write_report_html
from tests.checks.practice import NOW


class _Collector(HTMLParser):
    """Collects tags and the text of each finding heading, to read the page like a person."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    return collector


def test_findings_are_grouped_most_severe_first(audit: Audit) -> None:
    html = render_html(audit, "fr", NOW)
    groups = re.findall(r'id="severity-(\w+)"', html)
    assert groups == ["critical", "high", "medium", "low"]
    checks = re.findall(r'data-check="([A-Z0-9-]+)"', html)
    assert len(checks) == len(audit.findings)
    assert checks[:2] == ["NET-DEFAULT-CREDENTIALS", "NET-VNC-NO-AUTH"]


def test_french_by_default_and_english_on_request(audit: Audit) -> None:
    fr = render_html(audit, generated_at=NOW)
    en = render_html(audit, "en", NOW)
    assert '<html lang="fr">' in fr and '<html lang="en">' in en
    assert "Prise en main à distance (VNC) sans mot de passe" in fr
    assert "Remote control (VNC) without a password" in en
    assert "Remote control (VNC) without a password" not in fr
    assert "Activer ou désactiver des fonctionnalités Windows" in fr


def test_rendering_in_english_does_not_change_the_process_language(audit: Audit) -> None:
    i18n.set_language("fr")
    render_html(audit, "en", NOW)
    assert i18n.current_language() == "fr"


def test_each_finding_shows_target_risk_remediation_and_evidence(audit: Audit) -> None:
    html = render_html(audit, "en", NOW)
    article = re.search(
        r'<article class="finding high" data-check="NET-SMB-V1">(.*?)</article>', html, re.S
    )
    assert article is not None
    body = article.group(1)
    assert "127.42.0.10:445/tcp" in body and "(accueil)" in body
    assert "WannaCry" in body  # the risk
    assert "SMB 1.0/CIFS File Sharing Support" in body  # the remediation
    assert "dialects accepted" in body and "NT LM 0.12" in body  # the evidence
    assert "https://cyber.gouv.fr/" in body  # a reference


def test_assets_and_services_are_listed(audit: Audit) -> None:
    text = " ".join(parse(render_html(audit, "en", NOW)).text)
    for name in ("box", "accueil", "fauteuil-1", "serveur", "nas", "radio", "imprimante"):
        assert name in text
    assert "220 NAS FTP server ready." in text
    assert "Microsoft SQL Server" in text


def test_page_is_self_contained(audit: Audit) -> None:
    html = render_html(audit, "fr", NOW)
    tags = parse(html).tags
    assert not [t for t, _ in tags if t in ("script", "link", "img", "iframe", "object", "embed")]
    assert not [a for _, a in tags if "src" in a or any(k.startswith("on") for k in a)]
    assert "@import" not in html and "url(" not in html
    hrefs = [a["href"] for t, a in tags if t == "a"]
    assert hrefs and all(h and h.startswith("https://") for h in hrefs)


def test_no_findings_says_so() -> None:
    empty = Audit("a", NOW, NOW, ("127.42.0.99",), "default")
    html = render_html(empty, "en", NOW)
    assert "No finding" in html and "No device answered." in html


PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "' onmouseover='alert(3)",
    "</style><script>alert(4)</script>",
    "\x00NUL\x07BEL\x1b[31mANSI\u202eRLO",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_network_text_is_escaped_and_bounded(payload: str) -> None:
    long = payload + "Z" * 100_000
    http = HttpObservation(
        title=long, server=long, console=long, console_kind="router", default_credentials=(long,)
    )
    service = Service(
        "127.42.0.1",
        80,
        name=payload,
        product=long,
        version=payload,
        banner=long,
        observations=(http,),
    )
    asset = Asset("127.42.0.1", hostname=long, kind=payload, services=(service,))
    findings = (
        Finding(
            "NET-DEFAULT-CREDENTIALS",
            Severity.CRITICAL,
            "127.42.0.1",
            80,
            "tcp",
            (Evidence(payload, long), Evidence("page title", long)),
        ),
        Finding(
            "NET-FROM-ELSEWHERE", Severity.INFO, "127.42.0.1", 80, "tcp", (Evidence("x", long),)
        ),
    )
    audit = Audit(
        long,
        NOW,
        NOW,
        (long,),
        long,
        assets=(asset,),
        findings=findings,
        notes=(long,),
        rempart_version=payload,
    )
    html = render_html(audit, "fr", NOW)

    assert "<script>alert" not in html
    assert "<img" not in html and "onerror=alert" not in html.replace("onerror=alert(2)&gt;", "")
    assert "onmouseover='alert" not in html
    assert "\x00" not in html and "\x07" not in html and "\x1b" not in html and "\u202e" not in html
    assert len(html) < 60_000  # 100 kB strings, many times over: bounded to a readable page
    assert "Z" * 500 not in html
    tags = parse(html).tags
    assert [t for t, _ in tags if t in ("script", "img")] == []
    assert not [a for _, a in tags if any(k.startswith("on") for k in a)]


def test_report_is_written_atomically(audit: Audit, tmp_path: Path) -> None:
    path = write_report_html(audit, tmp_path / "audit" / "report.html", "fr", NOW)
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in path.parent.iterdir()) == ["report.html"]


def test_unknown_check_is_shown_with_its_id(audit: Audit) -> None:
    odd = Finding(
        "NET-FROM-THE-FUTURE", Severity.LOW, "127.42.0.1", 80, "tcp", (Evidence("x", "y"),)
    )
    html = render_html(dataclasses.replace(audit, findings=(odd,)), "en", NOW)
    assert "NET-FROM-THE-FUTURE" in html and "Unknown check" in html

"""Fixtures of the dashboard's tests: a store holding two audits of a small practice whose
devices say hostile things (HTML and script in names, banners and evidence), and a
FastAPI TestClient on it that speaks to the app as a browser on 127.0.0.1 would."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from rempart.core.model import Asset, Audit, Evidence, Finding, Service, Severity
from rempart.store import Store

PAYLOAD = "<script>alert('rempart')</script>"
IMG = '"><img src=x onerror=alert(2)>'

BASE = "http://127.0.0.1:8765"


def practice_audit(at: datetime, *, audit_id: str, with_telnet: bool = True) -> Audit:
    """A small practice: a reception PC with SMBv1 and RDP, a NAS with an admin console,
    a box with Telnet (dropped in the second audit: it shows as fixed)."""
    pc = "127.42.0.10"
    nas = "127.42.0.30"
    box = "127.42.0.1"
    assets = [
        Asset(
            pc,
            hostname=f"accueil{PAYLOAD}",
            kind="workstation",
            services=(
                Service(pc, 445, name="smb", banner=f"SMB {IMG}"),
                Service(pc, 3389, name="rdp"),
            ),
        ),
        Asset(
            nas,
            hostname="nas",
            kind="nas",
            services=(Service(nas, 8080, name="http", product="QNAP QTS", banner=PAYLOAD),),
        ),
    ]
    findings = [
        Finding(
            "NET-SMB-V1",
            Severity.HIGH,
            pc,
            445,
            "tcp",
            evidence=(Evidence("dialects accepted", f"NT LM 0.12 {PAYLOAD}"),),
        ),
        Finding("NET-RDP-EXPOSED", Severity.HIGH, pc, 3389, "tcp"),
        Finding(
            "NET-VULN-RANSOMWARE",
            Severity.CRITICAL,
            nas,
            8080,
            "tcp",
            evidence=(Evidence("page title", IMG),),
            cves=("CVE-2021-28799",),
        ),
        Finding("NET-ADMIN-CONSOLE", Severity.MEDIUM, nas, 8080, "tcp"),
    ]
    if with_telnet:
        assets.append(
            Asset(box, hostname="box", kind="router", services=(Service(box, 23, name="telnet"),))
        )
        findings.append(Finding("NET-TELNET", Severity.HIGH, box, 23, "tcp"))
    return Audit(
        id=audit_id,
        started_at=at,
        finished_at=at + timedelta(seconds=42),
        targets=("127.42.0.0/24",),
        ports="default",
        assets=tuple(assets),
        findings=tuple(sorted(findings, key=lambda f: f.sort_key)),
        notes=(f"note {PAYLOAD}",),
    )


@pytest.fixture
def stored_audits() -> tuple[Audit, Audit]:
    """Two audits a week apart in the test's store; the newer one has no Telnet."""
    now = datetime.now(UTC).replace(microsecond=0)
    first = practice_audit(now - timedelta(days=7), audit_id="11111111-aaaa-4aaa-8aaa-111111111111")
    second = practice_audit(
        now - timedelta(hours=1),
        audit_id="22222222-bbbb-4bbb-8bbb-222222222222",
        with_telnet=False,
    )
    with Store.open() as store:
        store.save_audit(first)
        store.save_audit(second)
    return first, second


def browser_client(app: object) -> TestClient:
    return TestClient(app, base_url=BASE)  # type: ignore[arg-type]


def csrf_of(client: TestClient, path: str = "/findings") -> str:
    """The CSRF token a page hands to its forms (and set as a cookie)."""
    page = client.get(path)
    assert page.status_code == 200
    token = client.cookies.get("rempart_csrf")
    assert token and f'value="{token}"' in page.text
    return token


@pytest.fixture
def client(stored_audits: tuple[Audit, Audit]) -> Iterator[TestClient]:
    from rempart.web import create_app

    with browser_client(create_app()) as c:
        yield c


def same_audit_later(audit: Audit, audit_id: str) -> Audit:
    now = datetime.now(UTC)
    return replace(audit, id=audit_id, started_at=now, finished_at=now)

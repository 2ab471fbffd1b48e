"""Every page of the dashboard, as a browser on 127.0.0.1 gets it (FastAPI TestClient)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from rempart import i18n
from rempart.core.model import Audit
from rempart.store import Store
from rempart.store.models import (
    BackupRunRow,
    IncidentRow,
    RestoreDrillRow,
    SentinelRunRow,
)
from tests.web.conftest import IMG, PAYLOAD

PAGES = ("/", "/findings", "/assets", "/audits", "/backups", "/sentinel")


@pytest.mark.parametrize("path", PAGES)
def test_every_page_answers_in_french_by_default(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="fr">' in page.text
    assert 'aria-current="page"' in page.text  # the menu says where we are


@pytest.mark.parametrize("path", PAGES)
def test_no_page_lets_hostile_text_through(client: TestClient, path: str) -> None:
    for lang in ("fr", "en"):
        html = client.get(path, params={"lang": lang}).text
        assert "<script" not in html
        assert "<img src=x" not in html
        assert "onerror=alert" not in html or "onerror=alert(2)&gt;" in html


def test_hostile_names_and_banners_are_shown_escaped(client: TestClient) -> None:
    assets = client.get("/assets").text
    assert "accueil&lt;script&gt;alert(&#39;rempart&#39;)&lt;/script&gt;" in assets
    assert "SMB &#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in assets
    findings = client.get("/findings").text
    assert "NT LM 0.12 &lt;script&gt;" in findings


def test_pages_forbid_scripts_and_framing(client: TestClient) -> None:
    headers = client.get("/").headers
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"


def test_overview_shows_grade_trend_plan_and_status_in_english(
    client: TestClient, stored_audits: tuple[Audit, Audit]
) -> None:
    i18n.set_language("en")
    html = client.get("/", params={"lang": "en"}).text
    assert '<html lang="en">' in html
    assert 'data-grade="' in html and "risk points" in html
    assert "grade-trend" in html  # two audits: a curve
    assert "What to do first" in html
    assert "Rempart has not made any backup yet." in html
    assert "The sentinel has never run" in html
    assert "Run an audit" not in html  # no audit runner given to this app
    assert "No backup repository is configured" in html


def test_language_is_remembered_after_asking_once(client: TestClient) -> None:
    client.get("/", params={"lang": "en"})
    assert '<html lang="en">' in client.get("/audits").text
    client.get("/", params={"lang": "fr"})
    assert '<html lang="fr">' in client.get("/audits").text


def test_findings_can_be_filtered_by_severity_status_device_and_text(
    client: TestClient,
) -> None:
    def keys(**params: str) -> set[str]:
        html = client.get("/findings", params=params).text
        return {part.split('"', 1)[0] for part in html.split('data-key="')[1:]}

    everything = keys()
    assert len(everything) == 4
    assert keys(severity="critical") == {"NET-VULN-RANSOMWARE|127.42.0.30|8080|tcp"}
    assert keys(asset="127.42.0.10") == {
        "NET-SMB-V1|127.42.0.10|445|tcp",
        "NET-RDP-EXPOSED|127.42.0.10|3389|tcp",
    }
    assert keys(q="cve-2021-28799") == {"NET-VULN-RANSOMWARE|127.42.0.30|8080|tcp"}
    assert keys(status="open") == everything  # all seen in the first audit already
    assert keys(status="new") == set()
    assert keys(status="accepted") == set()


def test_audit_history_lists_each_audit_with_its_grade_and_its_change(
    client: TestClient, stored_audits: tuple[Audit, Audit]
) -> None:
    i18n.set_language("en")
    first, second = stored_audits
    history = client.get("/audits", params={"lang": "en"}).text
    assert f'data-audit="{first.id}"' in history and f'data-audit="{second.id}"' in history
    assert history.count('class="chip grade-') == 2
    detail = client.get(f"/audits/{second.id}").text
    assert "1 fixed" in detail and "0 new" in detail and "4 still open" in detail
    assert "127.42.0.1" in detail.split('class="change change-fixed"')[1]
    assert "note &lt;script&gt;" in detail
    assert client.get("/audits/no-such-audit").status_code == 404


def test_backups_drills_and_sentinel_pages_show_what_the_pillars_recorded() -> None:
    from rempart.web import create_app
    from tests.web.conftest import browser_client

    i18n.set_language("en")
    now = datetime.now(UTC)
    with Store.open() as store, store._session() as session:
        session.add(
            BackupRunRow(
                repository=f"/srv/backup{PAYLOAD}",
                snapshot_id="a1b2c3d4e5f6",
                started_at=now - timedelta(hours=3),
                finished_at=now - timedelta(hours=2),
                status="anomalous",
                files=1200,
                bytes_read=3_400_000_000,
                bytes_added=12_000_000,
                immutable=True,
                anomalies=[f"412 files changed at once {IMG}"],
                message="",
            )
        )
        session.add(
            RestoreDrillRow(
                repository="/srv/backup",
                snapshot_id="a1b2c3d4e5f6",
                at=now - timedelta(hours=1),
                kind="sample",
                files=50,
                bytes=9_000_000,
                ok=True,
                detail="50 files restored, identical",
            )
        )
        session.add(
            SentinelRunRow(
                started_at=now - timedelta(minutes=30),
                heartbeat_at=now - timedelta(seconds=5),
                pid=4242,
                host="accueil",
                folders=[f"/data/Patients{PAYLOAD}"],
                mode="inotify",
                drill=False,
            )
        )
        session.add(
            IncidentRow(
                started_at=now - timedelta(minutes=10),
                detected_at=now - timedelta(minutes=9),
                folder="/data/Patients",
                actor_pid=666,
                actor_name=f"crypt{PAYLOAD}.exe",
                score=0.97,
                reason="high entropy writes, extensions changed",
                action="killed",
                files_affected=7,
                drill=False,
                status="open",
                timeline=[{"at": now.isoformat(), "kind": "write", "path": f"/x/{IMG}"}],
            )
        )
    with browser_client(create_app()) as c:
        backups = c.get("/backups", params={"lang": "en"}).text
        assert "succeeded, with anomalies to look at" in backups
        assert "every file came back intact" in backups
        assert "3.4\u00a0GB" in backups and "immutable (Object Lock)" in backups
        assert "&lt;img src=x" in backups and "<img src=x" not in backups
        sentinel = c.get("/sentinel").text
        assert "watching" in sentinel and "inotify" in sentinel
        assert "Open alerts: 1" in sentinel and "process stopped" in sentinel
        assert "crypt&lt;script&gt;" in sentinel and "<script" not in sentinel
        overview = c.get("/").text
        assert "Open alerts: 1" in overview and "every file came back intact" in overview


def test_unknown_pages_get_a_readable_404(client: TestClient) -> None:
    page = client.get("/nowhere")
    assert page.status_code == 404
    assert 'role="alert"' in page.text


def test_an_empty_store_says_how_to_start() -> None:
    from rempart.web import create_app
    from tests.web.conftest import browser_client

    i18n.set_language("en")
    with browser_client(create_app(lang="en")) as c:
        for path in PAGES:
            assert c.get(path).status_code == 200
        assert "No audit yet" in c.get("/").text


def test_what_another_process_records_shows_within_a_second_or_two(client: TestClient) -> None:
    i18n.set_language("en")
    assert "The sentinel has never run" in client.get("/sentinel", params={"lang": "en"}).text
    now = datetime.now(UTC)
    with Store.open() as store, store._session() as session:  # as `rempart watch` would
        session.add(
            SentinelRunRow(
                started_at=now,
                heartbeat_at=now,
                pid=4343,
                host="bureau",
                folders=["/data/Patients"],
                mode="fanotify",
                drill=False,
            )
        )
    deadline = time.monotonic() + 10
    while "fanotify" not in (page := client.get("/sentinel").text):
        assert time.monotonic() < deadline, "the new sentinel run never showed"
        time.sleep(0.1)
    assert "watching" in page and "bureau" in page

"""The "run an audit" and "run a restore drill" buttons: background jobs, their pages, and
what they leave in the store."""

from __future__ import annotations

import socket
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rempart import i18n
from rempart.app.audit import AuditOptions, Progress, run_audit
from rempart.cli.common import build_scope
from rempart.core.errors import UsageError
from rempart.core.model import Audit
from rempart.store import Store
from rempart.store.models import RestoreDrillRow
from rempart.web import create_app
from tests.support import tcp_server
from tests.web.conftest import browser_client, csrf_of


def telnet_like(conn: socket.socket) -> None:
    conn.sendall(b"\xff\xfb\x01\xff\xfb\x03\r\nlogin: ")
    conn.settimeout(2)
    try:
        conn.recv(64)
    except OSError:
        return


def job_id_of(answer_location: str) -> str:
    assert answer_location.startswith("/jobs/")
    return answer_location.removeprefix("/jobs/")


def test_the_audit_button_runs_a_real_audit_and_it_appears_in_the_history(
    stored_audits: tuple[Audit, Audit],
) -> None:
    i18n.set_language("en")
    with tcp_server(telnet_like, "127.0.7.1") as port:

        def audit_loopback(store: Store, progress: Progress) -> Audit:
            scope = build_scope(["127.0.7.1"], str(port), authorized=False, large=False)
            return run_audit(scope, AuditOptions(snmp=False), None, progress)

        app = create_app(audit_runner=audit_loopback, lang="en")
        with browser_client(app) as c:
            assert "Run an audit" in c.get("/").text
            token = csrf_of(c, "/")
            answer = c.post("/audit/run", data={"csrf": token}, follow_redirects=False)
            assert answer.status_code == 303
            job_id = job_id_of(answer.headers["location"])
            job = app.state.web.jobs.wait(job_id, timeout=120)
            assert job is not None and job.state == "done", job
            page = c.get(f"/jobs/{job_id}").text
            assert 'data-state="done"' in page and 'http-equiv="refresh"' not in page
            assert f'href="/audits/{job.result_id}"' in page
            history = c.get("/audits").text
            assert history.count("data-audit=") == 3
            assert f'data-audit="{job.result_id}"' in history
            with Store.open() as store:
                latest = store.latest_audit()
            assert latest is not None and latest.id == job.result_id
            assert latest.targets == ("127.0.7.1",)
            assert any(s.port == port for a in latest.assets for s in a.services)


def test_a_second_click_shows_the_running_audit_instead_of_starting_another(
    stored_audits: tuple[Audit, Audit],
) -> None:
    release = threading.Event()
    started = threading.Event()
    calls = []

    def slow_audit(store: Store, progress: Progress) -> Audit:
        calls.append(1)
        progress.phase("scan", 10)
        progress.update(4, 10)
        started.set()
        assert release.wait(30)
        first, _ = stored_audits
        now = datetime.now(UTC)
        return Audit(
            id="33333333-cccc-4ccc-8ccc-333333333333",
            started_at=now,
            finished_at=now,
            targets=first.targets,
            ports=first.ports,
            assets=first.assets,
            findings=first.findings,
        )

    app = create_app(audit_runner=slow_audit)
    with browser_client(app) as c:
        token = csrf_of(c, "/")
        first = c.post("/audit/run", data={"csrf": token}, follow_redirects=False)
        assert started.wait(30)
        running = c.get(first.headers["location"]).text
        assert 'data-state="running"' in running and 'http-equiv="refresh"' in running
        assert 'value="40"' in running  # the progress bar
        assert f'href="{first.headers["location"]}"' in c.get("/").text  # no second button
        second = c.post("/audit/run", data={"csrf": token}, follow_redirects=False)
        assert second.headers["location"] == first.headers["location"]
        release.set()
        job = app.state.web.jobs.wait(job_id_of(first.headers["location"]), timeout=30)
        assert job is not None and job.state == "done"
        assert calls == [1]


def test_a_failed_audit_says_why_on_its_page(stored_audits: tuple[Audit, Audit]) -> None:
    def no_network(store: Store, progress: Progress) -> Audit:
        raise UsageError("No network to audit yet: run 'rempart audit --network ...' once.")

    app = create_app(audit_runner=no_network)
    with browser_client(app) as c:
        token = csrf_of(c, "/")
        answer = c.post("/audit/run", data={"csrf": token}, follow_redirects=False)
        job = app.state.web.jobs.wait(job_id_of(answer.headers["location"]), timeout=30)
        assert job is not None and job.state == "failed"
        page = c.get(answer.headers["location"]).text
        assert 'data-state="failed"' in page and "No network to audit yet" in page
        assert c.get("/audits").text.count("data-audit=") == 2


def test_the_drill_button_says_plainly_when_no_vault_is_configured(
    stored_audits: tuple[Audit, Audit],
) -> None:
    i18n.set_language("en")
    calls = []
    app = create_app(
        drill_runner=lambda store, progress: calls.append(1) or "ok", vault_configured=False
    )
    with browser_client(app) as c:
        overview = c.get("/", params={"lang": "en"}).text
        assert "No backup repository is configured" in overview
        assert 'id="run-drill"' not in overview
        token = csrf_of(c)
        answer = c.post("/drill/run", data={"csrf": token}, follow_redirects=False)
        assert answer.status_code == 409
        assert "No backup repository is configured" in answer.text
    assert calls == []


def test_the_drill_button_runs_the_vaults_drill_and_the_backups_page_shows_it(
    stored_audits: tuple[Audit, Audit],
) -> None:
    i18n.set_language("en")

    def drill(store: Store, progress: Progress) -> str:
        with store._session() as session:
            session.add(
                RestoreDrillRow(
                    repository="/srv/backup",
                    snapshot_id="feedc0ffee00",
                    at=datetime.now(UTC),
                    kind="sample",
                    files=20,
                    bytes=2_000_000,
                    ok=True,
                    detail="20 files restored, identical",
                )
            )
        return "20 files restored and identical"

    app = create_app(drill_runner=drill, vault_configured=True, lang="en")
    with browser_client(app) as c:
        assert 'id="run-drill"' in c.get("/backups").text
        token = csrf_of(c, "/backups")
        answer = c.post("/drill/run", data={"csrf": token}, follow_redirects=False)
        job = app.state.web.jobs.wait(job_id_of(answer.headers["location"]), timeout=30)
        assert job is not None and job.state == "done"
        assert "20 files restored and identical" in c.get(answer.headers["location"]).text
        backups = c.get("/backups").text
        assert "feedc0ffee00" in backups and "20 files restored, identical" in backups
        assert "every file came back intact" in c.get("/").text


def test_without_an_audit_runner_the_button_is_absent_and_posting_is_refused(
    client: TestClient,
) -> None:
    token = csrf_of(client)
    assert 'id="run-audit"' not in client.get("/").text
    answer = client.post("/audit/run", data={"csrf": token}, follow_redirects=False)
    assert answer.status_code == 409


def test_the_drill_button_runs_the_vaults_real_drill_on_a_real_repository(
    stored_audits: tuple[Audit, Audit], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rempart.cli.serve import dashboard_drill
    from rempart.config import Settings, VaultSettings
    from rempart.vault.backends.local import LocalBackend
    from rempart.vault.backup import run_backup
    from rempart.vault.repo import Repository

    i18n.set_language("en")
    passphrase = "dashboard drill passphrase"
    data = tmp_path / "Patients"
    for i in range(12):
        (data / f"dossier-{i % 3}").mkdir(parents=True, exist_ok=True)
        (data / f"dossier-{i % 3}" / f"radio-{i}.bin").write_bytes(bytes([i]) * (500 + 97 * i))
    repo, _recovery = Repository.init(LocalBackend(tmp_path / "repo"), passphrase)
    run_backup(repo, [str(data)], workers=1)
    monkeypatch.setenv("REMPART_VAULT_PASSPHRASE", passphrase)
    settings = Settings(vault=VaultSettings(repository=str(tmp_path / "repo")))

    app = create_app(drill_runner=dashboard_drill(settings), vault_configured=True, lang="en")
    with browser_client(app) as c:
        token = csrf_of(c)
        answer = c.post("/drill/run", data={"csrf": token}, follow_redirects=False)
        job = app.state.web.jobs.wait(job_id_of(answer.headers["location"]), timeout=120)
        assert job is not None and job.state == "done", job
        assert "identical bit for bit" in c.get(answer.headers["location"]).text
        backups = c.get("/backups").text
        assert backups.count('<span class="status ok">every file came back intact</span>') == 1
        assert "every file came back intact" in c.get("/").text


def test_a_drill_that_cannot_open_the_repository_fails_on_its_page_and_is_recorded(
    stored_audits: tuple[Audit, Audit], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rempart.cli.serve import dashboard_drill
    from rempart.config import Settings, VaultSettings

    i18n.set_language("en")
    monkeypatch.setenv("REMPART_VAULT_PASSPHRASE", "whatever")
    settings = Settings(vault=VaultSettings(repository=str(tmp_path / "no-repo-here")))
    app = create_app(drill_runner=dashboard_drill(settings), vault_configured=True, lang="en")
    with browser_client(app) as c:
        token = csrf_of(c)
        answer = c.post("/drill/run", data={"csrf": token}, follow_redirects=False)
        job = app.state.web.jobs.wait(job_id_of(answer.headers["location"]), timeout=120)
        assert job is not None and job.state == "failed" and job.message
        assert 'data-state="failed"' in c.get(answer.headers["location"]).text
        assert '<span class="status bad">failed</span>' in c.get("/backups").text

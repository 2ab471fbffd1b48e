"""The dashboard in a real browser: Debian's Chromium driven by Playwright, against
``rempart serve`` (uvicorn on 127.0.0.1) showing the demo practice's audit.

The demo practice runs (``rempart lab``), it is audited for real, then a person walks
through the pages, accepts a risk, starts a new audit with the button and waits for it.
Playwright's own browsers are never downloaded: ``/usr/bin/chromium`` (``.ci/run``
installs it) is the browser.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rempart.app.audit import AuditOptions, run_network_audit
from rempart.cli.demo import demo_scope
from rempart.lab import LabState, start_lab, stop_lab
from rempart.store import Store
from tests.support import IN_CI

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not Path(CHROMIUM).exists():
    if IN_CI:
        pytest.fail(f"{CHROMIUM} is missing (.ci/run installs the chromium package)")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)", allow_module_level=True)

playwright_sync = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def demo_audited() -> Iterator[LabState]:
    """The demo practice running, and audited once into the test's store."""
    state = start_lab()
    try:
        audit = run_network_audit(demo_scope(state), AuditOptions(try_default_credentials=True))
        with Store.open() as store:
            store.save_audit(audit)
        yield state
    finally:
        stop_lab()


@pytest.fixture
def dashboard(demo_audited: LabState) -> Iterator[str]:
    """``rempart serve`` on a free loopback port; yields its address."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "rempart", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # printed once the socket listens
        assert f"http://127.0.0.1:{port}" in line, line
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)


def test_a_person_walks_the_dashboard_accepts_a_risk_and_runs_an_audit(
    dashboard: str, tmp_path: Path
) -> None:
    with playwright_sync.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="fr-FR")
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.set_default_timeout(30_000)

            # The overview: a grade, the plan, in French.
            page.goto(dashboard + "/")
            assert page.locator("html").get_attribute("lang") == "fr"
            grade = page.locator(".grade-letter").first.get_attribute("data-grade")
            assert grade in tuple("ABCDEFG")
            assert page.locator("ol.actions li").count() >= 3
            overview_png = tmp_path / "overview.png"
            page.screenshot(path=str(overview_png), full_page=True)

            # Navigation across every page by the menu.
            for href in ("/findings", "/assets", "/audits", "/backups", "/sentinel", "/"):
                page.click(f'header nav a[href="{href}"]')
                page.wait_for_url(dashboard + href)
                assert (
                    page.locator(f'header nav a[href="{href}"]').get_attribute("aria-current")
                    == "page"
                )
                assert page.locator("h1").count() == 1
            assert page.locator("#assets-summary tbody tr").count() == 0  # (on the overview)
            page.goto(dashboard + "/assets")
            assert page.locator("#assets-summary tbody tr").count() >= 6
            assert page.get_by_text("127.42.0.30", exact=True).count() >= 1

            # Accept the SMBv1 risk on the reception PC, with a reason and an end date.
            page.goto(dashboard + "/findings?q=NET-SMB-V1")
            item = page.locator('li.finding[data-key^="NET-SMB-V1|127.42.0.10|"]')
            assert item.get_attribute("data-status") in ("new", "open")
            key = item.get_attribute("data-key")
            item.locator("summary").click()
            item.locator('input[name="reason"]').fill(
                "Le logiciel de radiologie exige SMBv1 jusqu'à sa mise à jour"
            )
            item.locator("form.accept button[type=submit]").click()
            page.wait_for_url("**/findings?*done=accepted*")
            accepted = page.locator(f'li.finding[data-key="{key}"]')
            assert accepted.get_attribute("data-status") == "accepted"
            page.goto(dashboard + "/findings?status=accepted")
            assert page.locator("li.finding").count() == 1
            assert page.locator(f'li.finding[data-key="{key}"]').count() == 1
            page.screenshot(path=str(tmp_path / "findings.png"), full_page=True)

            # Run an audit from the button; its page refreshes until it is done.
            page.goto(dashboard + "/")
            page.click("#run-audit")
            page.wait_for_url("**/jobs/*")
            page.wait_for_selector('section.job[data-state="done"]', timeout=180_000)
            page.click(".job a.button")
            page.wait_for_url("**/audits/*")
            page.goto(dashboard + "/audits")
            assert page.locator("#audits tbody tr").count() == 2
            assert page.locator("#audits tbody tr .chip").count() == 2

            page.goto(dashboard + "/")
            page.screenshot(path=str(overview_png), full_page=True)
            assert problems == [], problems  # no CSP violation, no script error
        finally:
            browser.close()
    data = overview_png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000

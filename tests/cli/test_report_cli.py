"""`rempart report` and `rempart accept` on the real store: each format written whole, bad
input refused with one clear line and no file left.

The commands run in-process through the console-script entry point (``rempart.cli.main.run``:
the same parsing, error handling and exit codes as the installed command); one test runs the
real ``rempart`` executable in a subprocess end to end.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rempart.checks import CheckContext, run_checks
from rempart.core.model import Audit
from rempart.store import Store
from tests.checks.practice import NOW, demo_audit

Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    """``cli(*args)`` runs ``rempart ARGS`` in-process: stdout, stderr, exit code."""
    from rempart.cli.main import run

    def invoke(*args: str) -> subprocess.CompletedProcess[str]:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["rempart", *args])
        code: int | str | None = 0
        try:
            run()
        except SystemExit as exc:
            code = exc.code
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(["rempart", *args], int(code or 0), out, err)

    return invoke


def test_the_installed_command_writes_a_report(stored: tuple[Audit, Audit], tmp_path: Path) -> None:
    out = tmp_path / "out" / "cabinet.sarif"
    result = subprocess.run(
        [sys.executable, "-m", "rempart", "report", "-f", "sarif", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ},
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["runs"][0]["results"]


def assert_one_clear_line(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.fixture
def stored() -> tuple[Audit, Audit]:
    """Two audits of the demo practice a week apart; the second has one finding fewer."""
    base = demo_audit()
    findings = run_checks(base.assets, CheckContext(now=NOW))
    now = datetime.now(UTC)
    first = dataclasses.replace(
        base,
        id="11111111-aaaa-4000-8000-000000000001",
        started_at=now - timedelta(days=7, minutes=5),
        finished_at=now - timedelta(days=7),
        findings=findings,
    )
    second = dataclasses.replace(
        base,
        id="22222222-bbbb-4000-8000-000000000002",
        started_at=now - timedelta(minutes=5),
        finished_at=now,
        findings=tuple(f for f in findings if f.check_id != "NET-TELNET"),
    )
    with Store.open() as store:
        store.save_audit(first)
        store.save_audit(second)
    return first, second


def test_json_report_of_the_latest_audit(
    cli: Cli, stored: tuple[Audit, Audit], tmp_path: Path
) -> None:
    out = tmp_path / "cabinet.json"
    result = cli("report", "--format", "json", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert str(out) in result.stdout
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["audit_id"] == stored[1].id
    assert data["grade"]["grade"] == "G"
    assert data["plan"][0]["title"] == "Changer les mots de passe d'usine des appareils"
    assert data["change"]["fixed"] == ["NET-TELNET|127.42.0.1|23|tcp"]
    assert [p["audit_id"] for p in data["history"]] == [stored[0].id, stored[1].id]
    assert {f["status"] for f in data["findings"]} == {"open"}


def test_sarif_report_of_an_audit_by_prefix_in_english(
    cli: Cli, stored: tuple[Audit, Audit], tmp_path: Path
) -> None:
    out = tmp_path / "first.sarif"
    result = cli("report", "1111", "--format", "sarif", "--out", str(out), "--lang", "en")
    assert result.returncode == 0, result.stderr
    log = json.loads(out.read_text(encoding="utf-8"))
    assert log["version"] == "2.1.0"
    assert log["runs"][0]["automationDetails"]["id"].endswith(stored[0].id)
    assert log["runs"][0]["language"] == "en"
    titles = {
        r["id"]: r["shortDescription"]["text"] for r in log["runs"][0]["tool"]["driver"]["rules"]
    }
    assert titles["NET-TELNET"].startswith("Telnet")


def test_html_report_is_written_into_a_folder(
    cli: Cli, stored: tuple[Audit, Audit], tmp_path: Path
) -> None:
    pytest.importorskip("rempart.report.practice_html")
    out = tmp_path / "out"
    out.mkdir()
    result = cli("report", "--out", str(out))
    assert result.returncode == 0, result.stderr
    (page,) = out.glob("*.html")
    text = page.read_text(encoding="utf-8")
    assert text.lstrip().lower().startswith("<!doctype html")
    assert "Changer les mots de passe d" in text


def test_pdf_report(cli: Cli, stored: tuple[Audit, Audit], tmp_path: Path) -> None:
    pytest.importorskip("rempart.report.pdf")
    pytest.importorskip("weasyprint")
    out = tmp_path / "rapport.pdf"
    result = cli("report", "--format", "pdf", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF-")


def test_unknown_format_is_refused(cli: Cli, stored: tuple[Audit, Audit], tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = cli("--lang", "en", "report", "--format", "docx", "--out", str(out / "x"))
    assert_one_clear_line(result, "docx", "html, pdf, json or sarif")
    assert not out.exists()


def test_unknown_audit_is_refused(cli: Cli, stored: tuple[Audit, Audit], tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = cli("--lang", "en", "report", "nope-nope", "--out", str(out / "x.json"))
    assert_one_clear_line(result, "nope-nope", "rempart audits")
    assert not out.exists()


def test_an_empty_store_says_to_audit_first(cli: Cli, tmp_path: Path) -> None:
    result = cli("--lang", "en", "report", "--format", "json", "--out", str(tmp_path / "x"))
    assert_one_clear_line(result, "rempart audit")


def test_unwritable_out_leaves_nothing_behind(
    cli: Cli, stored: tuple[Audit, Audit], tmp_path: Path
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "old.json").write_text("keep me", encoding="utf-8")
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as root: permissions are not enforced")
        result = cli("--lang", "en", "report", "-f", "json", "--out", str(locked / "old.json"))
        assert_one_clear_line(result, "Cannot write", "old.json")
        assert sorted(p.name for p in locked.iterdir()) == ["old.json"]
        assert (locked / "old.json").read_text(encoding="utf-8") == "keep me"
    finally:
        locked.chmod(0o700)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 64 KiB file system (tmpfs), for a disk that fills up while the report is
    written; needs root to mount."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a real full disk needs root to mount a small tmpfs")
    mount = tmp_path / "usb"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_a_full_disk_keeps_the_previous_report_whole(
    cli: Cli, stored: tuple[Audit, Audit], tiny_disk: Path
) -> None:
    previous = tiny_disk / "cabinet.json"
    previous.write_text('{"grade": "old"}\n', encoding="utf-8")
    result = cli("--lang", "en", "report", "-f", "json", "--out", str(previous))
    assert_one_clear_line(result, "Cannot write", "cabinet.json")
    assert [p.name for p in tiny_disk.iterdir()] == ["cabinet.json"]  # no temporary file left
    assert previous.read_text(encoding="utf-8") == '{"grade": "old"}\n'


def test_out_under_a_file_is_refused(cli: Cli, stored: tuple[Audit, Audit], tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    result = cli("--lang", "en", "report", "-f", "sarif", "--out", str(blocker / "r.sarif"))
    assert_one_clear_line(result, "Cannot write")
    assert blocker.read_text(encoding="utf-8") == "x"


def test_accept_then_report_shows_it(cli: Cli, stored: tuple[Audit, Audit], tmp_path: Path) -> None:
    key = "NET-WINRM|127.42.0.20|5985|tcp"
    until = (datetime.now(UTC) + timedelta(days=60)).date().isoformat()
    result = cli("accept", key, "--reason", "agent de sauvegarde de l'éditeur", "--until", until)
    assert result.returncode == 0, result.stderr
    assert until in result.stdout
    out = tmp_path / "r.json"
    assert cli("report", "-f", "json", "--out", str(out)).returncode == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    (winrm,) = [f for f in data["findings"] if f["key"] == key]
    assert winrm["status"] == "accepted"
    assert winrm["accepted"]["reason"] == "agent de sauvegarde de l'éditeur"
    assert all(key not in a["findings"] for a in data["plan"])


def test_accept_refuses_a_date_too_far_or_malformed(cli: Cli, stored: tuple[Audit, Audit]) -> None:
    key = "NET-WINRM|127.42.0.20|5985|tcp"
    far = (datetime.now(UTC) + timedelta(days=400)).date().isoformat()
    assert_one_clear_line(
        cli("--lang", "en", "accept", key, "--reason", "r", "--until", far),
        "more than a year",
    )
    assert_one_clear_line(
        cli("--lang", "en", "accept", key, "--reason", "r", "--until", "31/12/2026"),
        "YYYY-MM-DD",
    )
    assert_one_clear_line(cli("--lang", "en", "accept", key), "--reason")


def test_demo_ends_with_the_practice_report_and_the_dashboard(cli: Cli, tmp_path: Path) -> None:
    """`rempart demo` on the real demo practice (loopback): its last lines say where the
    practice report is and how to open the dashboard."""
    out = tmp_path / "demo"
    result = cli("--lang", "en", "demo", "--out", str(out))
    assert result.returncode == 0, result.stderr
    last = [line for line in result.stdout.splitlines() if line.strip()][-4:]
    report = out / "practice-report.html"
    grade = re.fullmatch(r"Grade of the practice: ([A-G]) \(\d+ risk points; .*\)\.", last[0])
    assert grade is not None, last[0]
    assert grade.group(1) in "EFG"  # the demo practice is full of holes
    assert last[1].startswith("First action: ") and "(the IT provider" in last[1], last[1]
    assert last[2:] == [
        f"Practice report (grade and action plan): {report}",
        "Dashboard: run 'rempart serve', then open http://127.0.0.1:8765",
    ]
    assert "factory passwords" in report.read_text(encoding="utf-8")

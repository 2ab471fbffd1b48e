"""`rempart watch` as a user runs it: bad input is one line; a real watch stops a real
encrypting process, Ctrl-C ends it cleanly with the canaries left in place; --status shows it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from rempart.sentinel import canaries
from rempart.sentinel.watcher import available_modes
from tests.sentinel.watchkit import start_encryptor


def rempart(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rempart", "--lang", "en", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200"},
    )


@pytest.fixture
def cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """The real entry point (``rempart.cli.main.run``) in this process: the same parsing,
    error line and exit code as the command, without paying its start-up time each time."""
    from rempart.cli import main

    def invoke(*args: str) -> subprocess.CompletedProcess[str]:
        monkeypatch.setattr(sys, "argv", ["rempart", "--lang", "en", *args])
        monkeypatch.setenv("COLUMNS", "200")
        code = 0
        try:
            main.run()
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out.out, out.err)

    return invoke


def assert_one_clear_line(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_no_folder_given_nor_configured(rempart_home: Path, cli) -> None:
    result = cli("watch")
    assert_one_clear_line(result, "No folder to protect", "[sentinel] folders")
    assert result.returncode == 2


def test_a_missing_folder_and_a_file_are_refused(tmp_path: Path, cli) -> None:
    assert_one_clear_line(cli("watch", str(tmp_path / "nope")), "does not exist")
    file = tmp_path / "notes.txt"
    file.write_text("x")
    assert_one_clear_line(cli("watch", str(file)), "is a file, not a folder")


def test_an_unknown_response_and_mode_are_refused(tmp_path: Path, cli) -> None:
    assert_one_clear_line(cli("watch", "--response", "nuke", str(tmp_path)), "kill, suspend")
    assert_one_clear_line(cli("watch", "--mode", "dtrace", str(tmp_path)), "Unknown watch mode")


def test_unreadable_settings_are_one_line(rempart_home: Path, tmp_path: Path, cli) -> None:
    (rempart_home / "settings.toml").write_text("[sentinel]\nresponse = 'explode'\n")
    assert_one_clear_line(cli("watch", str(tmp_path)), "[sentinel] response")
    (rempart_home / "settings.toml").write_text("[sentinel\n")
    assert_one_clear_line(cli("watch", str(tmp_path)), "not valid TOML")
    (rempart_home / "settings.toml").write_text("[sentinel]\nfolders = 'D:/Patients'\n")
    assert_one_clear_line(cli("watch"), "list of strings")


def test_status_before_any_watch(cli) -> None:
    result = cli("watch", "--status")
    assert result.returncode == 0, result.stderr
    assert "never run here" in result.stdout
    assert "No incident recorded" in result.stdout


def test_close_an_unknown_incident(cli) -> None:
    assert_one_clear_line(cli("watch", "--close", "41"), "No incident number 41")


def _read_until(proc: subprocess.Popen[str], needle: str, timeout: float) -> list[str]:
    """Lines of the watch's stdout up to the one containing ``needle`` (deadline enforced
    by a timer that kills the watch)."""
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if needle in line:
                return lines
    finally:
        timer.cancel()
    raise AssertionError(f"{needle!r} never printed: {''.join(lines)}")


def test_watch_stops_an_encryptor_then_ctrl_c_leaves_canaries(
    tmp_path: Path, rempart_home: Path
) -> None:
    if available_modes()["fanotify"] is not None:
        pytest.skip("needs fanotify (root)")
    folder = tmp_path / "patients"
    folder.mkdir()
    for i in range(30):
        (folder / f"cr_{i:02}.txt").write_text(f"Compte rendu fictif {i}. " * 200)
    (rempart_home / "settings.toml").write_text("[alerts]\ndesktop = false\n")
    watch = subprocess.Popen(
        [sys.executable, "-m", "rempart", "--lang", "en", "watch", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        _read_until(watch, "Ctrl-C stops", 60)
        _read_until(watch, "Gate on", 10)  # root: the kernel holds the writer's next open
        encryptor = start_encryptor(folder, delay=0.05)
        lines = _read_until(watch, "was stopped (killed)", 60)
        assert encryptor.wait(10) in (-9, 0)
        assert any("ALERT" in line for line in lines)
        watch.send_signal(signal.SIGINT)
        out, err = watch.communicate(timeout=60)
    finally:
        if watch.poll() is None:
            watch.kill()
            watch.wait(10)
    assert watch.returncode in (0, 130), err
    assert "Traceback" not in err
    assert "The canary files stay in place" in out
    assert all(p.exists() for p in canaries.paths(folder))
    assert not psutil.pid_exists(encryptor.pid) or (
        psutil.Process(encryptor.pid).status() == psutil.STATUS_ZOMBIE
    )

    status = rempart("watch", "--status")
    assert status.returncode == 0, status.stderr
    assert "NOT running" in status.stdout
    assert str(folder) in status.stdout.replace("\n", "")
    assert "stopped (killed)" in status.stdout
    closed = rempart("watch", "--close", "1")
    assert closed.returncode == 0 and "Incident 1 closed" in closed.stdout


def test_an_incident_asks_the_vault_for_a_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if available_modes()["fanotify"] is not None:
        pytest.skip("needs fanotify (root)")
    from rempart import config
    from rempart.cli.watch import snapshot_hook
    from rempart.sentinel.service import Sentinel
    from rempart.store import Store
    from rempart.vault import Repository, open_backend

    folder = tmp_path / "patients"
    folder.mkdir()
    for i in range(20):
        (folder / f"cr_{i:02}.txt").write_text(f"Compte rendu fictif {i}. " * 200)
    vault = config.VaultSettings(repository=str(tmp_path / "coffre"))
    Repository.init(open_backend(vault.repository, vault), "phrase de passe du cabinet")
    notes: list[str] = []
    assert snapshot_hook(vault, [folder], notes.append) is None  # no passphrase: said once
    assert notes and "REMPART_VAULT_PASSPHRASE" in notes[0]
    monkeypatch.setenv("REMPART_VAULT_PASSPHRASE", "phrase de passe du cabinet")
    hook = snapshot_hook(vault, [folder], notes.append)
    assert hook is not None
    done = threading.Event()
    with (
        Store.open() as store,
        Sentinel(
            [folder],
            store=store,
            snapshot_hook=hook,
            on_incident=lambda _incident: done.set(),
            alerts=config.AlertSettings(desktop=False),
        ) as sentinel,
    ):
        encryptor = start_encryptor(folder, delay=0.05)
        try:
            incident = sentinel.wait_incident(30)
            assert incident is not None
            assert done.wait(120)
        finally:
            encryptor.kill()
            encryptor.wait(10)
    repo = Repository.open(open_backend(vault.repository, vault), "phrase de passe du cabinet")
    [snapshot] = repo.snapshots()
    assert snapshot.tags == ("sentinel", f"incident-{incident.id}")
    assert any(
        e["kind"] == "snapshot" and "vault snapshot" in e.get("detail", "")
        for e in incident.timeline
    )

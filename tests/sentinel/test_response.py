"""Stopping real processes: suspend, kill with children, and who is never touched."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from rempart.sentinel.allowlist import Allowlist
from rempart.sentinel.response import IoTracker, candidates, stop

PARENT_WITH_CHILD = r"""
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
print(child.pid, flush=True)
time.sleep(120)
"""


def _spawn(code: str) -> tuple[subprocess.Popen[str], int | None]:
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, bufsize=1
    )
    line = proc.stdout.readline() if proc.stdout else ""
    return proc, int(line) if line.strip() else None


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _reaches(pid: int, status: str, timeout: float = 5.0) -> bool:
    """Signals are delivered asynchronously: wait (with a deadline) for the state."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while time.monotonic() < deadline:
        if psutil.Process(pid).status() == status:
            return True
        pause.wait(0.01)
    return False


@pytest.fixture
def family():
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for p in procs:
        try:
            parent = psutil.Process(p.pid)
            for c in parent.children(recursive=True):
                c.kill()
            parent.kill()
        except psutil.Error:
            pass
        p.wait(10)


def test_kill_stops_the_culprit_and_its_children(family: list) -> None:
    proc, child_pid = _spawn(PARENT_WITH_CHILD)
    family.append(proc)
    result = stop(proc.pid, "kill", Allowlist.build())
    assert result.action == "killed"
    assert result.children == (child_pid,)
    for pid in (proc.pid, child_pid):
        assert pid is not None and _gone(pid)
    assert result.done_at > 0


def test_suspend_freezes_without_killing(family: list) -> None:
    proc, child_pid = _spawn(PARENT_WITH_CHILD)
    family.append(proc)
    result = stop(proc.pid, "suspend", Allowlist.build())
    assert result.action == "suspended"
    assert _reaches(proc.pid, psutil.STATUS_STOPPED)
    assert child_pid is not None and _reaches(child_pid, psutil.STATUS_STOPPED)


def test_alert_only_names_the_process(family: list) -> None:
    proc, _child = _spawn(PARENT_WITH_CHILD)
    family.append(proc)
    result = stop(proc.pid, "alert", Allowlist.build())
    assert result.action == "named"
    assert result.name and result.name.startswith("python")
    assert psutil.Process(proc.pid).status() != psutil.STATUS_STOPPED


def test_never_ourselves_nor_pid_1() -> None:
    for pid in (os.getpid(), 1):
        result = stop(pid, "kill", Allowlist.build())
        assert result.action == "named"
        assert psutil.pid_exists(pid)
        assert "protected" in result.notes[0]


def test_allow_listed_writers_are_named_not_stopped(family: list) -> None:
    proc, _child = _spawn(PARENT_WITH_CHILD)
    family.append(proc)
    name = psutil.Process(proc.pid).name()
    result = stop(proc.pid, "kill", Allowlist.build(processes=(name,)))
    assert result.action == "named"
    assert "allow-listed" in result.notes[0]
    assert proc.poll() is None


def test_builtin_allow_list_covers_archivers_backup_and_databases() -> None:
    allow = Allowlist.build()
    for name in ("7z.exe", "7zG", "restic", "rempart", "VeraCrypt.exe", "sqlservr.exe", "postgres"):
        assert allow.process_allowed(name), name
    assert allow.process_allowed(None, "C:\\Program Files\\7-Zip\\7z.exe")
    assert not allow.process_allowed("python3")
    assert not allow.process_allowed("lockbit.exe")


def test_allowed_paths_are_not_judged(tmp_path: Path) -> None:
    allow = Allowlist.build(paths=(str(tmp_path / "exports"),))
    assert allow.path_allowed(tmp_path / "exports" / "sauvegarde.7z")
    assert not allow.path_allowed(tmp_path / "patients" / "dupont.docx")


def test_a_vanished_process_is_reported_not_raised() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(10)
    result = stop(proc.pid, "kill", Allowlist.build())
    assert result.action == "none"


def test_candidates_name_a_process_holding_files_open_in_the_folder(
    tmp_path: Path, family: list
) -> None:
    holder = (
        "import sys, time\n"
        "fh = open(sys.argv[1], 'wb'); fh.write(b'x' * 100000); fh.flush()\n"
        "print(1, flush=True)\n"
        "time.sleep(120)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", holder, str(tmp_path / "held.bin")],
        stdout=subprocess.PIPE,
        text=True,
    )
    family.append(proc)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "1"
    tracker = IoTracker()
    tracker.sample()
    found = candidates(tmp_path, tracker, Allowlist.build())
    assert found and found[0].pid == proc.pid
    assert found[0].open_files == 1

"""The gate: a writer's next open waits until its writes are judged; a condemned process is
denied; the sentinel's own opens, allow-listed processes and new files never wait; a
deadline always answers; a stopped or killed sentinel leaves no process blocked.

The bookkeeping is tested on its own (no root); the rest with real processes held by the
kernel (fanotify permission events, root)."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from rempart import i18n
from rempart.config import AlertSettings, SentinelSettings
from rempart.sentinel import fanotify
from rempart.sentinel import service as service_module
from rempart.sentinel.gate import Gate, start_time
from rempart.sentinel.service import Sentinel
from tests.sentinel.watchkit import TEXT, finish, require_mode
from tests.support import IN_CI

ROOT = Path(__file__).resolve().parents[2]
QUIET = AlertSettings(desktop=False)


def _readable(fd: int, timeout: float = 5.0) -> bool:
    return bool(select.select([fd], [], [], timeout)[0])


def _eventually(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Wait until ``predicate()`` holds, checking every few milliseconds, at most
    ``timeout`` seconds (a condition with a deadline, not a sleep)."""
    deadline = time.monotonic() + timeout
    tick = threading.Event()
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        tick.wait(0.005)
    return True


# -- the bookkeeping -----------------------------------------------------------------------


def test_a_process_that_wrote_nothing_opens_at_once() -> None:
    gate = Gate(own_pid=1)
    answer = gate.ask(4242, "fd", now=0.0)
    assert answer is not None and answer.allow and gate.held == 0
    gate.close()


def test_a_writer_waits_until_all_its_writes_are_judged_then_opens() -> None:
    gate = Gate(own_pid=1, deadline=10.0)
    gate.queued(4242, "close_write", Path("/p/a.jpg"))
    gate.queued(4242, "delete", Path("/p/b.jpg"))
    assert gate.ask(4242, "fd", now=0.0) is None  # held
    gate.judged()
    assert gate.settle(now=0.01) == []  # one of its two events is still to be judged
    gate.judged()
    (answer,) = gate.settle(now=0.02)
    assert answer.allow and not answer.late
    again = gate.ask(4242, "fd2", now=0.03)  # judged: its next open goes at once
    assert again is not None and again.allow and gate.held == 1
    gate.close()


def test_the_watch_thread_is_woken_once_the_writer_is_judged() -> None:
    gate = Gate(own_pid=1, deadline=10.0)
    gate.queued(None)  # an event of an unknown writer, first in the queue
    gate.queued(4242, "write", Path("/p/a.jpg"))
    assert gate.ask(4242, "fd", now=0.0) is None
    gate.judged()
    assert not _readable(gate.fileno(), 0.0) and not gate.clear(4242)
    gate.judged()  # the writer's event: the watch thread must wake up
    assert _readable(gate.fileno()) and gate.clear(4242)
    (answer,) = gate.settle(now=0.02)
    assert answer.allow and not answer.late and answer.token == "fd"
    assert answer.waited == pytest.approx(0.02)
    assert not _readable(gate.fileno(), 0.0)  # the wake-up was consumed
    assert gate.figures_of(4242).held == 1
    gate.close()


def test_a_condemned_writer_is_denied_even_while_held() -> None:
    gate = Gate(own_pid=1, deadline=10.0)
    pid = 4_000_000_000  # no such process
    gate.queued(pid, "write", Path("/p/a.jpg"))
    assert gate.ask(pid, "held", now=0.0) is None
    gate.condemn(pid)
    assert _readable(gate.fileno())
    (answer,) = gate.settle(now=0.001)
    assert not answer.allow
    denied = gate.ask(pid, "next", now=0.002)
    assert denied is not None and not denied.allow
    assert gate.denied == 2 and gate.figures_of(pid).denied == 2
    gate.forget_gone()  # no such process: forgotten, the pid may be reused
    assert not gate.condemned(pid)
    gate.close()


def test_a_condemned_process_stays_condemned_while_it_lives() -> None:
    gate = Gate(own_pid=1)
    with subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                          stdin=subprocess.PIPE) as proc:  # fmt: skip
        assert start_time(proc.pid) is not None
        gate.condemn(proc.pid)
        gate.forget_gone()
        assert gate.condemned(proc.pid)
        gate.pardon(proc.pid)  # the response left it alone: it may open again
        assert not gate.condemned(proc.pid)
        assert proc.stdin is not None
        proc.stdin.close()
    gate.close()


def test_the_deadline_lets_a_held_open_through_and_counts_it() -> None:
    gate = Gate(own_pid=1, deadline=0.25)
    gate.queued(4242, "write", Path("/p/a.jpg"))
    assert gate.ask(4242, "fd", now=100.0) is None
    assert gate.timeout(now=100.1) == pytest.approx(0.15)
    assert gate.settle(now=100.2) == []
    (answer,) = gate.settle(now=100.25)
    assert answer.allow and answer.late
    assert gate.late == 1 and gate.figures_of(4242).late == 1 and gate.timeout() is None
    gate.close()


def test_the_sentinel_itself_and_allow_listed_processes_never_wait() -> None:
    gate = Gate(own_pid=77, deadline=10.0, exempt=lambda pid: pid == 500)
    for pid in (77, 500, 600):
        gate.queued(pid, "write", Path(f"/p/{pid}.db"))
    own = gate.ask(77, "own", now=0.0)
    listed = gate.ask(500, "listed", now=0.0)
    assert own is not None and own.allow and listed is not None and listed.allow
    assert gate.ask(600, "other", now=0.0) is None  # the only one held
    assert gate.held == 1
    gate.close()


def test_new_files_written_by_their_creator_never_make_it_wait() -> None:
    """An x-ray saved, a folder copied in: nothing that was there is lost."""
    gate = Gate(own_pid=1, deadline=10.0)
    new = Path("/p/radio_0001.jpg")
    for kind in ("create", "write", "close_write"):
        gate.queued(4242, kind, new)
    gate.queued(4242, "create", Path("/p/2027"), is_dir=True)
    answer = gate.ask(4242, "fd", now=0.0)
    assert answer is not None and answer.allow
    # Writing into a file that was there, or deleting one, does.
    gate.queued(4242, "close_write", Path("/p/existing.jpg"))
    assert gate.ask(4242, "fd2", now=0.0) is None
    other = Gate(own_pid=1, deadline=10.0)
    other.queued(4242, "delete", Path("/p/existing.pdf"))
    assert other.ask(4242, "fd", now=0.0) is None
    # A new file renamed over another may replace it: it counts too.
    third = Gate(own_pid=1, deadline=10.0)
    third.queued(4242, "create", Path("/p/~tmp"))
    third.queued(4242, "moved_from", Path("/p/~tmp"))
    third.queued(4242, "moved_to", Path("/p/lettre.docx"))
    assert third.ask(4242, "fd", now=0.0) is None
    for g in (gate, other, third):
        g.close()


def test_release_gives_back_every_held_open() -> None:
    gate = Gate(own_pid=1, deadline=10.0)
    gate.queued(4242, "write", Path("/p/a"))
    gate.queued(4343, "write", Path("/p/b"))
    assert gate.ask(4242, 1) is None and gate.ask(4343, 2) is None
    assert sorted(gate.release()) == [1, 2]  # type: ignore[type-var]
    assert gate.settle() == [] and gate.timeout() is None
    gate.close()


# -- real processes held by the kernel (root) ----------------------------------------------


# Writes into a.txt (an existing file: the bytes given in hex), says so, then opens b.txt
# and says so.
WRITE_THEN_OPEN = r"""
import sys
from pathlib import Path
folder = Path(sys.argv[1])
with open(folder / "a.txt", "r+b") as fh:
    fh.write(bytes.fromhex(sys.argv[2]))
print("written", flush=True)
try:
    (folder / "b.txt").read_bytes()
    print("opened", flush=True)
except PermissionError:
    print("denied", flush=True)
"""


def _require_gate() -> None:
    require_mode("fanotify")
    reason = fanotify.gate_unavailable_reason()
    if reason is not None:
        if IN_CI:
            pytest.fail(f"fanotify permission events unavailable in CI: {reason}")
        pytest.skip(f"fanotify permission events unavailable: {reason}")


@pytest.fixture
def patients(tmp_path: Path) -> Path:
    folder = tmp_path / "patients"
    folder.mkdir()
    for name in ("a.txt", "b.txt"):
        (folder / name).write_text(TEXT.format(i=name))
    return folder


@pytest.fixture
def stalled(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """The analyser stops before judging anything about ``a.txt`` until the event is set:
    a judgement as slow as the test wants. The gate's deadline is pushed far away."""
    go = threading.Event()
    handle = Sentinel._handle

    def slow(self: Sentinel, event: service_module.FileEvent) -> None:
        if event.path.name == "a.txt":
            go.wait(30)
        handle(self, event)

    monkeypatch.setattr(Sentinel, "_handle", slow)
    monkeypatch.setattr(service_module, "GATE_DEADLINE", 30.0)
    yield go
    go.set()


def _writer(
    folder: Path, content: bytes = b"x", python: str = sys.executable
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [python, "-c", WRITE_THEN_OPEN, str(folder), content.hex()],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _line(proc: subprocess.Popen[str], timeout: float = 10.0) -> str:
    assert proc.stdout is not None
    if not _readable(proc.stdout.fileno(), timeout):
        return ""
    return proc.stdout.readline().strip()


def test_a_writer_waits_at_its_next_open_until_its_write_is_judged(
    patients: Path, stalled: threading.Event
) -> None:
    _require_gate()
    with Sentinel([patients], alerts=QUIET, settings=SentinelSettings(canaries=False)) as s:
        assert s.gate is not None and not s.notes
        proc = _writer(patients, "une ligne ajoutée au compte rendu".encode())
        try:
            assert _line(proc) == "written"
            assert _eventually(lambda: s.gate is not None and s.gate.held == 1)
            # Held by the kernel: not a line more while a.txt is not judged.
            assert proc.stdout is not None
            assert not _readable(proc.stdout.fileno(), 0.3) and proc.poll() is None
            stalled.set()
            assert _line(proc) == "opened"
            assert proc.wait(10) == 0
        finally:
            finish(proc)
        assert s.gate.late == 0 and s.gate.figures_of(proc.pid).held == 1
    assert s.incidents == []  # a benign write: held a moment, then on its way


def test_a_writer_judged_malicious_is_denied_its_next_open_then_killed(
    patients: Path, stalled: threading.Event
) -> None:
    _require_gate()
    i18n.set_language("en")
    with Sentinel([patients], alerts=QUIET, settings=SentinelSettings(canaries=False)) as s:
        # a.txt rewritten into random bytes (a text file turned into ciphertext, in place).
        proc = _writer(patients, os.urandom(len(TEXT.format(i="a.txt").encode())))
        try:
            assert _line(proc) == "written"
            assert _eventually(lambda: s.gate is not None and s.gate.held == 1)
            stalled.set()
            incident = s.wait_incident(20)
            assert incident is not None and incident.actor_pid == proc.pid
            assert _eventually(lambda: s.gate is not None and s.gate.denied >= 1)
            proc.wait(10)
        finally:
            finish(proc)
    assert incident.action == "killed"
    assert (patients / "b.txt").read_text() == TEXT.format(i="b.txt")  # never opened
    assert any(e["kind"] == "gate" for e in incident.timeline_copy())


def test_a_stopped_sentinel_leaves_no_process_blocked(
    patients: Path, stalled: threading.Event
) -> None:
    _require_gate()
    s = Sentinel([patients], alerts=QUIET, settings=SentinelSettings(canaries=False))
    s.start()
    proc = _writer(patients)
    stopper = threading.Thread(target=s.stop)
    try:
        assert _line(proc) == "written"
        assert _eventually(lambda: s.gate is not None and s.gate.held == 1)
        stopper.start()  # while the analyser is still busy with a.txt
        assert _line(proc, timeout=5.0) == "opened"  # not the 30 s deadline: the stop
        assert proc.wait(10) == 0
    finally:
        stalled.set()
        if stopper.is_alive() or not stopper.ident:
            stopper.join(30)
        s.stop()
        finish(proc)


# A sentinel's watch thread alone, in a process of its own, whose analyser never judges
# anything (a deadline of a minute): whoever writes, then opens, waits on it.
HOLDER = r"""
import sys, threading
from pathlib import Path
from rempart.sentinel.fanotify import FanotifyBackend
from rempart.sentinel.gate import Gate
gate = Gate(deadline=60.0)
backend = FanotifyBackend([Path(sys.argv[1])], gate=gate)
backend.arm()
assert backend.gate is not None, backend.gate_note
threading.Thread(target=backend.run, args=(lambda e: gate.queued(e.pid, e.kind, e.path),),
                 daemon=True).start()
print("armed", flush=True)
done = threading.Event()
while gate.held == 0:
    done.wait(0.005)
print("held", flush=True)
done.wait()
"""


def test_a_killed_sentinel_leaves_no_process_blocked(patients: Path) -> None:
    _require_gate()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(patients)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    proc = None
    try:
        assert _line(holder, 30) == "armed"
        proc = _writer(patients)
        assert _line(proc) == "written"
        assert _line(holder) == "held"
        assert proc.stdout is not None and not _readable(proc.stdout.fileno(), 0.3)
        os.kill(holder.pid, signal.SIGKILL)  # the sentinel dies: its descriptors close
        assert _line(proc, timeout=5.0) == "opened"
        assert proc.wait(10) == 0
    finally:
        finish(holder)
        if proc is not None:
            finish(proc)


def test_the_sentinels_own_opens_never_wait_on_itself(patients: Path) -> None:
    """The kernel reports the listener's own opens (measured): they are allowed at once,
    even after the sentinel's process wrote into a protected file."""
    _require_gate()
    with Sentinel([patients], alerts=QUIET, settings=SentinelSettings(canaries=False)) as s:
        assert s.gate is not None
        (patients / "a.txt").write_text("réécrit par le processus de la sentinelle")
        opened = threading.Event()

        def read() -> None:
            (patients / "b.txt").read_bytes()
            opened.set()

        threading.Thread(target=read, daemon=True).start()
        assert opened.wait(5)
        assert s.gate.held == 0


def test_an_allow_listed_writer_is_never_held(
    patients: Path, stalled: threading.Event, tmp_path: Path
) -> None:
    _require_gate()
    named = tmp_path / "bin" / "sauvegarde-cabinet"
    named.parent.mkdir()
    named.symlink_to(sys.executable)  # the process is called after the link
    settings = SentinelSettings(canaries=False, allow_processes=("sauvegarde-cabinet",))
    with Sentinel([patients], alerts=QUIET, settings=settings) as s:
        proc = _writer(patients, python=str(named))
        try:
            assert _line(proc) == "written"
            assert _line(proc, timeout=5.0) == "opened"  # while a.txt is still not judged
        finally:
            stalled.set()
            finish(proc)
        assert s.gate is not None and s.gate.held == 0


def test_without_permission_events_the_sentinel_says_so_and_watches(
    patients: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_mode("fanotify")
    i18n.set_language("en")
    monkeypatch.setattr(fanotify, "_perm_init_flags", lambda: 0xFFFF_0000)  # EINVAL
    with Sentinel([patients], alerts=QUIET, settings=SentinelSettings(canaries=False)) as s:
        assert s.mode == "fanotify" and s.gate is None
        assert any("cannot hold the opens" in n for n in s.notes)


def test_the_gate_can_be_turned_off_and_is_off_when_only_alerting(patients: Path) -> None:
    require_mode("fanotify")
    for settings in (
        SentinelSettings(canaries=False, gate=False),
        SentinelSettings(canaries=False, response="alert"),
    ):
        with Sentinel([patients], alerts=QUIET, settings=settings) as s:
            assert s.mode == "fanotify" and s.gate is None and not s.notes


# Writes an encrypted copy of each report, then deletes the original: the copy alone freezes
# the writer (one encrypted file of a known one), the deletion makes the verdict.
COPY_THEN_DELETE = r"""
import os, sys, time
from pathlib import Path
folder = Path(sys.argv[1])
for path in sorted(folder.glob("*.txt")):
    data = path.read_bytes()
    (folder / (path.name + ".qzvkwyrtb")).write_bytes(os.urandom(len(data)))
    time.sleep(0.005)  # its pace: the sentinel freezes it between the copy and the deletion
    path.unlink()
"""


def test_a_frozen_writer_runs_again_once_its_files_are_judged(
    patients: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The provisional freeze used to last 0.3 s whatever happened, so a writer frozen on
    its encrypted copy made the deciding deletion 0.3 s later (the ~0.31 s latencies of
    the benchmark). With the gate it runs again as soon as its events are judged: even
    with a grace of half a minute, the verdict comes."""
    _require_gate()
    monkeypatch.setattr(service_module, "FREEZE_GRACE", 30.0)
    with Sentinel([patients], alerts=QUIET, settings=SentinelSettings(canaries=False)) as s:
        proc = subprocess.Popen([sys.executable, "-c", COPY_THEN_DELETE, str(patients)])
        try:
            incident = s.wait_incident(10)
        finally:
            proc.kill()
            proc.wait(10)
        assert incident is not None and incident.actor_pid == proc.pid
        assert incident.action == "killed"

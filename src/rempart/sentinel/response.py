"""Stopping the culprit: suspend at once, then kill (configurable); or name the candidates.

With fanotify the kernel gave us the writer's PID: we suspend it first (a frozen process
encrypts nothing more, and suspending is the fastest thing we can do), then its children,
then, if ``response = "kill"``, kill them all. Never ourselves, never PID 0/1, never a kernel
thread, never an allow-listed process (:mod:`rempart.sentinel.allowlist`).

Without a PID (inotify, poll) we name the likely writers instead: processes with files open
under the folder, and those that wrote the most since the last sample of I/O counters
(:class:`IoTracker`). Naming is slower than stopping, which is why root + fanotify is the
recommended set-up on Linux.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from rempart.sentinel.allowlist import Allowlist

RESPONSES = ("kill", "suspend", "alert")
MAX_CANDIDATES = 5


@dataclass(frozen=True)
class Candidate:
    """A process that may be the writer, and why we think so."""

    pid: int
    name: str | None
    user: str | None
    exe: str | None
    open_files: int  # files open under the folder
    written: int  # bytes written since the previous I/O sample (-1: unknown)

    def label(self) -> str:
        return f"{self.name or '?'} (pid {self.pid}, {self.user or '?'})"


@dataclass(frozen=True)
class ResponseResult:
    """What was done: ``killed``, ``suspended``, ``named`` (candidates only) or ``none``."""

    action: str
    pid: int | None = None
    name: str | None = None
    user: str | None = None
    exe: str | None = None
    children: tuple[int, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    done_at: float = 0.0  # time.monotonic() when the process was stopped


def _kernel_thread(proc: psutil.Process) -> bool:
    try:
        return proc.ppid() == 2 or proc.pid == 2
    except psutil.Error:
        return False


def untouchable(proc: psutil.Process, allowlist: Allowlist) -> str | None:
    """Why this process must not be stopped, or ``None``."""
    if proc.pid in (0, 1) or proc.pid == os.getpid():
        return "protected system or own process"
    if _kernel_thread(proc):
        return "kernel thread"
    try:
        name = proc.name()
    except psutil.Error:
        name = None
    try:
        exe = proc.exe()
    except psutil.Error:
        exe = None
    if allowlist.process_allowed(name, exe):
        return f"allow-listed ({name or exe})"
    return None


def _describe(proc: psutil.Process) -> tuple[str | None, str | None, str | None]:
    out: list[str | None] = []
    for getter in (proc.name, proc.username, proc.exe):
        try:
            out.append(getter())
        except psutil.Error:
            out.append(None)
    return out[0], out[1], out[2]


def freeze(pid: int) -> bool:
    """Stop ``pid`` from running at once: ``SIGSTOP`` where it exists (one system call, no
    look-up first), else psutil's suspend (Windows). False if it is gone or out of reach."""
    if pid in (0, 1) or pid == os.getpid():
        return False
    try:
        if hasattr(signal, "SIGSTOP"):
            os.kill(pid, signal.SIGSTOP)
        else:  # pragma: no cover - Windows
            psutil.Process(pid).suspend()
    except (OSError, psutil.Error):
        return False
    return True


def thaw(pid: int) -> None:
    """Let a frozen process run again (a provisional freeze that evidence did not confirm)."""
    try:
        if hasattr(signal, "SIGCONT"):
            os.kill(pid, signal.SIGCONT)
        else:  # pragma: no cover - Windows
            psutil.Process(pid).resume()
    except (OSError, psutil.Error):
        pass


def stop(
    pid: int,
    response: str,
    allowlist: Allowlist,
    *,
    name: str | None = None,
    frozen_at: float | None = None,
) -> ResponseResult:
    """Suspend ``pid`` and its children, then kill them if ``response == "kill"``.

    ``response == "alert"`` stops nothing (the process is only named). The process is
    frozen *before* it is looked at (each look-up costs milliseconds, and at 300 files a
    second every millisecond is a file); if the look-up then shows a process that must not
    be stopped, it runs again at once. ``name`` (from the event) lets an allow-listed writer
    be recognised before anything is done; ``frozen_at`` is when the service already froze
    it. Never raises for a process that vanished: the result says what happened.
    """
    if pid in (0, 1) or pid == os.getpid():
        return ResponseResult("named", pid, name, notes=("protected system or own process",))
    if name and allowlist.process_allowed(name) and response != "alert":
        return ResponseResult("named", pid, name, notes=(f"allow-listed ({name})",))
    if response != "alert" and frozen_at is None and freeze(pid):
        frozen_at = time.monotonic()
    try:
        proc = psutil.Process(pid)
    except psutil.Error:
        return ResponseResult("none", pid=pid, name=name, notes=("process already gone",))
    described, user, exe = _describe(proc)
    name = described or name
    why = untouchable(proc, allowlist)
    if why is not None or response == "alert":
        if frozen_at is not None:
            thaw(pid)
        note = why or "response = alert: nothing stopped"
        return ResponseResult("named", pid, name, user, exe, notes=(note,))
    notes: list[str] = []
    try:
        proc.suspend()  # SIGSTOP again, or psutil's way where there is no SIGSTOP
    except psutil.NoSuchProcess:
        return ResponseResult("none", pid, name, user, exe, notes=("process already gone",))
    except psutil.Error as exc:
        if frozen_at is None:
            return ResponseResult("named", pid, name, user, exe, notes=(f"cannot suspend: {exc}",))
    stopped_at = frozen_at if frozen_at is not None else time.monotonic()
    try:
        children = proc.children(recursive=True)
    except psutil.Error:
        children = []
    kids: list[psutil.Process] = []
    for child in children:
        reason = untouchable(child, allowlist)
        if reason:
            notes.append(f"child {child.pid} left alone: {reason}")
            continue
        try:
            child.suspend()
            kids.append(child)
        except psutil.Error:
            continue
    if response == "suspend":
        return ResponseResult(
            "suspended",
            pid,
            name,
            user,
            exe,
            tuple(k.pid for k in kids),
            notes=tuple(notes),
            done_at=stopped_at,
        )
    for victim in [proc, *kids]:
        try:
            victim.kill()
        except psutil.NoSuchProcess:
            continue
        except psutil.Error as exc:
            notes.append(f"cannot kill {victim.pid}: {exc}")
    alive = _still_alive([proc, *kids], timeout=1.0)
    action = "killed" if proc not in alive else "suspended"
    if alive:
        notes.append("still alive after kill: " + ", ".join(str(p.pid) for p in alive))
    return ResponseResult(
        action,
        pid,
        name,
        user,
        exe,
        tuple(k.pid for k in kids),
        notes=tuple(notes),
        done_at=stopped_at,
    )


def _dead(proc: psutil.Process) -> bool:
    try:
        return proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True
    except psutil.Error:
        return False


def _still_alive(procs: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """The processes not dead yet after ``timeout`` (a zombie is dead: it runs no more code;
    its parent, or init, reaps it)."""
    deadline = time.monotonic() + timeout
    alive = [p for p in procs if not _dead(p)]
    pause = threading.Event()
    while alive and time.monotonic() < deadline:
        pause.wait(0.005)
        alive = [p for p in alive if not _dead(p)]
    return alive


class IoTracker:
    """Bytes written per process between two samples (psutil I/O counters).

    The service samples every few seconds when the OS does not name the writer, so that an
    incident can say who wrote the most lately. Bounded: one integer per live process.
    """

    def __init__(self) -> None:
        self._last: dict[int, int] = {}
        self._delta: dict[int, int] = {}
        self._lock = threading.Lock()

    def sample(self) -> None:
        current: dict[int, int] = {}
        for proc in psutil.process_iter():
            written = _written(proc)
            if written >= 0:
                current[proc.pid] = written
        with self._lock:
            self._delta = {
                pid: written - self._last.get(pid, written) for pid, written in current.items()
            }
            self._last = current

    def written(self, proc: psutil.Process) -> int:
        """Bytes written since the last sample (all of them for a process born since)."""
        now = _written(proc)
        if now < 0:
            return -1
        with self._lock:
            last = self._last.get(proc.pid, 0)
        return max(0, now - last)


def _written(proc: psutil.Process) -> int:
    """Bytes the process asked to write (``write_chars`` on Linux: at once, not when the
    page cache is flushed), or -1 when the OS does not say."""
    try:
        io = proc.io_counters()
    except (psutil.Error, AttributeError, NotImplementedError):
        return -1
    return int(getattr(io, "write_chars", io.write_bytes))


def candidates(
    folder: Path, tracker: IoTracker | None, allowlist: Allowlist
) -> tuple[Candidate, ...]:
    """The likeliest writers under ``folder``: files open there first, then bytes written."""
    folder_text = str(folder)
    found: list[Candidate] = []
    own = os.getpid()
    for proc in psutil.process_iter():
        if proc.pid in (0, 1, own) or _kernel_thread(proc):
            continue
        try:
            files = proc.open_files()
        except psutil.Error:
            files = []
        open_here = sum(
            1 for f in files if f.path == folder_text or f.path.startswith(folder_text + os.sep)
        )
        written = tracker.written(proc) if tracker is not None else -1
        if open_here == 0 and written <= 0:
            continue
        name, user, exe = _describe(proc)
        if allowlist.process_allowed(name, exe):
            continue
        found.append(Candidate(proc.pid, name, user, exe, open_here, written))
    found.sort(key=lambda c: (c.open_files, c.written), reverse=True)
    return tuple(found[:MAX_CANDIDATES])

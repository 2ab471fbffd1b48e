"""Starting, stopping and finding the lab process (``rempart lab up|down|status``).

The lab runs as a detached child (``python -m rempart.lab``) so that the command
returns; its state file (``<data dir>/lab/state.json``) says where it is. ``start_lab``
waits, polling with a bounded deadline, until the child has written its state and every
service answers (TCP connect; an SNMP reply for the printer).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from rempart import config, i18n
from rempart.core.errors import LabError
from rempart.i18n import _
from rempart.lab.data import PRACTICE, write_practice_data
from rempart.lab.state import LabState, read_state

POLL = 0.02
STOP_GRACE = 3.0
_children: dict[int, subprocess.Popen[bytes]] = {}  # lab processes this process started


def lab_dir() -> Path:
    path = config.data_dir() / "lab"
    path.mkdir(parents=True, exist_ok=True)
    return path


def state_path() -> Path:
    return lab_dir() / "state.json"


def log_path() -> Path:
    return lab_dir() / "lab.log"


def default_data_dir() -> Path:
    return lab_dir() / "cabinet"


def _windows_alive(pid: int) -> bool:
    """Whether ``pid`` runs, on Windows (where ``os.kill(pid, 0)`` would end it)."""
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return False
    try:
        code = ctypes.c_ulong()
        return bool(kernel32.GetExitCodeProcess(handle, ctypes.byref(code))) and code.value == 259
    finally:
        kernel32.CloseHandle(handle)


def _alive(pid: int) -> bool:
    child = _children.get(pid)
    if child is not None:
        return child.poll() is None
    if pid <= 0:
        return False
    if os.name == "nt":
        return _windows_alive(pid)
    proc = Path(f"/proc/{pid}")
    if proc.parent.exists() and os.name == "posix" and Path("/proc/self").exists():
        try:
            stat = (proc / "stat").read_text()
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            return False
        if stat.rsplit(")", 1)[-1].split()[0] in ("Z", "X"):
            return False
        return b"rempart.lab\x00--state" in cmdline  # a reused pid is not our lab
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def lab_status() -> LabState | None:
    """The running lab's state, or ``None``; a stale state file (dead pid) is removed."""
    path = state_path()
    state = read_state(path)
    if state is None:
        return None
    if not _alive(state.pid):
        path.unlink(missing_ok=True)
        return None
    return state


def snmp_get_sysdescr(
    address: str, port: int, community: bytes = b"public", timeout: float = 0.3
) -> bytes | None:
    """One SNMPv1 GetRequest for sysDescr.0; the raw reply, or ``None`` on silence."""
    oid = bytes.fromhex("06082b06010201010100")  # 1.3.6.1.2.1.1.1.0
    varbind = b"\x30" + bytes([len(oid) + 2]) + oid + b"\x05\x00"
    varbinds = b"\x30" + bytes([len(varbind)]) + varbind
    pdu_body = b"\x02\x01\x01\x02\x01\x00\x02\x01\x00" + varbinds
    pdu = b"\xa0" + bytes([len(pdu_body)]) + pdu_body
    body = b"\x02\x01\x00\x04" + bytes([len(community)]) + community + pdu
    message = b"\x30" + bytes([len(body)]) + body
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.sendto(message, (address, port))
            return sock.recvfrom(4096)[0]
        except OSError:
            return None


def _answers(address: str, port: int, transport: str) -> bool:
    if transport == "udp":
        return snmp_get_sysdescr(address, port) is not None
    try:
        with socket.create_connection((address, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_answering(state: LabState, deadline: float) -> list[tuple[str, int, str]]:
    """Poll until every service answers or ``deadline``; returns those still silent."""
    pending = [(h.address, s.port, s.transport) for h in state.hosts for s in h.services]
    while pending:
        pending = [p for p in pending if not _answers(*p)]
        if not pending or time.monotonic() >= deadline:
            break
        time.sleep(POLL)
    return pending


def _last_error(log: Path) -> str | None:
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()[-50:]
    except OSError:
        return None
    for line in reversed(lines):
        if line.startswith("LAB-ERROR: "):
            return line.removeprefix("LAB-ERROR: ").strip()
    return None


def start_lab(
    data_dir: Path | None = None, *, timeout: float = 5.0, unprivileged: bool = False
) -> LabState:
    """Start the lab in the background (or return the running one) and wait until ready.

    ``data_dir``: where the synthetic practice folder is written (default
    ``<data dir>/lab/cabinet``). ``unprivileged``: bind like an ordinary user (ports below
    1024 moved by the offset) even as root; used by tests of the offset path.
    """
    running = lab_status()
    if running is not None:
        return running
    data_root = (data_dir or default_data_dir()) / PRACTICE
    path, log = state_path(), log_path()
    path.unlink(missing_ok=True)
    command = [sys.executable, "-m", "rempart.lab", "--state", str(path), "--data", str(data_root)]
    command += ["--log", str(log)]
    if unprivileged:
        command.append("--unprivileged")
    kwargs: dict[str, object] = {}
    if os.name == "nt":
        kwargs["creationflags"] = subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    else:
        kwargs["start_new_session"] = True
    with open(log, "wb") as log_file:  # one run per log: it never grows without bound
        child = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
            close_fds=True,
            cwd=str(lab_dir()),
            env={**os.environ, "REMPART_LANG": i18n.current_language()},  # its errors, our words
            **kwargs,  # type: ignore[call-overload]
        )
    _children[child.pid] = child
    try:
        write_practice_data(data_root.parent)  # while the child starts
    except BaseException:
        _terminate(child.pid)
        raise
    deadline = time.monotonic() + timeout  # the bound is on the lab, not on writing data
    while True:
        if child.poll() is not None:
            _children.pop(child.pid, None)
            message = _last_error(log) or _(
                "The lab process stopped (exit code {code}): see {log}."
            ).format(code=child.returncode, log=log)
            raise LabError(message)
        state = read_state(path)
        if state is not None and state.pid == child.pid:
            break
        if time.monotonic() >= deadline:
            _terminate(child.pid)
            raise LabError(
                _("The demo practice did not start within {seconds:g} s: see {log}.").format(
                    seconds=timeout, log=log
                )
            )
        time.sleep(POLL)
    silent = wait_answering(state, deadline)
    if silent:
        _terminate(child.pid)
        path.unlink(missing_ok=True)
        where = ", ".join(f"{a}:{p}/{t}" for a, p, t in silent[:5])
        raise LabError(
            _("The demo practice started but does not answer on {where}: see {log}.").format(
                where=where, log=log
            )
        )
    return state


def _terminate(pid: int) -> None:
    """SIGTERM, wait up to :data:`STOP_GRACE`, then SIGKILL; reap our own children."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(POLL)
    if _alive(pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))
    child = _children.pop(pid, None)
    if child is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(STOP_GRACE)


def stop_lab() -> LabState | None:
    """Stop the running lab and remove its state; ``None`` when none was running."""
    state = lab_status()
    if state is None:
        return None
    _terminate(state.pid)
    if _alive(state.pid):
        raise LabError(
            _("The lab process {pid} does not stop: end it by hand.").format(pid=state.pid)
        )
    state_path().unlink(missing_ok=True)
    return state


class LabHandle:
    """The lab as an object: ``with LabHandle.start() as lab: lab.state.ports_for(...)``."""

    def __init__(self, state: LabState) -> None:
        self.state = state

    @classmethod
    def start(cls, data_dir: Path | None = None, *, timeout: float = 5.0) -> LabHandle:
        return cls(start_lab(data_dir, timeout=timeout))

    def stop(self) -> None:
        stop_lab()

    def __enter__(self) -> LabHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

"""Start and stop real servers (sshd, smbd, vsftpd, xrdp) for the probe peer tests.

Each server runs in the foreground as a child of the test, on its own 127.0.3.x address
and a free port, with all its state in a temporary folder; readiness is a connect loop
with a deadline, never a sleep. The server is always killed when the test ends.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from rempart.discover.probes.base import HostBudget, ProbeContext

READY_SECONDS = 20.0


def free_port(address: str) -> int:
    """A TCP port free on ``address`` right now (the server binds it just after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((address, 0))
        return int(sock.getsockname()[1])


def wait_for_port(address: str, port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Poll until ``address:port`` accepts a connection; fail with the server's log if not."""
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode}:\n{_tail(log)}")
        try:
            with socket.create_connection((address, port), timeout=0.5):
                return
        except OSError:
            # Not listening yet: wait for the process for a moment instead of spinning.
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.1)
    pytest.fail(f"server not listening on {address}:{port} after {READY_SECONDS}s:\n{_tail(log)}")


def _tail(log: Path) -> str:
    try:
        return log.read_text(errors="replace")[-4000:]
    except OSError:
        return "(no log)"


@contextlib.contextmanager
def running(
    argv: Sequence[str], address: str, port: int, log: Path, cwd: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``argv`` until the block ends; yield once it listens on ``address:port``.

    The server gets its own session (process group): smbd signals its whole group when it
    stops, which must not reach pytest, and the group lets us stop the children it forked.
    """
    with log.open("wb") as out:
        proc = subprocess.Popen(
            list(argv),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=cwd,
            start_new_session=True,
        )
        try:
            wait_for_port(address, port, proc, log)
            yield proc
        finally:
            _stop_group(proc)


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=10)
            break
        except subprocess.TimeoutExpired:
            continue


def context(seconds: float = 20.0, max_bytes: int = 1_000_000) -> ProbeContext:
    """A generous probe context for a real server on loopback."""
    return ProbeContext(budget=HostBudget.start(seconds, max_bytes), timeout=5.0)


Handler = Callable[[socket.socket], None]


@contextlib.contextmanager
def scripted_server(handler: Handler, address: str = "127.0.3.1") -> Iterator[int]:
    """A tiny local TCP server for unit tests: ``handler(conn)`` runs for each connection.

    Yields the port. Used to play recorded, malformed, silent or endless peers to a probe.
    Connections are handled one after the other in one thread, and closed after the handler.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((address, 0))
    listener.listen(8)
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(10)
                with contextlib.suppress(OSError):
                    handler(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=10)
        listener.close()


def read_some(conn: socket.socket, n: int = 4096) -> bytes:
    """What the probe sent next (or ``b""``), without failing the server on a timeout."""
    try:
        return conn.recv(n)
    except OSError:
        return b""


def silent(conn: socket.socket) -> None:
    """A peer that accepts and never says a word, until the probe hangs up."""
    while read_some(conn):
        pass

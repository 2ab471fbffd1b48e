"""The Telnet probe against a real GNU inetutils telnetd on 127.0.3.7.

telnetd is an inetd service: the test accepts the connection itself and hands the socket
to a fresh telnetd as its standard input and output, as inetd would.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from rempart.core.observations import TelnetObservation
from rempart.discover.probes import telnet
from tests.peers._servers_a import context
from tests.support import require_binary

pytestmark = pytest.mark.peer

ADDRESS = "127.0.3.7"


@contextlib.contextmanager
def inetd(argv: list[str], log: Path) -> Iterator[int]:
    """Accept connections on ADDRESS and run ``argv`` on each, like inetd (nowait)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((ADDRESS, 0))
    listener.listen(4)
    listener.settimeout(0.2)
    stop = threading.Event()
    children: list[subprocess.Popen[bytes]] = []

    def serve() -> None:
        with log.open("ab") as out:
            while not stop.is_set():
                try:
                    conn, _ = listener.accept()
                except OSError:
                    continue
                with conn:
                    children.append(
                        subprocess.Popen(
                            argv,
                            stdin=conn.fileno(),
                            stdout=conn.fileno(),
                            stderr=out,
                            start_new_session=True,
                        )
                    )

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=10)
        listener.close()
        for child in children:
            if child.poll() is None:
                child.kill()
            child.wait(timeout=10)


def test_real_telnetd_negotiates_then_shows_a_login_prompt(tmp_path: Path) -> None:
    binary = require_binary("telnetd")
    with inetd([binary, "--no-hostinfo"], tmp_path / "telnetd.log") as port:
        with socket.create_connection((ADDRESS, port), timeout=5) as sock:
            banner = sock.recv(1024)
        seen = telnet.probe(ADDRESS, port, context())
    assert telnet.claims(banner)
    assert isinstance(seen, TelnetObservation)
    assert seen.negotiation is True
    assert seen.login_prompt is True
    assert seen.banner.endswith("login:")

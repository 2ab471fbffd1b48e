"""Helpers for tests (import as ``from tests.support import require_binary``).

:func:`require_binary` finds a real peer (smbd, sshd, vsftpd, snmpd, storescp, nmap).
Outside CI a missing binary skips the test; in CI (``CI=true``, where ``.ci/run``
installs every peer) it fails, so that a missing install step cannot hide.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_binary(name: str, *extra_dirs: str) -> str:
    """The path of a real peer's binary, or skip (fail in CI) when it is missing."""
    path = shutil.which(
        name,
        path=os.pathsep.join([*extra_dirs, "/usr/sbin", "/usr/bin", os.environ.get("PATH", "")]),
    )
    if path is None:
        message = f"{name} is not installed (.ci/run installs it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


def shared_data(*parts: str) -> Path:
    """A file of ../shared/data, or skip (fail in CI) when the folder is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        message = f"shared reference data missing: {path}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


@contextmanager
def tcp_server(
    handler: Callable[[socket.socket], None], address: str = "127.0.5.1"
) -> Iterator[int]:
    """A tiny server on ``address`` running ``handler`` for each connection; yields its port."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((address, 0))
    srv.listen(16)
    stop = threading.Event()

    def serve() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=_run, args=(handler, conn), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield srv.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        srv.close()


def _run(handler: Callable[[socket.socket], None], conn: socket.socket) -> None:
    with conn:
        try:
            handler(conn)
        except OSError:
            pass

"""The VNC probe against a real TigerVNC server (Xvnc, headless) on 127.0.3.6.

Proves that a server without password (``SecurityTypes=None``) is reported ``no_auth`` and
that one with a VNC password is not.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from rempart.core.observations import VncObservation
from rempart.discover.probes import vnc
from tests.peers._servers_a import context, free_port, running
from tests.support import require_binary

pytestmark = pytest.mark.peer

ADDRESS = "127.0.3.6"

XvncFactory = Callable[..., AbstractContextManager[int]]


def free_display() -> int:
    """An X display number with no socket or lock file (Xvnc is an X server too)."""
    for number in range(70, 200):
        if (
            not Path(f"/tmp/.X{number}-lock").exists()
            and not Path(f"/tmp/.X11-unix/X{number}").exists()
        ):
            return number
    pytest.fail("no free X display number")


@pytest.fixture
def xvnc(tmp_path: Path) -> XvncFactory:
    binary = require_binary("Xvnc")

    @contextmanager
    def start(*security: str) -> Iterator[int]:
        port = free_port(ADDRESS)
        argv = [binary, f":{free_display()}", "-rfbport", str(port), "-interface", ADDRESS]
        argv += ["-nolisten", "tcp", "-geometry", "320x240", "-depth", "16", *security]
        with running(argv, ADDRESS, port, tmp_path / f"xvnc-{port}.log"):
            yield port

    return start


def test_xvnc_without_password_is_reported_no_auth(xvnc: XvncFactory) -> None:
    with xvnc("-SecurityTypes", "None") as port:
        seen = vnc.probe(ADDRESS, port, context())
    assert seen == VncObservation(rfb_version="003.008", security_types=(1,), no_auth=True)


def test_xvnc_with_a_password_is_not_no_auth(xvnc: XvncFactory, tmp_path: Path) -> None:
    passwd = require_binary("vncpasswd")
    secret = tmp_path / "passwd"
    made = subprocess.run([passwd, "-f"], input=b"synthetic\n", capture_output=True, check=True)
    secret.write_bytes(made.stdout)
    with xvnc("-SecurityTypes", "VncAuth", "-PasswordFile", str(secret)) as port:
        seen = vnc.probe(ADDRESS, port, context())
    assert seen == VncObservation(rfb_version="003.008", security_types=(2,), no_auth=False)

"""VNC probe: RFB versions and security types (3.3, 3.7, 3.8), failures, hostile peers."""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rempart.core.observations import VncObservation
from rempart.discover.probes import vnc
from rempart.discover.probes.base import HostBudget, ProbeContext, ProbeError
from tests.peers._servers_a import read_some, scripted_server, silent

ADDRESS = "127.0.3.1"


def ctx(timeout: float = 0.5) -> ProbeContext:
    return ProbeContext(budget=HostBudget.start(10.0, 100_000), timeout=timeout)


def rfb_server(
    version: bytes, after: bytes, replies: list[bytes]
) -> Callable[[socket.socket], None]:
    def handler(conn: socket.socket) -> None:
        conn.sendall(version)
        replies.append(read_some(conn))
        conn.sendall(after)
        silent(conn)

    return handler


@pytest.mark.parametrize(
    ("greeting", "reply"),
    [
        (b"RFB 003.008\n", b"RFB 003.008\n"),
        (b"RFB 003.889\n", b"RFB 003.008\n"),  # Apple Remote Desktop
        (b"RFB 004.001\n", b"RFB 003.008\n"),  # RealVNC 4+
        (b"RFB 003.007\n", b"RFB 003.007\n"),
        (b"RFB 003.003\n", b"RFB 003.003\n"),
        (b"RFB 003.005\n", b"RFB 003.003\n"),  # RFC 6143: unknown 3.x is treated as 3.3
    ],
)
def test_we_answer_the_highest_version_both_know(greeting: bytes, reply: bytes) -> None:
    version = vnc.parse_version(greeting)
    assert version is not None and version.reply == reply


@pytest.mark.parametrize(
    "data", [b"", b"RFB 3.8\n", b"HTTP/1.1 200", b"RFB 003.008", b"rfb 003.008\n"]
)
def test_non_rfb_greetings_are_refused(data: bytes) -> None:
    assert vnc.parse_version(data) is None
    assert not vnc.claims(data)


def test_imaging_pc_without_password_is_reported_no_auth() -> None:
    replies: list[bytes] = []
    with scripted_server(rfb_server(b"RFB 003.008\n", b"\x01\x01", replies)) as port:
        seen = vnc.probe(ADDRESS, port, ctx())
    assert seen == VncObservation(rfb_version="003.008", security_types=(1,), no_auth=True)
    assert replies == [b"RFB 003.008\n"]


def test_server_with_vnc_password_is_not_no_auth() -> None:
    with scripted_server(rfb_server(b"RFB 003.008\n", b"\x02\x02\x13", [])) as port:
        seen = vnc.probe(ADDRESS, port, ctx())
    assert seen == VncObservation(rfb_version="003.008", security_types=(2, 19), no_auth=False)


def test_rfb_33_server_imposes_one_type() -> None:
    replies: list[bytes] = []
    with scripted_server(rfb_server(b"RFB 003.003\n", struct.pack(">I", 1), replies)) as port:
        seen = vnc.probe(ADDRESS, port, ctx())
    assert seen == VncObservation(rfb_version="003.003", security_types=(1,), no_auth=True)
    assert replies == [b"RFB 003.003\n"]


def test_refusal_reason_is_kept_cleaned() -> None:
    reason = b"Too many security failures \x1b[5m<script>"
    after = b"\x00" + struct.pack(">I", len(reason)) + reason
    with scripted_server(rfb_server(b"RFB 003.008\n", after, [])) as port:
        seen = vnc.probe(ADDRESS, port, ctx())
    assert isinstance(seen, VncObservation)
    assert seen.security_types == ()
    assert seen.no_auth is False
    assert seen.failure_reason is not None
    assert seen.failure_reason.startswith("Too many security failures")
    assert "\x1b" not in seen.failure_reason


def test_rfb_33_refusal_reason_is_read() -> None:
    after = struct.pack(">I", 0) + struct.pack(">I", 9) + b"go away\r\n"
    with scripted_server(rfb_server(b"RFB 003.003\n", after, [])) as port:
        seen = vnc.probe(ADDRESS, port, ctx())
    assert isinstance(seen, VncObservation)
    assert seen.failure_reason == "go away"


def test_a_huge_announced_reason_is_not_read_whole() -> None:
    after = b"\x00" + struct.pack(">I", 0x7FFFFFFF) + b"x" * 5000
    budget = ctx()
    with scripted_server(rfb_server(b"RFB 003.008\n", after, [])) as port:
        seen = vnc.probe(ADDRESS, port, budget)
    assert isinstance(seen, VncObservation)
    assert seen.failure_reason is not None and len(seen.failure_reason) <= 256
    assert budget.budget.bytes_read <= 12 + 5 + vnc.MAX_REASON


def test_a_service_that_is_not_vnc_is_not_claimed() -> None:
    def handler(conn: socket.socket) -> None:
        conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
        silent(conn)

    with scripted_server(handler) as port:
        assert vnc.probe(ADDRESS, port, ctx()) is None


def test_a_server_that_stops_after_its_version_is_a_probe_error() -> None:
    with scripted_server(rfb_server(b"RFB 003.008\n", b"", [])) as port, pytest.raises(ProbeError):
        vnc.probe(ADDRESS, port, ctx(timeout=0.3))


def test_a_silent_service_is_a_probe_error() -> None:
    with scripted_server(silent) as port, pytest.raises(ProbeError):
        vnc.probe(ADDRESS, port, ctx(timeout=0.3))


@given(st.binary(max_size=64))
def test_version_parser_never_crashes(data: bytes) -> None:
    for candidate in (data, b"RFB " + data):
        version = vnc.parse_version(candidate)
        assert version is None or version.reply in (
            b"RFB 003.003\n",
            b"RFB 003.007\n",
            b"RFB 003.008\n",
        )

"""RDP probe: X.224 negotiation built and parsed on recorded bytes, NLA judged, hostile peers."""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rempart.core.observations import RdpObservation
from rempart.discover.probes import rdp
from rempart.discover.probes.base import HostBudget, ProbeContext, ProbeError
from tests.peers._servers_a import read_some, scripted_server, silent

RECORDED = Path(__file__).parent / "recorded"
ADDRESS = "127.0.3.1"


def ctx(timeout: float = 0.5) -> ProbeContext:
    return ProbeContext(budget=HostBudget.start(10.0, 100_000), timeout=timeout)


def confirm(kind: int, value: int) -> bytes:
    """A Connection Confirm as Windows sends it (MS-RDPBCGR §2.2.1.2)."""
    return bytes.fromhex("030000130ed00000123400") + struct.pack("<BBHI", kind, 0, 8, value)


def test_connection_request_is_the_documented_19_bytes() -> None:
    # MS-RDPBCGR §4.1.1 (without the optional cookie): TPKT, X.224 CR, RDP_NEG_REQ.
    assert rdp.connection_request(3) == bytes.fromhex("030000130ee000000000000100080003000000")


def test_recorded_xrdp_tls_selection_is_parsed() -> None:
    packet = (RECORDED / "rdp_xrdp0921_tls_rsp_ssl.bin").read_bytes()
    assert rdp.parse_confirm(packet) == rdp.Confirm(selected=rdp.PROTOCOL_SSL)


def test_recorded_xrdp_failure_is_parsed() -> None:
    packet = (RECORDED / "rdp_xrdp0921_tls_failure_ssl_required.bin").read_bytes()
    assert rdp.parse_confirm(packet) == rdp.Confirm(failure=rdp.SSL_REQUIRED_BY_SERVER)


def test_legacy_confirm_without_negotiation_means_standard_rdp() -> None:
    packet = bytes.fromhex("0300000b06d00000123400")
    assert rdp.parse_confirm(packet) == rdp.Confirm()
    assert rdp.assemble({0: rdp.Confirm()}).protocols == ("rdp",)


@pytest.mark.parametrize(
    "packet",
    [
        b"",
        b"HTTP/1.1 400 Bad Request\r\n\r\n",
        bytes.fromhex("0300ffff"),  # length beyond the bound
        bytes.fromhex("03000013"),  # truncated
        bytes.fromhex("030000130ee000001234000200080001000000"),  # a request, not a confirm
        bytes.fromhex("030000130ed000001234000900080001000000"),  # unknown negotiation type
        bytes.fromhex("030000130ed000001234000200ff0001000000"),  # wrong negotiation length
        bytes.fromhex("0300000bffd00000123400"),  # length indicator past the packet
    ],
)
def test_malformed_confirms_are_refused(packet: bytes) -> None:
    with pytest.raises(ProbeError):
        rdp.parse_confirm(packet)


def test_windows_with_nla_is_reported_nla_required() -> None:
    answers = {
        rdp.PROTOCOL_RDP: rdp.Confirm(failure=rdp.HYBRID_REQUIRED_BY_SERVER),
        rdp.PROTOCOL_SSL: rdp.Confirm(failure=rdp.HYBRID_REQUIRED_BY_SERVER),
        3: rdp.Confirm(selected=rdp.PROTOCOL_HYBRID),
        11: rdp.Confirm(selected=rdp.PROTOCOL_HYBRID_EX),
    }
    seen = rdp.assemble(answers)
    assert seen == RdpObservation(
        protocols=("hybrid", "hybrid_ex"),
        nla_required=True,
        failure_codes=(rdp.HYBRID_REQUIRED_BY_SERVER,),
    )


def test_windows_without_nla_is_reported_open() -> None:
    answers = {
        rdp.PROTOCOL_RDP: rdp.Confirm(selected=rdp.PROTOCOL_RDP),
        rdp.PROTOCOL_SSL: rdp.Confirm(selected=rdp.PROTOCOL_SSL),
        3: rdp.Confirm(selected=rdp.PROTOCOL_HYBRID),
    }
    seen = rdp.assemble(answers)
    assert seen.protocols == ("rdp", "ssl", "hybrid")
    assert seen.nla_required is False


def test_tls_required_without_credssp_is_not_nla() -> None:
    answers = {
        rdp.PROTOCOL_RDP: rdp.Confirm(failure=rdp.SSL_REQUIRED_BY_SERVER),
        rdp.PROTOCOL_SSL: rdp.Confirm(selected=rdp.PROTOCOL_SSL),
        3: rdp.Confirm(selected=rdp.PROTOCOL_SSL),
    }
    assert rdp.assemble(answers).nla_required is False


def windows(nla: bool, hang_up_on_hybrid_ex: bool = False) -> Callable[[socket.socket], None]:
    def handler(conn: socket.socket) -> None:
        request = read_some(conn)
        (requested,) = struct.unpack_from("<I", request, 15)
        if requested & rdp.PROTOCOL_HYBRID_EX and hang_up_on_hybrid_ex:
            return
        if requested & rdp.PROTOCOL_HYBRID:
            conn.sendall(confirm(2, rdp.PROTOCOL_HYBRID))
        elif nla:
            conn.sendall(confirm(3, rdp.HYBRID_REQUIRED_BY_SERVER))
        else:
            conn.sendall(confirm(2, requested))

    return handler


def test_probe_reports_nla_required_on_a_windows_like_server() -> None:
    with scripted_server(windows(nla=True)) as port:
        seen = rdp.probe(ADDRESS, port, ctx())
    assert seen == RdpObservation(
        protocols=("hybrid",), nla_required=True, failure_codes=(rdp.HYBRID_REQUIRED_BY_SERVER,)
    )


def test_probe_reports_no_nla_and_survives_a_hang_up() -> None:
    with scripted_server(windows(nla=False, hang_up_on_hybrid_ex=True)) as port:
        seen = rdp.probe(ADDRESS, port, ctx())
    assert isinstance(seen, RdpObservation)
    assert seen.protocols == ("rdp", "ssl", "hybrid")
    assert seen.nla_required is False


def test_a_web_server_is_not_rdp() -> None:
    def handler(conn: socket.socket) -> None:
        read_some(conn)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    with scripted_server(handler) as port:
        assert rdp.probe(ADDRESS, port, ctx()) is None


def test_a_silent_service_is_a_probe_error() -> None:
    with scripted_server(silent) as port, pytest.raises(ProbeError):
        rdp.probe(ADDRESS, port, ctx(timeout=0.3))


@given(st.binary(max_size=1024))
def test_parser_raises_nothing_but_probe_error_on_random_bytes(data: bytes) -> None:
    for candidate in (data, b"\x03\x00\x00\x13" + data, b"\x03\x00\x00\x13\x0e\xd0" + data):
        try:
            rdp.parse_confirm(candidate)
        except ProbeError:
            pass

"""SNMP: our GetRequest is what pysnmp decodes; hostile replies are ignored; the sweep
keeps only answers from the host and port asked, with our request-id and community."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyasn1.codec.ber import decoder
from pysnmp.proto import api

from rempart.discover.probes import snmp

ADDRESS = "127.0.4.6"


def test_get_request_decodes_with_pysnmp() -> None:
    message = snmp.build_get("public", 123456, (snmp.SYS_DESCR, snmp.SYS_NAME))
    module = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    decoded, rest = decoder.decode(message, asn1Spec=module.Message())
    assert rest == b""
    assert str(module.apiMessage.get_community(decoded)) == "public"
    pdu = module.apiMessage.get_pdu(decoded)
    assert int(module.apiPDU.get_request_id(pdu)) == 123456
    oids = [str(oid) for oid, _ in module.apiPDU.get_varbinds(pdu)]
    assert oids == [snmp.SYS_DESCR, snmp.SYS_NAME]


def _response(
    community: bytes = b"public",
    request_id: int = 7,
    descr: bytes = b"JetDirect",
    tag: int = 0xA2,
) -> bytes:
    t = snmp._tlv
    varbind = t(0x30, snmp._oid(snmp.SYS_DESCR) + t(0x04, descr))
    varbind += t(0x30, snmp._oid(snmp.SYS_NAME) + b"\x80\x00")  # noSuchObject
    pdu = t(tag, snmp._integer(request_id) + snmp._integer(0) + snmp._integer(0) + t(0x30, varbind))
    return t(0x30, snmp._integer(1) + t(0x04, community) + pdu)


def test_get_response_is_parsed() -> None:
    parsed = snmp.parse_response(_response())
    assert parsed is not None
    assert parsed.request_id == 7 and parsed.community == b"public"
    assert parsed.values == {snmp.SYS_DESCR: b"JetDirect", snmp.SYS_NAME: None}


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x30",
        b"\x30\x84\xff\xff\xff\xff",
        b"\x30\x89" + b"\x01" * 9,
        _response()[:-3],
        _response(tag=0xA0),  # a request, not a response
        b"\x04\x03abc",
        b"x" * (snmp.MAX_DATAGRAM + 1),
    ],
)
def test_malformed_replies_are_rejected(data: bytes) -> None:
    assert snmp.parse_response(data) is None


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_crash_the_parser(data: bytes) -> None:
    snmp.parse_response(data)
    snmp.parse_response(_response()[:20] + data)


@pytest.fixture
def responder() -> Iterator[Callable[[Callable[[bytes], list[bytes]]], int]]:
    """A UDP agent on ADDRESS answering each request with what ``reply(request)`` gives."""
    sockets: list[socket.socket] = []
    stop = threading.Event()

    def start(reply: Callable[[bytes], list[bytes]]) -> int:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((ADDRESS, 0))
        sock.settimeout(0.1)
        sockets.append(sock)

        def loop() -> None:
            while not stop.is_set():
                try:
                    data, source = sock.recvfrom(4096)
                except (TimeoutError, OSError):
                    continue
                for answer in reply(data):
                    sock.sendto(answer, source)

        threading.Thread(target=loop, daemon=True).start()
        return int(sock.getsockname()[1])

    yield start
    stop.set()
    for sock in sockets:
        sock.close()


def _request_id(data: bytes) -> tuple[bytes, int]:
    module = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    decoded, _ = decoder.decode(data, asn1Spec=module.Message())
    pdu = module.apiMessage.get_pdu(decoded)
    return bytes(module.apiMessage.get_community(decoded)), int(module.apiPDU.get_request_id(pdu))


def test_only_matching_answers_count(
    responder: Callable[[Callable[[bytes], list[bytes]]], int],
) -> None:
    def reply(data: bytes) -> list[bytes]:
        if data[4] != 1:  # answer v2c only (version byte)
            return []
        community, rid = _request_id(data)
        return [
            _response(community, rid + 1, b"wrong id"),
            _response(b"other", rid, b"wrong community"),
            b"\x30\x03garbage",
            _response(community, rid, b"Cabinet printer") if community == b"public" else b"",
        ]

    port = responder(reply)
    found = snmp.sweep([ADDRESS], port, timeout=0.3, retries=1)
    assert found[ADDRESS].communities == ("public",)
    assert found[ADDRESS].sysdescr == "Cabinet printer"
    assert found[ADDRESS].sysname is None


def test_answer_from_another_address_is_ignored(
    responder: Callable[[Callable[[bytes], list[bytes]]], int],
) -> None:
    # The agent on ADDRESS answers requests that were sent to 127.0.4.7 (spoofing).
    spoofer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    port = responder(lambda data: [])
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.4.7", port))
    sink.settimeout(0.1)
    stop = threading.Event()

    def relay() -> None:
        while not stop.is_set():
            try:
                data, source = sink.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            community, rid = _request_id(data)
            spoofer.sendto(_response(community, rid, b"spoofed"), source)

    threading.Thread(target=relay, daemon=True).start()
    try:
        assert snmp.sweep(["127.0.4.7"], port, timeout=0.3, retries=0) == {}
    finally:
        stop.set()
        sink.close()
        spoofer.close()


def test_empty_scope_sends_nothing() -> None:
    assert snmp.sweep([], 161) == {}

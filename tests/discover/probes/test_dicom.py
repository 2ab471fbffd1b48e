"""DICOM probe against hand-made peers: a recorded A-ASSOCIATE-RJ, a non-DICOM service,
a silent one. Real dcmtk peers are in tests/peers/test_storescp.py."""

from __future__ import annotations

import socket

from rempart.discover.probes import dicom
from tests.peers._servers_b import TcpServer, ctx

# A-ASSOCIATE-RJ: type 0x03, length 4, result 1 (permanent), source 1 (service user),
# reason 7 (called AE title not recognised) — PS3.8 9.3.4.
ASSOCIATE_RJ = bytes.fromhex("03000000000400010107")


def _read_pdu(conn: socket.socket) -> bytes:
    head = b""
    while len(head) < 6:
        chunk = conn.recv(6 - len(head))
        if not chunk:
            return b""
        head += chunk
    length = int.from_bytes(head[2:6], "big")
    body = b""
    while len(body) < min(length, 65536):
        chunk = conn.recv(length - len(body))
        if not chunk:
            break
        body += chunk
    return head + body


def test_recorded_reject_is_reported_with_its_reason() -> None:
    requests: list[bytes] = []

    def rejecting(conn: socket.socket) -> None:
        requests.append(_read_pdu(conn))
        conn.sendall(ASSOCIATE_RJ)
        conn.recv(10)

    with TcpServer(rejecting, "127.0.4.9") as server:
        obs = dicom.probe(server.address, server.port, ctx())
    assert obs is not None and not obs.association_accepted
    assert obs.reject_reason == "Rejected Permanent, Service User: Called AE title not recognised"
    # Our A-ASSOCIATE-RQ carried the made-up titles (PS3.8: called at 10, calling at 26).
    request = requests[0]
    assert request[0] == 0x01
    assert request[10:26].decode().strip() == "NOT_A_REAL_AE"
    assert request[26:42].decode().strip() == "REMPART_AUDIT"


def test_http_service_is_not_dicom() -> None:
    def http_like(conn: socket.socket) -> None:
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    with TcpServer(http_like, "127.0.4.9") as server:
        assert dicom.probe(server.address, server.port, ctx(timeout=1)) is None


def test_silent_service_is_not_dicom() -> None:
    def silent(conn: socket.socket) -> None:
        while conn.recv(100):
            pass

    with TcpServer(silent, "127.0.4.9") as server:
        assert dicom.probe(server.address, server.port, ctx(timeout=0.5)) is None


def test_closed_port_is_not_dicom() -> None:
    with TcpServer(lambda c: None, "127.0.4.9") as server:
        port = server.port
    assert dicom.probe("127.0.4.9", port, ctx(timeout=0.5)) is None


def test_reject_reason_text_is_bounded_and_clean() -> None:
    text = dicom.reject_reason("R\x00" * 200, None, "x" * 500)
    assert "\x00" not in text and len(text) < 300

"""TLS probe against local ``ssl`` servers: old versions seen, certificate facts right."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

import pytest

from rempart.discover.probes import tls
from tests.peers._servers_b import TcpServer, ctx, make_certificate, server_tls_context


def _handshake_only(conn: socket.socket) -> None:
    conn.recv(1)  # the TLS wrapper already did the handshake; wait for the client to leave


def test_server_accepting_tls10_to_12_is_reported_with_old_versions(tmp_path: Path) -> None:
    cert, key = make_certificate(tmp_path, "nas.local")
    context = server_tls_context(cert, key, ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_2)
    with TcpServer(_handshake_only, tls=context) as server:
        obs = tls.probe(server.address, server.port, ctx())
    assert obs is not None
    # This OpenSSL (3.0) still offers TLS 1.0/1.1 at SECLEVEL=0: the probe must see them.
    assert obs.versions == ("TLSv1.0", "TLSv1.1", "TLSv1.2")
    assert obs.subject == "CN=nas.local" and obs.issuer == "CN=nas.local"
    assert obs.self_signed is True
    assert obs.sha256 is not None and len(obs.sha256) == 64
    assert obs.not_before is not None and obs.not_before.endswith("+00:00")
    assert obs.not_after is not None and obs.not_after > obs.not_before


def test_modern_server_shows_only_12_and_13_and_a_ca_signed_certificate(tmp_path: Path) -> None:
    cert, key = make_certificate(tmp_path, "srv.local", issuer_cn="Cabinet CA")
    context = server_tls_context(cert, key, ssl.TLSVersion.TLSv1_2)
    with TcpServer(_handshake_only, tls=context) as server:
        obs = tls.probe(server.address, server.port, ctx())
    assert obs is not None
    assert obs.versions == ("TLSv1.2", "TLSv1.3")
    assert obs.issuer == "CN=Cabinet CA" and obs.self_signed is False


def test_same_name_but_foreign_signature_is_not_self_signed(tmp_path: Path) -> None:
    cert, _ = make_certificate(tmp_path, "twin", issuer_cn="twin")
    der = ssl.PEM_cert_to_DER_cert(cert.read_text())
    facts = tls.parse_certificate(der)
    assert facts is not None and facts.subject == facts.issuer and facts.self_signed is False


@pytest.mark.parametrize("der", [b"", b"\x30\x82\xff\xff" + b"\x00" * 10, b"garbage" * 100])
def test_malformed_certificate_is_ignored(der: bytes) -> None:
    assert tls.parse_certificate(der) is None
    assert tls.certificate_common_name(der) is None


def test_plain_http_service_is_not_tls() -> None:
    def http_server(conn: socket.socket) -> None:
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")

    with TcpServer(http_server) as server:
        assert tls.probe(server.address, server.port, ctx()) is None


def test_silent_service_is_not_tls_and_costs_bounded_time() -> None:
    def silent(conn: socket.socket) -> None:
        while conn.recv(100):
            pass

    c = ctx(timeout=0.2)
    with TcpServer(silent) as server:
        assert tls.probe(server.address, server.port, c) is None
    assert c.budget.bytes_read == 0


def test_server_first_greeting_is_not_tls() -> None:
    assert tls.probe("127.0.4.1", 1, ctx(), banner=b"220 ready\r\n") is None


def test_tls10_only_server_is_seen_once_negotiated(tmp_path: Path) -> None:
    cert, key = make_certificate(tmp_path, "printer.local")
    context = server_tls_context(cert, key, ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1)
    with TcpServer(_handshake_only, tls=context) as server:
        obs = tls.probe(server.address, server.port, ctx())
    assert obs is not None and obs.versions == ("TLSv1.0",)


@pytest.mark.parametrize(
    "junk",
    [
        b"\x16\x03\x01\x40\x00" + b"\x02" * 0x4000,  # a full-size handshake record of garbage
        b"\x15\x03\x01\x00\x02\x02\x28",  # an alert: handshake failure
        b"\x00" * 100_000,
    ],
)
def test_hostile_tls_answers_are_not_tls_and_stay_bounded(junk: bytes) -> None:
    def hostile(conn: socket.socket) -> None:
        conn.recv(4096)
        try:
            for _ in range(20):
                conn.sendall(junk)
        except OSError:
            pass

    c = ctx()
    with TcpServer(hostile) as server:
        assert tls.probe(server.address, server.port, c) is None
    assert c.budget.bytes_read <= 2 * tls.MAX_HANDSHAKE_BYTES

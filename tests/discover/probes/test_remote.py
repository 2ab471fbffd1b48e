"""Remote-access probes (TeamViewer, AnyDesk, ScreenConnect, WinRM) against local servers
answering as the real products do."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

import pytest

from rempart.discover.probes import anydesk, screenconnect, teamviewer, winrm
from tests.peers._servers_b import (
    TcpServer,
    ctx,
    http_answer,
    make_certificate,
    read_request,
    server_tls_context,
)

ADDRESS = "127.0.4.11"


# --- TeamViewer -----------------------------------------------------------------------


def test_teamviewer_answers_ping_with_pingok() -> None:
    received: list[bytes] = []

    def tv(conn: socket.socket) -> None:
        received.append(conn.recv(64))
        conn.sendall(b"\x17\x24\x11\x04\x00\x00\x00\x00")

    with TcpServer(tv, ADDRESS) as server:
        obs = teamviewer.probe(server.address, server.port, ctx())
    assert received == [b"\x17\x24\x10\x04\x00\x00\x00\x00"]
    assert obs is not None and obs.tool == "teamviewer" and obs.detail == "answered CMD_PINGOK"


@pytest.mark.parametrize("reply", [b"", b"HTTP/1.1 400 Bad\r\n\r\n", b"\x17", b"\x24\x17\x11"])
def test_other_replies_are_not_teamviewer(reply: bytes) -> None:
    def other(conn: socket.socket) -> None:
        conn.recv(64)
        conn.sendall(reply)

    with TcpServer(other, ADDRESS) as server:
        assert teamviewer.probe(server.address, server.port, ctx(timeout=0.5)) is None


def test_nmap_style_identify_answer_is_teamviewer() -> None:
    assert teamviewer.parse_reply(b"\x17\x24\x0a\x20\x00") == "CMD_IDENTIFY"
    assert teamviewer.parse_reply(b"\x11\x30\x3c\x00") == "command 60"


# --- AnyDesk --------------------------------------------------------------------------


def _tls_server(tmp_path: Path, cn: str) -> TcpServer:
    cert, key = make_certificate(tmp_path, cn)
    context = server_tls_context(cert, key, ssl.TLSVersion.TLSv1_2)
    return TcpServer(lambda conn: conn.recv(1), ADDRESS, tls=context)


def test_anydesk_certificate_identifies_anydesk(tmp_path: Path) -> None:
    with _tls_server(tmp_path, "AnyDesk Client") as server:
        obs = anydesk.probe(server.address, server.port, ctx())
    assert obs is not None and obs.tool == "anydesk" and obs.encrypted is True
    assert obs.detail == "certificate CN=AnyDesk Client (self-signed)"


def test_other_tls_service_is_not_anydesk(tmp_path: Path) -> None:
    with _tls_server(tmp_path, "nas.local") as server:
        assert anydesk.probe(server.address, server.port, ctx()) is None


# --- ScreenConnect --------------------------------------------------------------------


def test_screenconnect_web_page_gives_version() -> None:
    def sc(conn: socket.socket) -> None:
        read_request(conn)
        headers = {"Server": "ScreenConnect/23.9.7.8804-3614893131 Microsoft-HTTPAPI/2.0"}
        conn.sendall(http_answer("200 OK", headers, "<title>ScreenConnect Remote Support</title>"))

    with TcpServer(sc, ADDRESS) as server:
        obs = screenconnect.probe(server.address, server.port, ctx())
    assert obs is not None and obs.tool == "screenconnect"
    assert obs.version == "23.9.7.8804" and obs.encrypted is False


# --- WinRM ----------------------------------------------------------------------------


def _winrm(conn: socket.socket, requests: list[bytes]) -> None:
    request = read_request(conn)
    requests.append(request)
    if request.startswith(b"POST /wsman "):
        conn.sendall(
            b"HTTP/1.1 401 \r\nServer: Microsoft-HTTPAPI/2.0\r\n"
            b'WWW-Authenticate: Negotiate\r\nWWW-Authenticate: Basic realm="WSMAN"\r\n'
            b"Date: Sat, 28 Nov 2026 10:00:00 GMT\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        )
    else:
        conn.sendall(http_answer("404 Not Found", {"Server": "Microsoft-HTTPAPI/2.0"}, "Not Found"))


def test_winrm_over_http_lists_auth_schemes_unencrypted() -> None:
    requests: list[bytes] = []
    with TcpServer(lambda c: _winrm(c, requests), ADDRESS) as server:
        obs = winrm.probe(server.address, server.port, ctx())
    assert obs is not None and obs.tool == "winrm"
    assert obs.detail == "auth: Negotiate, Basic" and obs.encrypted is False
    assert requests[0].startswith(b"POST /wsman HTTP/1.1\r\n")
    assert b"Content-Length: 0" in requests[0]


def test_winrm_over_https_is_encrypted(tmp_path: Path) -> None:
    cert, key = make_certificate(tmp_path, "serveur")
    context = server_tls_context(cert, key, ssl.TLSVersion.TLSv1_2)
    requests: list[bytes] = []
    with TcpServer(lambda c: _winrm(c, requests), ADDRESS, tls=context) as server:
        obs = winrm.probe(server.address, server.port, ctx(), tls=True)
    assert obs is not None and obs.encrypted is True


def test_plain_iis_site_is_not_winrm() -> None:
    def iis(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(http_answer("405 Method Not Allowed", {"Server": "Microsoft-IIS/10.0"}, ""))

    with TcpServer(iis, ADDRESS) as server:
        assert winrm.probe(server.address, server.port, ctx(), tls=False) is None


def test_scheme_parsing_ignores_lookalikes() -> None:
    assert winrm.schemes(("Negotiate, Kerberos", 'Basic realm="x"')) == (
        "Negotiate",
        "Kerberos",
        "Basic",
    )
    assert winrm.schemes(('Bearer realm="Basically"',)) == ()

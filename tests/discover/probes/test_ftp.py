"""FTP probe: reply parsing (multi-line, hostile) and the dialogue against scripted peers."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rempart.core.observations import FtpObservation
from rempart.discover.probes import ftp
from rempart.discover.probes.base import HostBudget, ProbeContext, ProbeError
from tests.peers._servers_a import read_some, scripted_server, silent

ADDRESS = "127.0.3.1"

# vsftpd 3.0.3 with ssl_enable=YES answers FEAT with this (recorded).
VSFTPD_FEAT = (
    b"211-Features:\r\n AUTH SSL\r\n AUTH TLS\r\n EPRT\r\n EPSV\r\n MDTM\r\n PASV\r\n"
    b" PBSZ\r\n PROT\r\n REST STREAM\r\n SIZE\r\n TVFS\r\n UTF8\r\n211 End\r\n"
)


def ctx(timeout: float = 0.5, max_bytes: int = 200_000) -> ProbeContext:
    return ProbeContext(budget=HostBudget.start(5.0, max_bytes), timeout=timeout)


def test_single_line_reply_is_parsed_and_the_rest_kept() -> None:
    parsed = ftp.parse_reply(b"220 (vsFTPd 3.0.3)\r\n331 next")
    assert parsed == (ftp.Reply(220, ("(vsFTPd 3.0.3)",)), b"331 next")


def test_multi_line_greeting_is_read_to_its_last_line() -> None:
    data = b"220-Welcome to the\r\n220-practice NAS\r\n   indented line\r\n220 ready.\r\n"
    reply, rest = ftp.parse_reply(data) or (None, None)
    assert reply == ftp.Reply(220, ("Welcome to the", "practice NAS", "   indented line", "ready."))
    assert rest == b""
    assert ftp.banner_text(reply) == "220 Welcome to the\npractice NAS\n   indented line\nready."


@pytest.mark.parametrize(
    "partial", [b"", b"22", b"220", b"220 half a line", b"220-first\r\n220-second\r\n"]
)
def test_incomplete_replies_ask_for_more(partial: bytes) -> None:
    assert ftp.parse_reply(partial) is None


@pytest.mark.parametrize(
    "garbage", [b"HTTP/1.1 400 Bad\r\n", b"SSH-2.0-x\r\n", b"\x16\x03\x01\x00", b"999 no\r\n"]
)
def test_bytes_that_are_not_ftp_are_refused(garbage: bytes) -> None:
    with pytest.raises(ProbeError):
        ftp.parse_reply(garbage)


def test_auth_tls_is_found_in_feat() -> None:
    reply, _ = ftp.parse_reply(VSFTPD_FEAT) or (None, None)
    assert reply is not None and ftp.offers_auth_tls(reply)
    plain, _ = ftp.parse_reply(b"211-Features:\r\n EPSV\r\n PASV\r\n211 End\r\n") or (None, None)
    assert plain is not None and not ftp.offers_auth_tls(plain)
    assert not ftp.offers_auth_tls(ftp.Reply(500, ("FEAT not understood", "AUTH TLS")))


def test_claims_ftp_greetings_but_not_smtp() -> None:
    assert ftp.claims(b"220 (vsFTPd 3.0.3)\r\n")
    assert ftp.claims(b"220-FileZilla Server 1.7\r\n220 Please visit\r\n")
    assert ftp.claims(b"421 Too many connections\r\n")
    assert not ftp.claims(b"220 mail.example.test ESMTP Postfix\r\n")
    assert not ftp.claims(b"SSH-2.0-OpenSSH\r\n")
    assert not ftp.claims(b"")


def test_hostile_greeting_text_is_cleaned_and_bounded() -> None:
    data = b"220 <script>\x1b[2J" + b"A" * 5000 + b"\r\n"
    reply, _ = ftp.parse_reply(data) or (None, None)
    assert reply is not None
    assert "\x1b" not in reply.lines[0]
    assert len(ftp.banner_text(reply)) <= 1024


def nas_server(
    *, anonymous: bool, feat: bytes | None, log: list[bytes]
) -> Callable[[socket.socket], None]:
    def handler(conn: socket.socket) -> None:
        conn.sendall(b"220-NAS FTP server\r\n220 ready.\r\n")
        buf = b""
        while True:
            data = read_some(conn)
            if not data:
                return
            buf += data
            while b"\r\n" in buf:
                line, buf = buf.split(b"\r\n", 1)
                log.append(line)
                verb = line.split(b" ", 1)[0].upper()
                if verb == b"FEAT":
                    conn.sendall(feat or b"500 Unknown command.\r\n")
                elif verb == b"USER":
                    conn.sendall(b"331 Please specify the password.\r\n")
                elif verb == b"PASS":
                    conn.sendall(
                        b"230 Login successful.\r\n" if anonymous else b"530 Login incorrect.\r\n"
                    )
                elif verb == b"AUTH":
                    conn.sendall(b"530 Please login with USER and PASS.\r\n")
                elif verb == b"QUIT":
                    conn.sendall(b"221 Goodbye.\r\n")
                    return

    return handler


def test_anonymous_nas_is_reported_and_the_session_quits_politely() -> None:
    log: list[bytes] = []
    with scripted_server(nas_server(anonymous=True, feat=VSFTPD_FEAT, log=log)) as port:
        seen = ftp.probe(ADDRESS, port, ctx())
    assert seen == FtpObservation(
        banner="220 NAS FTP server\nready.", anonymous_login=True, auth_tls=True
    )
    assert log == [b"FEAT", b"USER anonymous", b"PASS rempart@example.invalid", b"QUIT"]


def test_server_without_feat_is_asked_auth_tls_directly() -> None:
    log: list[bytes] = []
    with scripted_server(nas_server(anonymous=False, feat=None, log=log)) as port:
        seen = ftp.probe(ADDRESS, port, ctx())
    assert isinstance(seen, FtpObservation)
    assert seen.anonymous_login is False
    assert seen.auth_tls is False
    assert b"AUTH TLS" in log


def test_a_mail_server_with_a_plain_220_is_not_ftp() -> None:
    def smtp(conn: socket.socket) -> None:
        conn.sendall(b"220 cabinet.example.test service ready\r\n")
        while data := read_some(conn):
            for _ in data.split(b"\r\n")[:-1]:
                conn.sendall(b"500 5.5.2 Error: command not recognized\r\n")

    with scripted_server(smtp) as port:
        assert ftp.probe(ADDRESS, port, ctx()) is None


def test_a_busy_server_gives_its_greeting_only() -> None:
    def handler(conn: socket.socket) -> None:
        conn.sendall(b"421 Too many users, try later.\r\n")

    with scripted_server(handler) as port:
        seen = ftp.probe(ADDRESS, port, ctx())
    assert seen == FtpObservation(banner="421 Too many users, try later.")


def test_server_that_stops_answering_after_greeting_keeps_the_banner() -> None:
    def handler(conn: socket.socket) -> None:
        conn.sendall(b"220 hello\r\n")
        while read_some(conn):
            pass

    with scripted_server(handler) as port:
        seen = ftp.probe(ADDRESS, port, ctx(timeout=0.3))
    assert seen == FtpObservation(banner="220 hello", anonymous_login=None, auth_tls=None)


def test_a_service_that_is_not_ftp_is_not_claimed() -> None:
    def handler(conn: socket.socket) -> None:
        conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
        read_some(conn)

    with scripted_server(handler) as port:
        assert ftp.probe(ADDRESS, port, ctx()) is None


def test_an_endless_reply_is_cut() -> None:
    def handler(conn: socket.socket) -> None:
        conn.sendall(b"220-start\r\n")
        for _ in range(200):
            conn.sendall(b" more\r\n" * 200)

    budget = ctx()
    with scripted_server(handler) as port:
        assert ftp.probe(ADDRESS, port, budget) is None
    assert budget.budget.bytes_read <= ftp.MAX_REPLY


def test_a_silent_service_is_a_probe_error() -> None:
    with scripted_server(silent) as port, pytest.raises(ProbeError):
        ftp.probe(ADDRESS, port, ctx(timeout=0.3))


@given(st.binary(max_size=4096))
def test_parsers_raise_nothing_but_probe_error_on_random_bytes(data: bytes) -> None:
    ftp.claims(data)
    for candidate in (data, b"220-" + data, b"211 " + data):
        try:
            parsed = ftp.parse_reply(candidate)
        except ProbeError:
            continue
        if parsed is not None:
            ftp.offers_auth_tls(parsed[0])
            assert len(ftp.banner_text(parsed[0])) <= 1024

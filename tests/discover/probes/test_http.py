"""HTTP probe: parsers on recorded and hostile bytes, then dialogues with local servers
that answer like the real products (Livebox Basic auth, QNAP authLogin.cgi, HTTPS)."""

from __future__ import annotations

import base64
import socket
import ssl
import threading
from pathlib import Path

import pytest

from rempart.discover.probes import http
from rempart.discover.probes.base import ProbeError
from rempart.discover.probes.data import consoles
from tests.peers._servers_b import (
    TcpServer,
    ctx,
    http_answer,
    make_certificate,
    read_request,
    server_tls_context,
)

RECORDED = Path(__file__).parent / "recorded_b"


# --- parsing ------------------------------------------------------------------------


def test_chunked_hp_page_gives_title_model_and_server() -> None:
    response = http.parse_response((RECORDED / "hp_ews_root.http").read_bytes())
    assert response is not None and response.status == 200
    text = http.decode_body(response.body, response.header("content-type"))
    facts = http.page_facts(text)
    assert facts.title == "HP LaserJet Pro M404dn"
    console = consoles.recognise(response.header("server") or "", facts.title, text)
    assert console is not None and console.kind == "printer"
    found = consoles.find_version(
        console, text, response.header("server") or "", facts.title, lambda p: None
    )
    assert found.model == "LaserJet Pro M404dn"


def test_latin1_page_title_is_unescaped_and_password_field_found() -> None:
    response = http.parse_response((RECORDED / "latin1_login.http").read_bytes())
    assert response is not None
    facts = http.page_facts(http.decode_body(response.body, response.header("content-type")))
    assert facts.title == "Box de l'accueil été é"
    assert facts.login_form


def test_qnap_authlogin_xml_gives_version_number_build_model_and_cpe() -> None:
    xml = (RECORDED / "qnap_authlogin.xml").read_text()
    qnap = next(c for c in consoles.load_consoles() if c.id == "qnap-qts")
    found = consoles.find_version(
        qnap, "", "", "QNAP Turbo NAS", lambda path: (xml, "http server 1.0")
    )
    assert found.display == "4.5.1.1495" and found.build == "20201015"
    assert found.model == "TS-453Be"
    assert found.cpe == "cpe:2.3:o:qnap:qts:4.5.1.1495:build_20201015:*:*:*:*:*:*"


def test_cpe_component_with_unknown_value_becomes_wildcard() -> None:
    template = "cpe:2.3:o:qnap:qts:{version}:build_{build}:*:*:*:*:*:*"
    assert (
        consoles.build_cpe(template, "4.5.1", None, None)
        == "cpe:2.3:o:qnap:qts:4.5.1:*:*:*:*:*:*:*"
    )
    assert consoles.build_cpe(template, None, "1", None) is None
    # hostile text cannot inject CPE separators
    assert (
        consoles.build_cpe(template, "4:5 x", None, None)
        == "cpe:2.3:o:qnap:qts:4_5_x:*:*:*:*:*:*:*"
    )


@pytest.mark.parametrize(
    ("server", "title", "expected"),
    [
        ("", "QNAP Turbo NAS", "qnap-qts"),
        ("nginx", "DiskStation - Synology DiskStation", "synology-dsm"),
        ("", "Livebox", "orange-livebox-unused"),
        ("", "Freebox OS", "freebox"),
        ("", "SFR Box", "sfr-box"),
        ("", "Bbox - Administration", "bbox"),
        ("", "TL-WR841N", "tp-link"),
        ("", "NETGEAR Router R7000", "netgear"),
        ("", "Brother MFC-L2710DW", "brother-printer"),
        ("KM-MFP-http/V0.0.1", "", "kyocera-printer"),
        ("CANON HTTP Server", "", "canon-printer"),
        ("EPSON_Linux UPnP/1.0 Epson UPnP SDK/1.0", "", "epson-printer"),
        ("", "Orthanc Explorer", "orthanc"),
        ("", "Planmeca Romexis", "romexis"),
        ("ScreenConnect/23.9.7.8804-1234 Microsoft-HTTPAPI/2.0", "", "screenconnect"),
    ],
)
def test_known_consoles_are_recognised_from_their_own_strings(
    server: str, title: str, expected: str
) -> None:
    console = consoles.recognise(server, title, "")
    assert console is not None
    if expected != "orange-livebox-unused":
        assert console.id == expected
    else:
        assert console.id == "livebox"


def test_an_ordinary_page_is_no_console() -> None:
    assert (
        consoles.recognise(
            "Apache/2.4.62 (Debian)", "Apache2 Debian Default Page: It works", "<p>hi</p>"
        )
        is None
    )


def test_screenconnect_version_comes_from_server_header() -> None:
    sc = next(c for c in consoles.load_consoles() if c.id == "screenconnect")
    found = consoles.find_version(sc, "", "ScreenConnect/23.9.7.8804-1234", "", lambda p: None)
    assert found.version == "23.9.7.8804"
    assert found.cpe == "cpe:2.3:a:connectwise:screenconnect:23.9.7.8804:*:*:*:*:*:*:*"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"SSH-2.0-OpenSSH_9.2\r\n",
        b"\x16\x03\x01\x00\x05hello",
        b"HTTP/1.1 2000 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n" + b"X-Big: " + b"a" * 40000 + b"\r\n\r\n",
    ],
)
def test_garbage_and_oversized_heads_are_not_http(data: bytes) -> None:
    assert http.parse_response(data) is None


def test_hostile_page_is_bounded() -> None:
    page = "<title>" + "A" * 100_000 + "</title><input type=password>"
    facts = http.page_facts(page)
    assert facts.title is not None and len(facts.title) <= 256
    broken = http.page_facts("<title>\x00\x1b[31mred</tit<<<<le><<>>")
    assert broken.title is not None and "\x1b" not in broken.title


def test_malformed_chunked_body_stops_cleanly() -> None:
    assert http.dechunk(b"5\r\nhello\r\nzz\r\nworld") == b"hello"
    assert http.dechunk(b"ffffffff\r\nabc") == b"abc"


def test_basic_challenge_is_a_password_prompt_bearer_is_not() -> None:
    assert http.challenge_asks_password('Basic realm="Livebox"')
    assert http.challenge_asks_password('Digest realm="x", nonce="1"')
    assert not http.challenge_asks_password("Negotiate")


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("/login.html", ("127.0.4.1", 8080, False, "/login.html")),
        ("http://127.0.4.1:8080/a?b=1", ("127.0.4.1", 8080, False, "/a?b=1")),
        ("https://127.0.4.1/", ("127.0.4.1", 443, True, "/")),
        ("https://127.0.4.1:5001/x", ("127.0.4.1", 5001, True, "/x")),
        ("http://127.0.4.1:9999/", None),
        ("http://203.0.113.9/", None),
        ("https://evil.example/", None),
        ("//127.0.4.2/", None),
        ("javascript:alert(1)", None),
        ("/a\r\nHost: x", None),
    ],
)
def test_redirects_stay_on_the_same_host(
    location: str, expected: tuple[str, int, bool, str] | None
) -> None:
    origin = http.Origin("127.0.4.1", 8080, False)
    target = http.redirect_target(origin, location)
    if expected is None:
        assert target is None
    else:
        assert target is not None
        new_origin, path = target
        assert (new_origin.host, new_origin.port, new_origin.tls, path) == expected


# --- dialogues ------------------------------------------------------------------------

LIVEBOX_PAGE = (
    "<html><head><title>Livebox - Accueil</title></head><body>"
    "<form method=post action=/authenticate><input name=username>"
    "<input type='password' name=password></form></body></html>"
)


def livebox(conn: socket.socket) -> None:
    request = read_request(conn)
    if request.startswith(b"GET /admin/"):
        good = "Basic " + base64.b64encode(b"admin:admin").decode()
        if f"Authorization: {good}".encode() in request:
            conn.sendall(
                http_answer("200 OK", {"Content-Type": "text/html"}, "<title>Admin</title>")
            )
        else:
            conn.sendall(
                http_answer("401 Unauthorized", {"WWW-Authenticate": 'Basic realm="Livebox"'}, "no")
            )
        return
    if request.startswith(b"POST /ws"):
        conn.sendall(http_answer("401 Unauthorized", {"Content-Type": "application/json"}, "{}"))
        return
    conn.sendall(http_answer("200 OK", {"Content-Type": "text/html; charset=utf-8"}, LIVEBOX_PAGE))


def test_livebox_page_is_recognised_and_cleartext_password_flagged() -> None:
    with TcpServer(livebox) as server:
        obs = http.probe(server.address, server.port, ctx())
    assert obs is not None
    assert obs.status == 200 and obs.title == "Livebox - Accueil"
    assert obs.console == "Orange Livebox" and obs.console_kind == "router"
    assert obs.login_form and obs.password_over_cleartext and not obs.tls
    assert obs.default_credentials is None  # not tried without the flag


def test_default_credentials_are_tried_only_with_the_flag_and_reported() -> None:
    with TcpServer(livebox) as server:
        obs = http.probe(server.address, server.port, ctx(creds=True))
    assert obs is not None and obs.default_credentials == ("admin",)


def test_wrong_default_credentials_give_an_empty_tuple() -> None:
    def strict_box(conn: socket.socket) -> None:
        request = read_request(conn)
        if request.startswith(b"GET / "):
            conn.sendall(http_answer("200 OK", {}, LIVEBOX_PAGE))
        else:
            conn.sendall(
                http_answer("401 Unauthorized", {"WWW-Authenticate": 'Basic realm="Livebox"'}, "")
            )

    with TcpServer(strict_box) as server:
        obs = http.probe(server.address, server.port, ctx(creds=True))
        attempts = server.connections
    assert obs is not None and obs.default_credentials == ()
    assert attempts <= 1 + 1 + consoles.MAX_ATTEMPTS  # page, bare check, attempts


def test_unknown_page_gets_no_credential_attempt() -> None:
    def plain(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(http_answer("200 OK", {"Server": "nginx"}, "<title>Welcome</title>"))

    with TcpServer(plain) as server:
        obs = http.probe(server.address, server.port, ctx(creds=True))
        assert server.connections == 1
    assert obs is not None and obs.console is None and obs.default_credentials is None
    assert obs.server == "nginx" and not obs.password_over_cleartext


def qnap(conn: socket.socket) -> None:
    request = read_request(conn)
    if request.startswith(b"GET /cgi-bin/authLogin.cgi"):
        body = (RECORDED / "qnap_authlogin.xml").read_bytes()
        conn.sendall(http_answer("200 OK", {"Content-Type": "text/xml"}, body))
    elif request.startswith(b"GET / "):
        conn.sendall(http_answer("302 Found", {"Location": "/cgi-bin/"}, ""))
    else:
        conn.sendall(
            http_answer(
                "200 OK",
                {"Server": "http server 1.0"},
                "<title>QNAP Turbo NAS</title><input type=password>",
            )
        )


def test_qnap_is_recognised_after_a_redirect_with_firmware_from_authlogin() -> None:
    with TcpServer(qnap) as server:
        obs = http.probe(server.address, server.port, ctx())
    assert obs is not None
    assert obs.location == "/cgi-bin/"
    assert obs.console == "QNAP QTS" and obs.console_kind == "nas"
    assert obs.console_version == "4.5.1.1495"
    assert obs.console_model == "TS-453Be"
    assert obs.console_cpe == "cpe:2.3:o:qnap:qts:4.5.1.1495:build_20201015:*:*:*:*:*:*"


def test_redirect_to_another_host_is_never_followed() -> None:
    with TcpServer(
        lambda c: (read_request(c), c.sendall(http_answer("200 OK", {}, "x"))), "127.0.4.2"
    ) as other:
        location = f"http://127.0.4.2:{other.port}/steal"

        def redirector(conn: socket.socket) -> None:
            read_request(conn)
            conn.sendall(http_answer("302 Found", {"Location": location}, ""))

        with TcpServer(redirector) as server:
            obs = http.probe(server.address, server.port, ctx())
        assert other.connections == 0
    assert obs is not None and obs.status == 302 and obs.location == location


def test_redirect_loop_stops_after_two_hops() -> None:
    def loop(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(http_answer("302 Found", {"Location": "/again"}, ""))

    with TcpServer(loop) as server:
        obs = http.probe(server.address, server.port, ctx())
        assert server.connections == 1 + http.MAX_REDIRECTS
    assert obs is not None and obs.status == 302


def test_https_service_is_found_when_plain_http_fails(tmp_path: Path) -> None:
    cert, key = make_certificate(tmp_path, "nas.local")
    tls = server_tls_context(cert, key, ssl.TLSVersion.TLSv1_2)

    def nas(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(
            http_answer("200 OK", {}, "<title>QNAP Turbo NAS</title><input type=password>")
        )

    with TcpServer(nas, tls=tls) as server:
        obs = http.probe(server.address, server.port, ctx())
    assert obs is not None and obs.tls
    assert obs.console == "QNAP QTS" and obs.login_form
    assert not obs.password_over_cleartext


def test_nginx_plain_to_https_port_answer_switches_to_tls(tmp_path: Path) -> None:
    # nginx answers plain HTTP on a TLS port with a 400 page: that is not the service.
    cert, key = make_certificate(tmp_path, "box.local")
    tls_ctx = server_tls_context(cert, key, ssl.TLSVersion.TLSv1_2)

    def mixed(conn: socket.socket) -> None:
        first = conn.recv(1, socket.MSG_PEEK)
        if first == b"\x16":
            tconn = tls_ctx.wrap_socket(conn, server_side=True)
            read_request(tconn)
            tconn.sendall(http_answer("200 OK", {}, "<title>Freebox OS</title>"))
            tconn.close()
        else:
            read_request(conn)
            body = "<center>The plain HTTP request was sent to HTTPS port</center>"
            conn.sendall(http_answer("400 Bad Request", {"Server": "nginx"}, body))

    with TcpServer(mixed) as server:
        obs = http.probe(server.address, server.port, ctx())
    assert obs is not None and obs.tls and obs.console == "Freebox OS"


def test_silent_service_raises_probe_error_within_the_budget() -> None:
    def silent(conn: socket.socket) -> None:
        while conn.recv(100):  # reads the request, never answers, until the client leaves
            pass

    with TcpServer(silent) as server, pytest.raises(ProbeError):
        http.probe(server.address, server.port, ctx(timeout=0.3), tls=False)


def test_endless_body_is_cut_at_the_cap() -> None:
    def endless(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<title>big</title>")
        chunk = b"x" * 65536
        try:
            for _ in range(64):
                conn.sendall(chunk)
        except OSError:
            pass

    with TcpServer(endless) as server:
        c = ctx()
        obs = http.probe(server.address, server.port, c, tls=False)
    assert obs is not None and obs.title == "big"
    assert c.budget.bytes_read < 4 * http.MAX_BODY


def test_non_http_service_is_not_http() -> None:
    def ssh_like(conn: socket.socket) -> None:
        conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
        conn.recv(100)

    with TcpServer(ssh_like) as server:
        assert http.probe(server.address, server.port, ctx(timeout=0.5), tls=False) is None


def test_slow_drip_answer_is_cut_off() -> None:
    stop = threading.Event()

    def drip(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        while not stop.wait(0.05):  # one header byte every 50 ms, forever
            conn.sendall(b"X")

    c = ctx(timeout=0.2, seconds=30)
    try:
        with TcpServer(drip) as server, pytest.raises(ProbeError):
            http.probe(server.address, server.port, c, tls=False)
    finally:
        stop.set()
    assert c.budget.remaining() > 20  # the host's budget was not eaten by one page


def test_unauthenticated_basic_root_is_a_cleartext_password_prompt() -> None:
    def router(conn: socket.socket) -> None:
        read_request(conn)
        challenge = {"WWW-Authenticate": 'Basic realm="TP-LINK Wireless N Router WR841N"'}
        conn.sendall(http_answer("401 Unauthorized", challenge, ""))

    with TcpServer(router) as server:
        obs = http.probe(server.address, server.port, ctx(creds=True))
    assert obs is not None and obs.status == 401
    assert obs.console == "TP-Link router" and obs.password_over_cleartext
    assert obs.www_authenticate is not None and obs.www_authenticate.startswith("Basic")
    assert obs.default_credentials == ()


@pytest.mark.parametrize("charset", ["zlib", "base64", "rot13", "idna", "no-such-codec", "x" * 40])
def test_hostile_charset_falls_back_to_utf8(charset: str) -> None:
    text = http.decode_body("<p>été</p>".encode(), f"text/html; charset={charset}")
    assert text == "<p>été</p>"


def test_silent_service_is_asked_once_not_again_over_tls() -> None:
    def silent(conn: socket.socket) -> None:
        while conn.recv(100):
            pass

    with TcpServer(silent) as server:
        with pytest.raises(ProbeError):
            http.probe(server.address, server.port, ctx(timeout=0.3))
        assert server.connections == 1


def test_qnap_form_login_with_factory_password_is_reported() -> None:
    logins: list[bytes] = []

    def old_qnap(conn: socket.socket) -> None:
        request = read_request(conn)
        first_line = request.split(b"\r\n", 1)[0]
        if first_line.startswith(b"GET /cgi-bin/authLogin.cgi?"):
            logins.append(first_line)
            passed = b"user=admin&pwd=YWRtaW4%3D " in first_line  # base64("admin"), as QTS sends
            xml = f"<QDocRoot><authPassed><![CDATA[{int(passed)}]]></authPassed></QDocRoot>"
            conn.sendall(http_answer("200 OK", {"Content-Type": "text/xml"}, xml))
        elif first_line.startswith(b"GET /cgi-bin/authLogin.cgi"):
            conn.sendall(http_answer("200 OK", {}, (RECORDED / "qnap_authlogin.xml").read_bytes()))
        else:
            conn.sendall(http_answer("200 OK", {}, "<title>QNAP Turbo NAS</title>"))

    with TcpServer(old_qnap) as server:
        obs = http.probe(server.address, server.port, ctx(creds=True))
    assert obs is not None and obs.default_credentials == ("admin",)
    assert len(logins) == 1  # stopped at the first success


def test_host_header_names_the_port_and_brackets_ipv6() -> None:
    assert b"\r\nHost: 127.0.4.1:8080\r\n" in http.build_request(
        "GET", "127.0.4.1", 8080, "/", tls=False
    )
    assert b"\r\nHost: 127.0.4.1\r\n" in http.build_request("GET", "127.0.4.1", 443, "/", tls=True)
    assert b"\r\nHost: [::1]:8080\r\n" in http.build_request("GET", "::1", 8080, "/", tls=False)

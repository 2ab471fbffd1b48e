"""Telnet probe: IAC parsing and refusals, login prompts, and hostile or shy peers."""

from __future__ import annotations

import socket

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rempart.core.observations import TelnetObservation
from rempart.discover.probes import telnet
from rempart.discover.probes.base import HostBudget, ProbeContext, ProbeError
from rempart.discover.probes.telnet import DO, DONT, IAC, SB, SE, WILL, WONT
from tests.peers._servers_a import read_some, scripted_server, silent

ADDRESS = "127.0.3.1"
ECHO, SGA, TTYPE, NAWS = 1, 3, 24, 31

# What a busybox/ISP-box telnetd sends first (recorded shape): options, then the prompt.
BOX_OPTIONS = bytes([IAC, DO, TTYPE, IAC, WILL, ECHO, IAC, WILL, SGA, IAC, DO, NAWS])


def ctx(timeout: float = 0.5, max_bytes: int = 100_000) -> ProbeContext:
    return ProbeContext(budget=HostBudget.start(10.0, max_bytes), timeout=timeout)


def test_parse_separates_commands_from_text() -> None:
    data = BOX_OPTIONS + b"\r\nLivebox login: "
    parsed = telnet.parse(data)
    assert parsed.text == b"\r\nLivebox login: "
    assert parsed.commands == ((DO, TTYPE), (WILL, ECHO), (WILL, SGA), (DO, NAWS))
    assert parsed.negotiation
    assert parsed.rest == b""


def test_parse_keeps_a_command_cut_between_two_reads() -> None:
    first = telnet.parse(b"hello" + bytes([IAC, DO]))
    assert first.text == b"hello"
    assert first.rest == bytes([IAC, DO])
    second = telnet.parse(first.rest + bytes([ECHO]) + b" world")
    assert second.commands == ((DO, ECHO),)
    assert second.text == b" world"


def test_parse_skips_subnegotiation_and_unescapes_iac() -> None:
    data = bytes([IAC, SB, TTYPE, 1, IAC, SE]) + b"a" + bytes([IAC, IAC]) + b"b"
    parsed = telnet.parse(data)
    assert parsed.text == b"a\xffb"
    assert parsed.commands == ()


def test_endless_subnegotiation_is_refused() -> None:
    with pytest.raises(ProbeError):
        telnet.parse(bytes([IAC, SB, TTYPE]) + b"x" * 10_000)


def test_refusals_answer_do_with_wont_and_will_with_dont_once() -> None:
    answered: set[tuple[int, int]] = set()
    commands = ((DO, TTYPE), (WILL, ECHO), (WONT, SGA), (DONT, NAWS))
    assert telnet.refusals(commands, answered) == bytes([IAC, WONT, TTYPE, IAC, DONT, ECHO])
    assert telnet.refusals(commands, answered) == b""  # no negotiation loop


@pytest.mark.parametrize(
    "text",
    [
        "Livebox login: ",
        "Username:",
        "Password: ",
        "Identifiant :",
        "Mot de passe :",
        "NAS\nlogin:\n",
    ],
)
def test_login_prompts_are_recognised(text: str) -> None:
    assert telnet.is_login_prompt(text)


@pytest.mark.parametrize("text", ["Welcome", "", "Main menu\n1) status\n2) exit\n> "])
def test_other_text_is_not_a_login_prompt(text: str) -> None:
    assert not telnet.is_login_prompt(text)


def test_claims_negotiation_or_a_clear_prompt() -> None:
    assert telnet.claims(BOX_OPTIONS)
    assert telnet.claims(b"\r\nUser Access Verification\r\n\r\nUsername: ")
    assert not telnet.claims(b"SSH-2.0-OpenSSH_9.2\r\n")
    assert not telnet.claims(b"220 FTP ready\r\n")
    assert not telnet.claims(b"")


def test_box_that_negotiates_then_prompts_is_reported_with_its_prompt() -> None:
    answers: list[bytes] = []

    def box(conn: socket.socket) -> None:
        conn.sendall(BOX_OPTIONS)
        answers.append(read_some(conn))
        conn.sendall(b"\r\nLivebox login: ")
        read_some(conn)

    with scripted_server(box) as port:
        seen = telnet.probe(ADDRESS, port, ctx())
    assert seen == TelnetObservation(banner="Livebox login:", login_prompt=True, negotiation=True)
    assert answers[0] == bytes([IAC, WONT, TTYPE, IAC, DONT, ECHO, IAC, DONT, SGA, IAC, WONT, NAWS])


def test_service_that_waits_for_a_key_press_is_nudged_once() -> None:
    def shy(conn: socket.socket) -> None:
        if read_some(conn) == b"\r\n":
            conn.sendall(b"Password: ")
            read_some(conn)

    with scripted_server(shy) as port:
        seen = telnet.probe(ADDRESS, port, ctx(timeout=0.3))
    assert seen == TelnetObservation(banner="Password:", login_prompt=True, negotiation=False)


def test_text_without_prompt_ends_after_a_quiet_period() -> None:
    def menu(conn: socket.socket) -> None:
        conn.sendall(b"Printer status: ready\r\n")
        silent(conn)

    with scripted_server(menu) as port:
        seen = telnet.probe(ADDRESS, port, ctx(timeout=0.3))
    assert seen == TelnetObservation(
        banner="Printer status: ready", login_prompt=False, negotiation=False
    )


def test_endless_text_is_bounded_and_cleaned() -> None:
    def flood(conn: socket.socket) -> None:
        for _ in range(500):
            conn.sendall(b"\x1b[31m<b>spam</b> " * 100)

    with scripted_server(flood) as port:
        seen = telnet.probe(ADDRESS, port, ctx())
    assert isinstance(seen, TelnetObservation)
    assert len(seen.banner) <= 1024
    assert "\x1b" not in seen.banner


def test_endless_negotiation_is_bounded() -> None:
    def chatter(conn: socket.socket) -> None:
        for option in range(10_000):
            conn.sendall(bytes([IAC, DO, option % 256]))

    budget = ctx(max_bytes=20_000)
    with scripted_server(chatter) as port:
        try:
            seen = telnet.probe(ADDRESS, port, budget)
        except ProbeError:
            seen = None
    assert seen is None or seen.negotiation
    assert budget.budget.bytes_read <= 20_000 + 4096


def test_a_silent_service_is_a_probe_error() -> None:
    with scripted_server(silent) as port, pytest.raises(ProbeError):
        telnet.probe(ADDRESS, port, ctx(timeout=0.2))


@given(st.binary(max_size=4096))
def test_parser_raises_nothing_but_probe_error_on_random_bytes(data: bytes) -> None:
    telnet.claims(data)
    try:
        parsed = telnet.parse(data)
    except ProbeError:
        return
    telnet.refusals(parsed.commands, set())
    assert len(telnet.observation(parsed.text, parsed.negotiation).banner) <= 1024

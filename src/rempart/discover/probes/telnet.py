"""Telnet: a remote login in clear text, with whatever the service prints first.

Telnet carries passwords unencrypted; on a practice LAN it is usually the admin console of
a box, a printer or a NAS. We read the greeting, refuse every option the server proposes
(RFC 854/855: DO → WONT, WILL → DONT) so that it goes on to its prompt, strip the option
negotiation from the text, and stop at a login prompt or after a short quiet period.
We never type a user name.
"""

from __future__ import annotations

import dataclasses
import re
import socket
from dataclasses import dataclass

from rempart.core.observations import TelnetObservation
from rempart.discover.probes.base import (
    MAX_BANNER,
    BudgetExceeded,
    ProbeContext,
    ProbeError,
    clean_text,
)

NAME = "telnet"
PORTS: tuple[int, ...] = (23, 2323)
TRANSPORT = "tcp"
SERVER_SPEAKS_FIRST = True

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
QUIET_SECONDS = 1.0  # silence after some text: the service waits for us
MAX_ROUNDS = 32  # reads per probe; a server that negotiates forever is cut
MAX_SUBNEGOTIATION = 512

_PROMPT = re.compile(
    r"(login|username|user name|user|password|passwd|mot de passe|identifiant|utilisateur)"
    r"\s*:\s*$",
    re.IGNORECASE,
)
_PROMPT_ANYWHERE = re.compile(r"(login|username|password|identifiant)\s*:", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Parsed:
    """Bytes split into text, option commands seen, and an incomplete tail to keep."""

    text: bytes
    commands: tuple[tuple[int, int], ...]  # (verb, option) for DO/DONT/WILL/WONT
    rest: bytes
    negotiation: bool  # any IAC command at all


def parse(data: bytes) -> Parsed:
    """Separate Telnet commands from text (RFC 854); keep an unfinished command as ``rest``."""
    text = bytearray()
    commands: list[tuple[int, int]] = []
    negotiation = False
    i = 0
    n = len(data)
    while i < n:
        byte = data[i]
        if byte != IAC:
            text.append(byte)
            i += 1
            continue
        if i + 1 >= n:
            return Parsed(bytes(text), tuple(commands), data[i:], negotiation)
        verb = data[i + 1]
        if verb == IAC:  # escaped 0xFF data byte
            text.append(IAC)
            i += 2
            continue
        negotiation = True
        if verb in (DO, DONT, WILL, WONT):
            if i + 2 >= n:
                return Parsed(bytes(text), tuple(commands), data[i:], negotiation)
            commands.append((verb, data[i + 2]))
            i += 3
        elif verb == SB:
            end = data.find(bytes([IAC, SE]), i + 2)
            if end < 0:
                if n - i > MAX_SUBNEGOTIATION:
                    raise ProbeError("endless Telnet subnegotiation")
                return Parsed(bytes(text), tuple(commands), data[i:], negotiation)
            i = end + 2
        else:  # NOP, GA, AYT… two-byte commands
            i += 2
    return Parsed(bytes(text), tuple(commands), b"", negotiation)


def refusals(commands: tuple[tuple[int, int], ...], answered: set[tuple[int, int]]) -> bytes:
    """Our answers: WONT to each DO, DONT to each WILL, once per option (no loops)."""
    out = bytearray()
    for verb, option in commands:
        reply = {DO: WONT, WILL: DONT}.get(verb)
        if reply is None or (reply, option) in answered:
            continue
        answered.add((reply, option))
        out += bytes([IAC, reply, option])
    return bytes(out)


def is_login_prompt(text: str) -> bool:
    """A prompt for a user name or a password (English or French), at the end of the text
    or anywhere in a short greeting."""
    stripped = text.rstrip()
    return bool(_PROMPT.search(stripped) or _PROMPT_ANYWHERE.search(stripped[-200:]))


def claims(banner: bytes) -> bool:
    """Option negotiation first (IAC DO/WILL…), or a login prompt in clear."""
    if len(banner) >= 2 and banner[0] == IAC and banner[1] in (DO, DONT, WILL, WONT, SB):
        return True
    try:
        text = parse(banner[:MAX_BANNER]).text
    except ProbeError:
        return False
    return is_login_prompt(as_text(text))


def as_text(text: bytes, limit: int = MAX_BANNER) -> str:
    """Telnet text (CR LF, CR NUL line ends) as clean, bounded text."""
    lines = text.replace(b"\r\n", b"\n").replace(b"\r\x00", b"\n").replace(b"\r", b"\n")
    return clean_text(lines.replace(b"\x00", b""), limit)


def observation(text: bytes, negotiation: bool) -> TelnetObservation:
    shown = as_text(text.strip())
    return TelnetObservation(
        banner=shown.strip(), login_prompt=is_login_prompt(shown), negotiation=negotiation
    )


def _read(sock: socket.socket, quiet: ProbeContext) -> bytes | None:
    """Next bytes, ``b""`` on EOF or reset, ``None`` after a quiet period.

    The host's caps (:class:`BudgetExceeded`) still end the probe.
    """
    try:
        return quiet.recv(sock, 4096)
    except BudgetExceeded:
        raise
    except ProbeError as exc:
        if isinstance(exc.__cause__, TimeoutError):
            return None
        return b""


def probe(
    address: str, port: int, ctx: ProbeContext, banner: bytes = b""
) -> TelnetObservation | None:
    """Read until a login prompt, a quiet period, EOF or the size bound."""
    quiet = dataclasses.replace(ctx, timeout=min(ctx.timeout, QUIET_SECONDS))
    sock = ctx.connect(address, port)
    text = b""
    pending = b""
    received = 0
    negotiation = False
    answered: set[tuple[int, int]] = set()
    nudged = False
    try:
        for _ in range(MAX_ROUNDS):
            data = _read(sock, quiet)
            if data is None:
                if text.strip() or nudged:
                    break
                # Some services wait for a key press before their prompt.
                ctx.sendall(sock, b"\r\n")
                nudged = True
                continue
            if not data:
                break
            received += len(data)
            parsed = parse(pending + data)
            pending = parsed.rest
            negotiation = negotiation or parsed.negotiation
            text = (text + parsed.text)[: MAX_BANNER * 2]
            answer = refusals(parsed.commands, answered)
            if answer:
                try:
                    ctx.sendall(sock, answer)
                except ProbeError:
                    break  # the server hung up: keep what it said
            if is_login_prompt(as_text(text, MAX_BANNER * 2)) or len(text) >= MAX_BANNER:
                break
    finally:
        sock.close()
    if not received:
        raise ProbeError("the service said nothing")
    if not text.strip() and not negotiation:
        return None
    return observation(text, negotiation)

"""FTP: the greeting, whether anonymous login is accepted, and whether AUTH TLS is offered.

An FTP server that lets anyone in (``USER anonymous``) or only takes passwords in clear is a
classic leak of patient files on a NAS. We log in as anonymous with a made-up address
(RFC 1635 convention), never upload or list anything, and say ``QUIT``.

Replies follow RFC 959 §4.2: ``ddd text`` or a multi-line ``ddd-text`` … ``ddd text``.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass

from rempart.core.observations import FtpObservation
from rempart.discover.probes.base import MAX_BANNER, ProbeContext, ProbeError, clean_text

NAME = "ftp"
PORTS: tuple[int, ...] = (21, 2121)
TRANSPORT = "tcp"
SERVER_SPEAKS_FIRST = True

# RFC 2606 reserved domain: never a real mailbox; RFC 1635 asks for an address here.
ANONYMOUS_PASSWORD = "rempart@example.invalid"  # noqa: S105
MAX_REPLY = 8192  # FEAT lists a dozen lines; a longer reply is cut
MAX_LINES = 64

_FIRST_LINE = re.compile(rb"^([1-5][0-9]{2})([ -])")


@dataclass(frozen=True, slots=True)
class Reply:
    """One FTP reply: its code and its lines (text, codes stripped from first and last)."""

    code: int
    lines: tuple[str, ...]


def claims(banner: bytes) -> bool:
    """An FTP greeting: ``220``/``120``/``421`` reply, and not an SMTP server's 220."""
    first = banner.split(b"\n", 1)[0]
    match = _FIRST_LINE.match(first)
    if match is None or match.group(1) not in (b"220", b"120", b"421"):
        return False
    upper = first.upper()
    return b"SMTP" not in upper and b"POSTFIX" not in upper and b"EXIM" not in upper


def parse_reply(data: bytes) -> tuple[Reply, bytes] | None:
    """The first complete reply in ``data`` and what follows it; ``None`` if incomplete.

    Raises :class:`ProbeError` when the bytes are not an FTP reply.
    """
    first_end = data.find(b"\n")
    head = data if first_end < 0 else data[:first_end]
    match = _FIRST_LINE.match(head)
    if match is None:
        if first_end < 0 and len(data) < 4 and re.match(rb"^[1-5]?[0-9]{0,2}$", data):
            return None  # a reply code still arriving
        raise ProbeError("not an FTP reply")
    if first_end < 0:
        return None
    code = match.group(1)
    lines = [head[4:]]
    if match.group(2) == b" ":
        return _reply(code, lines), data[first_end + 1 :]
    start = first_end + 1
    while True:
        end = data.find(b"\n", start)
        if end < 0:
            return None
        line = data[start:end]
        start = end + 1
        if line.startswith(code + b" "):
            lines.append(line[4:])
            return _reply(code, lines), data[start:]
        # RFC 959: intermediate lines may start with anything (often a space, or "ddd-").
        lines.append(line[4:] if line.startswith(code + b"-") else line)


def _reply(code: bytes, lines: list[bytes]) -> Reply:
    kept = tuple(clean_text(line.rstrip(b"\r")) for line in lines[:MAX_LINES])
    return Reply(int(code), kept)


def offers_auth_tls(feat: Reply) -> bool:
    """Whether a FEAT reply (211) lists ``AUTH TLS`` (RFC 4217 §6; ``AUTH TLS;SSL`` too)."""
    if feat.code != 211:
        return False
    for line in feat.lines[1:]:
        words = line.strip().upper().split(None, 1)
        if len(words) == 2 and words[0] == "AUTH" and "TLS" in words[1]:
            return True
    return False


def banner_text(reply: Reply) -> str:
    """The greeting as one bounded text, code included (``220 (vsFTPd 3.0.3)``)."""
    return clean_text(f"{reply.code} " + "\n".join(reply.lines), MAX_BANNER)


class _Session:
    """A line-buffered FTP control connection under the host's budget."""

    def __init__(self, sock: socket.socket, ctx: ProbeContext) -> None:
        self.sock = sock
        self.ctx = ctx
        self.buf = b""

    def reply(self) -> Reply:
        while True:
            parsed = parse_reply(self.buf)
            if parsed is not None:
                reply, self.buf = parsed
                return reply
            if len(self.buf) >= MAX_REPLY:
                raise ProbeError("FTP reply too long")
            data = self.ctx.recv(self.sock, MAX_REPLY - len(self.buf))
            if not data:
                raise ProbeError("connection closed")
            self.buf += data

    def command(self, line: str) -> Reply:
        self.ctx.sendall(self.sock, line.encode("ascii") + b"\r\n")
        reply = self.reply()
        while 100 <= reply.code < 200:  # preliminary reply: the final one follows
            reply = self.reply()
        return reply


class NotFtp(ProbeError):
    """The service greets with 220 but does not know USER: an SMTP or other server."""


# Every FTP server knows USER (RFC 959 §5.1, minimum implementation); these codes mean
# "command unknown" or "not implemented".
_UNKNOWN_COMMAND = (500, 502)


def _anonymous_login(session: _Session) -> bool:
    reply = session.command("USER anonymous")
    if reply.code in _UNKNOWN_COMMAND:
        raise NotFtp("USER not understood")
    if reply.code == 230:
        return True
    if reply.code != 331:
        return False
    return session.command(f"PASS {ANONYMOUS_PASSWORD}").code == 230


def probe(address: str, port: int, ctx: ProbeContext, banner: bytes = b"") -> FtpObservation | None:
    """Greeting, FEAT, anonymous login, QUIT. ``None`` if the service does not speak FTP."""
    sock = ctx.connect(address, port)
    try:
        session = _Session(sock, ctx)
        try:
            greeting = session.reply()
        except ProbeError:
            if session.buf:
                return None  # bytes that are not an FTP reply
            raise
        while 100 <= greeting.code < 200:  # "120 ready in n minutes"
            greeting = session.reply()
        if greeting.code != 220:
            # FTP, but not serving us (421 too many users…): the greeting is all we learn.
            return FtpObservation(banner=banner_text(greeting))
        auth_tls: bool | None = None
        anonymous: bool | None = None
        try:
            feat = session.command("FEAT")
            if feat.code == 211:
                auth_tls = offers_auth_tls(feat)
            anonymous = _anonymous_login(session)
            if auth_tls is None:
                # No FEAT (RFC 2389 is optional): ask directly. 234 means yes; hang up then,
                # since the server now expects a TLS handshake.
                answer = session.command("AUTH TLS")
                auth_tls = answer.code == 234
                if auth_tls:
                    return FtpObservation(banner_text(greeting), anonymous, auth_tls)
            session.command("QUIT")
        except NotFtp:
            return None
        except ProbeError:
            pass  # keep what was learnt before the server went quiet or closed
        return FtpObservation(
            banner=banner_text(greeting), anonymous_login=anonymous, auth_tls=auth_tls
        )
    finally:
        sock.close()

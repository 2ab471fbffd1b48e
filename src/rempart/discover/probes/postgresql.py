"""PostgreSQL (5432): reachable, with or without TLS, and how it wants us to log in.

Two short dialogues, no login: an SSLRequest (the server answers one byte, ``S`` or
``N``), then, on a new connection, a StartupMessage for a made-up user. The server
answers an AuthenticationRequest (its method: password, md5, SCRAM… or none at all)
or an ErrorResponse (e.g. "no pg_hba.conf entry", "role … does not exist"). Either
identifies PostgreSQL; the version is not sent before a login, so it stays unknown.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from rempart.core.observations import DatabaseObservation
from rempart.discover.probes.base import ProbeContext, ProbeError, clean_text

NAME = "postgresql"
PORTS: tuple[int, ...] = (5432, 5433)
TRANSPORT = "tcp"
SERVER_SPEAKS_FIRST = False

SSL_REQUEST = struct.pack(">II", 8, 80877103)
PROTOCOL_3 = 196608
AUDIT_USER = "rempart_audit"
MAX_MESSAGE = 8192

AUTH_METHODS = {
    0: "none (trust)",
    2: "kerberos",
    3: "cleartext password",
    5: "md5",
    7: "gssapi",
    9: "sspi",
    10: "scram",
}


def claims(banner: bytes) -> bool:
    return False


def build_startup(user: str = AUDIT_USER) -> bytes:
    params = b"user\x00" + user.encode() + b"\x00database\x00" + user.encode() + b"\x00"
    params += b"application_name\x00rempart-audit\x00\x00"
    return struct.pack(">II", 8 + len(params), PROTOCOL_3) + params


@dataclass(frozen=True, slots=True)
class StartupAnswer:
    auth: str | None = None
    sasl: tuple[str, ...] = ()
    error_code: str | None = None
    error_message: str | None = None
    server_version: str | None = None


def parse_error_fields(body: bytes) -> dict[str, str]:
    """Fields of an ErrorResponse/NoticeResponse body (type byte → text)."""
    fields: dict[str, str] = {}
    for part in body.split(b"\x00")[:32]:
        if len(part) >= 2:
            fields.setdefault(chr(part[0]), clean_text(part[1:]))
    return fields


def parse_startup_answer(data: bytes) -> StartupAnswer | None:
    """The first messages after a StartupMessage; ``None`` when they are not PostgreSQL's."""
    pos = 0
    answer: StartupAnswer | None = None
    while pos + 5 <= len(data) and pos < MAX_MESSAGE:
        kind = data[pos : pos + 1]
        length = struct.unpack(">I", data[pos + 1 : pos + 5])[0]
        if length < 4 or length > MAX_MESSAGE:
            return answer
        body = data[pos + 5 : pos + 1 + length]
        if len(body) < length - 4:
            body_complete = False
        else:
            body_complete = True
        if kind == b"R" and len(body) >= 4:
            code = struct.unpack(">I", body[:4])[0]
            if code not in AUTH_METHODS and code not in (8, 11, 12):
                return answer
            if code == 0:
                answer = StartupAnswer(auth=AUTH_METHODS[0])
            elif code == 10:
                mechanisms = tuple(clean_text(m, 64) for m in body[4:].split(b"\x00") if m)[:8]
                return StartupAnswer(auth="scram", sasl=mechanisms)
            elif code in AUTH_METHODS:
                return StartupAnswer(auth=AUTH_METHODS[code])
            else:
                return answer
        elif kind == b"E":
            fields = parse_error_fields(body)
            if "C" not in fields and "M" not in fields:
                return None
            return StartupAnswer(error_code=fields.get("C"), error_message=fields.get("M"))
        elif kind == b"S" and answer is not None and body_complete:
            name, _, rest = body.partition(b"\x00")
            if name == b"server_version":
                value = clean_text(rest.split(b"\x00")[0], 64)
                return StartupAnswer(auth=answer.auth, server_version=value)
        elif kind == b"v" and answer is None:
            pass  # NegotiateProtocolVersion: keep reading
        elif answer is None:
            return None
        if not body_complete:
            break
        pos += 1 + length
    return answer


def _exchange(address: str, port: int, ctx: ProbeContext, message: bytes, limit: int) -> bytes:
    sock = ctx.connect(address, port)
    try:
        ctx.sendall(sock, message)
        data = ctx.recv(sock, limit)
        if len(data) >= 5 and data[:1] in (b"R", b"E"):
            want = 1 + struct.unpack(">I", data[1:5])[0]
            while len(data) < min(want, limit):
                more = ctx.recv(sock, limit - len(data))
                if not more:
                    break
                data += more
            if data[:1] == b"R" and data[5:9] == b"\x00\x00\x00\x00":
                # trust: the server goes on with ParameterStatus messages; read a little more
                try:
                    while len(data) < limit and b"server_version" not in data:
                        more = ctx.recv(sock, limit - len(data))
                        if not more:
                            break
                        data += more
                except ProbeError:
                    pass
        return data
    finally:
        sock.close()


def probe(
    address: str, port: int, ctx: ProbeContext, banner: bytes = b""
) -> DatabaseObservation | None:
    """SSLRequest, then StartupMessage for a made-up user; ``None`` when not PostgreSQL."""
    if banner:
        return None
    try:
        ssl_answer = _exchange(address, port, ctx, SSL_REQUEST, 1)
    except ProbeError:
        if ctx.budget.remaining() <= 0:
            raise
        return None
    if ssl_answer not in (b"S", b"N", b"E"):
        return None
    try:
        data = _exchange(address, port, ctx, build_startup(), MAX_MESSAGE)
    except ProbeError:
        if ctx.budget.remaining() <= 0:
            raise
        return None
    answer = parse_startup_answer(data)
    if answer is None:
        return None
    parts = [f"ssl: {'yes' if ssl_answer == b'S' else 'no'}"]
    if answer.auth:
        parts.append(f"auth: {answer.auth}")
    if answer.sasl:
        parts.append("sasl: " + ",".join(answer.sasl))
    if answer.error_code:
        parts.append(f"error {answer.error_code}")
    version = None
    if answer.server_version:
        version = answer.server_version.split(" ")[0]
    return DatabaseObservation(
        engine="postgresql",
        version=version,
        banner=answer.error_message,
        detail="; ".join(parts),
    )

"""The server's SQL Server 2012 SP4 (MS-TDS): answers a PRELOGIN with VERSION 11.0.7001
and ENCRYPTION, like the real server before login. Nothing after PRELOGIN is served."""

from __future__ import annotations

import asyncio
import struct

from rempart.lab.fakes.common import Garbage, read_exact, read_some

PRELOGIN, TABULAR_RESULT = 0x12, 0x04
VERSION = (11, 0, 7001, 0)  # SQL Server 2012 SP4
ENCRYPT_OFF, ENCRYPT_ON, ENCRYPT_NOT_SUP, ENCRYPT_REQ = 0, 1, 2, 3


def parse_options(payload: bytes) -> dict[int, bytes]:
    """PRELOGIN option tokens: ``{type: data}``; raises :class:`Garbage` when malformed."""
    options: dict[int, bytes] = {}
    pos = 0
    while pos < len(payload):
        kind = payload[pos]
        if kind == 0xFF:
            return options
        if pos + 5 > len(payload) or len(options) > 16:
            raise Garbage("truncated PRELOGIN option")
        offset, length = struct.unpack_from(">HH", payload, pos + 1)
        if offset + length > len(payload):
            raise Garbage("PRELOGIN option out of bounds")
        options[kind] = payload[offset : offset + length]
        pos += 5
    raise Garbage("PRELOGIN without terminator")


def prelogin_response(client_encryption: int, mars: bool = True) -> bytes:
    """The server's PRELOGIN answer; like SQL Server, MARS only when the client sent it."""
    major, minor, build, sub = VERSION
    encryption = {
        ENCRYPT_ON: ENCRYPT_ON,
        ENCRYPT_REQ: ENCRYPT_ON,
        ENCRYPT_NOT_SUP: ENCRYPT_NOT_SUP,
    }.get(client_encryption, ENCRYPT_OFF)
    options = [
        (0x00, struct.pack(">BBHH", major, minor, build, sub)),  # VERSION
        (0x01, bytes([encryption])),  # ENCRYPTION
        (0x02, b"\x00"),  # INSTOPT
        (0x03, b""),  # THREADID (empty from a server)
    ]
    if mars:
        options.append((0x04, b"\x00"))  # MARS
    header_len = 5 * len(options) + 1
    tokens, data = bytearray(), bytearray()
    for kind, value in options:
        tokens += struct.pack(">BHH", kind, header_len + len(data), len(value))
        data += value
    payload = bytes(tokens) + b"\xff" + bytes(data)
    return struct.pack(">BBHHBB", TABULAR_RESULT, 0x01, 8 + len(payload), 0, 1, 0) + payload


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    header = await read_exact(reader, 8)
    kind, _status, length = struct.unpack_from(">BBH", header)
    if kind != PRELOGIN or not 8 < length <= 4096:
        return
    options = parse_options(await read_exact(reader, length - 8))
    encryption = options.get(0x01, b"\x00")
    writer.write(prelogin_response(encryption[0] if encryption else ENCRYPT_OFF, 0x04 in options))
    await writer.drain()
    await read_some(reader, 8192)  # LOGIN7 or a TLS handshake: read, then close

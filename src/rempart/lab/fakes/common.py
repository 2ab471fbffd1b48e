"""Helpers shared by the fakes: bounded reads, a guard that never lets a client crash the
lab, and a tiny DER encoder (SPNEGO, SNMP, NTLM need a few ASN.1 structures)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("rempart.lab")

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]

READ_TIMEOUT = 10.0  # seconds a fake waits for the client's next bytes
CONNECTION_CAP = 60.0  # seconds a connection may last, at most
MAX_LINE = 1024


class Garbage(Exception):
    """The client sent something the real server would reject: close the connection."""


async def read_exact(reader: asyncio.StreamReader, n: int, limit: int = 65536) -> bytes:
    if n < 0 or n > limit:
        raise Garbage(f"length {n} out of bounds")
    return await asyncio.wait_for(reader.readexactly(n), READ_TIMEOUT)


async def read_some(reader: asyncio.StreamReader, n: int = 4096) -> bytes:
    return await asyncio.wait_for(reader.read(n), READ_TIMEOUT)


async def read_line(reader: asyncio.StreamReader, limit: int = MAX_LINE) -> bytes:
    """One line ending in LF (CR stripped), at most ``limit`` bytes; b"" at end of stream."""
    buf = bytearray()
    while True:
        chunk = await asyncio.wait_for(reader.read(1), READ_TIMEOUT)
        if not chunk:
            if buf:
                return bytes(buf)
            return b""
        if chunk == b"\n":
            return bytes(buf).rstrip(b"\r") + b"\n"
        buf += chunk
        if len(buf) > limit:
            raise Garbage("line too long")


def guarded(name: str, handler: Handler) -> Handler:
    """Run ``handler`` under a time cap; swallow every error; always close the socket."""

    async def run(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await asyncio.wait_for(handler(reader, writer), CONNECTION_CAP)
        except (TimeoutError, Garbage, asyncio.IncompleteReadError, ConnectionError):
            pass
        except Exception:  # a bug in a fake must not stop the lab
            log.exception("fake %s failed", name)
        finally:
            with contextlib.suppress(Exception):
                writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1.0)

    return run


# --- DER (definite lengths only) -------------------------------------------------------


def der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def der(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + der_len(len(content)) + content


def der_oid(dotted: str) -> bytes:
    parts = [int(p) for p in dotted.split(".")]
    body = bytearray([parts[0] * 40 + parts[1]])
    for value in parts[2:]:
        chunk = [value & 0x7F]
        value >>= 7
        while value:
            chunk.append(0x80 | (value & 0x7F))
            value >>= 7
        body += bytes(reversed(chunk))
    return der(0x06, bytes(body))


def der_int(value: int) -> bytes:
    length = max(1, (value.bit_length() + 8) // 8)
    return der(0x02, value.to_bytes(length, "big", signed=True))

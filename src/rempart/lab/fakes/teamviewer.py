"""TeamViewer's listener on 5938: a ``17 24 10 ...`` ping is answered ``17 24 11 ...``
(same length, command byte 0x10 → 0x11); anything else closes the connection."""

from __future__ import annotations

import asyncio

from rempart.lab.fakes.common import read_some

MAGIC = b"\x17\x24"
CMD_PING, CMD_PING_ANSWER = 0x10, 0x11


def answer(request: bytes) -> bytes | None:
    if len(request) < 3 or request[:2] != MAGIC or request[2] != CMD_PING:
        return None
    return MAGIC + bytes([CMD_PING_ANSWER]) + request[3:64]


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    for _ in range(16):
        data = await read_some(reader, 64)
        reply = answer(data)
        if reply is None:
            return
        writer.write(reply)
        await writer.drain()

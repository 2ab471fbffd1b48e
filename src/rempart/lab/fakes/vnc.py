"""The imaging PC's VNC server (RFB 3.8, RFC 6143) offering only security type 1 (None):
anybody may look at and drive the screen."""

from __future__ import annotations

import asyncio
import struct

from rempart.lab.fakes.common import read_exact, read_some

VERSION = b"RFB 003.008\n"
SECURITY_NONE = 1
DESKTOP = b"RADIO-PC"


def server_init(width: int = 1024, height: int = 768) -> bytes:
    # 32 bpp, depth 24, little endian, true colour, RGB max 255, shifts 16/8/0.
    pixel_format = struct.pack(">BBBBHHHBBB3x", 32, 24, 0, 1, 255, 255, 255, 16, 8, 0)
    return (
        struct.pack(">HH", width, height) + pixel_format + struct.pack(">I", len(DESKTOP)) + DESKTOP
    )


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(VERSION)
    await writer.drain()
    client = await read_exact(reader, 12)
    if not client.startswith(b"RFB ") or not client.endswith(b"\n"):
        return
    if client[4:11] == b"003.003":
        writer.write(struct.pack(">I", SECURITY_NONE))  # 3.3: the server decides
    else:
        writer.write(bytes([1, SECURITY_NONE]))
        await writer.drain()
        chosen = await read_exact(reader, 1)
        if chosen[0] != SECURITY_NONE:
            reason = b"Security type not supported"
            writer.write(struct.pack(">I", 1) + struct.pack(">I", len(reason)) + reason)
            await writer.drain()
            return
        writer.write(struct.pack(">I", 0))  # SecurityResult OK (3.8 sends it for None too)
    await writer.drain()
    await read_exact(reader, 1)  # ClientInit: shared flag
    writer.write(server_init())
    await writer.drain()
    await read_some(reader, 65536)  # client messages are read and dropped

"""The internet box's Telnet service (RFC 854): IAC option negotiation, then a login prompt.

Credentials are never accepted: the finding is that Telnet is open at all.
"""

from __future__ import annotations

import asyncio

from rempart.lab.fakes.common import READ_TIMEOUT

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
ECHO, SGA, TTYPE, NAWS = 1, 3, 24, 31

NEGOTIATION = bytes([IAC, DO, TTYPE, IAC, DO, NAWS, IAC, WILL, ECHO, IAC, WILL, SGA])
PROMPT = b"\r\nLivebox login: "
MAX_INPUT = 256
MAX_ATTEMPTS = 3


class _Lines:
    """Strip IAC sequences from the byte stream and cut it into lines."""

    def __init__(self) -> None:
        self.state = 0  # 0 data, 1 after IAC, 2 option byte, 3 in SB, 4 IAC inside SB
        self.line = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        lines: list[bytes] = []
        for b in data:
            if self.state == 1:
                self.state = 2 if b in (DO, DONT, WILL, WONT) else 3 if b == SB else 0
                if b == IAC:
                    self.line.append(b)
            elif self.state == 2:
                self.state = 0
            elif self.state == 3:
                self.state = 4 if b == IAC else 3
            elif self.state == 4:
                self.state = 0 if b == SE else 3
            elif b == IAC:
                self.state = 1
            elif b in (10, 13, 0):
                if b == 13 or (b == 10 and self.line):
                    lines.append(bytes(self.line))
                    self.line.clear()
            else:
                self.line.append(b)
                if len(self.line) > MAX_INPUT:
                    lines.append(bytes(self.line))
                    self.line.clear()
        return lines


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(NEGOTIATION + PROMPT)
    await writer.drain()
    parser = _Lines()
    attempts = 0
    asking_password = False
    total = 0
    while attempts < MAX_ATTEMPTS and total < 16384:
        data = await asyncio.wait_for(reader.read(512), READ_TIMEOUT)
        if not data:
            return
        total += len(data)
        for _line in parser.feed(data):
            if not asking_password:
                writer.write(b"\r\nPassword: ")
                asking_password = True
            else:
                attempts += 1
                asking_password = False
                writer.write(b"\r\nLogin incorrect\r\n")
                if attempts >= MAX_ATTEMPTS:
                    break
                writer.write(PROMPT)
        await writer.drain()

"""The NAS's FTP server (RFC 959), vsftpd-like replies: anonymous login is accepted and
the root lists a few folders over a passive data connection (PASV/EPSV on the same
address). Other users are always refused."""

from __future__ import annotations

import asyncio
import contextlib

from rempart.lab.fakes.common import READ_TIMEOUT, read_line

GREETING = b"220 NAS FTP server ready.\r\n"
MAX_COMMANDS = 100
LISTING = (
    b"drwxrwxrwx    2 0        0            4096 Nov 02 09:12 Public\r\n"
    b"drwxrwxrwx    4 0        0            4096 Nov 27 18:40 Sauvegardes\r\n"
    b"drwxrwxr-x    3 0        0            4096 Oct 15 11:03 Radiographies\r\n"
)
FEATURES = b"211-Features:\r\n EPSV\r\n PASV\r\n SIZE\r\n TVFS\r\n UTF8\r\n211 End\r\n"
NAMES = b"Public\r\nSauvegardes\r\nRadiographies\r\n"


class _Passive:
    """One passive data listener: the next client to connect gets the payload."""

    def __init__(self) -> None:
        self.server: asyncio.base_events.Server | None = None
        self.conn: asyncio.Future[tuple[asyncio.StreamReader, asyncio.StreamWriter]] | None = None

    async def open(self, address: str) -> int:
        await self.close()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            loop.create_future()
        )

        async def accept(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            if future.done():
                w.close()
            else:
                future.set_result((r, w))

        self.server = await asyncio.start_server(accept, address, 0)
        self.conn = future
        return int(self.server.sockets[0].getsockname()[1])

    async def send(self, payload: bytes) -> bool:
        if self.conn is None:
            return False
        try:
            _, w = await asyncio.wait_for(self.conn, READ_TIMEOUT)
        except TimeoutError:
            await self.close()
            return False
        w.write(payload)
        with contextlib.suppress(Exception):
            await w.drain()
        w.close()
        await self.close()
        return True

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        if self.conn is not None and self.conn.done() and not self.conn.cancelled():
            self.conn.result()[1].close()
        self.conn = None


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    address = writer.get_extra_info("sockname")[0]
    writer.write(GREETING)
    await writer.drain()
    user: str | None = None
    logged_in = False
    passive = _Passive()
    try:
        for _ in range(MAX_COMMANDS):
            line = await read_line(reader, 512)
            if not line:
                return
            text = line.decode("latin-1").strip()
            verb, _, arg = text.partition(" ")
            verb = verb.upper()
            reply: bytes
            if verb == "USER":
                user = arg.strip().lower()
                logged_in = False
                reply = b"331 Please specify the password.\r\n"
            elif verb == "PASS":
                if user is None:
                    reply = b"503 Login with USER first.\r\n"
                elif user in ("anonymous", "ftp"):
                    logged_in = True
                    reply = b"230 Login successful.\r\n"
                else:
                    reply = b"530 Login incorrect.\r\n"
            elif verb == "QUIT":
                writer.write(b"221 Goodbye.\r\n")
                await writer.drain()
                return
            elif verb == "SYST":
                reply = b"215 UNIX Type: L8\r\n"
            elif verb == "FEAT":
                reply = FEATURES
            elif verb == "NOOP":
                reply = b"200 NOOP ok.\r\n"
            elif not logged_in:
                reply = b"530 Please login with USER and PASS.\r\n"
            elif verb in ("PWD", "XPWD"):
                reply = b'257 "/" is the current directory\r\n'
            elif verb == "TYPE":
                reply = b"200 Switching to Binary mode.\r\n"
            elif verb == "CWD":
                reply = b"250 Directory successfully changed.\r\n"
            elif verb == "PASV":
                port = await passive.open(address)
                h = address.replace(".", ",")
                reply = f"227 Entering Passive Mode ({h},{port >> 8},{port & 255}).\r\n".encode()
            elif verb == "EPSV":
                port = await passive.open(address)
                reply = f"229 Entering Extended Passive Mode (|||{port}|)\r\n".encode()
            elif verb in ("LIST", "NLST"):
                if passive.conn is None:
                    reply = b"425 Use PORT or PASV first.\r\n"
                else:
                    writer.write(b"150 Here comes the directory listing.\r\n")
                    await writer.drain()
                    sent = await passive.send(LISTING if verb == "LIST" else NAMES)
                    reply = (
                        b"226 Directory send OK.\r\n"
                        if sent
                        else b"425 Failed to establish connection.\r\n"
                    )
            elif verb in ("STOR", "DELE", "MKD", "RMD", "RNFR", "RNTO", "APPE"):
                reply = b"550 Permission denied.\r\n"
            elif verb == "PORT" or verb == "EPRT":
                reply = b"500 Illegal PORT command.\r\n"  # the lab never connects out
            else:
                reply = b"500 Unknown command.\r\n"
            writer.write(reply)
            await writer.drain()
    finally:
        await passive.close()

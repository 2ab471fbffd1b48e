"""MySQL / MariaDB (3306): the server speaks first, and its greeting names its version.

Protocol 10 handshake: ``[len:3][seq:1][0x0a][version NUL][thread id:4]...[auth plugin
NUL]``. A server that refuses our address answers an error packet instead
(``0xff``, code, message such as "Host '…' is not allowed to connect to this MariaDB
server"): still MySQL, still reachable. We read the greeting and close; no login.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from rempart.core.observations import DatabaseObservation
from rempart.discover.probes.base import ProbeContext, ProbeError, clean_text

NAME = "mysql"
PORTS: tuple[int, ...] = (3306, 3307)
TRANSPORT = "tcp"
SERVER_SPEAKS_FIRST = True

MAX_PACKET = 1024
_VERSION = re.compile(r"^(?:5\.5\.5-)?(\d+\.\d+\.\d+)")


@dataclass(frozen=True, slots=True)
class Greeting:
    version: str | None
    banner: str
    detail: str | None


def _packet(data: bytes) -> bytes | None:
    if len(data) < 5:
        return None
    length = int.from_bytes(data[:3], "little")
    if data[3] != 0 or length == 0 or length > MAX_PACKET or length + 4 > len(data):
        return None
    return data[4 : 4 + length]


def parse_greeting(data: bytes) -> Greeting | None:
    """What a MySQL greeting or pre-auth error says; ``None`` when it is neither."""
    payload = _packet(data[: MAX_PACKET + 4])
    if payload is None:
        return None
    if payload[0] == 0xFF and len(payload) >= 3:
        code = struct.unpack("<H", payload[1:3])[0]
        message = payload[3:]
        if message.startswith(b"#") and len(message) >= 6:
            message = message[6:]
        text = clean_text(message).strip()
        if not 1000 <= code < 10000:
            return None
        return Greeting(version=None, banner=text, detail=f"error {code}")
    if payload[0] not in (0x09, 0x0A):
        return None
    end = payload.find(b"\x00", 1)
    if end < 2 or end > 64:
        return None
    raw_version = payload[1:end]
    if not re.match(rb"^\d+\.\d+", raw_version):
        return None
    server_version = clean_text(raw_version, 64)
    match = _VERSION.match(server_version)
    version = match.group(1) if match else None
    flavour = "MariaDB" if "mariadb" in server_version.lower() else "MySQL"
    detail = None
    if payload[0] == 0x0A:
        plugin_start = payload.rfind(b"\x00", 0, len(payload) - 1)
        plugin = payload[plugin_start + 1 :].rstrip(b"\x00") if plugin_start > end else b""
        if re.fullmatch(rb"[a-z_0-9]{3,64}", plugin or b""):
            detail = f"auth: {plugin.decode()}"
    banner = (
        f"{flavour} {server_version[6:] if server_version.startswith('5.5.5-') else server_version}"
    )
    return Greeting(version=version, banner=banner, detail=detail)


def claims(banner: bytes) -> bool:
    return parse_greeting(banner) is not None


def probe(
    address: str, port: int, ctx: ProbeContext, banner: bytes = b""
) -> DatabaseObservation | None:
    """Parse the greeting (read one if the dispatcher has none)."""
    data = banner
    if not data:
        sock = ctx.connect(address, port)
        try:
            data = ctx.recv(sock, MAX_PACKET + 4)
        except ProbeError:
            if ctx.budget.remaining() <= 0:
                raise
            return None
        finally:
            sock.close()
    greeting = parse_greeting(data)
    if greeting is None:
        return None
    return DatabaseObservation(
        engine="mysql", version=greeting.version, banner=greeting.banner, detail=greeting.detail
    )

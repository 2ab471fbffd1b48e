"""Microsoft SQL Server (1433): the TDS PRELOGIN answer gives the exact version and
whether the server will encrypt the login.

Practice-management software often runs on an old SQL Server Express; its version
(major.minor.build) says which cumulative update, and so which CVEs, apply. We send
one PRELOGIN packet ([MS-TDS] 2.2.6.5) offering no encryption, read the server's
PRELOGIN response and close: no login is attempted.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from rempart.core.observations import DatabaseObservation
from rempart.discover.probes.base import ProbeContext, ProbeError

NAME = "mssql"
PORTS: tuple[int, ...] = (1433, 1434, 2433)
TRANSPORT = "tcp"
SERVER_SPEAKS_FIRST = False

PRELOGIN = 0x12
TABULAR_RESULT = 0x04
MAX_PACKET = 4096

OPT_VERSION = 0x00
OPT_ENCRYPTION = 0x01
OPT_TERMINATOR = 0xFF

ENCRYPTION = {0: "off", 1: "on", 2: "not supported", 3: "required"}
# Major (and minor for 10.50) → the product name people know.
PRODUCTS = {
    (8, None): "SQL Server 2000",
    (9, None): "SQL Server 2005",
    (10, 0): "SQL Server 2008",
    (10, 50): "SQL Server 2008 R2",
    (11, None): "SQL Server 2012",
    (12, None): "SQL Server 2014",
    (13, None): "SQL Server 2016",
    (14, None): "SQL Server 2017",
    (15, None): "SQL Server 2019",
    (16, None): "SQL Server 2022",
    (17, None): "SQL Server 2025",
}


def claims(banner: bytes) -> bool:
    return False


def build_prelogin() -> bytes:
    """A PRELOGIN packet with VERSION (0.0.0.0), ENCRYPTION off, and the terminator."""
    options = [(OPT_VERSION, b"\x00" * 6), (OPT_ENCRYPTION, b"\x00")]
    header_len = len(options) * 5 + 1
    table = b""
    data = b""
    for token, value in options:
        table += struct.pack(">BHH", token, header_len + len(data), len(value))
        data += value
    payload = table + bytes([OPT_TERMINATOR]) + data
    return struct.pack(">BBHHBB", PRELOGIN, 0x01, 8 + len(payload), 0, 1, 0) + payload


@dataclass(frozen=True, slots=True)
class Prelogin:
    version: str | None
    encryption: str | None


def parse_prelogin_response(packet: bytes) -> Prelogin | None:
    """Version and encryption from a server PRELOGIN response; ``None`` if not TDS."""
    if len(packet) < 8 + 1 or len(packet) > MAX_PACKET:
        return None
    ptype, status, length = struct.unpack(">BBH", packet[:4])
    if ptype != TABULAR_RESULT or length < 9 or length > len(packet) or not status & 0x01:
        return None
    payload = packet[8:length]
    options: dict[int, bytes] = {}
    pos = 0
    while pos < len(payload) and len(options) < 32:
        token = payload[pos]
        if token == OPT_TERMINATOR:
            break
        if pos + 5 > len(payload):
            return None
        offset, size = struct.unpack(">HH", payload[pos + 1 : pos + 5])
        if offset + size > len(payload):
            return None
        options[token] = payload[offset : offset + size]
        pos += 5
    else:
        return None  # no terminator: not a PRELOGIN response
    version = None
    raw = options.get(OPT_VERSION)
    if raw is not None and len(raw) >= 4:
        major, minor, build = raw[0], raw[1], struct.unpack(">H", raw[2:4])[0]
        version = f"{major}.{minor}.{build}"
    encryption = None
    raw = options.get(OPT_ENCRYPTION)
    if raw:
        encryption = ENCRYPTION.get(raw[0], f"unknown ({raw[0]})")
    if version is None and encryption is None:
        return None
    return Prelogin(version, encryption)


def product_name(version: str | None) -> str:
    if not version:
        return "Microsoft SQL Server"
    major, minor = (int(p) for p in version.split(".")[:2])
    return PRODUCTS.get((major, minor)) or PRODUCTS.get((major, None)) or "Microsoft SQL Server"


def probe(
    address: str, port: int, ctx: ProbeContext, banner: bytes = b""
) -> DatabaseObservation | None:
    """Send PRELOGIN, parse the answer; ``None`` when it is not TDS."""
    if banner:
        return None
    sock = ctx.connect(address, port)
    try:
        ctx.sendall(sock, build_prelogin())
        head = ctx.recv_exact(sock, 8)
        length = struct.unpack(">H", head[2:4])[0]
        if head[0] != TABULAR_RESULT or not 9 <= length <= MAX_PACKET:
            return None
        packet = head + ctx.recv_exact(sock, length - 8)
    except ProbeError:
        if ctx.budget.remaining() <= 0:
            raise
        return None
    finally:
        sock.close()
    parsed = parse_prelogin_response(packet)
    if parsed is None:
        return None
    return DatabaseObservation(
        engine="mssql",
        version=parsed.version,
        banner=product_name(parsed.version),
        detail=f"encryption: {parsed.encryption}" if parsed.encryption else None,
    )

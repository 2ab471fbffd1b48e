"""Firebird / InterBase (3050): the wire protocol's op_connect is answered with
op_accept (and the protocol version chosen) or op_reject.

Several French practice-management packages keep their data in Firebird. We send one
op_connect (XDR, big-endian) for a made-up database path, offering protocol versions
10 to 17, read the answer and close: nothing is attached. The protocol version the
server picks hints at its release (13: Firebird 3, 16: Firebird 4, 17+: 4.0.1 / 5).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from rempart.core.observations import DatabaseObservation
from rempart.discover.probes.base import ProbeContext, ProbeError

NAME = "firebird"
PORTS: tuple[int, ...] = (3050,)
TRANSPORT = "tcp"
SERVER_SPEAKS_FIRST = False

OP_CONNECT = 1
OP_ACCEPT = 3
OP_REJECT = 4
OP_RESPONSE = 9
OP_ATTACH = 19
OP_ACCEPT_DATA = 94
OP_COND_ACCEPT = 98
CONNECT_VERSION3 = 3
ARCH_GENERIC = 1
PROTOCOL_FLAG = 0x8000
PTYPE_LAZY_SEND = 5

# Protocol version (without the flag) → the first release that speaks it.
RELEASES = {
    10: "InterBase 6 / Firebird 1.x",
    11: "Firebird 2.1",
    12: "Firebird 2.5",
    13: "Firebird 3.0",
    14: "Firebird 3.0",
    15: "Firebird 3.0.2",
    16: "Firebird 4.0",
    17: "Firebird 4.0.1",
    18: "Firebird 5.0",
    19: "Firebird 5.0.3",
}


def claims(banner: bytes) -> bool:
    return False


def _xdr_opaque(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data + b"\x00" * (-len(data) % 4)


def build_connect(path: str = "rempart_audit.fdb") -> bytes:
    """op_connect offering protocols 10..17 (generic architecture)."""
    user_id = bytes([1, 7]) + b"rempart" + bytes([4, 5]) + b"audit"  # CNCT_user, CNCT_host
    versions = [10] + [PROTOCOL_FLAG | v for v in range(11, 18)]
    message = struct.pack(">IIII", OP_CONNECT, OP_ATTACH, CONNECT_VERSION3, ARCH_GENERIC)
    message += _xdr_opaque(path.encode()) + struct.pack(">I", len(versions)) + _xdr_opaque(user_id)
    for weight, version in enumerate(versions, start=1):
        message += struct.pack(">IIIII", version, ARCH_GENERIC, 0, PTYPE_LAZY_SEND, weight)
    return message


@dataclass(frozen=True, slots=True)
class ConnectAnswer:
    accepted: bool
    protocol: int | None = None


def parse_answer(data: bytes) -> ConnectAnswer | None:
    """op_accept/op_accept_data/op_cond_accept or op_reject; ``None`` otherwise."""
    if len(data) < 4:
        return None
    op = struct.unpack(">I", data[:4])[0]
    if op == OP_REJECT:
        return ConnectAnswer(accepted=False)
    if op in (OP_ACCEPT, OP_ACCEPT_DATA, OP_COND_ACCEPT) and len(data) >= 16:
        version, arch, _ptype = struct.unpack(">III", data[4:16])
        protocol = version & 0x7FFF
        if not 10 <= protocol <= 40 or arch > 100:
            return None
        return ConnectAnswer(accepted=True, protocol=protocol)
    return None


def probe(
    address: str, port: int, ctx: ProbeContext, banner: bytes = b""
) -> DatabaseObservation | None:
    if banner:
        return None
    sock = ctx.connect(address, port)
    try:
        ctx.sendall(sock, build_connect())
        data = b""
        while len(data) < 16:
            chunk = ctx.recv(sock, 16 - len(data))
            if not chunk:
                break
            data += chunk
            if len(data) >= 4 and struct.unpack(">I", data[:4])[0] == OP_REJECT:
                break
    except ProbeError:
        if ctx.budget.remaining() <= 0:
            raise
        return None
    finally:
        sock.close()
    answer = parse_answer(data)
    if answer is None:
        return None
    if not answer.accepted:
        return DatabaseObservation(engine="firebird", detail="op_connect rejected")
    release = RELEASES.get(answer.protocol or 0)
    detail = f"protocol {answer.protocol}"
    if release:
        detail += f" ({release} or later)"
    return DatabaseObservation(engine="firebird", banner=release, detail=detail)

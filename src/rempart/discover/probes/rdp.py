"""RDP: which security protocols the server accepts, and whether it insists on NLA.

Without Network Level Authentication (CredSSP, "hybrid"), a Remote Desktop server shows its
logon screen to anyone who connects and can be brute-forced or hit by pre-authentication
bugs (BlueKeep, CVE-2019-0708): exposed RDP was the first way in for ransomware in most
incidents Sophos handled in 2023.

We send X.224 Connection Requests carrying an RDP_NEG_REQ (MS-RDPBCGR §2.2.1.1) with
different ``requestedProtocols``, read the Connection Confirm's RDP_NEG_RSP
(``selectedProtocol``) or RDP_NEG_FAILURE (``failureCode``), and hang up: no TLS, no
credentials.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from rempart.core.observations import (
    RDP_PROTOCOL_HYBRID,
    RDP_PROTOCOL_HYBRID_EX,
    RDP_PROTOCOL_RDP,
    RDP_PROTOCOL_SSL,
    RdpObservation,
)
from rempart.discover.probes.base import ProbeContext, ProbeError

NAME = "rdp"
PORTS: tuple[int, ...] = (3389,)
TRANSPORT = "tcp"
SERVER_SPEAKS_FIRST = False

# requestedProtocols / selectedProtocol flags (MS-RDPBCGR §2.2.1.1.1).
PROTOCOL_RDP = 0x00
PROTOCOL_SSL = 0x01
PROTOCOL_HYBRID = 0x02
PROTOCOL_RDSTLS = 0x04
PROTOCOL_HYBRID_EX = 0x08

# failureCode values (MS-RDPBCGR §2.2.1.2.2).
SSL_REQUIRED_BY_SERVER = 1
SSL_NOT_ALLOWED_BY_SERVER = 2
SSL_CERT_NOT_ON_SERVER = 3
INCONSISTENT_FLAGS = 4
HYBRID_REQUIRED_BY_SERVER = 5
SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER = 6

TYPE_RDP_NEG_REQ = 0x01
TYPE_RDP_NEG_RSP = 0x02
TYPE_RDP_NEG_FAILURE = 0x03
X224_CONNECTION_REQUEST = 0xE0
X224_CONNECTION_CONFIRM = 0xD0
MAX_TPKT = 512  # a Connection Confirm is 19 bytes; anything much bigger is not RDP

# What we ask for, in order, and the name of the protocol each request can reveal.
REQUESTS: tuple[int, ...] = (
    PROTOCOL_RDP,
    PROTOCOL_SSL,
    PROTOCOL_SSL | PROTOCOL_HYBRID,
    PROTOCOL_SSL | PROTOCOL_HYBRID | PROTOCOL_HYBRID_EX,
)
_NAMES = {
    PROTOCOL_RDP: RDP_PROTOCOL_RDP,
    PROTOCOL_SSL: RDP_PROTOCOL_SSL,
    PROTOCOL_HYBRID: RDP_PROTOCOL_HYBRID,
    PROTOCOL_HYBRID_EX: RDP_PROTOCOL_HYBRID_EX,
}
_ORDER = (RDP_PROTOCOL_RDP, RDP_PROTOCOL_SSL, RDP_PROTOCOL_HYBRID, RDP_PROTOCOL_HYBRID_EX)


class NotRdp(ProbeError):
    """The service answered, but not with TPKT / X.224: it does not speak RDP."""


@dataclass(frozen=True, slots=True)
class Confirm:
    """A Connection Confirm: the protocol selected, or the failure code, or neither (a
    server older than RDP 5.2 that does not negotiate and speaks standard RDP security)."""

    selected: int | None = None
    failure: int | None = None


def connection_request(requested: int) -> bytes:
    """TPKT + X.224 Connection Request + RDP_NEG_REQ asking for ``requested`` (pure)."""
    neg_req = struct.pack("<BBHI", TYPE_RDP_NEG_REQ, 0, 8, requested)
    x224 = bytes([6 + len(neg_req), X224_CONNECTION_REQUEST]) + b"\x00\x00\x00\x00\x00"
    body = x224 + neg_req
    return struct.pack(">BBH", 3, 0, 4 + len(body)) + body


def tpkt_length(header: bytes) -> int:
    """The total length announced by a TPKT header (RFC 1006 §6), bounded."""
    if len(header) < 4 or header[0] != 3:
        raise NotRdp("not a TPKT packet")
    length = int.from_bytes(header[2:4], "big")
    if length < 11 or length > MAX_TPKT:
        raise NotRdp(f"implausible TPKT length {length}")
    return length


def parse_confirm(packet: bytes) -> Confirm:
    """Parse TPKT + X.224 Connection Confirm [+ RDP_NEG_RSP / RDP_NEG_FAILURE]."""
    length = tpkt_length(packet)
    if len(packet) < length:
        raise ProbeError("truncated TPKT packet")
    x224 = packet[4:length]
    li = x224[0] if x224 else 0
    if len(x224) < 7 or x224[1] & 0xF0 != X224_CONNECTION_CONFIRM or li + 1 > len(x224) or li < 6:
        raise NotRdp("not an X.224 Connection Confirm")
    neg = x224[7 : li + 1]
    if len(neg) < 8:
        return Confirm()
    kind, _flags, size, value = struct.unpack_from("<BBHI", neg)
    if size != 8:
        raise ProbeError("malformed RDP negotiation data")
    if kind == TYPE_RDP_NEG_RSP:
        return Confirm(selected=value)
    if kind == TYPE_RDP_NEG_FAILURE:
        return Confirm(failure=value)
    raise ProbeError(f"unknown RDP negotiation type {kind}")


def assemble(answers: dict[int, Confirm]) -> RdpObservation:
    """The observation from each request's answer (``requestedProtocols`` → Confirm)."""
    accepted: set[str] = set()
    failures: list[int] = []
    for confirm in answers.values():
        if confirm.failure is not None:
            if confirm.failure not in failures:
                failures.append(confirm.failure)
        elif confirm.selected is None:
            accepted.add(RDP_PROTOCOL_RDP)  # legacy server: no negotiation, standard RDP
        elif confirm.selected in _NAMES:
            accepted.add(_NAMES[confirm.selected])
    without_credssp = [confirm for req, confirm in answers.items() if not req & PROTOCOL_HYBRID]
    refused_for_nla = bool(without_credssp) and all(
        c.failure in (HYBRID_REQUIRED_BY_SERVER, SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER)
        or (c.failure is not None and accepted & {RDP_PROTOCOL_HYBRID, RDP_PROTOCOL_HYBRID_EX})
        for c in without_credssp
    )
    return RdpObservation(
        protocols=tuple(name for name in _ORDER if name in accepted),
        nla_required=refused_for_nla,
        failure_codes=tuple(failures),
    )


def _ask(address: str, port: int, ctx: ProbeContext, requested: int) -> Confirm:
    sock = ctx.connect(address, port)
    try:
        ctx.sendall(sock, connection_request(requested))
        header = ctx.recv_exact(sock, 4)
        length = tpkt_length(header)
        return parse_confirm(header + ctx.recv_exact(sock, length - 4))
    finally:
        sock.close()


def probe(address: str, port: int, ctx: ProbeContext, banner: bytes = b"") -> RdpObservation | None:
    """Ask with each set of protocols; ``None`` when the first answer is not RDP."""
    answers: dict[int, Confirm] = {}
    for requested in REQUESTS:
        try:
            answers[requested] = _ask(address, port, ctx, requested)
        except NotRdp:
            if not answers:
                return None
            continue
        except ProbeError:
            if not answers:
                raise
            # Some servers hang up on a request they dislike (e.g. HYBRID_EX): keep the rest.
            continue
    return assemble(answers)

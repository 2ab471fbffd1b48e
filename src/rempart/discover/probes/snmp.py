"""SNMP (UDP 161): which well-known communities (``public``, ``private``) answer a read.

A readable ``public`` community leaks the device's description (model, firmware) and
often its whole configuration; a readable — worse, writable — ``private`` community is
a way in. We only *read* sysDescr and sysName (never write anything).

SNMPv1/v2c have no handshake, so instead of pysnmp's asyncio engine the GetRequest
is built and the response parsed here (a few BER rules), which keeps every byte
bounded and lets :func:`sweep` question a whole /24 from one UDP socket: it takes
about ``timeout × (retries + 1)`` whatever the number of hosts. An agent does not
answer a wrong community: silence means "refused" (or no agent).

Replies are accepted only from the address and port asked, with a request-id we
sent, for the community we sent.
"""

from __future__ import annotations

import contextlib
import ipaddress
import secrets
import select
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass

from rempart.core.observations import SnmpObservation
from rempart.discover.probes.base import ProbeContext, ProbeError, clean_text

NAME = "snmp"
PORTS: tuple[int, ...] = (161,)
TRANSPORT = "udp"
SERVER_SPEAKS_FIRST = False

SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_NAME = "1.3.6.1.2.1.1.5.0"
MAX_DATAGRAM = 8192  # a sysDescr/sysName answer is a few hundred bytes
VERSION_V1 = 0
VERSION_V2C = 1

_GET_REQUEST = 0xA0
_GET_RESPONSE = 0xA2


def claims(banner: bytes) -> bool:
    return False


# --- BER, just enough ---------------------------------------------------------------


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _tlv(tag: int, value: bytes) -> bytes:
    return bytes([tag]) + _length(len(value)) + value


def _integer(value: int) -> bytes:
    body = value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True)
    return _tlv(0x02, body)


def _oid(dotted: str) -> bytes:
    parts = [int(p) for p in dotted.split(".")]
    body = bytearray([parts[0] * 40 + parts[1]])
    for part in parts[2:]:
        chunk = [part & 0x7F]
        part >>= 7
        while part:
            chunk.append(0x80 | (part & 0x7F))
            part >>= 7
        body += bytes(reversed(chunk))
    return _tlv(0x06, bytes(body))


def build_get(
    community: str, request_id: int, oids: Sequence[str], version: int = VERSION_V2C
) -> bytes:
    """An SNMP GetRequest message for ``oids``."""
    varbinds = b"".join(_tlv(0x30, _oid(o) + b"\x05\x00") for o in oids)
    pdu = _tlv(
        _GET_REQUEST, _integer(request_id) + _integer(0) + _integer(0) + _tlv(0x30, varbinds)
    )
    return _tlv(0x30, _integer(version) + _tlv(0x04, community.encode("latin-1")) + pdu)


class BerError(ValueError):
    """Malformed or hostile BER."""


def _read_tlv(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """``(tag, value_start, value_end)`` of the TLV at ``pos``, within ``end``."""
    if pos + 2 > end:
        raise BerError("truncated")
    tag = data[pos]
    first = data[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or pos + count > end:
            raise BerError("bad length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + length > end:
        raise BerError("length past the end")
    return tag, pos, pos + length


def _decode_int(data: bytes, start: int, end: int) -> int:
    if end - start == 0 or end - start > 8:
        raise BerError("bad integer")
    return int.from_bytes(data[start:end], "big", signed=True)


def _decode_oid(value: bytes) -> str:
    if not value or len(value) > 128:
        raise BerError("bad oid")
    first = value[0]
    parts = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    current = 0
    for byte in value[1:]:
        current = (current << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(current)
            current = 0
    return ".".join(str(p) for p in parts)


@dataclass(frozen=True, slots=True)
class SnmpResponse:
    version: int
    community: bytes
    request_id: int
    error_status: int
    values: dict[str, bytes | None]  # OID → OCTET STRING value (None: other type)


def parse_response(data: bytes) -> SnmpResponse | None:
    """A GetResponse, or ``None`` for anything else (malformed, other PDU, oversized)."""
    if len(data) > MAX_DATAGRAM:
        return None
    try:
        tag, start, end = _read_tlv(data, 0, len(data))
        if tag != 0x30:
            return None
        tag, vs, ve = _read_tlv(data, start, end)
        if tag != 0x02:
            return None
        version = _decode_int(data, vs, ve)
        tag, cs, ce = _read_tlv(data, ve, end)
        if tag != 0x04:
            return None
        community = data[cs:ce]
        tag, ps, pe = _read_tlv(data, ce, end)
        if tag != _GET_RESPONSE:
            return None
        tag, rs, re_ = _read_tlv(data, ps, pe)
        request_id = _decode_int(data, rs, re_) if tag == 0x02 else None
        tag, es, ee = _read_tlv(data, re_, pe)
        error_status = _decode_int(data, es, ee) if tag == 0x02 else None
        tag, _, ie = _read_tlv(data, ee, pe)  # error-index
        tag, bs, be = _read_tlv(data, ie, pe)
        if request_id is None or error_status is None or tag != 0x30:
            return None
        values: dict[str, bytes | None] = {}
        pos = bs
        while pos < be and len(values) < 16:
            tag, vbs, vbe = _read_tlv(data, pos, be)
            if tag != 0x30:
                return None
            tag, os_, oe = _read_tlv(data, vbs, vbe)
            if tag != 0x06:
                return None
            oid = _decode_oid(data[os_:oe])
            tag, xs, xe = _read_tlv(data, oe, vbe)
            values[oid] = data[xs:xe] if tag == 0x04 else None
            pos = vbe
    except BerError:
        return None
    return SnmpResponse(version, community, request_id, error_status, values)


# --- the sweep ------------------------------------------------------------------------


@dataclass
class _Asked:
    address: str
    community: str
    version: int


@dataclass
class _Seen:
    communities: list[str]
    sysdescr: str | None = None
    sysname: str | None = None
    v2c: bool = False


def _text(value: bytes | None) -> str | None:
    if not value:
        return None
    return clean_text(value).strip() or None


def _socket_for(addresses: Sequence[str]) -> socket.socket:
    family = socket.AF_INET6 if any(":" in a for a in addresses) else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.setblocking(False)
    return sock


def _send(sock: socket.socket, message: bytes, target: tuple[str, int], timeout: float) -> None:
    """Send one datagram; when the socket buffer is full (a large scope on a real NIC),
    wait until it drains rather than drop the request. Other errors mean silence."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            sock.sendto(message, target)
            return
        except BlockingIOError:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            select.select([], [sock], [], left)
        except OSError:  # unreachable, refused, not permitted: the host stays silent
            return


def sweep(
    addresses: Sequence[str],
    port: int = 161,
    *,
    communities: Sequence[str] = ("public", "private"),
    timeout: float = 1.0,
    retries: int = 1,
    ctx: ProbeContext | None = None,
) -> dict[str, SnmpObservation]:
    """Ask every address for sysDescr with each community (v2c and v1) from one socket.

    Returns the addresses where at least one community answered. Unanswered requests
    are sent again ``retries`` times; each round waits ``timeout`` seconds at most.
    """
    wanted = [str(ipaddress.ip_address(a)) for a in dict.fromkeys(addresses)]
    if not wanted:
        return {}
    sock = _socket_for(wanted)
    asked: dict[int, _Asked] = {}
    pending: dict[tuple[str, str, int], int] = {}
    for address in wanted:
        for community in communities:
            for version in (VERSION_V2C, VERSION_V1):
                request_id = secrets.randbelow(0x7FFFFFFF)
                while request_id in asked:
                    request_id = secrets.randbelow(0x7FFFFFFF)
                asked[request_id] = _Asked(address, community, version)
                pending[(address, community, version)] = request_id
    seen: dict[str, _Seen] = {}
    max_packets = 4 * len(asked) + 64
    packets = 0
    try:
        for _round in range(retries + 1):
            if not pending:
                break
            for (address, community, version), request_id in list(pending.items()):
                message = build_get(community, request_id, (SYS_DESCR, SYS_NAME), version)
                _send(sock, message, (address, port), timeout)
            deadline = time.monotonic() + timeout
            if ctx is not None:
                deadline = min(deadline, time.monotonic() + max(0.0, ctx.budget.remaining()))
            while pending and packets < max_packets:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                ready, _, _ = select.select([sock], [], [], left)
                if not ready:
                    break
                try:
                    data, source = sock.recvfrom(65535)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    continue  # ICMP errors on some platforms
                packets += 1
                if ctx is not None:
                    with contextlib.suppress(ProbeError):
                        ctx.budget.charge(len(data))
                response = parse_response(data)
                if response is None:
                    continue
                request = asked.get(response.request_id & 0x7FFFFFFF)
                if request is None or source[0] != request.address or source[1] != port:
                    continue
                if response.community != request.community.encode("latin-1"):
                    continue
                key = (request.address, request.community, request.version)
                if pending.pop(key, None) is None:
                    continue  # duplicate answer
                state = seen.setdefault(request.address, _Seen(communities=[]))
                if request.community not in state.communities:
                    state.communities.append(request.community)
                if request.version == VERSION_V2C:
                    state.v2c = True
                state.sysdescr = state.sysdescr or _text(response.values.get(SYS_DESCR))
                state.sysname = state.sysname or _text(response.values.get(SYS_NAME))
                # One version answering is enough for this community.
                other = VERSION_V1 if request.version == VERSION_V2C else VERSION_V2C
                pending.pop((request.address, request.community, other), None)
    finally:
        sock.close()
    order = {c: i for i, c in enumerate(communities)}
    return {
        address: SnmpObservation(
            communities=tuple(sorted(state.communities, key=order.__getitem__)),
            sysdescr=state.sysdescr,
            sysname=state.sysname,
            version="v2c" if state.v2c else "v1",
        )
        for address, state in seen.items()
    }


def probe(
    address: str, port: int, ctx: ProbeContext, banner: bytes = b""
) -> SnmpObservation | None:
    """One host: ``public`` and ``private`` read within the host's budget."""
    timeout = min(ctx.timeout, max(0.05, ctx.budget.remaining() / 2))
    return sweep([address], port, timeout=timeout, retries=1, ctx=ctx).get(
        str(ipaddress.ip_address(address))
    )

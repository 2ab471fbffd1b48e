"""The printer's SNMP agent (RFC 1157 / RFC 3416), v1 and v2c over UDP.

It answers GetRequest and GetNextRequest on the ``system`` group (sysDescr of an HP
JetDirect, sysObjectID, sysName...) only for the community ``public``; any other
community, and anything malformed, is dropped silently, as a real agent does.
BER is encoded and decoded by hand: the subset needed is small and every length is
checked against the datagram.
"""

from __future__ import annotations

import asyncio
import time

from rempart.lab.fakes.common import der, der_int, der_oid

COMMUNITY = b"public"
GET, GET_NEXT, RESPONSE = 0xA0, 0xA1, 0xA2
NO_SUCH_NAME = 2
NO_SUCH_OBJECT, END_OF_MIB_VIEW = 0x80, 0x82
MAX_DATAGRAM = 4096
MAX_VARBINDS = 32

_STARTED = time.monotonic()

SYSTEM: list[tuple[tuple[int, ...], str]] = [
    ((1, 3, 6, 1, 2, 1, 1, 1, 0), "descr"),
    ((1, 3, 6, 1, 2, 1, 1, 2, 0), "objectid"),
    ((1, 3, 6, 1, 2, 1, 1, 3, 0), "uptime"),
    ((1, 3, 6, 1, 2, 1, 1, 4, 0), "contact"),
    ((1, 3, 6, 1, 2, 1, 1, 5, 0), "name"),
    ((1, 3, 6, 1, 2, 1, 1, 6, 0), "location"),
]
SYS_DESCR = (
    "HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD153,EEPROM JSI23500027,CIDATE 10/15/2020"
)
SYS_OBJECT_ID = "1.3.6.1.4.1.11.2.3.9.1"
SYS_NAME = "NPI1A2B3C"


class Malformed(Exception):
    pass


def _tlv(data: bytes, pos: int) -> tuple[int, bytes, int]:
    """(tag, value, next position) of the TLV at ``pos``; lengths checked."""
    if pos + 2 > len(data):
        raise Malformed
    tag, first = data[pos], data[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    else:
        n = first & 0x7F
        if not 1 <= n <= 2 or pos + n > len(data):
            raise Malformed
        length = int.from_bytes(data[pos : pos + n], "big")
        pos += n
    if pos + length > len(data):
        raise Malformed
    return tag, data[pos : pos + length], pos + length


def _int(value: bytes) -> int:
    if not 1 <= len(value) <= 8:
        raise Malformed
    return int.from_bytes(value, "big", signed=True)


def _oid(value: bytes) -> tuple[int, ...]:
    if not value or len(value) > 128:
        raise Malformed
    parts = [value[0] // 40, value[0] % 40]
    acc = 0
    for b in value[1:]:
        acc = (acc << 7) | (b & 0x7F)
        if not b & 0x80:
            parts.append(acc)
            acc = 0
    return tuple(parts)


def _value(kind: str) -> bytes:
    if kind == "descr":
        return der(0x04, SYS_DESCR.encode())
    if kind == "objectid":
        return der_oid(SYS_OBJECT_ID)
    if kind == "uptime":
        ticks = int((time.monotonic() - _STARTED) * 100) & 0xFFFFFFFF
        return der(0x43, ticks.to_bytes(5, "big").lstrip(b"\x00") or b"\x00")
    if kind == "name":
        return der(0x04, SYS_NAME.encode())
    return der(0x04, b"")


def _oid_bytes(oid: tuple[int, ...]) -> bytes:
    return der_oid(".".join(str(p) for p in oid))


def answer(datagram: bytes) -> bytes | None:
    """The response datagram, or ``None`` to stay silent."""
    try:
        if len(datagram) > MAX_DATAGRAM:
            return None
        tag, message, _ = _tlv(datagram, 0)
        if tag != 0x30:
            return None
        tag, version_raw, pos = _tlv(message, 0)
        version = _int(version_raw)
        if tag != 0x02 or version not in (0, 1):
            return None
        tag, community, pos = _tlv(message, pos)
        if tag != 0x04 or community != COMMUNITY:
            return None
        pdu_type, pdu, _ = _tlv(message, pos)
        if pdu_type not in (GET, GET_NEXT):
            return None
        tag, request_id, pos = _tlv(pdu, 0)
        _int(request_id)
        _, _, pos = _tlv(pdu, pos)  # error-status
        _, _, pos = _tlv(pdu, pos)  # error-index
        tag, varbinds, _ = _tlv(pdu, pos)
        if tag != 0x30:
            return None
        oids: list[tuple[int, ...]] = []
        vpos = 0
        while vpos < len(varbinds):
            tag, varbind, vpos = _tlv(varbinds, vpos)
            t, oid_raw, _ = _tlv(varbind, 0)
            if tag != 0x30 or t != 0x06 or len(oids) >= MAX_VARBINDS:
                return None
            oids.append(_oid(oid_raw))
    except Malformed:
        return None

    out: list[bytes] = []
    error_status = error_index = 0
    for index, oid in enumerate(oids, start=1):
        if pdu_type == GET:
            found = next((kind for o, kind in SYSTEM if o == oid), None)
            name = oid
        else:
            found_pair = next(((o, kind) for o, kind in SYSTEM if o > oid), None)
            name, found = found_pair if found_pair else (oid, None)
        if found is not None:
            value = _value(found)
        elif version == 0:
            error_status, error_index = NO_SUCH_NAME, index
            value = der(0x05, b"")
        else:
            value = der(NO_SUCH_OBJECT if pdu_type == GET else END_OF_MIB_VIEW, b"")
        out.append(der(0x30, _oid_bytes(name) + value))
    if error_status:  # v1: the request's varbinds come back unchanged with the error
        out = [der(0x30, _oid_bytes(o) + der(0x05, b"")) for o in oids]
    body = (
        der(0x02, request_id)
        + der_int(error_status)
        + der_int(error_index)
        + der(0x30, b"".join(out))
    )
    return der(0x30, der_int(version) + der(0x04, community) + der(RESPONSE, body))


class SnmpProtocol(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            reply = answer(data)
        except Exception:  # never let a datagram stop the agent
            return
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)

    def error_received(self, exc: Exception) -> None:
        pass

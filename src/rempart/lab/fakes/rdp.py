"""Remote Desktop (MS-RDPBCGR 2.2.1.1–2.2.1.2): answer the X.224 Connection Request with
a Connection Confirm carrying RDP_NEG_RSP or RDP_NEG_FAILURE, then run the TLS handshake
when TLS or CredSSP was selected (the certificate names the PC, like Windows').

``nla_required=False`` (reception PC): standard RDP security and TLS accepted; CredSSP
is selected when the client offers it, as Windows does when NLA is allowed but optional.
``nla_required=True`` (chair PC): any request without CredSSP gets HYBRID_REQUIRED_BY_SERVER.
"""

from __future__ import annotations

import asyncio
import ssl
import struct

from rempart.lab.fakes import ntlm
from rempart.lab.fakes.common import Handler, der, der_int, read_exact, read_some
from rempart.lab.fakes.ntlm import WINDOWS_11_25H2

PROTOCOL_RDP, PROTOCOL_SSL, PROTOCOL_HYBRID, PROTOCOL_RDSTLS, PROTOCOL_HYBRID_EX = 0, 1, 2, 4, 8
TYPE_RDP_NEG_REQ, TYPE_RDP_NEG_RSP, TYPE_RDP_NEG_FAILURE = 1, 2, 3
SSL_REQUIRED_BY_SERVER, SSL_NOT_ALLOWED_BY_SERVER, HYBRID_REQUIRED_BY_SERVER = 1, 2, 5
NEG_RSP_FLAGS = 0x1F  # extended client data, GFX, restricted admin, redirected auth
SERVER_REF = 0x1234


def parse_connection_request(tpdu: bytes) -> tuple[int, int | None] | None:
    """``(client source reference, requestedProtocols or None)`` from a TPKT payload."""
    if len(tpdu) < 7:
        return None
    li, code = tpdu[0], tpdu[1]
    if code & 0xF0 != 0xE0 or li + 1 > len(tpdu) or li < 6:
        return None
    src_ref = struct.unpack_from(">H", tpdu, 4)[0]
    variable = tpdu[7 : li + 1]
    if variable.startswith((b"Cookie:", b"cookie:")):
        end = variable.find(b"\r\n")
        variable = variable[end + 2 :] if end >= 0 else b""
    if len(variable) >= 8 and variable[0] == TYPE_RDP_NEG_REQ:
        length = struct.unpack_from("<H", variable, 2)[0]
        if length == 8:
            return src_ref, struct.unpack_from("<I", variable, 4)[0]
    return src_ref, None


def connection_confirm(src_ref: int, neg: bytes) -> bytes:
    x224 = bytes([6 + len(neg), 0xD0]) + struct.pack(">HHB", src_ref, SERVER_REF, 0) + neg
    return struct.pack(">BBH", 3, 0, 4 + len(x224)) + x224


def neg_response(selected: int) -> bytes:
    return struct.pack("<BBHI", TYPE_RDP_NEG_RSP, NEG_RSP_FLAGS, 8, selected)


def neg_failure(code: int) -> bytes:
    return struct.pack("<BBHI", TYPE_RDP_NEG_FAILURE, 0, 8, code)


def choose(requested: int | None, nla_required: bool) -> tuple[bytes, int | None]:
    """(negotiation block to send, protocol selected or None on failure)."""
    if requested is None:
        if nla_required:
            return neg_failure(HYBRID_REQUIRED_BY_SERVER), None
        return b"", PROTOCOL_RDP  # a legacy client: plain CC, standard RDP security
    if requested & PROTOCOL_HYBRID_EX:
        return neg_response(PROTOCOL_HYBRID_EX), PROTOCOL_HYBRID_EX
    if requested & PROTOCOL_HYBRID:
        return neg_response(PROTOCOL_HYBRID), PROTOCOL_HYBRID
    if nla_required:
        return neg_failure(HYBRID_REQUIRED_BY_SERVER), None
    if requested & PROTOCOL_SSL:
        return neg_response(PROTOCOL_SSL), PROTOCOL_SSL
    return neg_response(PROTOCOL_RDP), PROTOCOL_RDP


def ts_request_challenge(version: int, token: bytes) -> bytes:
    """A CredSSP TSRequest (MS-CSSP 2.2.1) carrying ``token`` in negoTokens."""
    nego = der(0x30, der(0x30, der(0xA0, der(0x04, token))))
    return der(0x30, der(0xA0, der_int(version)) + der(0xA1, nego))


def _ts_version(request: bytes) -> int:
    # TSRequest ::= SEQUENCE { version [0] INTEGER, ... }: 30 L A0 03 02 01 vv
    at = request.find(b"\xa0\x03\x02\x01")
    return min(request[at + 4], 6) if 0 <= at < 8 and at + 4 < len(request) else 2


def make_handler(
    nla_required: bool,
    tls: ssl.SSLContext,
    computer: str = "WINDOWS",
    windows: tuple[int, int, int] = WINDOWS_11_25H2,
) -> Handler:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        header = await read_exact(reader, 4)
        if header[0] != 3 or header[1] != 0:
            return
        length = struct.unpack_from(">H", header, 2)[0]
        if not 11 <= length <= 4096:
            return
        parsed = parse_connection_request(await read_exact(reader, length - 4))
        if parsed is None:
            return
        src_ref, requested = parsed
        neg, selected = choose(requested, nla_required)
        writer.write(connection_confirm(src_ref, neg))
        await writer.drain()
        if selected is None:
            return
        if selected != PROTOCOL_RDP:
            await asyncio.wait_for(writer.start_tls(tls), 10.0)
        request = await read_some(reader, 16384)  # MCS Connect Initial or a TSRequest
        if selected in (PROTOCOL_HYBRID, PROTOCOL_HYBRID_EX) and ntlm.message_type(request) == 1:
            token = ntlm.challenge(computer, windows)
            writer.write(ts_request_challenge(_ts_version(request), token))
            await writer.drain()
            await read_some(reader, 16384)  # AUTHENTICATE: never accepted, the lab closes

    return handle

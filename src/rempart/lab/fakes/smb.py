"""File sharing (SMB) as the practice's Windows machines speak it.

* SMB1 (MS-SMB 2.2.4.5.2): a NEGOTIATE offering ``NT LM 0.12`` is answered with the
  NT LM 0.12 response (extended security when the client asks for it), when SMB1 is on;
  a multi-protocol NEGOTIATE that also offers ``SMB 2.???``/``SMB 2.002`` gets an SMB2
  answer (0x02FF wildcard or 0x0202), like Windows.
* SMB2/3 (MS-SMB2 2.2.4): highest common dialect, SecurityMode bits (signing enabled /
  required), and for 3.1.1 the preauth-integrity (SHA-512) and encryption negotiate
  contexts, so that ``smbprotocol``'s ``Connection.connect()`` accepts the answer.
* SESSION_SETUP with NTLMSSP NEGOTIATE gets an NTLM CHALLENGE naming the PC and its
  Windows version (what ``nmap smb-os-discovery`` reads); any AUTHENTICATE is refused.
"""

from __future__ import annotations

import asyncio
import os
import struct
import uuid
from dataclasses import dataclass

from rempart.lab.fakes import ntlm
from rempart.lab.fakes.common import Garbage, Handler, der, der_oid, read_exact
from rempart.lab.fakes.ntlm import filetime

SMB2_0_2, SMB2_1, SMB3_0, SMB3_0_2, SMB3_1_1, SMB2_WILDCARD = (
    0x202,
    0x210,
    0x300,
    0x302,
    0x311,
    0x2FF,
)
SIGNING_ENABLED, SIGNING_REQUIRED = 0x01, 0x02
STATUS_SUCCESS = 0
STATUS_MORE_PROCESSING_REQUIRED = 0xC0000016
STATUS_LOGON_FAILURE = 0xC000006D
STATUS_NOT_SUPPORTED = 0xC00000BB
STATUS_ACCESS_DENIED = 0xC0000022
NEGOTIATE, SESSION_SETUP = 0x0000, 0x0001
MAX_MESSAGE = 65536
MAX_MESSAGES = 32

SPNEGO = "1.3.6.1.5.5.2"
NTLMSSP = "1.3.6.1.4.1.311.2.2.10"
MS_KRB5 = "1.2.840.48018.1.2.2"
KRB5 = "1.2.840.113554.1.2.2"


@dataclass(frozen=True)
class SmbProfile:
    """How one machine's SMB server is configured."""

    computer: str  # NetBIOS name, upper case
    dialects: tuple[int, ...]  # SMB2+ dialects it accepts
    smb1: bool
    signing_required: bool
    windows: tuple[int, int, int]  # major, minor, build (NTLM VERSION)
    guid: uuid.UUID


def _pad8(data: bytes) -> bytes:
    return data + b"\x00" * (-len(data) % 8)


def spnego_init() -> bytes:
    """The negTokenInit hint a Windows server puts in its NEGOTIATE response."""
    mechs = der(0x30, der_oid(MS_KRB5) + der_oid(KRB5) + der_oid(NTLMSSP))
    hints = der(0x30, der(0xA0, der(0x1B, b"not_defined_in_RFC4178@please_ignore")))
    body = der(0x30, der(0xA0, mechs) + der(0xA3, hints))
    return der(0x60, der_oid(SPNEGO) + der(0xA0, body))


def spnego_challenge(token: bytes) -> bytes:
    resp = der(0xA0, der(0x0A, b"\x01")) + der(0xA1, der_oid(NTLMSSP)) + der(0xA2, der(0x04, token))
    return der(0xA1, der(0x30, resp))


# --- SMB2 --------------------------------------------------------------------------------


def smb2_header(request: bytes, command: int, status: int, session_id: int = 0) -> bytes:
    credit_charge = struct.unpack_from("<H", request, 6)[0]
    message_id = struct.unpack_from("<Q", request, 24)[0]
    process_id, tree_id = struct.unpack_from("<II", request, 32)
    return (
        b"\xfeSMB"
        + struct.pack("<HHIHHII", 64, credit_charge, status, command, 1, 0x00000001, 0)
        + struct.pack("<QIIQ", message_id, process_id, tree_id, session_id)
        + b"\x00" * 16
    )


def smb2_error(request: bytes, command: int, status: int) -> bytes:
    return smb2_header(request, command, status) + struct.pack("<HBBI", 9, 0, 0, 0) + b"\x00"


def capabilities(dialect: int) -> int:
    if dialect == SMB2_0_2:
        return 0
    if dialect in (SMB2_1, SMB2_WILDCARD):
        return 0x07  # DFS, LEASING, LARGE_MTU
    caps = 0x2F  # + MULTI_CHANNEL, DIRECTORY_LEASING
    return caps | 0x40 if dialect in (SMB3_0, SMB3_0_2) else caps  # ENCRYPTION (3.0.x)


def negotiate_body(profile: SmbProfile, dialect: int, contexts: list[tuple[int, bytes]]) -> bytes:
    """The NEGOTIATE response body (after the 64-byte header)."""
    security_mode = SIGNING_ENABLED | (SIGNING_REQUIRED if profile.signing_required else 0)
    blob = spnego_init()
    max_size = 65536 if dialect == SMB2_0_2 else 8 * 1024 * 1024
    context_offset = 0
    tail = blob
    if contexts:
        context_offset = 64 + 64 + len(_pad8(blob))
        packed = [struct.pack("<HHI", kind, len(data), 0) + data for kind, data in contexts]
        tail = _pad8(blob) + b"".join(_pad8(c) for c in packed[:-1]) + packed[-1]
    fixed = struct.pack(
        "<HHHH16sIIIIQQHHI",
        65,
        security_mode,
        dialect,
        len(contexts),
        profile.guid.bytes_le,
        capabilities(dialect),
        max_size,
        max_size,
        max_size,
        filetime(),
        0,
        128,
        len(blob),
        context_offset,
    )
    return fixed + tail


def parse_negotiate(message: bytes) -> tuple[list[int], dict[int, bytes]]:
    """Dialects and negotiate contexts of an SMB2 NEGOTIATE request."""
    body = message[64:]
    if len(body) < 36:
        raise Garbage("short NEGOTIATE")
    size, count = struct.unpack_from("<HH", body, 0)
    if size != 36 or not 0 < count <= 64 or 36 + 2 * count > len(body):
        raise Garbage("bad NEGOTIATE")
    dialects = list(struct.unpack_from(f"<{count}H", body, 36))
    contexts: dict[int, bytes] = {}
    if SMB3_1_1 in dialects:
        offset, ctx_count = struct.unpack_from("<IH", body, 28)
        pos = offset
        for _ in range(min(ctx_count, 16)):
            if pos + 8 > len(message):
                break
            kind, length = struct.unpack_from("<HH", message, pos)
            contexts[kind] = message[pos + 8 : pos + 8 + length]
            pos += 8 + length
            pos += -pos % 8
    return dialects, contexts


def _pick(offered: bytes, preferred: tuple[int, ...]) -> int | None:
    if len(offered) < 2:
        return None
    count = struct.unpack_from("<H", offered, 0)[0]
    values = struct.unpack_from(f"<{min(count, (len(offered) - 2) // 2)}H", offered, 2)
    return next((p for p in preferred if p in values), None)


def negotiate_response(profile: SmbProfile, message: bytes) -> bytes:
    dialects, contexts = parse_negotiate(message)
    common = [d for d in dialects if d in profile.dialects]
    if not common:
        return smb2_error(message, NEGOTIATE, STATUS_NOT_SUPPORTED)
    dialect = max(common)
    out: list[tuple[int, bytes]] = []
    if dialect == SMB3_1_1:
        out.append((0x0001, struct.pack("<HHH", 1, 32, 0x0001) + os.urandom(32)))  # SHA-512
        if 0x0002 in contexts:
            cipher = _pick(contexts[0x0002], (0x0002, 0x0001, 0x0004, 0x0003)) or 0
            out.append((0x0002, struct.pack("<HH", 1, cipher)))
    return smb2_header(message, NEGOTIATE, STATUS_SUCCESS) + negotiate_body(profile, dialect, out)


def session_setup_response(profile: SmbProfile, message: bytes, session_id: int = 1) -> bytes:
    body = message[64:]
    if len(body) < 24:
        raise Garbage("short SESSION_SETUP")
    offset, length = struct.unpack_from("<HH", body, 12)
    token = message[offset : offset + length]
    if ntlm.message_type(token) != 1:
        return smb2_error(message, SESSION_SETUP, STATUS_LOGON_FAILURE)
    blob = spnego_challenge(ntlm.challenge(profile.computer, profile.windows))
    header = smb2_header(message, SESSION_SETUP, STATUS_MORE_PROCESSING_REQUIRED, session_id)
    return header + struct.pack("<HHHH", 9, 0, 72, len(blob)) + blob


# --- SMB1 --------------------------------------------------------------------------------


def smb1_dialects(message: bytes) -> list[str]:
    if len(message) < 35 or message[4] != 0x72:
        raise Garbage("not an SMB1 NEGOTIATE")
    byte_count = struct.unpack_from("<H", message, 33)[0]
    data = message[35 : 35 + byte_count]
    names = []
    for part in data.split(b"\x00"):
        if part.startswith(b"\x02"):
            names.append(part[1:].decode("ascii", errors="replace"))
        if len(names) > 64:
            break
    return names


def smb1_negotiate_response(profile: SmbProfile, message: bytes, index: int) -> bytes:
    flags2_in = struct.unpack_from("<H", message, 10)[0]
    extended = bool(flags2_in & 0x0800)
    flags2 = 0xC853 if extended else 0xC053
    header = (
        b"\xffSMB\x72"
        + struct.pack("<IBH", 0, 0x98, flags2)
        + message[12:14]  # PIDHigh
        + b"\x00" * 8
        + b"\x00\x00"
        + message[24:32]  # TID, PIDLow, UID, MID
    )
    caps = 0x0001F3FD | (0x80000000 if extended else 0)
    if extended:
        data = profile.guid.bytes_le + spnego_init()
        challenge_len = 0
    else:
        data = (
            os.urandom(8)
            + "WORKGROUP\x00".encode("utf-16-le")
            + (profile.computer + "\x00").encode("utf-16-le")
        )
        challenge_len = 8
    words = struct.pack(
        "<HBHHIIIIQhB", index, 0x07, 50, 1, 16644, 65536, 0, caps, filetime(), -60, challenge_len
    )
    return header + bytes([17]) + words + struct.pack("<H", len(data)) + data


def smb1_session_setup(profile: SmbProfile, message: bytes, uid: int) -> bytes:
    """SESSION_SETUP_ANDX (MS-SMB 2.2.4.6): an NTLM challenge with the native OS strings
    (what ``smb-os-discovery`` shows); anything else is a logon failure."""
    flags2 = struct.unpack_from("<H", message, 10)[0] | 0xC001

    def header(status: int, uid_out: int) -> bytes:
        return (
            message[:4]
            + b"\x73"
            + struct.pack("<IBH", status, 0x98, flags2)
            + message[12:28]
            + struct.pack("<H", uid_out)
            + message[30:32]
        )

    native_os, native_lm = ntlm.native_os(profile.windows)
    if len(message) >= 33 + 26 and message[32] == 13:  # NT LM 0.12 without extended security
        oem_len, unicode_len = struct.unpack_from("<HH", message, 33 + 14)
        if oem_len or unicode_len > 1:
            return header(STATUS_LOGON_FAILURE, 0) + b"\x00\x00\x00"
        # A null session is accepted, like Windows with SMB1 on: it reveals the native OS.
        strings = (native_os + "\x00" + native_lm + "\x00" + "WORKGROUP\x00").encode("utf-16-le")
        data = b"\x00" + strings  # 32 + 1 + 6 + 2 = 41: pad to an even offset
        words = struct.pack("<BBHH", 0xFF, 0, 32 + 1 + 6 + 2 + len(data), 0)
        return header(STATUS_SUCCESS, uid) + b"\x03" + words + struct.pack("<H", len(data)) + data
    token = b""
    if len(message) >= 59 and message[32] == 12:
        blob_len = struct.unpack_from("<H", message, 33 + 14)[0]
        token = message[59 : 59 + blob_len]
    if ntlm.message_type(token) != 1:
        return header(STATUS_LOGON_FAILURE, 0) + b"\x00\x00\x00"
    blob = spnego_challenge(ntlm.challenge(profile.computer, profile.windows))
    strings = (native_os + "\x00" + native_lm + "\x00" + "\x00").encode("utf-16-le")
    pad = b"\x00" if (32 + 1 + 8 + 2 + len(blob)) % 2 else b""
    data = blob + pad + strings
    words = struct.pack("<BBHHH", 0xFF, 0, 32 + 1 + 8 + 2 + len(data), 0, len(blob))
    return (
        header(STATUS_MORE_PROCESSING_REQUIRED, uid)
        + b"\x04"
        + words
        + struct.pack("<H", len(data))
        + data
    )


def smb1_answer(profile: SmbProfile, message: bytes, uid: int = 0x0800) -> bytes | None:
    """What a multi-protocol NEGOTIATE gets: SMB2 wildcard, SMB2 0x0202, SMB1, or nothing;
    after an SMB1 negotiate, SESSION_SETUP_ANDX gets its NTLM challenge."""
    if profile.smb1 and len(message) >= 33 and message[4] == 0x73:
        return smb1_session_setup(profile, message, uid)
    names = smb1_dialects(message)
    if "SMB 2.???" in names and max(profile.dialects) > SMB2_0_2:
        fake = b"\xfeSMB" + b"\x00" * 60  # message id 0, pid 0
        return smb2_header(fake, NEGOTIATE, STATUS_SUCCESS) + negotiate_body(
            profile, SMB2_WILDCARD, []
        )
    if "SMB 2.002" in names and SMB2_0_2 in profile.dialects:
        fake = b"\xfeSMB" + b"\x00" * 60
        return smb2_header(fake, NEGOTIATE, STATUS_SUCCESS) + negotiate_body(profile, SMB2_0_2, [])
    if profile.smb1 and "NT LM 0.12" in names:
        return smb1_negotiate_response(profile, message, names.index("NT LM 0.12"))
    return None


def make_handler(profile: SmbProfile) -> Handler:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session_id = int.from_bytes(os.urandom(6), "little") | 0x1
        for _ in range(MAX_MESSAGES):
            nbss = await read_exact(reader, 4)
            if nbss[0] != 0:
                return
            length = int.from_bytes(nbss[1:], "big")
            if not 32 <= length <= MAX_MESSAGE:
                return
            message = await read_exact(reader, length)
            if message.startswith(b"\xffSMB"):
                answer = smb1_answer(profile, message)
            elif message.startswith(b"\xfeSMB") and len(message) >= 64:
                command = struct.unpack_from("<H", message, 12)[0]
                if command == NEGOTIATE:
                    answer = negotiate_response(profile, message)
                elif command == SESSION_SETUP:
                    answer = session_setup_response(profile, message, session_id)
                else:
                    answer = smb2_error(message, command, STATUS_ACCESS_DENIED)
            else:
                return
            if answer is None:
                return  # Windows without SMB1 resets the connection
            writer.write(len(answer).to_bytes(4, "big") + answer)
            await writer.drain()

    return handle

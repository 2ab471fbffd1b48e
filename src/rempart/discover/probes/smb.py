"""SMB: which dialects a file server accepts (SMBv1 above all) and whether it requires signing.

SMBv1 is the protocol WannaCry and NotPetya spread through (MS17-010); unsigned SMB lets an
attacker on the LAN relay credentials. Both are learnt from NEGOTIATE alone, before any
authentication.

* SMB2/3: one connection per dialect, each offering that dialect only, so that the list is
  what the server accepts and not just its maximum. The requests are built with
  ``smbprotocol``'s message structures (MS-SMB2 §2.2.3); we send them through
  :class:`ProbeContext` so that the host's time and byte caps hold, and parse the answer
  ourselves with bounds (MS-SMB2 §2.2.4).
* SMBv1: our own NEGOTIATE offering only ``NT LM 0.12`` (MS-CIFS §2.2.4.52), and a parser of
  the response's security mode.
* Port 139 needs a NetBIOS session request first (RFC 1002 §4.3.2).
"""

from __future__ import annotations

import socket
import struct
import uuid
from dataclasses import dataclass

from smbprotocol import Dialects
from smbprotocol.connection import (
    Capabilities,
    Ciphers,
    HashAlgorithms,
    NegotiateContextType,
    SecurityMode,
    SigningAlgorithms,
    SMB2EncryptionCapabilities,
    SMB2NegotiateContextRequest,
    SMB2NegotiateRequest,
    SMB2PreauthIntegrityCapabilities,
    SMB2SigningCapabilities,
    SMB3NegotiateRequest,
)
from smbprotocol.header import Commands, SMB2HeaderRequest

from rempart.core.observations import SmbObservation
from rempart.discover.probes.base import ProbeContext, ProbeError, clean_text

NAME = "smb"
PORTS: tuple[int, ...] = (445, 139)
TRANSPORT = "tcp"
SERVER_SPEAKS_FIRST = False

SMB1_DIALECT = "NT LM 0.12"
# Dialect code → usual spelling, in the order we offer them.
SMB2_DIALECTS: tuple[tuple[int, str], ...] = (
    (Dialects.SMB_2_0_2, "2.0.2"),
    (Dialects.SMB_2_1_0, "2.1"),
    (Dialects.SMB_3_0_0, "3.0"),
    (Dialects.SMB_3_0_2, "3.0.2"),
    (Dialects.SMB_3_1_1, "3.1.1"),
)
MAX_MESSAGE = 65536  # a NEGOTIATE response is a few hundred bytes; refuse anything bigger
NETBIOS_SESSION_PORT = 139

SMB1_MAGIC = b"\xffSMB"
SMB2_MAGIC = b"\xfeSMB"
SMB1_COM_NEGOTIATE = 0x72
SMB1_COM_SESSION_SETUP_ANDX = 0x73
SMB1_CAP_UNICODE = 0x04
SMB1_CAP_NT_STATUS = 0x40
# MS-CIFS §2.2.4.52.2 SecurityMode bits.
SMB1_SECURITY_SIGNATURES_ENABLED = 0x04
SMB1_SECURITY_SIGNATURES_REQUIRED = 0x08
STATUS_SUCCESS = 0


@dataclass(frozen=True, slots=True)
class Smb2Negotiation:
    """What an SMB2 NEGOTIATE response says (MS-SMB2 §2.2.4)."""

    status: int
    dialect: int | None
    signing_enabled: bool
    signing_required: bool
    server_guid: str | None


@dataclass(frozen=True, slots=True)
class Smb1Negotiation:
    """What an SMBv1 NEGOTIATE response says: the dialect chosen (``None``: none of ours)."""

    status: int
    dialect_index: int | None
    signing_enabled: bool | None
    signing_required: bool | None


# --- building requests (pure) ---------------------------------------------------------


def direct_tcp(message: bytes) -> bytes:
    """Frame an SMB message for port 445 (MS-SMB2 §2.1: a zero byte and a 24-bit length)."""
    return struct.pack(">I", len(message)) + message


def smb2_negotiate_request(dialect: int, client_guid: uuid.UUID | None = None) -> bytes:
    """An SMB2 NEGOTIATE offering ``dialect`` only, framed for Direct TCP."""
    guid = client_guid or uuid.uuid4()
    request: SMB2NegotiateRequest | SMB3NegotiateRequest
    if dialect >= Dialects.SMB_3_1_1:
        request = SMB3NegotiateRequest()
        preauth = SMB2NegotiateContextRequest()
        preauth["context_type"] = NegotiateContextType.SMB2_PREAUTH_INTEGRITY_CAPABILITIES
        preauth["data"] = SMB2PreauthIntegrityCapabilities()
        preauth["data"]["hash_algorithms"] = [HashAlgorithms.SHA_512]
        preauth["data"]["salt"] = uuid.uuid4().bytes + uuid.uuid4().bytes
        encryption = SMB2NegotiateContextRequest()
        encryption["context_type"] = NegotiateContextType.SMB2_ENCRYPTION_CAPABILITIES
        encryption["data"] = SMB2EncryptionCapabilities()
        encryption["data"]["ciphers"] = [Ciphers.AES_128_GCM, Ciphers.AES_128_CCM]
        signing = SMB2NegotiateContextRequest()
        signing["context_type"] = NegotiateContextType.SMB2_SIGNING_CAPABILITIES
        signing["data"] = SMB2SigningCapabilities()
        signing["data"]["signing_algorithms"] = [
            SigningAlgorithms.AES_GMAC,
            SigningAlgorithms.AES_CMAC,
            SigningAlgorithms.HMAC_SHA256,
        ]
        signing["padding"].size = 0  # no padding after the last context
        signing["padding"] = b""
        request["negotiate_context_list"] = [preauth, encryption, signing]
    else:
        request = SMB2NegotiateRequest()
    request["dialects"] = [dialect]
    request["security_mode"] = SecurityMode.SMB2_NEGOTIATE_SIGNING_ENABLED
    if dialect >= Dialects.SMB_2_1_0:
        request["client_guid"] = guid
    if dialect >= Dialects.SMB_3_0_0:
        request["capabilities"] = Capabilities.SMB2_GLOBAL_CAP_ENCRYPTION
    header = SMB2HeaderRequest()
    header["command"] = Commands.SMB2_NEGOTIATE
    header["credit_request"] = 1
    header["message_id"] = 0
    header["data"] = request
    return direct_tcp(header.pack())


def smb1_negotiate_request(dialects: tuple[str, ...] = (SMB1_DIALECT,)) -> bytes:
    """An SMBv1 NEGOTIATE (MS-CIFS §2.2.4.52.1) offering ``dialects``, framed for Direct TCP."""
    body = b"".join(b"\x02" + name.encode("ascii") + b"\x00" for name in dialects)
    header = struct.pack(
        "<4sBIBHH8sHHHHH",
        SMB1_MAGIC,
        SMB1_COM_NEGOTIATE,
        0,  # status
        0x18,  # flags: case-insensitive, canonicalised paths
        0xC001,  # flags2: unicode, NT status codes, long names
        0,  # PID high
        b"\x00" * 8,  # security features
        0,  # reserved
        0,  # TID
        0x5250,  # PID low ("RP")
        0,  # UID
        0,  # MID
    )
    return direct_tcp(header + b"\x00" + struct.pack("<H", len(body)) + body)


def smb1_null_session_request(uid: int = 0) -> bytes:
    """SESSION_SETUP_ANDX with no user and no password (MS-CIFS §2.2.4.53.1, NT LM 0.12
    without extended security): the server answers with its native OS and LAN manager."""
    header = struct.pack(
        "<4sBIBHH8sHHHHH",
        SMB1_MAGIC,
        SMB1_COM_SESSION_SETUP_ANDX,
        0,
        0x18,
        0xC001,
        0,
        b"\x00" * 8,
        0,
        0,
        0x5250,
        uid,
        1,
    )
    words = struct.pack(
        "<BBHHHHIHHII",
        0xFF,  # no AndX command
        0,
        0,
        0xFFFF,  # max buffer size
        2,  # max mpx count
        0,  # VC number
        0,  # session key
        0,  # OEM password length: null session
        0,  # Unicode password length
        0,
        SMB1_CAP_UNICODE | SMB1_CAP_NT_STATUS,
    )
    strings = b"".join(_utf16z(text) for text in ("", "", "Rempart", "Rempart"))
    data = b"\x00" + strings  # pad: Unicode strings start on an even offset
    return direct_tcp(header + b"\x0d" + words + struct.pack("<H", len(data)) + data)


def _utf16z(text: str) -> bytes:
    return text.encode("utf-16-le") + b"\x00\x00"


def parse_smb1_session_setup(message: bytes) -> tuple[str | None, str | None]:
    """Native OS and native LAN manager from a SESSION_SETUP_ANDX response (MS-CIFS
    §2.2.4.53.2); ``(None, None)`` when the server refused or sent none."""
    if len(message) < 33 or message[:4] != SMB1_MAGIC:
        raise ProbeError("not an SMBv1 message")
    if message[4] != SMB1_COM_SESSION_SETUP_ANDX:
        raise ProbeError("SMBv1 answer is not a SESSION_SETUP_ANDX response")
    (flags2,) = struct.unpack_from("<H", message, 10)
    words = message[32]
    data_start = 33 + 2 * words + 2
    if words == 0 or data_start > len(message):
        return None, None
    (byte_count,) = struct.unpack_from("<H", message, data_start - 2)
    data = message[data_start : data_start + byte_count]
    if flags2 & 0x8000:  # Unicode strings, aligned on an even offset from the header
        if data_start % 2:
            data = data[1:]
        parts = _split_utf16z(data)
    else:
        parts = [clean_text(p) for p in data.split(b"\x00")]
    native_os = parts[0] if parts and parts[0] else None
    native_lm = parts[1] if len(parts) > 1 and parts[1] else None
    return native_os, native_lm


def _split_utf16z(data: bytes) -> list[str]:
    parts: list[str] = []
    start = 0
    for i in range(0, len(data) - 1, 2):
        if data[i : i + 2] == b"\x00\x00":
            parts.append(clean_text(data[start:i].decode("utf-16-le", errors="replace")))
            start = i + 2
            if len(parts) == 3:
                break
    else:
        if start < len(data):
            parts.append(clean_text(data[start:].decode("utf-16-le", errors="replace")))
    return parts


def netbios_session_request(called: str = "*SMBSERVER", calling: str = "REMPART") -> bytes:
    """RFC 1002 §4.3.2 SESSION REQUEST, needed before SMB on port 139."""
    return b"\x81\x00" + struct.pack(">H", 68) + _netbios_name(called) + _netbios_name(calling)


def _netbios_name(name: str, suffix: int = 0x20) -> bytes:
    raw = name.upper().encode("ascii")[:15].ljust(15, b" ") + bytes([suffix])
    encoded = b"".join(bytes([0x41 + (b >> 4), 0x41 + (b & 0x0F)]) for b in raw)
    return b"\x20" + encoded + b"\x00"


# --- parsing responses (pure) ---------------------------------------------------------


def message_length(frame_header: bytes) -> int:
    """The length of the SMB message announced by a 4-byte Direct TCP / NetBIOS header."""
    if len(frame_header) < 4:
        raise ProbeError("short SMB frame header")
    if frame_header[0] != 0:
        raise ProbeError("not an SMB session message")
    length = int.from_bytes(frame_header[1:4], "big")
    if length < 4 or length > MAX_MESSAGE:
        raise ProbeError(f"implausible SMB message length {length}")
    return length


def parse_smb2_negotiate(message: bytes) -> Smb2Negotiation:
    """Parse an SMB2 NEGOTIATE response (header included, frame excluded)."""
    if len(message) < 64 or message[:4] != SMB2_MAGIC:
        raise ProbeError("not an SMB2 message")
    status, command = struct.unpack_from("<IH", message, 8)
    if command != Commands.SMB2_NEGOTIATE:
        raise ProbeError("SMB2 answer is not a NEGOTIATE response")
    if status != STATUS_SUCCESS or len(message) < 64 + 24:
        # An error response (STATUS_NOT_SUPPORTED…): the dialect was refused.
        return Smb2Negotiation(status, None, False, False, None)
    size, security_mode, dialect = struct.unpack_from("<HHH", message, 64)
    if size != 65:
        raise ProbeError("malformed SMB2 NEGOTIATE response")
    guid = str(uuid.UUID(bytes_le=bytes(message[72:88])))
    return Smb2Negotiation(
        status=status,
        dialect=dialect,
        signing_enabled=bool(security_mode & SecurityMode.SMB2_NEGOTIATE_SIGNING_ENABLED),
        signing_required=bool(security_mode & SecurityMode.SMB2_NEGOTIATE_SIGNING_REQUIRED),
        server_guid=guid,
    )


def parse_smb1_negotiate(message: bytes) -> Smb1Negotiation:
    """Parse an SMBv1 NEGOTIATE response (MS-CIFS §2.2.4.52.2), frame excluded."""
    if len(message) < 33 or message[:4] != SMB1_MAGIC:
        raise ProbeError("not an SMBv1 message")
    command, status = struct.unpack_from("<BI", message, 4)
    if command != SMB1_COM_NEGOTIATE:
        raise ProbeError("SMBv1 answer is not a NEGOTIATE response")
    word_count = message[32]
    if status != STATUS_SUCCESS or word_count == 0 or len(message) < 33 + 2:
        return Smb1Negotiation(status, None, None, None)
    (index,) = struct.unpack_from("<H", message, 33)
    if index == 0xFFFF:
        return Smb1Negotiation(status, None, None, None)
    if word_count < 17 or len(message) < 33 + 3:
        # Core-protocol answer: a dialect, but no security mode.
        return Smb1Negotiation(status, index, None, None)
    mode = message[35]
    return Smb1Negotiation(
        status=status,
        dialect_index=index,
        signing_enabled=bool(mode & SMB1_SECURITY_SIGNATURES_ENABLED),
        signing_required=bool(mode & SMB1_SECURITY_SIGNATURES_REQUIRED),
    )


def assemble(
    smb1: Smb1Negotiation | None,
    smb2: dict[str, Smb2Negotiation],
    native: tuple[str | None, str | None] = (None, None),
) -> SmbObservation:
    """One observation from the SMBv1 answer and the SMB2 answers accepted, by dialect name."""
    dialects: list[str] = []
    has_smb1 = smb1 is not None and smb1.dialect_index == 0
    if has_smb1:
        dialects.append(SMB1_DIALECT)
    dialects += [name for _, name in SMB2_DIALECTS if name in smb2]
    signing_required: bool | None = None
    signing_enabled: bool | None = None
    guid: str | None = None
    if smb2:
        # The newest dialect speaks for the server (Samba and Windows answer the same for all).
        newest = smb2[[name for name in dialects if name in smb2][-1]]
        signing_required = newest.signing_required
        signing_enabled = newest.signing_enabled or newest.signing_required
        guid = newest.server_guid
    if has_smb1 and smb1 is not None and smb1.signing_required is not None:
        # SMBv1 unsigned is the weaker door: if it does not require signing, signing is not
        # required on this server.
        signing_required = smb1.signing_required and signing_required is not False
        signing_enabled = bool(smb1.signing_enabled or signing_enabled)
    return SmbObservation(
        dialects=tuple(dialects),
        smb1=has_smb1,
        signing_required=signing_required,
        signing_enabled=signing_enabled,
        server_guid=guid,
        native_os=native[0],
        native_lm=native[1],
    )


# --- dialogue -------------------------------------------------------------------------


def _open(address: str, port: int, ctx: ProbeContext) -> socket.socket:
    sock = ctx.connect(address, port)
    if port == NETBIOS_SESSION_PORT:
        try:
            ctx.sendall(sock, netbios_session_request())
            answer = ctx.recv_exact(sock, 4)
            if answer[0] == 0x83:  # negative response: the name is refused
                ctx.recv_exact(sock, 1)
                raise ProbeError("NetBIOS session refused")
            if answer[0] != 0x82:
                raise ProbeError("not a NetBIOS session service")
        except ProbeError:
            sock.close()
            raise
    return sock


def _read_message(sock: socket.socket, ctx: ProbeContext) -> bytes | None:
    head = ctx.recv(sock, 4)
    if not head:
        return None
    if len(head) < 4:
        head += ctx.recv_exact(sock, 4 - len(head))
    return ctx.recv_exact(sock, message_length(head))


def _exchange(address: str, port: int, ctx: ProbeContext, request: bytes) -> bytes | None:
    """Send one request on a fresh connection; the answer's SMB message, or ``None`` when the
    server hangs up (how Samba refuses a dialect it does not allow)."""
    sock = _open(address, port, ctx)
    try:
        ctx.sendall(sock, request)
        return _read_message(sock, ctx)
    except ProbeError as exc:
        if _hung_up(exc):
            return None
        raise
    finally:
        sock.close()


def _smb1(
    address: str, port: int, ctx: ProbeContext
) -> tuple[bytes | None, tuple[str | None, str | None]]:
    """SMBv1 NEGOTIATE, then, if NT LM 0.12 was chosen, a null session setup on the same
    connection for the native OS and LAN manager. The negotiate answer and what was seen."""
    sock = _open(address, port, ctx)
    try:
        try:
            ctx.sendall(sock, smb1_negotiate_request())
            answer = _read_message(sock, ctx)
        except ProbeError as exc:
            if _hung_up(exc):
                return None, (None, None)
            raise
        if answer is None or answer[:4] != SMB1_MAGIC:
            return answer, (None, None)
        if parse_smb1_negotiate(answer).dialect_index != 0:
            return answer, (None, None)
        try:
            ctx.sendall(sock, smb1_null_session_request())
            setup = _read_message(sock, ctx)
            native = parse_smb1_session_setup(setup) if setup else (None, None)
        except ProbeError:
            native = (None, None)  # optional: the dialect is what matters
        return answer, native
    finally:
        sock.close()


def _hung_up(exc: ProbeError) -> bool:
    """Whether a failure is the peer closing or resetting the connection (not a timeout)."""
    return "closed" in str(exc) or isinstance(
        exc.__cause__, (ConnectionResetError, BrokenPipeError)
    )


def probe(address: str, port: int, ctx: ProbeContext, banner: bytes = b"") -> SmbObservation | None:
    """Offer each SMB2/3 dialect, then SMBv1; ``None`` when nothing answered like SMB."""
    smb2: dict[str, Smb2Negotiation] = {}
    spoke_smb = False
    for code, name in SMB2_DIALECTS:
        try:
            answer = _exchange(address, port, ctx, smb2_negotiate_request(code))
        except ProbeError:
            if not spoke_smb:
                raise  # silent or garbage on the very first try: not an SMB service
            continue
        if answer is None:
            continue
        if answer[:4] == SMB1_MAGIC:
            spoke_smb = True  # an SMBv1-only server answering an SMB2 request
            continue
        try:
            negotiation = parse_smb2_negotiate(answer)
        except ProbeError:
            if not spoke_smb:
                return None
            continue
        spoke_smb = True
        if negotiation.dialect == code:
            smb2[name] = negotiation
    smb1: Smb1Negotiation | None = None
    native: tuple[str | None, str | None] = (None, None)
    try:
        answer, native = _smb1(address, port, ctx)
        if answer is not None and answer[:4] == SMB1_MAGIC:
            smb1 = parse_smb1_negotiate(answer)
            spoke_smb = True
        elif answer is not None and answer[:4] == SMB2_MAGIC:
            spoke_smb = True  # an SMB2 error to an SMBv1 request: SMBv1 refused
    except ProbeError:
        if not spoke_smb:
            raise
    if not spoke_smb:
        return None
    return assemble(smb1, smb2, native)

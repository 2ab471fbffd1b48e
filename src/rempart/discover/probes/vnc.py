"""VNC: the RFB version and the security types offered; type 1 (None) means no password.

Imaging PCs and vendor support often leave a VNC server open, sometimes without a password:
anyone on the LAN then sees and drives the screen. The RFB handshake (RFC 6143 §7.1) tells
this before any authentication: we answer the server's version, read the security types
(3.7+) or the single type (3.3), and hang up without choosing one.
"""

from __future__ import annotations

import re
import socket
import struct
from dataclasses import dataclass

from rempart.core.observations import VncObservation
from rempart.discover.probes.base import ProbeContext, ProbeError, clean_text

NAME = "vnc"
PORTS: tuple[int, ...] = (5900, 5901, 5902, 5800)
TRANSPORT = "tcp"
SERVER_SPEAKS_FIRST = True

SECURITY_INVALID = 0
SECURITY_NONE = 1
SECURITY_VNC_AUTH = 2
MAX_REASON = 1024  # a failure reason is one sentence; longer ones are cut, not read

_VERSION = re.compile(rb"^RFB (\d{3})\.(\d{3})\n")


@dataclass(frozen=True, slots=True)
class Version:
    """The server's ProtocolVersion and the one we answer with."""

    major: int
    minor: int
    text: str  # "003.008", as sent

    @property
    def reply(self) -> bytes:
        """RFC 6143 §7.1.1: answer with the highest version both know (3.3, 3.7 or 3.8)."""
        if self.major > 3 or (self.major == 3 and self.minor >= 8):
            return b"RFB 003.008\n"  # includes Apple's 003.889
        if self.major == 3 and self.minor == 7:
            return b"RFB 003.007\n"
        return b"RFB 003.003\n"

    @property
    def lists_types(self) -> bool:
        """3.7 and later send a list of types; 3.3 imposes one."""
        return self.reply != b"RFB 003.003\n"


def claims(banner: bytes) -> bool:
    return _VERSION.match(banner) is not None


def parse_version(data: bytes) -> Version | None:
    """``RFB 003.008\\n`` → Version(3, 8, "003.008"); ``None`` if not an RFB greeting."""
    match = _VERSION.match(data)
    if match is None:
        return None
    major, minor = int(match.group(1)), int(match.group(2))
    return Version(major, minor, f"{match.group(1).decode()}.{match.group(2).decode()}")


def observation(version: Version, types: tuple[int, ...], reason: bytes | None) -> VncObservation:
    return VncObservation(
        rfb_version=version.text,
        security_types=types,
        no_auth=SECURITY_NONE in types,
        failure_reason=clean_text(reason.strip()) if reason is not None else None,
    )


def _reason(sock: socket.socket, ctx: ProbeContext) -> bytes:
    """A failure reason (u32 length + text), bounded; an unreadable one is empty."""
    try:
        (length,) = struct.unpack(">I", ctx.recv_exact(sock, 4))
        return ctx.recv_exact(sock, min(length, MAX_REASON))
    except ProbeError:
        return b""


def probe(address: str, port: int, ctx: ProbeContext, banner: bytes = b"") -> VncObservation | None:
    """Exchange versions, read the security types, hang up."""
    sock = ctx.connect(address, port)
    try:
        greeting = ctx.recv_exact(sock, 12)
        version = parse_version(greeting)
        if version is None:
            return None
        ctx.sendall(sock, version.reply)
        if version.lists_types:
            count = ctx.recv_exact(sock, 1)[0]
            if count == 0:
                return observation(version, (), _reason(sock, ctx))
            types = tuple(ctx.recv_exact(sock, count))
            return observation(version, types, None)
        (chosen,) = struct.unpack(">I", ctx.recv_exact(sock, 4))
        if chosen == SECURITY_INVALID:
            return observation(version, (), _reason(sock, ctx))
        return observation(version, (chosen,), None)
    finally:
        sock.close()

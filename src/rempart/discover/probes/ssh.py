"""SSH: the identification line and the algorithms the server offers in its KEXINIT.

Both are sent in clear before any key exchange (RFC 4253 §4.2 and §7.1), so we learn the
product, its version and its weak algorithms without authenticating. We send our own
identification, read the server's first binary packet, and hang up.

The weak lists below are data: each entry cites why it is judged weak. Names are matched
as shell-style patterns (``*-cbc``) so that vendor variants are caught.
"""

from __future__ import annotations

import fnmatch
import socket
import struct
from dataclasses import dataclass

from rempart import __version__
from rempart.core.observations import SshObservation
from rempart.discover.probes.base import MAX_BANNER, ProbeContext, ProbeError, clean_text

NAME = "ssh"
PORTS: tuple[int, ...] = (22, 2222, 22222)
TRANSPORT = "tcp"
SERVER_SPEAKS_FIRST = True

CLIENT_ID = f"SSH-2.0-Rempart_{__version__}"

# RFC 4253 §6.1: implementations must accept packets of 35000 bytes. A KEXINIT is a few
# kilobytes at most; anything past this bound is refused, not read.
MAX_PACKET = 35000
# RFC 4253 §4.2: the server may send other lines before its identification. Bound them.
MAX_PRE_LINES = 20
MAX_NAMES = 128  # per name-list; real servers send a few dozen
SSH_MSG_KEXINIT = 20

# Key exchange. RFC 9142 §3.2 (MUST NOT / SHOULD NOT): SHA-1 based and 1024-bit groups.
WEAK_KEX: tuple[str, ...] = (
    "diffie-hellman-group1-sha1",  # RFC 9142: MUST NOT (1024-bit group, SHA-1)
    "diffie-hellman-group14-sha1",  # RFC 9142: SHOULD NOT (SHA-1)
    "diffie-hellman-group-exchange-sha1",  # RFC 9142: MUST NOT (SHA-1)
    "gss-gex-sha1-*",  # RFC 9142 / RFC 8732: SHA-1 GSS-API exchanges
    "gss-group1-sha1-*",  # RFC 9142: MUST NOT
    "gss-group14-sha1-*",  # RFC 9142: SHOULD NOT
    "rsa1024-sha1",  # RFC 9142: MUST NOT
    "ecdh-sha2-nistp*-sha1",  # not defined with SHA-1 by RFC 5656: non-standard, SHA-1
)
# Host keys. RFC 9142 does not cover them; RFC 8332 §3 / OpenSSH 8.8 release notes: ssh-rsa
# signs with SHA-1 (disabled by default since OpenSSH 8.8); ssh-dss is 1024-bit DSA
# (FIPS 186-5 withdrew DSA; removed from OpenSSH 9.8).
WEAK_HOST_KEYS: tuple[str, ...] = (
    "ssh-dss",
    "ssh-dss-cert-v01@openssh.com",
    "ssh-rsa",
    "ssh-rsa-cert-v01@openssh.com",
    "x509v3-sign-dss",
    "x509v3-sign-rsa",
)
# Ciphers. RFC 8758 §3: RC4 (arcfour*) MUST NOT; RFC 4253 §6.3 lists "none" as unsafe; CBC
# modes are open to the plaintext-recovery attack of Albrecht et al. (CVE-2008-5161) and
# were removed from OpenSSH's default list in 7.2; 3DES, Blowfish and CAST128 have 64-bit
# blocks (Sweet32, CVE-2016-2183).
WEAK_CIPHERS: tuple[str, ...] = (
    "none",
    "arcfour",
    "arcfour128",
    "arcfour256",
    "*-cbc",
    "*-cbc@*",
    "3des-*",
    "blowfish-*",
    "cast128-*",
    "des",
    "des-*",
    "rijndael-cbc@lysator.liu.se",
)
# MACs. RFC 6668 / NIST SP 800-131A: MD5 based MACs are broken; truncated 96-bit tags
# (hmac-*-96) are below the 128-bit minimum (OpenSSH removed *-96 and md5 from its defaults
# in 7.2); "none" means no integrity (RFC 4253 §6.4). umac-64 is left out on purpose: every
# current OpenSSH still offers it by default beside stronger MACs that clients prefer, so
# flagging it would report every up-to-date server and drown the real weaknesses.
WEAK_MACS: tuple[str, ...] = (
    "none",
    "hmac-md5",
    "hmac-md5-*",
    "hmac-md5@*",
    "hmac-sha1-96",
    "hmac-sha1-96-*",
    "*-96",
    "*-96@*",
    "*-96-etm@*",
    "hmac-ripemd160*",
)


@dataclass(frozen=True, slots=True)
class Identification:
    """The parts of ``SSH-protoversion-softwareversion SP comments``."""

    protocol_version: str
    software: str
    comments: str | None


@dataclass(frozen=True, slots=True)
class KexInit:
    """The name-lists of a KEXINIT message that tell how strong the server is."""

    kex_algorithms: tuple[str, ...]
    host_key_algorithms: tuple[str, ...]
    ciphers: tuple[str, ...]  # client-to-server and server-to-client, merged in order
    macs: tuple[str, ...]


def claims(banner: bytes) -> bool:
    """An SSH server's first line (or a line after a short preamble) starts with ``SSH-``."""
    return any(
        line.startswith(b"SSH-") for line in banner[:MAX_BANNER].split(b"\n")[:MAX_PRE_LINES]
    )


def find_identification(data: bytes) -> tuple[bytes, bytes] | None:
    """Split the buffer at the server's identification line: ``(line, rest)``.

    ``None`` when no complete ``SSH-`` line is in ``data`` yet. The line is returned without
    its CR LF; ``rest`` is whatever followed (often the start of the KEXINIT packet).
    """
    start = 0
    for _ in range(MAX_PRE_LINES):
        end = data.find(b"\n", start)
        if end < 0:
            return None
        line = data[start:end]
        if line.startswith(b"SSH-"):
            return line.rstrip(b"\r"), data[end + 1 :]
        start = end + 1
    return None


def parse_identification(line: bytes | str) -> Identification | None:
    """``SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3`` → ``("2.0", "OpenSSH_9.2p1", "Debian-…")``."""
    raw = line.encode("utf-8", "replace") if isinstance(line, str) else line
    text = clean_text(raw.strip(b"\r\n \t"), MAX_BANNER)
    if not text.startswith("SSH-"):
        return None
    proto, sep, rest = text[4:].partition("-")
    if not sep or not proto:
        return None
    software, _, comments = rest.partition(" ")
    return Identification(
        protocol_version=clean_text(proto, 16),
        software=clean_text(software),
        comments=clean_text(comments.strip()) or None,
    )


def packet_length(header: bytes) -> int:
    """The length announced by a binary packet's first four bytes, bounded."""
    if len(header) < 4:
        raise ProbeError("short SSH packet header")
    length = int.from_bytes(header[:4], "big")
    if length < 2 or length > MAX_PACKET:
        raise ProbeError(f"implausible SSH packet length {length}")
    return length


def packet_payload(packet: bytes) -> bytes:
    """The payload of an unencrypted binary packet (length, padding length, payload, padding)."""
    length = packet_length(packet)
    if len(packet) < 4 + length:
        raise ProbeError("truncated SSH packet")
    padding = packet[4]
    if padding + 1 > length:
        raise ProbeError("SSH padding longer than packet")
    return packet[5 : 4 + length - padding]


def _name_list(payload: bytes, offset: int) -> tuple[tuple[str, ...], int]:
    if offset + 4 > len(payload):
        raise ProbeError("truncated KEXINIT name-list")
    (size,) = struct.unpack_from(">I", payload, offset)
    offset += 4
    if size > len(payload) - offset:
        raise ProbeError("KEXINIT name-list longer than the packet")
    raw = payload[offset : offset + size]
    names = tuple(clean_text(n, 64) for n in raw.split(b",") if n)[:MAX_NAMES]
    return names, offset + size


def parse_kexinit(payload: bytes) -> KexInit:
    """Parse an SSH_MSG_KEXINIT payload (RFC 4253 §7.1); ProbeError on anything else."""
    if not payload or payload[0] != SSH_MSG_KEXINIT:
        raise ProbeError("first SSH packet is not a KEXINIT")
    offset = 1 + 16  # message code, cookie
    lists: list[tuple[str, ...]] = []
    for _ in range(10):
        names, offset = _name_list(payload, offset)
        lists.append(names)
    kex, host_keys, enc_cs, enc_sc, mac_cs, mac_sc = lists[:6]
    return KexInit(
        kex_algorithms=kex,
        host_key_algorithms=host_keys,
        ciphers=_merge(enc_cs, enc_sc),
        macs=_merge(mac_cs, mac_sc),
    )


def _merge(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*first, *second)))


def weak(names: tuple[str, ...], patterns: tuple[str, ...]) -> tuple[str, ...]:
    """The names that match one of ``patterns`` (case-sensitive, as SSH names are)."""
    return tuple(n for n in names if any(fnmatch.fnmatchcase(n, p) for p in patterns))


def observation(line: bytes, kexinit: KexInit | None) -> SshObservation:
    """Assemble the observation from an identification line and an optional KEXINIT."""
    ident = parse_identification(line)
    kex = kexinit or KexInit((), (), (), ())
    return SshObservation(
        banner=clean_text(line.strip(b"\r\n")),
        protocol_version=ident.protocol_version if ident else None,
        software=ident.software if ident else None,
        comments=ident.comments if ident else None,
        kex_algorithms=kex.kex_algorithms,
        host_key_algorithms=kex.host_key_algorithms,
        ciphers=kex.ciphers,
        macs=kex.macs,
        weak_kex=weak(kex.kex_algorithms, WEAK_KEX),
        weak_host_keys=weak(kex.host_key_algorithms, WEAK_HOST_KEYS),
        weak_ciphers=weak(kex.ciphers, WEAK_CIPHERS),
        weak_macs=weak(kex.macs, WEAK_MACS),
    )


def _read_identification(sock: socket.socket, ctx: ProbeContext) -> tuple[bytes, bytes] | None:
    buf = b""
    while len(buf) < MAX_BANNER * 4:
        found = find_identification(buf)
        if found is not None:
            return found
        data = ctx.recv(sock, 4096)
        if not data:
            return None
        buf += data
    return find_identification(buf)


def _read_packet(sock: socket.socket, ctx: ProbeContext, buf: bytes) -> bytes:
    while len(buf) < 4:
        data = ctx.recv(sock, 4096)
        if not data:
            raise ProbeError("connection closed before KEXINIT")
        buf += data
    need = 4 + packet_length(buf)
    if len(buf) < need:
        buf += ctx.recv_exact(sock, need - len(buf))
    return buf[:need]


def probe(address: str, port: int, ctx: ProbeContext, banner: bytes = b"") -> SshObservation | None:
    """Exchange identifications, read the server's KEXINIT, and hang up."""
    sock = ctx.connect(address, port)
    try:
        found = _read_identification(sock, ctx)
        if found is None:
            return None
        line, rest = found
        ident = parse_identification(line)
        if ident is None or ident.protocol_version not in ("2.0", "1.99"):
            # SSH-1 only (or garbage after "SSH-"): the line is all we learn.
            return observation(line, None)
        ctx.sendall(sock, CLIENT_ID.encode("ascii") + b"\r\n")
        try:
            kexinit = parse_kexinit(packet_payload(_read_packet(sock, ctx, rest)))
        except ProbeError:
            # A real SSH greeting with an unreadable KEXINIT: still SSH.
            return observation(line, None)
        return observation(line, kexinit)
    finally:
        sock.close()

"""The NAS's SSH server (RFC 4253): an OpenSSH 7.4 identification, then a real KEXINIT
binary packet listing the weak algorithms an old, badly configured OpenSSH still offers.
Like sshd, it reads the client's identification before sending KEXINIT, and answers
``Protocol mismatch.`` to anything that is not SSH."""

from __future__ import annotations

import asyncio
import os
import struct

from rempart.lab.fakes.common import read_line, read_some

IDENTIFICATION = b"SSH-2.0-OpenSSH_7.4\r\n"
SSH_MSG_KEXINIT = 20

KEX = (
    "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,"
    "ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,"
    "diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha1,"
    "diffie-hellman-group14-sha256,diffie-hellman-group14-sha1,diffie-hellman-group1-sha1"
)
HOST_KEYS = "ssh-rsa,rsa-sha2-512,rsa-sha2-256,ecdsa-sha2-nistp256,ssh-ed25519"
CIPHERS = (
    "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,"
    "aes256-gcm@openssh.com,aes128-cbc,aes192-cbc,aes256-cbc,blowfish-cbc,cast128-cbc,"
    "3des-cbc,arcfour,arcfour128,arcfour256"
)
MACS = (
    "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,"
    "hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,"
    "umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1,hmac-md5,hmac-md5-96"
)
COMPRESSION = "none,zlib@openssh.com"


def _name_list(value: str) -> bytes:
    data = value.encode("ascii")
    return struct.pack(">I", len(data)) + data


def kexinit_payload(cookie: bytes | None = None) -> bytes:
    lists = (KEX, HOST_KEYS, CIPHERS, CIPHERS, MACS, MACS, COMPRESSION, COMPRESSION, "", "")
    return (
        bytes([SSH_MSG_KEXINIT])
        + (cookie or os.urandom(16))
        + b"".join(_name_list(v) for v in lists)
        + b"\x00"  # first_kex_packet_follows
        + b"\x00\x00\x00\x00"  # reserved
    )


def binary_packet(payload: bytes) -> bytes:
    """RFC 4253 §6 without MAC: length, padding length, payload, random padding (≥ 4)."""
    padding = 8 - (len(payload) + 5) % 8
    if padding < 4:
        padding += 8
    return struct.pack(">IB", len(payload) + padding + 1, padding) + payload + os.urandom(padding)


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(IDENTIFICATION)
    await writer.drain()
    line = await read_line(reader, 255)
    if not line.startswith(b"SSH-"):
        if line:
            writer.write(b"Protocol mismatch.\r\n")
            await writer.drain()
        return
    if not (line.startswith(b"SSH-2.0-") or line.startswith(b"SSH-1.99-")):
        writer.write(b"Protocol major versions differ.\r\n")
        await writer.drain()
        return
    writer.write(binary_packet(kexinit_payload()))
    await writer.drain()
    # Read (and drop) what the client sends next, boundedly, then close like sshd would
    # after a failed key exchange: the lab never completes one.
    await read_some(reader, 35000)

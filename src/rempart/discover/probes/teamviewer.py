"""TeamViewer (5938): a remote-control door, often left open for the software vendor.

TeamViewer's TCP frames start with a 2-byte magic, ``17 24`` (protocol 2) or ``11 30``
(protocol 1), then a command byte; the command numbers are public in Bettercap's
TeamViewer parser (CMD_IDENTIFY 10, CMD_PING 16, CMD_PINGOK 17…), nDPI matches the
same magic, and nmap's service fingerprint of a TeamViewer answer starts
``17 24 0a 20`` (CMD_IDENTIFY). We send CMD_PING (``17 24 10 04 00 00 00 00``) and
expect CMD_PINGOK (``17 24 11``…); any reply in TeamViewer framing identifies the
service, and so does a greeting in that framing (:func:`claims`), should it speak first.
"""

from __future__ import annotations

from rempart.core.observations import RemoteAccessObservation
from rempart.discover.probes.base import ProbeContext, ProbeError

NAME = "teamviewer"
PORTS: tuple[int, ...] = (5938,)
TRANSPORT = "tcp"
SERVER_SPEAKS_FIRST = False

MAGIC_V2 = b"\x17\x24"
MAGIC_V1 = b"\x11\x30"
CMD_IDENTIFY = 0x0A
CMD_PING = 0x10
CMD_PINGOK = 0x11
PING = MAGIC_V2 + bytes([CMD_PING]) + b"\x04\x00\x00\x00\x00"

COMMANDS = {CMD_IDENTIFY: "CMD_IDENTIFY", CMD_PING: "CMD_PING", CMD_PINGOK: "CMD_PINGOK"}


def claims(banner: bytes) -> bool:
    return banner[:2] in (MAGIC_V2, MAGIC_V1)


def parse_reply(data: bytes) -> str | None:
    """What the reply was (``"CMD_PINGOK"``…), or ``None`` if it is not TeamViewer's."""
    if len(data) < 3:
        return None
    if data[:2] in (MAGIC_V2, MAGIC_V1):
        return COMMANDS.get(data[2], f"command {data[2]}")
    return None


def probe(
    address: str, port: int, ctx: ProbeContext, banner: bytes = b""
) -> RemoteAccessObservation | None:
    data = banner
    if not claims(data):
        if data:
            return None
        sock = ctx.connect(address, port)
        try:
            ctx.sendall(sock, PING)
            data = ctx.recv(sock, 64)
        except ProbeError:
            if ctx.budget.remaining() <= 0:
                raise
            return None
        finally:
            sock.close()
    reply = parse_reply(data)
    if reply is None:
        return None
    return RemoteAccessObservation(tool="teamviewer", detail=f"answered {reply}")

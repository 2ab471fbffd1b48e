"""AnyDesk (7070): TLS with a self-signed certificate whose subject CN is
"AnyDesk Client" — the listener AnyDesk opens for direct (LAN) connections.

Uses the TLS channel of :mod:`tls` (certificate not verified; we only read its name).
"""

from __future__ import annotations

from rempart.core.observations import RemoteAccessObservation
from rempart.discover.probes.base import ProbeContext, ProbeError
from rempart.discover.probes.tls import certificate_common_name, open_channel, parse_certificate

NAME = "anydesk"
PORTS: tuple[int, ...] = (7070,)
TRANSPORT = "tcp"
SERVER_SPEAKS_FIRST = False

COMMON_NAME = "AnyDesk Client"


def claims(banner: bytes) -> bool:
    return False


def from_certificate(der: bytes) -> RemoteAccessObservation | None:
    """An AnyDesk observation when the certificate is AnyDesk's, else ``None``."""
    name = certificate_common_name(der)
    if name is None or name.strip().lower() != COMMON_NAME.lower():
        return None
    facts = parse_certificate(der)
    self_signed = facts is not None and facts.self_signed
    detail = f"certificate CN={name}" + (" (self-signed)" if self_signed else "")
    return RemoteAccessObservation(tool="anydesk", detail=detail, encrypted=True)


def probe(
    address: str, port: int, ctx: ProbeContext, banner: bytes = b""
) -> RemoteAccessObservation | None:
    if banner:
        return None
    try:
        channel = open_channel(address, port, ctx)
    except ProbeError:
        if ctx.budget.remaining() <= 0:
            raise
        return None
    try:
        der = channel.peer_certificate()
    finally:
        channel.sock.close()
    return from_certificate(der) if der else None

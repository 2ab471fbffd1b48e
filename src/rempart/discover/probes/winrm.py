"""WinRM (5985 HTTP, 5986 HTTPS): Windows remote management, a favourite of attackers
moving from one PC to the next with stolen passwords.

An empty ``POST /wsman`` is answered ``401`` by ``Microsoft-HTTPAPI/2.0`` with the
authentication schemes offered (``Negotiate``, ``Kerberos``, ``Basic``…). We record
them, and whether the transport is encrypted (HTTPS); we never authenticate.
"""

from __future__ import annotations

import re

from rempart.core.observations import RemoteAccessObservation
from rempart.discover.probes import http
from rempart.discover.probes.base import ProbeContext, ProbeError

NAME = "winrm"
PORTS: tuple[int, ...] = (5985, 5986)
TRANSPORT = "tcp"
SERVER_SPEAKS_FIRST = False

HTTPS_PORT = 5986
_SCHEMES = ("Negotiate", "Kerberos", "NTLM", "CredSSP", "Basic", "Digest")


def claims(banner: bytes) -> bool:
    return False


def schemes(challenges: tuple[str, ...]) -> tuple[str, ...]:
    """The authentication schemes named in WWW-Authenticate headers, in a stable order."""
    text = " ".join(challenges)
    return tuple(s for s in _SCHEMES if re.search(rf"(?:^|[\s,]){s}\b", text, re.IGNORECASE))


def from_response(response: http.HttpResponse, tls: bool) -> RemoteAccessObservation | None:
    """WinRM when Microsoft's HTTP API answers /wsman with an auth challenge (or a SOAP fault)."""
    server = response.header("server") or ""
    offered = schemes(response.header_all("www-authenticate"))
    soap = b"wsman" in response.body[:4096].lower() or b"soap" in (
        (response.header("content-type") or "").lower().encode()
    )
    if "microsoft-httpapi" not in server.lower():
        return None
    if not (response.status == 401 and offered) and not soap:
        return None
    detail = "auth: " + ", ".join(offered) if offered else f"status {response.status}"
    return RemoteAccessObservation(tool="winrm", detail=detail, encrypted=tls)


def _ask(address: str, port: int, ctx: ProbeContext, tls: bool) -> RemoteAccessObservation | None:
    response = http.fetch(
        address,
        port,
        ctx,
        "/wsman",
        tls=tls,
        method="POST",
        headers=(("Content-Type", "application/soap+xml;charset=UTF-8"),),
    )
    return from_response(response, tls) if response is not None else None


def probe(
    address: str,
    port: int,
    ctx: ProbeContext,
    banner: bytes = b"",
    *,
    tls: bool | None = None,
) -> RemoteAccessObservation | None:
    """``POST /wsman``; over TLS on 5986 or when asked, else plain then TLS."""
    if banner:
        return None
    order = (tls,) if tls is not None else ((True, False) if port == HTTPS_PORT else (False, True))
    for use_tls in order:
        try:
            found = _ask(address, port, ctx, use_tls)
        except ProbeError as exc:
            if ctx.budget.remaining() <= 0 or http.is_silence(exc):
                raise
            continue
        if found is not None:
            return found
    return None

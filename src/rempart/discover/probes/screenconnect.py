"""ConnectWise ScreenConnect (web 8040, relay 8041): remote support exploited at scale
in 2024 (CVE-2024-1709, authentication bypass). Its web page says its name and its
``Server: ScreenConnect/<version>`` header says its exact version.

The relay port (8041) speaks an undocumented protocol: only the web side is identified.
:func:`from_http` turns an HTTP observation (the page already fetched) into the remote
access fact without a second request.
"""

from __future__ import annotations

from rempart.core.observations import HttpObservation, RemoteAccessObservation
from rempart.discover.probes import http
from rempart.discover.probes.base import ProbeContext

NAME = "screenconnect"
PORTS: tuple[int, ...] = (8040, 8041)
TRANSPORT = "tcp"
SERVER_SPEAKS_FIRST = False

CONSOLE = "ConnectWise ScreenConnect"


def claims(banner: bytes) -> bool:
    return False


def from_http(obs: HttpObservation) -> RemoteAccessObservation | None:
    if obs.console != CONSOLE:
        return None
    return RemoteAccessObservation(
        tool="screenconnect",
        version=obs.console_version,
        detail=f"web page: {obs.title}" if obs.title else "web page",
        encrypted=obs.tls,
    )


def probe(
    address: str, port: int, ctx: ProbeContext, banner: bytes = b""
) -> RemoteAccessObservation | None:
    if banner:
        return None
    obs = http.probe(address, port, ctx)
    return from_http(obs) if obs is not None else None

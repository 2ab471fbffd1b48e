"""SAP SQL Anywhere (formerly Sybase / iAnywhere Adaptive Server Anywhere, 2638):
identified conservatively.

Some dental practice packages embed SQL Anywhere. Its native client/server protocol
(CmdSeq) is not publicly documented, and we found no public capture to follow, so this
probe does not speak it: it reads what the service sends first, if anything, and
claims it only when those bytes name the product ("SQL Anywhere", "Adaptive Server
Anywhere", "iAnywhere", "Sybase"). A silent service on 2638 stays unknown.
"""

from __future__ import annotations

import re

from rempart.core.observations import DatabaseObservation
from rempart.discover.probes.base import MAX_BANNER, ProbeContext
from rempart.discover.probes.greeting import parse_greeting, read_greeting

NAME = "sqlanywhere"
PORTS: tuple[int, ...] = (2638,)
TRANSPORT = "tcp"
SERVER_SPEAKS_FIRST = True  # identified only by what it says first (see above)

_MARK = re.compile(rb"SQL ?Anywhere|Adaptive Server Anywhere|iAnywhere|Sybase", re.IGNORECASE)
_VERSION = re.compile(rb"(?:Anywhere)[^0-9]{0,24}(\d{1,2}(?:\.\d{1,4}){1,3})", re.IGNORECASE)


def claims(banner: bytes) -> bool:
    return bool(_MARK.search(banner[:MAX_BANNER]))


def parse_banner(data: bytes) -> DatabaseObservation | None:
    return parse_greeting(data, NAME, _MARK, _VERSION)


def probe(
    address: str, port: int, ctx: ProbeContext, banner: bytes = b""
) -> DatabaseObservation | None:
    data = read_greeting(address, port, ctx, banner)
    return None if data is None else parse_banner(data)

"""HFSQL Client/Server (PC SOFT, 4900): identified conservatively.

HFSQL is the database of WinDev applications, common in French practice software.
PC SOFT does not publish its client/server wire protocol, and we found no public
description of it; so this probe does not pretend to speak it. It reads what the
server sends first, if anything, and claims the service only when those bytes name
HFSQL ("HFSQL", "Hyper File", "HyperFileSQL"). A silent service on 4900 stays
unknown rather than wrongly named; the port hint alone is reported by the dispatcher.
"""

from __future__ import annotations

import re

from rempart.core.observations import DatabaseObservation
from rempart.discover.probes.base import MAX_BANNER, ProbeContext
from rempart.discover.probes.greeting import parse_greeting, read_greeting

NAME = "hfsql"
PORTS: tuple[int, ...] = (4900,)
TRANSPORT = "tcp"
SERVER_SPEAKS_FIRST = True  # identified only by what it says first (see above)

_MARK = re.compile(rb"HFSQL|Hyper ?File(?:SQL)?|HyperFileSQL", re.IGNORECASE)
_VERSION = re.compile(
    rb"(?:HFSQL|Hyper ?File(?:SQL)?)[^0-9]{0,24}(\d{1,2}(?:\.\d{1,4}){1,3})", re.I
)


def claims(banner: bytes) -> bool:
    return bool(_MARK.search(banner[:MAX_BANNER]))


def parse_banner(data: bytes) -> DatabaseObservation | None:
    return parse_greeting(data, NAME, _MARK, _VERSION)


def probe(
    address: str, port: int, ctx: ProbeContext, banner: bytes = b""
) -> DatabaseObservation | None:
    data = read_greeting(address, port, ctx, banner)
    return None if data is None else parse_banner(data)

"""Shared by the probes that identify a database only by what it says first.

HFSQL and SQL Anywhere do not publish their wire protocols: their probes do not pretend
to speak them. They read the greeting, if any, and claim the service only when it names
the product. This module holds that logic once; each probe supplies its patterns.
"""

from __future__ import annotations

import re

from rempart.core.observations import DatabaseObservation
from rempart.discover.probes.base import MAX_BANNER, ProbeContext, ProbeError, clean_text


def parse_greeting(
    data: bytes, engine: str, mark: re.Pattern[bytes], version: re.Pattern[bytes]
) -> DatabaseObservation | None:
    """The engine named by ``mark`` in a greeting, with its version when ``version`` finds it."""
    data = data[:MAX_BANNER]
    if not mark.search(data):
        return None
    found = version.search(data)
    return DatabaseObservation(
        engine=engine,
        version=found.group(1).decode() if found else None,
        banner=clean_text(data.replace(b"\x00", b" ")).strip() or None,
        detail="identified by its greeting (protocol undocumented)",
    )


def read_greeting(address: str, port: int, ctx: ProbeContext, banner: bytes) -> bytes | None:
    """The greeting the dispatcher already read, or a fresh one; ``None`` if it stays silent."""
    if banner:
        return banner
    sock = ctx.connect(address, port)
    try:
        return ctx.recv(sock, MAX_BANNER)
    except ProbeError:
        if ctx.budget.remaining() <= 0:
            raise
        return None
    finally:
        sock.close()

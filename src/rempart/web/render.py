"""Turning page data into HTML: one Jinja2 environment with autoescape, and the filters
that write dates and sizes the way each language reads them.

Every string that came from the network or from another program (banners, host names,
folder names, process names) goes through the ``clip`` filter too: escaping stops markup,
clipping drops control characters and bounds the length.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

import jinja2

from rempart.report.text import clip


def when(value: datetime | None, lang: str = "fr", *, time: bool = True) -> str:
    """A date as the reader writes it, in the server's local time (the practice's)."""
    if value is None:
        return ""
    local = value.astimezone()
    if lang == "fr":
        return local.strftime("%d/%m/%Y %H:%M" if time else "%d/%m/%Y")
    return local.strftime("%Y-%m-%d %H:%M" if time else "%Y-%m-%d")


def size(value: int | None, lang: str = "fr") -> str:
    """``1234567`` → ``"1,2 Mo"`` (fr) or ``"1.2 MB"`` (en)."""
    if value is None:
        return ""
    units = ("o", "ko", "Mo", "Go", "To") if lang == "fr" else ("B", "kB", "MB", "GB", "TB")
    amount = float(value)
    unit = 0
    while amount >= 1000 and unit < len(units) - 1:
        amount /= 1000
        unit += 1
    text = f"{amount:.0f}" if unit == 0 or amount >= 100 else f"{amount:.1f}"
    if lang == "fr":
        text = text.replace(".", ",")
    return f"{text}\u00a0{units[unit]}"


def number(value: float | int | None, lang: str = "fr") -> str:
    """Points and counts: one decimal at most, French decimal comma."""
    if value is None:
        return ""
    text = f"{value:.1f}".removesuffix(".0") if isinstance(value, float) else str(value)
    return text.replace(".", ",") if lang == "fr" else text


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("rempart.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters["clip"] = clip
    env.filters["when"] = when
    env.filters["size"] = size
    env.filters["number"] = number
    return env


def render(template: str, **context: object) -> str:
    return environment().get_template(template).render(**context)

"""Making hostile text safe to show: no control characters, a bounded length.

Escaping for HTML is Jinja2's job (autoescape); this module removes what escaping does
not (NUL, terminal escapes, bidi overrides) and keeps one absurd banner from filling
the page or the terminal.
"""

from __future__ import annotations

import unicodedata

# Format characters that reorder or hide text (Trojan Source) are dropped too.
_HIDDEN = {"Cc", "Cf", "Cs", "Co", "Cn"}


def clip(value: object, limit: int = 200) -> str:
    """``value`` as one printable line of at most ``limit`` characters ("…" when cut)."""
    if value is None:
        return ""
    text = str(value)[: limit * 4]
    cleaned = "".join(
        " " if ch in "\t\r\n" else ("\ufffd" if unicodedata.category(ch) in _HIDDEN else ch)
        for ch in text
    )
    if len(cleaned) > limit:
        return cleaned[: max(limit - 1, 0)] + "…"
    return cleaned

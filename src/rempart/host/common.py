"""What the three collectors share: turning command results into facts or reasons.

A parser is a pure function ``text -> {fact name: value}``. It raises :class:`ParseError`
when the output is not what it expects, and may put :class:`Unknown` as a value to say why
one fact could not be read. :class:`FactSheet` applies parsers to results and never lets a
failure escape: whatever goes wrong becomes "unknown, because ..." for the facts concerned.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from rempart.core.host import MAX_ITEMS, MAX_REASON, HostFacts, Software
from rempart.host.runner import Result

MAX_JSON = 4 * 1024 * 1024


class ParseError(ValueError):
    """The output is not in the expected format; the message says what was wrong."""


@dataclass(frozen=True, slots=True)
class Unknown:
    """A fact the output does not allow to decide, with the reason."""

    reason: str


Parser = Callable[[str], Mapping[str, Any]]


class FactSheet:
    """Facts gathered so far and the reasons for those that could not be."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.unknown: dict[str, str] = {}

    def set(self, name: str, value: Any) -> None:
        if isinstance(value, Unknown):
            self.mark(name, value.reason)
            return
        self.values[name] = value
        self.unknown.pop(name, None)

    def mark(self, name: str, reason: str) -> None:
        """``name`` is unknown because of ``reason`` (unless it was already learnt)."""
        if name not in self.values:
            self.unknown[name] = text_field(reason, MAX_REASON) or "no reason given"

    def apply(self, names: Iterable[str], result: Result, parser: Parser, what: str) -> None:
        """Parse ``result`` into ``names``; any failure marks them unknown with a reason."""
        names = tuple(names)
        if not result.ok:
            for name in names:
                self.mark(name, result.error or f"{what}: no output")
            return
        try:
            got = dict(parser(result.text))
        except ParseError as exc:
            for name in names:
                self.mark(name, f"{what}: {exc}")
            return
        except Exception as exc:  # a parser bug must not stop the audit
            for name in names:
                self.mark(name, f"{what}: output not understood ({type(exc).__name__})")
            return
        for name in names:
            if name in got:
                self.set(name, got[name])
            else:
                self.mark(name, f"{what}: the output does not say")

    def build(self, **base: Any) -> HostFacts:
        values = {**self.values, **base}
        for name, value in values.items():
            if isinstance(value, tuple) and len(value) > MAX_ITEMS:
                values[name] = value[:MAX_ITEMS]  # what an export may hold (hostile output)
        unknown = {k: v for k, v in self.unknown.items() if values.get(k) is None}
        return HostFacts(**values, unknown=unknown)


# --- helpers shared by parsers ------------------------------------------------------------


def ps_json(text: str) -> list[dict[str, Any]]:
    """PowerShell ``ConvertTo-Json`` output as a list of objects (one object, an array, or
    nothing at all when the pipeline was empty)."""
    text = text.strip().lstrip("\ufeff")
    if not text:
        return []
    if len(text) > MAX_JSON:
        raise ParseError("output too large")
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise ParseError("not valid JSON (truncated or an error message?)") from None
    items = data if isinstance(data, list) else [data]
    if not all(isinstance(item, dict) for item in items):
        raise ParseError("expected JSON objects")
    return items


def one_object(text: str) -> dict[str, Any]:
    items = ps_json(text)
    if len(items) != 1:
        raise ParseError("expected one JSON object" if items else "empty output")
    return items[0]


_TRUE = {"true", "1", "yes", "on", "enabled", "vrai", "oui"}
_FALSE = {"false", "0", "no", "off", "disabled", "faux", "non"}


def as_bool(value: Any) -> bool | None:
    """``True``/``1``/``"True"`` → True; ``False``/``0``/``"False"`` → False; else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return {0: False, 1: True}.get(value)
    if isinstance(value, str):
        low = value.strip().casefold()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
    return None


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,12}\s*", value):
        return int(value)
    return None


_MS_DATE = re.compile(r"/Date\((-?\d{1,15})([+-]\d{4})?\)/")


def as_datetime(value: Any) -> datetime | None:
    """A date as PowerShell may serialise it: ISO text, ``/Date(ms)/`` (Windows PowerShell
    5.1), or an object whose ``value`` or ``DateTime`` holds one of those."""
    if isinstance(value, dict):
        for key in ("value", "Value"):
            if key in value:
                return as_datetime(value[key])
        return None
    if not isinstance(value, str) or len(value) > 100:
        return None
    text = value.strip()
    match = _MS_DATE.search(text)
    if match:
        try:
            return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(match.group(1)))
        except OverflowError:
            return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def as_date(value: Any) -> date | None:
    found = as_datetime(value)
    return found.date() if found else None


def text_field(value: Any, limit: int = 200) -> str:
    """A printable, bounded string from whatever the output held."""
    if value is None:
        return ""
    text = str(value) if isinstance(value, (str, int, float)) else ""
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(text.split())[:limit]


# --- software of interest: remote access and backup -----------------------------------

# (display name, pattern on the installed program's name); the first match wins.
REMOTE_TOOLS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("TeamViewer", r"\bteam ?viewer\b"),
        ("AnyDesk", r"\banydesk\b"),
        ("ScreenConnect", r"\b(screenconnect|connectwise control)\b"),
        ("RustDesk", r"\brustdesk\b"),
        ("RealVNC", r"\breal ?vnc\b|^vnc (server|viewer|connect)"),
        ("TightVNC", r"\btight ?vnc\b"),
        ("UltraVNC", r"\bultra ?vnc\b"),
        ("TigerVNC", r"\btiger ?vnc\b"),
        ("x11vnc", r"^x11vnc$"),
        ("Chrome Remote Desktop", r"chrome remote desktop|chrome-remote-desktop"),
        ("Splashtop", r"\bsplashtop\b"),
        ("LogMeIn", r"\blogmein\b"),
        ("Ammyy Admin", r"\bammyy\b"),
        ("Supremo", r"^supremo\b"),
    )
)

BACKUP_TOOLS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("Veeam Agent", r"\bveeam\b"),
        ("Acronis", r"\bacronis\b"),
        ("Cobian Backup", r"\bcobian\b"),
        ("Macrium Reflect", r"\bmacrium\b"),
        ("EaseUS Todo Backup", r"\beaseus todo backup\b"),
        ("AOMEI Backupper", r"\baomei backupper\b"),
        ("Synology Active Backup", r"active backup for business|synology drive client"),
        ("Duplicati", r"\bduplicati\b"),
        ("Arcserve", r"\barcserve\b"),
        ("Uranium Backup", r"\buranium backup\b"),
        ("Restic", r"^restic$"),
        ("BorgBackup", r"^borg(backup)?$"),
        ("Duplicity", r"^duplicity$"),
        ("Déjà Dup", r"^deja-dup$"),
        ("Timeshift", r"^timeshift$"),
        ("Time Machine", r"^time machine$"),
    )
)


def match_software(
    installed: Iterable[tuple[str, str]], table: tuple[tuple[str, re.Pattern[str]], ...]
) -> tuple[Software, ...]:
    """The programs of ``table`` found among ``installed`` (name, version) pairs, each once
    per version, sorted by name."""
    found: dict[tuple[str, str], Software] = {}
    for name, version in installed:
        for label, pattern in table:
            if pattern.search(name):
                found.setdefault((label, version), Software(label, version))
                break
    return tuple(found[k] for k in sorted(found))

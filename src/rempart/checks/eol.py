"""End-of-life data: which product releases no longer get security updates, and since when.

The dates live in a data file (``checks/data/eol.toml``, with its sources) so that a
person can review and extend them without reading code. Parsing and matching are pure;
:func:`builtin_eol` reads the file shipped inside the package once.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources

from rempart.core.errors import DataError

_COMPONENT = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class EolEntry:
    """One release line and the day its security updates ended."""

    name: str
    products: tuple[str, ...]
    versions: tuple[str, ...]
    end: date
    source: str

    def matches(self, product: str, version: str | None) -> bool:
        wanted = normalise_product(product)
        if not any(wanted == p or wanted.startswith(p + " ") for p in self.products):
            return False
        if not self.versions:
            return True
        if not version:
            return False  # the release line is unknown: never judge on "unknown"
        return any(version_has_prefix(version, prefix) for prefix in self.versions)


@dataclass(frozen=True, slots=True)
class EolTable:
    entries: tuple[EolEntry, ...]

    def match(self, product: str | None, version: str | None) -> EolEntry | None:
        """The entry for this product and version, if the table knows it."""
        if not product:
            return None
        for entry in self.entries:
            if entry.matches(product, version):
                return entry
        return None


def normalise_product(product: str) -> str:
    """``"Microsoft-IIS"`` → ``"microsoft-iis"``, whitespace collapsed, case folded."""
    return " ".join(product.replace("_", " ").split()).casefold()


def version_has_prefix(version: str, prefix: str) -> bool:
    """Number-by-number prefix test: ``("11.0.7001", "11.0")`` is true, ``("110.0", "11")``
    and ``("10.50.1600", "10.5")`` are false."""
    have = [int(c) for c in _COMPONENT.findall(version)[:8]]
    want = [int(c) for c in _COMPONENT.findall(prefix)]
    return bool(want) and have[: len(want)] == want


def parse_eol(text: str) -> EolTable:
    """Parse the TOML described at the top of ``eol.toml``; :class:`DataError` if malformed."""
    try:
        raw = tomllib.loads(text)
        entries = tuple(
            EolEntry(
                name=str(item["name"]),
                products=tuple(normalise_product(str(p)) for p in item["products"]),
                versions=tuple(str(v) for v in item.get("versions", [])),
                end=_as_date(item["end"]),
                source=str(item["source"]),
            )
            for item in raw.get("product", [])
        )
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise DataError(f"The end-of-life table is malformed ({exc}): reinstall Rempart.") from exc
    for entry in entries:
        if not entry.products or not entry.name or not entry.source:
            raise DataError(f"End-of-life entry {entry.name!r} lacks a product, name or source.")
    return EolTable(entries)


def _as_date(value: object) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value)
    raise ValueError(f"not a date: {value!r}")


@lru_cache(maxsize=1)
def builtin_eol() -> EolTable:
    """The table shipped with Rempart (read once)."""
    text = resources.files("rempart.checks").joinpath("data", "eol.toml").read_text("utf-8")
    return parse_eol(text)

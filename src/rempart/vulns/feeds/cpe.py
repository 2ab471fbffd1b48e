"""CPE names (2.3 formatted strings and 2.2 URIs) and whether an NVD match row covers a version.

Why both forms: the NVD writes 2.3 formatted strings (``cpe:2.3:a:openbsd:openssh:8.5:p1:*:…``)
while Recog's fingerprints give 2.2 URIs (``cpe:/a:openbsd:openssh:7.4``). Both become one
:class:`Cpe`, with the logical values ``*`` (ANY) and ``-`` (NA) kept as those two strings and
every other value unescaped and lower-cased, so that ``vendor``/``product`` can be compared
directly with the ``cpe_match`` index of the knowledge store.

Pure functions: no I/O. Malformed names raise :class:`~rempart.core.errors.DataError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import unquote

from rempart.core.errors import DataError
from rempart.i18n import _

if TYPE_CHECKING:
    from rempart.vulns.store import CpeMatchRow

ANY = "*"
NA = "-"
MAX_LENGTH = 2048  # longer than any real CPE name; bounds the work on hostile input
_FIELDS_23 = 11  # part … other
_PARTS = ("a", "o", "h")


@dataclass(frozen=True)
class Cpe:
    """One CPE name split into its attributes (``*``: any value, ``-``: not applicable)."""

    part: str
    vendor: str
    product: str
    version: str = ANY
    update: str = ANY
    edition: str = ANY
    language: str = ANY
    sw_edition: str = ANY
    target_sw: str = ANY
    target_hw: str = ANY
    other: str = ANY

    def uri(self) -> str:
        """The 2.3 formatted string of this name (values escaped again where needed)."""
        values = (
            self.part,
            self.vendor,
            self.product,
            self.version,
            self.update,
            self.edition,
            self.language,
            self.sw_edition,
            self.target_sw,
            self.target_hw,
            self.other,
        )
        return "cpe:2.3:" + ":".join(_escape_23(v) for v in values)


def parse(cpe: str) -> Cpe:
    """Parse a CPE 2.3 formatted string or a CPE 2.2 URI."""
    if not isinstance(cpe, str) or len(cpe) > MAX_LENGTH:
        raise DataError(_("Not a CPE name: {value}.").format(value=_shown(cpe)))
    return _parse(cpe)


@lru_cache(maxsize=65536)
def _parse(cpe: str) -> Cpe:
    # Cached: the NVD repeats the same criteria across thousands of records.
    text = cpe.strip()
    lowered = text[:8].lower()
    if lowered.startswith("cpe:2.3:"):
        values = _split_23(text[8:])
        if len(values) != _FIELDS_23:
            raise DataError(
                _("Not a CPE name: {value} (a CPE 2.3 name has 11 fields).").format(
                    value=_shown(text)
                )
            )
    elif lowered.startswith("cpe:/"):
        values = _split_22(text[5:])
    else:
        raise DataError(_("Not a CPE name: {value}.").format(value=_shown(text)))
    part = values[0]
    if part not in _PARTS and part != ANY:
        raise DataError(
            _("Not a CPE name: {value} (the part must be a, o or h).").format(value=_shown(text))
        )
    if not values[1] or not values[2]:
        raise DataError(
            _("Not a CPE name: {value} (no vendor or product).").format(value=_shown(text))
        )
    return Cpe(*values)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _split_23(body: str) -> list[str]:
    """Split on unescaped colons, then turn each field into its logical or literal value."""
    if "\\" not in body:  # the common case: nothing escaped
        return [v if v in (ANY, NA) else (v.lower() if v else ANY) for v in body.split(":")]
    fields: list[str] = []
    current: list[str] = []
    escaped = False
    raw_current: list[str] = []
    for ch in body:
        if escaped:
            current.append(ch)
            raw_current.append("\\" + ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ":":
            fields.append(_value_23("".join(current), "".join(raw_current)))
            current, raw_current = [], []
        else:
            current.append(ch)
            raw_current.append(ch)
    if escaped:  # a trailing lone backslash: keep it literally
        current.append("\\")
        raw_current.append("\\\\")
    fields.append(_value_23("".join(current), "".join(raw_current)))
    return fields


def _value_23(value: str, raw: str) -> str:
    # An unescaped "*" or "-" alone is a logical value; "\*" or "\-" is the literal character.
    if raw in (ANY, NA):
        return raw
    if raw == "":
        return ANY
    return value.lower()


def _split_22(body: str) -> list[str]:
    """2.2 URI: up to 7 colon-separated components, percent-encoded, missing ones are ANY."""
    parts = body.split(":")
    if len(parts) > 7:
        raise DataError(
            _("Not a CPE name: {value} (a CPE 2.2 URI has at most 7 components).").format(
                value=_shown("cpe:/" + body)
            )
        )
    values = [_value_22(p) for p in parts]
    values += [ANY] * (7 - len(values))
    part, vendor, product, version, update, edition, language = values
    sw_edition = target_sw = target_hw = other = ANY
    raw_edition = parts[5] if len(parts) > 5 else ""
    if raw_edition.startswith("~"):  # packed edition: ~edition~sw_edition~target_sw~target_hw~other
        packed = [_value_22(p) for p in raw_edition.split("~")[1:]]
        packed += [ANY] * (5 - len(packed))
        edition, sw_edition, target_sw, target_hw, other = packed[:5]
    return [
        part,
        vendor,
        product,
        version,
        update,
        edition,
        language,
        sw_edition,
        target_sw,
        target_hw,
        other,
    ]


def _value_22(value: str) -> str:
    if value == "":
        return ANY
    if value == NA:
        return NA
    return unquote(value, errors="replace").lower()


def _escape_23(value: str) -> str:
    if value in (ANY, NA):
        return value
    out = []
    for ch in value:
        if ch.isalnum() or ch == "_":
            out.append(ch)
        else:
            out.append("\\" + ch)
    return "".join(out)


def cpe_match_applies(row: CpeMatchRow, version: str, *, scheme: str | None = None) -> bool:
    """Whether the NVD match ``row`` says that ``version`` of its product is vulnerable.

    * a row that is not ``vulnerable`` (a platform in a configuration) never applies;
    * with a range (``versionStart…``/``versionEnd…``) the comparator decides;
    * without one, the version in the criteria decides: ``*`` covers every version, ``-``
      (not applicable) only a service whose version is unknown, anything else must be equal —
      with the CPE's ``update`` glued on when it has one (NVD writes OpenSSH 8.5p1 as
      version ``8.5``, update ``p1``).

    An empty ``version`` (unknown) matches only ``*`` and ``-`` rows without a range: a
    finding needs evidence.
    """
    from rempart.vulns import versions

    if not row.vulnerable:
        return False
    version = (version or "").strip()
    bounds: tuple[str | None, ...] = (
        row.version_start_including,
        row.version_start_excluding,
        row.version_end_including,
        row.version_end_excluding,
    )
    if any(bounds):
        if not version:
            return False
        update = _update_of(row)
        if update not in (ANY, NA):
            # ``openssh:*:p2`` up to ``7.2`` means "through 7.2p2": the update belongs to
            # the bounds (NVD, CVE-2016-6210).
            bounds = tuple(
                b + update if b and not b.lower().endswith(update) else b for b in bounds
            )
        try:
            return versions.in_range(
                version,
                start_including=bounds[0],
                start_excluding=bounds[1],
                end_including=bounds[2],
                end_excluding=bounds[3],
                scheme=scheme,
            )
        except (ValueError, DataError):
            return False
    wanted = row.version or ANY
    if wanted == ANY:
        return True
    if wanted == NA:
        return not version
    if not version:
        return False
    update = _update_of(row)
    options = [wanted]
    if update not in (ANY, NA):
        options = [wanted + update, f"{wanted}.{update}", f"{wanted}-{update}"]
    for option in options:
        if option.lower() == version.lower():
            return True
        try:
            if versions.compare(version, option, scheme=scheme) == 0:
                return True
        except (ValueError, DataError):
            continue
    return False


def _update_of(row: CpeMatchRow) -> str:
    update = getattr(row, "update", None)
    if update is not None:
        return str(update)
    try:
        return parse(row.criteria).update
    except DataError:
        return ANY

"""A reader for Rapid7 Recog's fingerprint XML, with Recog's own matching semantics.

Recog (BSD-2) is data: each ``<fingerprint>`` holds a Ruby regex (``pattern``, ``flags``),
a ``<description>``, ``<param pos="N" name="..." [value="..."]>`` elements (``pos="0"``: a
fixed value, which may interpolate ``{other.param}``; ``pos="N"``: capture group N) and
``<example>`` strings whose attributes are the params a match must extract. Our own rules
(``rules/*.xml``) use the same format, so one reader and one verifier serve both.

What follows Recog's Ruby code (``lib/recog/fingerprint.rb``):

* a ``matches`` attribute names the database (default: the file name without ``.xml``);
  the file's ``protocol`` becomes ``service.protocol`` unless a param sets it;
* an example with ``_encoding="base64"`` is decoded; one with ``_filename`` is read from the
  folder named after the XML file (``ssh_banners/``), never outside it;
* an example passes when the fingerprint matches it and every attribute not starting with
  ``_`` equals the extracted param (:func:`verify_example`).

Every file is parsed with ``defusedxml``; regexes are compiled lazily (and cached) on first
use, so loading stays cheap.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from defusedxml import ElementTree as SafeET

from rempart.core.errors import DataError
from rempart.discover.fingerprints.ruby_regex import RubyRegexError, compile_ruby

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_MATCH_BREAKS",
    "MAX_MATCH_CHARS",
    "Example",
    "Fingerprint",
    "FingerprintFile",
    "Param",
    "bound_text",
    "decode_bytes",
    "iter_examples",
    "parse_file",
    "parse_xml",
    "verify_example",
]

MAX_FILE_BYTES = 16 * 1024 * 1024  # Recog's largest file is about 1 MB
MAX_EXAMPLE_FILE_BYTES = 1024 * 1024
# Only the start of a banner, title or certificate name is matched, so that every pattern
# runs in bounded time even when it backtracks badly: Python's re has no timeout, and some
# Recog patterns are cubic in the number of line breaks (telnet's "^\**(?:\r|\n)*\**\s*…"
# took 21 s on 4 KB of CRLFs; 0.1 s at most per database within these bounds). Recog's
# longest example has 838 characters and 28 lines.
MAX_MATCH_CHARS = 2048
MAX_MATCH_BREAKS = 128  # "\r" and "\n" characters
_BREAK = re.compile(r"[\r\n]")

_PLACEHOLDER = re.compile(r"\{([^\s{}]+)\}")


def bound_text(text: str) -> str:
    """The part of ``text`` that is matched: :data:`MAX_MATCH_CHARS` characters at most,
    cut before the line break beyond :data:`MAX_MATCH_BREAKS`."""
    text = text[:MAX_MATCH_CHARS]
    for count, m in enumerate(_BREAK.finditer(text), start=1):
        if count > MAX_MATCH_BREAKS:
            return text[: m.start()]
    return text


@dataclass(frozen=True, slots=True)
class Param:
    """``<param>``: ``position`` 0 gives the fixed ``value``, N gives capture group N."""

    name: str
    position: int
    value: str = ""


@dataclass(frozen=True, slots=True)
class Example:
    """``<example>``: a text the fingerprint must match, and the params it must extract."""

    text: str
    expected: Mapping[str, str]
    attributes: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """One ``<fingerprint>``; :meth:`match` applies it the way Recog does."""

    description: str
    pattern: str
    flags: str
    params: tuple[Param, ...]
    examples: tuple[Example, ...]
    database: str
    protocol: str | None
    source: str

    def regex(self) -> re.Pattern[str]:
        """The compiled Python regex (cached); :class:`RubyRegexError` if untranslatable."""
        return compile_ruby(self.pattern, self.flags or None)

    def match(self, text: str) -> dict[str, str | None] | None:
        """The params extracted from ``text`` (see :func:`bound_text`), or ``None``.

        A param whose capture group did not take part in the match maps to ``None``, as
        Recog's ``nil``. Raises :class:`RubyRegexError` when the pattern is untranslatable.
        """
        m = self.regex().search(bound_text(text))
        if m is None:
            return None
        result: dict[str, str | None] = {}
        for param in self.params:
            if param.position == 0:
                result[param.name] = param.value
            else:
                try:
                    result[param.name] = m.group(param.position)
                except IndexError:
                    result[param.name] = None
        if self.protocol and result.get("service.protocol") is None:
            result["service.protocol"] = self.protocol
        _interpolate(self.params, result)
        return result


def _interpolate(params: tuple[Param, ...], result: dict[str, str | None]) -> None:
    """Replace ``{service.version}``-style placeholders in fixed values, as Recog does.

    A missing version in a ``*.cpe23`` value becomes ``-`` (CPE's "not applicable");
    any other missing value drops the param (Recog raises there).
    """
    for param in params:
        if param.position != 0 or "{" not in param.value:
            continue
        value = result.get(param.name)
        if value is None:
            continue
        for key in dict.fromkeys(_PLACEHOLDER.findall(param.value)):
            replacement = result.get(key)
            if replacement is None:
                if param.name.endswith(".cpe23") and key.endswith(".version"):
                    replacement = "-"
                else:
                    value = None
                    break
            value = value.replace("{" + key + "}", replacement)
        result[param.name] = value


def verify_example(fingerprint: Fingerprint, example: Example) -> str | None:
    """``None`` when ``example`` passes (Recog's ``verify_tests``), else why it fails."""
    try:
        result = fingerprint.match(example.text)
    except RubyRegexError as exc:
        return f"pattern not translatable: {exc}"
    if result is None:
        return f"no match for {example.text[:120]!r}"
    for key, expected in example.expected.items():
        got = result.get(key)
        if got != expected:
            return f"{key}: expected {expected!r}, got {got!r}"
    return None


@dataclass(frozen=True, slots=True)
class FingerprintFile:
    """One XML file: its database name (``matches``), protocol, preference, fingerprints."""

    name: str
    database: str
    protocol: str | None
    database_type: str | None
    preference: float
    fingerprints: tuple[Fingerprint, ...]
    source: str = ""
    skipped_examples: tuple[str, ...] = field(default=())

    @property
    def example_count(self) -> int:
        return sum(len(fp.examples) for fp in self.fingerprints)


def iter_examples(
    files: Iterable[FingerprintFile],
) -> Iterator[tuple[FingerprintFile, Fingerprint, Example]]:
    """Every (file, fingerprint, example) triple, in file order."""
    for file in files:
        for fingerprint in file.fingerprints:
            for example in fingerprint.examples:
                yield file, fingerprint, example


def decode_bytes(raw: bytes) -> str:
    """Bytes of a banner or example → text: UTF-8 when valid, else one character per byte
    (Latin-1), so that no byte is lost and a pattern sees what Ruby's binary string holds."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _example_text(
    elem: Any, attrs: Mapping[str, str], example_dir: Path | None, where: str
) -> str | None:
    """The example's text, or ``None`` when it refers to a file we do not have."""
    filename = attrs.get("_filename")
    if filename is not None:
        if example_dir is None:
            return None
        base = example_dir.resolve()
        path = (base / filename).resolve()
        if not path.is_relative_to(base) or path == base:
            raise DataError(f"{where}: example file {filename!r} is outside {example_dir}.")
        if not path.is_file():
            return None
        with path.open("rb") as handle:
            return decode_bytes(handle.read(MAX_EXAMPLE_FILE_BYTES))
    text = "".join(elem.itertext())
    if attrs.get("_encoding") == "base64":
        try:
            raw = base64.b64decode(re.sub(r"[^A-Za-z0-9+/=]", "", text) + "==", validate=False)
        except (binascii.Error, ValueError) as exc:
            raise DataError(f"{where}: an example is not valid base64 ({exc}).") from exc
        return decode_bytes(raw)
    if "_encoding" in attrs:
        raise DataError(f"{where}: unknown example encoding {attrs['_encoding']!r}.")
    return text


def _parse_fingerprint(
    elem: Any,
    database: str,
    protocol: str | None,
    source: str,
    example_dir: Path | None,
    where: str,
) -> tuple[Fingerprint, int]:
    pattern = elem.get("pattern")
    if pattern is None:
        raise DataError(f"{where}: a <fingerprint> has no pattern attribute.")
    description_elem = elem.find("description")
    description = ""
    if description_elem is not None:
        description = " ".join("".join(description_elem.itertext()).split())
    params: list[Param] = []
    for p in elem.findall("param"):
        name = p.get("name")
        try:
            position = int(p.get("pos", ""))
        except ValueError:
            raise DataError(
                f"{where}: param {name!r} of {description!r} has no integer pos."
            ) from None
        if not name or position < 0:
            raise DataError(f"{where}: a param of {description!r} has no name or a negative pos.")
        params.append(Param(name=name, position=position, value=p.get("value") or ""))
    examples: list[Example] = []
    skipped = 0
    for e in elem.findall("example"):
        attrs = {str(k): str(v) for k, v in e.attrib.items()}
        text = _example_text(e, attrs, example_dir, where)
        if text is None:
            skipped += 1
            continue
        expected = {k: v for k, v in attrs.items() if not k.startswith("_")}
        examples.append(Example(text=text, expected=expected, attributes=attrs))
    fingerprint = Fingerprint(
        description=description,
        pattern=pattern,
        flags=elem.get("flags") or "",
        params=tuple(params),
        examples=tuple(examples),
        database=database,
        protocol=protocol,
        source=source,
    )
    return fingerprint, skipped


def parse_xml(
    data: bytes, name: str, *, source: str | None = None, example_dir: Path | None = None
) -> FingerprintFile:
    """Parse one Recog-format XML document; :class:`DataError` names ``name`` if malformed."""
    source = source or f"recog:{name}"
    if len(data) > MAX_FILE_BYTES:
        raise DataError(f"{name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB: refused.")
    try:
        root = SafeET.fromstring(data)
    except SafeET.ParseError as exc:
        raise DataError(f"{name} is not well-formed XML ({exc}).") from exc
    except Exception as exc:  # defusedxml's refusals (entities, DTDs) and others
        raise DataError(f"{name} was refused by the XML parser ({exc}).") from exc
    if root.tag != "fingerprints":
        raise DataError(f"{name} is not a Recog fingerprint file (root <{root.tag}>).")
    database = root.get("matches") or Path(name).stem
    protocol = root.get("protocol")
    protocol = protocol.lower() if protocol else None
    try:
        preference = float(root.get("preference", "0.10"))
    except ValueError:
        raise DataError(f"{name}: preference {root.get('preference')!r} is not a number.") from None
    fingerprints: list[Fingerprint] = []
    skipped = 0
    for elem in root.findall("fingerprint"):
        fingerprint, n = _parse_fingerprint(elem, database, protocol, source, example_dir, name)
        fingerprints.append(fingerprint)
        skipped += n
    if not fingerprints:
        raise DataError(f"{name} holds no <fingerprint> element.")
    return FingerprintFile(
        name=name,
        database=database,
        protocol=protocol,
        database_type=root.get("database_type"),
        preference=preference,
        fingerprints=tuple(fingerprints),
        source=source,
        skipped_examples=(f"{skipped} example(s) refer to missing files",) if skipped else (),
    )


def parse_file(path: Path, *, source: str | None = None) -> FingerprintFile:
    """Read and parse ``path``; examples given by ``_filename`` come from ``path.stem``/."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise DataError(f"{path} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB: refused.")
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    example_dir = path.with_suffix("")
    return parse_xml(
        data,
        path.name,
        source=source,
        example_dir=example_dir if example_dir.is_dir() else None,
    )

"""NVD CVE 2.0 records: the API/feed envelope (streamed) and single ``cve`` objects.

Why streamed: the full NVD set is ~250,000 CVEs (~2 GB of JSON). The file is read a megabyte
at a time and each ``vulnerabilities[]`` item is built by the standard library's C JSON
decoder (``raw_decode`` at the item's start: twice as fast as ``ijson``'s item builder), so
memory stays flat whatever the size. The envelope around the items (braces, keys, commas)
is walked here, and every way it can be wrong has its message.

Shapes accepted:

* the NVD API 2.0 response / 2.0 feed file: ``{"resultsPerPage", "startIndex",
  "totalResults", "format": "NVD_CVE", "version": "2.0", "timestamp", "vulnerabilities":
  [{"cve": {...}}, ...]}``;
* one ``cve`` object (``{"id": "CVE-…", "published", "lastModified", ...}``), as the
  per-CVE files of community mirrors, or ``{"cve": {...}}``.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import ijson  # type: ignore[import-untyped]

from rempart.core.errors import DataError
from rempart.i18n import _
from rempart.vulns.feeds import FeedStream
from rempart.vulns.feeds.cpe import parse as parse_cpe
from rempart.vulns.store import (
    ANY_EXACT,
    INCLUSIVE,
    NO_HIGH,
    NO_LOW,
    CveRecord,
    MatchTuple,
    is_short,
    range_key,
)

CVE_ID = re.compile(r"^CVE-\d{4}-\d{4,}$")
MAX_SINGLE = 64 * 1024 * 1024  # a single-record file is a few kB; refuse anything absurd
MAX_TEXT = 20_000  # characters kept of a description
MAX_FIELD = 1_000  # characters of a version bound, a date, a vector
_HEADER_KEYS = ("format", "version", "resultsPerPage", "startIndex", "totalResults", "timestamp")
_CVSS_ORDER = ("cvssMetricV31", "cvssMetricV30", "cvssMetricV40", "cvssMetricV2")


class NvdFeed:
    """One NVD file: :meth:`records` yields its CVEs; the counts are checked at the end.

    The file is read twice: once for its header (the first kilobytes only: the NVD writes
    ``format``, ``version`` and the counts before ``vulnerabilities``), then whole, one
    item at a time (:class:`_Window`). After :meth:`records` is exhausted, ``file_sha256`` and
    ``content_sha256`` hold the hashes of that second, complete read.
    """

    def __init__(self, path: Path, *, on_read: Callable[[int], None] | None = None) -> None:
        self.path = path
        self._on_read = on_read
        self.count = 0
        self.header: dict[str, Any] = {}
        self.file_sha256 = ""
        self.content_sha256 = ""

    def records(self) -> Iterator[CveRecord]:
        with FeedStream(self.path) as probe:
            head = self._head(probe)
            single = _looks_single(head)
            if not single:
                self.header = self._read_header(probe)
        with FeedStream(self.path, on_read=self._on_read) as feed:
            if single:
                yield from self._single(feed)
            else:
                yield from self._envelope(feed)
            feed.finish()
            self.file_sha256 = feed.file_sha256
            self.content_sha256 = feed.content_sha256

    def _head(self, feed: FeedStream) -> bytes:
        try:
            head = feed.stream.peek(64 * 1024)[: 64 * 1024]
        except (OSError, EOFError) as exc:
            raise feed.damaged(exc) from exc
        if head.startswith(b"\xef\xbb\xbf"):
            head = head[3:]
        if not head.lstrip().startswith(b"{"):
            raise self._error(_("it is not an NVD CVE 2.0 JSON object"))
        return head

    # -- one record

    def _single(self, feed: FeedStream) -> Iterator[CveRecord]:
        try:
            data = feed.stream.read(MAX_SINGLE + 1)
        except (OSError, EOFError) as exc:
            raise feed.damaged(exc) from exc
        if len(data) > MAX_SINGLE:
            raise self._error(_("a single CVE record larger than 64 MB"))
        try:
            obj = json.loads(data.decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise self._error(_("it is not UTF-8 text")) from exc
        except json.JSONDecodeError as exc:
            if _unclosed(data):
                raise feed.truncated() from exc
            raise self._error(
                _("not valid JSON at line {line}, column {column}").format(
                    line=exc.lineno, column=exc.colno
                )
            ) from exc
        if isinstance(obj, dict) and isinstance(obj.get("cve"), dict) and "id" not in obj:
            obj = obj["cve"]
        self.count = 1
        yield record_from_json(obj, lambda: self._where(1))

    # -- the envelope

    def _read_header(self, feed: FeedStream) -> dict[str, Any]:
        """The top-level scalars, read up to the start of ``vulnerabilities`` (or the end)."""
        header: dict[str, Any] = {}
        seen_array = False
        try:
            for prefix, event, value in ijson.parse(feed.stream, use_float=True):
                if prefix == "vulnerabilities" and event == "start_array":
                    seen_array = True
                    if "format" in header and "version" in header:
                        break
                    continue
                if prefix in _HEADER_KEYS and event in ("string", "number"):
                    header[prefix] = value
        except ijson.IncompleteJSONError as exc:
            raise self._json_error(feed, exc) from exc
        except ijson.JSONError as exc:
            raise self._json_error(feed, exc) from exc
        except UnicodeDecodeError as exc:
            raise self._error(_("it is not UTF-8 text")) from exc
        except (OSError, EOFError) as exc:
            raise feed.damaged(exc) from exc
        if not seen_array:
            raise self._error(_("no 'vulnerabilities' list"))
        self._check_header(header, complete=False)
        if "format" not in header or "version" not in header:
            raise self._error(_("no 'format'/'version' (an NVD CVE 2.0 file has both)"))
        return header

    def _envelope(self, feed: FeedStream) -> Iterator[CveRecord]:
        text = _Window(feed)
        try:
            if text.next_char() != "{":
                raise self._error(_("it is not an NVD CVE 2.0 JSON object"))
            text.pos += 1
            first = True
            while (char := text.next_char()) != "}":
                if not first:
                    self._expect(text, ",", feed)
                    char = text.next_char()
                first = False
                if char != '"':
                    self._expect(text, '"', feed)
                key = self._value(text, feed)
                self._expect(text, ":", feed)
                if key == "vulnerabilities" and text.next_char() == "[":
                    text.pos += 1
                    yield from self._items(text, feed)
                    continue
                value = self._value(text, feed)
                if key in _HEADER_KEYS and isinstance(value, str | int | float):
                    self.header.setdefault(key, value)
            text.pos += 1
            if text.next_char() is not None:
                raise self._error(_("not valid JSON (data after the end of the object)"))
        except UnicodeDecodeError as exc:
            raise self._error(_("it is not UTF-8 text")) from exc
        except (OSError, EOFError) as exc:
            raise feed.damaged(exc) from exc
        self._check_header(self.header, complete=True)

    def _items(self, text: _Window, feed: FeedStream) -> Iterator[CveRecord]:
        """The items of ``vulnerabilities``, up to and including its closing bracket."""
        if text.next_char() == "]":
            text.pos += 1
            return
        while True:
            item = self._value(text, feed, self.count + 1)
            self.count += 1
            n = self.count
            if not isinstance(item, dict) or not isinstance(item.get("cve"), dict):
                raise self._error(_("no 'cve' object"), n)
            yield record_from_json(item["cve"], partial(self._where, n))
            if text.next_char() == "]":
                text.pos += 1
                return
            self._expect(text, ",", feed, n)

    def _value(self, text: _Window, feed: FeedStream, n: int | None = None) -> Any:
        try:
            return text.value()
        except json.JSONDecodeError as exc:
            if text.eof and text.cut(exc):
                raise feed.truncated() from exc
            raise self._error(
                _("not valid JSON ({error})").format(error=f"{exc.msg} at character {exc.pos}"),
                n,
            ) from exc

    def _expect(self, text: _Window, wanted: str, feed: FeedStream, n: int | None = None) -> None:
        char = text.next_char()
        if char is None:
            raise feed.truncated()
        if char != wanted:
            raise self._error(
                _("not valid JSON ({error})").format(error=f"expected {wanted!r}, found {char!r}"),
                n,
            )
        text.pos += 1

    def _json_error(self, feed: FeedStream, exc: Exception) -> DataError:
        if isinstance(exc, ijson.IncompleteJSONError) and _is_truncation(exc):
            return feed.truncated()
        return self._error(_("not valid JSON ({error})").format(error=_first_line(exc)))

    def _check_header(self, header: dict[str, Any], *, complete: bool) -> None:
        fmt = header.get("format")
        version = header.get("version")
        if fmt is not None and fmt != "NVD_CVE":
            raise self._error(_("format is {value}, expected 'NVD_CVE'").format(value=_short(fmt)))
        if version is not None and str(version) != "2.0":
            raise self._error(_("version is {value}, expected '2.0'").format(value=_short(version)))
        if not complete:
            return
        total = header.get("totalResults")
        per_page = header.get("resultsPerPage")
        start = header.get("startIndex") or 0
        if isinstance(total, int | float) and isinstance(start, int | float):
            expected = int(total) - int(start)
            if isinstance(per_page, int | float):
                expected = min(expected, int(per_page))
            if expected != self.count:
                raise self._error(
                    _("it announces {expected} records but holds {count}").format(
                        expected=f"{expected:,}", count=f"{self.count:,}"
                    )
                )

    def _where(self, n: int) -> str:
        return _("{path}, record {n}").format(path=self.path, n=f"{n:,}")

    def _error(self, what: str, n: int | None = None) -> DataError:
        where = self._where(n) if n is not None else str(self.path)
        return DataError(
            _(
                "{where}: {what}. This is not a valid NVD CVE 2.0 file; nothing was imported."
            ).format(where=where, what=what)
        )


_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")
WINDOW_READ = 1 << 20  # bytes of decompressed feed read at a time
MAX_ITEM = MAX_SINGLE  # characters one item may span: a real record is a few kB


class _Window:
    """The decompressed feed as text, a megabyte at a time: ``pos`` walks ``buf``, and a
    value cut by the end of the window is decoded again once more text has come."""

    def __init__(self, feed: FeedStream) -> None:
        self._stream = feed.stream
        self._decode = codecs.getincrementaldecoder("utf-8-sig")().decode
        self.buf = ""
        self.pos = 0
        self.eof = False

    def _more(self) -> bool:
        if self.eof:
            return False
        # At least as much as is pending: a long item is decoded again a few times, not once
        # per read.
        data = self._stream.read(max(WINDOW_READ, len(self.buf) - self.pos))
        self.buf = self.buf[self.pos :] + self._decode(data, final=not data)
        self.pos = 0
        self.eof = not data
        return True

    def next_char(self) -> str | None:
        """The next character that is not white space (not consumed), ``None`` at the end."""
        while True:
            self.pos = _SPACE.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._more():
                return None

    def value(self) -> Any:
        """The JSON value at ``pos`` (consumed); raises ``JSONDecodeError`` when it is not one."""
        while True:
            if self.next_char() is None:
                raise json.JSONDecodeError("Expecting value", self.buf, self.pos)
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if self.eof or not self.cut(exc) or len(self.buf) - self.pos > MAX_ITEM:
                    raise
                self._more()
                continue
            if end >= len(self.buf) and not self.eof and not isinstance(value, dict | list | str):
                self._more()  # a number or literal may go on in the next read
                continue
            self.pos = end
            return value

    def cut(self, exc: json.JSONDecodeError) -> bool:
        """Whether the error may only mean that the window (or the file) ends too soon."""
        return exc.msg.startswith("Unterminated string") or exc.pos >= len(self.buf) - 12


def _looks_single(head: bytes) -> bool:
    text = head.decode("utf-8", errors="replace")
    match = re.match(r'\s*\{\s*"([^"]{1,40})"', text)
    first = match.group(1) if match else ""
    if first in ("vulnerabilities", *_HEADER_KEYS):
        return False
    return first in ("id", "cve") or bool(re.search(r'"id"\s*:\s*"CVE-', text[:2000]))


def _unclosed(data: bytes) -> bool:
    return data.count(b"{") > data.count(b"}") or data.count(b"[") > data.count(b"]")


def _is_truncation(exc: Exception) -> bool:
    text = str(exc).lower()
    return "premature eof" in text


# --------------------------------------------------------------------------- records


def record_from_json(obj: Any, where: Callable[[], str]) -> CveRecord:
    """Check one ``cve`` object and turn it into a :class:`CveRecord` (raises DataError)."""

    def bad(what: str) -> DataError:
        return DataError(
            _(
                "{where}: {what}. This is not a valid NVD CVE 2.0 file; nothing was imported."
            ).format(where=where(), what=what)
        )

    if not isinstance(obj, dict):
        raise bad(_("not a JSON object"))
    cve_id = obj.get("id")
    if cve_id is None:
        raise bad(_("no id"))
    if not isinstance(cve_id, str) or not CVE_ID.match(cve_id):
        raise bad(_("id {value} is not a CVE identifier").format(value=_short(cve_id)))
    published = _opt_str(obj.get("published"), "published", bad)
    modified = _opt_str(obj.get("lastModified"), "lastModified", bad)
    description = None
    descriptions = obj.get("descriptions", [])
    if not isinstance(descriptions, list):
        raise bad(_("'descriptions' is not a list"))
    for item in descriptions:
        if isinstance(item, dict) and item.get("lang") == "en":
            value = item.get("value")
            if isinstance(value, str):
                description = value[:MAX_TEXT]
                break
    score, severity, vector = _cvss(obj.get("metrics"), bad)
    matches = tuple(_matches(cve_id, obj.get("configurations", []), bad))
    return CveRecord(cve_id, published, modified, description, score, severity, vector, matches)


def _opt_str(value: Any, name: str, bad: Callable[[str], DataError]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad(_("'{name}' is not a string").format(name=name))
    return value[:MAX_FIELD]


def _first_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:200] if lines else type(exc).__name__


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _cvss(
    metrics: Any, bad: Callable[[str], DataError]
) -> tuple[float | None, str | None, str | None]:
    if metrics is None:
        return None, None, None
    if not isinstance(metrics, dict):
        raise bad(_("'metrics' is not an object"))
    for key in _CVSS_ORDER:
        entries = metrics.get(key)
        if not isinstance(entries, list) or not entries:
            continue
        primary = [e for e in entries if isinstance(e, dict) and e.get("type") == "Primary"]
        for entry in primary + [e for e in entries if isinstance(e, dict)]:
            data = entry.get("cvssData")
            if not isinstance(data, dict):
                continue
            score = data.get("baseScore")
            if isinstance(score, bool) or not isinstance(score, int | float):
                continue
            if not 0 <= score <= 10:
                continue
            severity = data.get("baseSeverity", entry.get("baseSeverity"))
            vector = data.get("vectorString")
            return (
                float(score),
                severity[:MAX_FIELD] if isinstance(severity, str) else None,
                vector[:MAX_FIELD] if isinstance(vector, str) else None,
            )
    return None, None, None


def _matches(
    cve_id: str, configurations: Any, bad: Callable[[str], DataError]
) -> Iterator[MatchTuple]:
    if configurations is None:
        return
    if not isinstance(configurations, list):
        raise bad(_("'configurations' is not a list"))
    for configuration in configurations:
        if not isinstance(configuration, dict):
            raise bad(_("a configuration is not an object"))
        nodes = configuration.get("nodes", [])
        if not isinstance(nodes, list):
            raise bad(_("'nodes' is not a list"))
        for node in nodes:
            if not isinstance(node, dict):
                raise bad(_("a node is not an object"))
            cpe_matches = node.get("cpeMatch", [])
            if not isinstance(cpe_matches, list):
                raise bad(_("'cpeMatch' is not a list"))
            for match in cpe_matches:
                yield _match(cve_id, match, bad)


def _low_key(bounds: Sequence[str | None]) -> str:
    """The key of a range's lower side (the lowest of its bounds), or :data:`NO_LOW` when a
    bound cannot be keyed or there is none: such a side never leaves the row out."""
    keys = [range_key(b) for b in bounds if b]
    known = [k for k in keys if k is not None]
    if not known or len(known) < len(keys):
        return NO_LOW
    return min(known)


def _high_key(including: str | None, excluding: str | None) -> str:
    """The key of a range's upper side, :data:`INCLUSIVE` after it unless the bound is an
    excluded short version (then ``hi_key > key`` is exactly ``version < bound``), or
    :data:`NO_HIGH` when a bound cannot be keyed or there is none."""
    keys = []
    for bound, excluded in ((including, False), (excluding, True)):
        if not bound:
            continue
        key = range_key(bound)
        if key is None:
            return NO_HIGH
        keys.append(key if excluded and is_short(bound) else key + INCLUSIVE)
    return max(keys) if keys else NO_HIGH


def _keys(fields: Sequence[str], bounds: Sequence[str | None]) -> tuple[str, str, str, int]:
    """(lo_key, hi_key, exact_key, decided) of a match row, for the store's filter."""
    version, update = fields[3], fields[4]
    if update not in ("*", "-", ""):
        # The update belongs to the bounds and the version (``openssh:*:p2`` up to 7.2 means
        # through 7.2p2): a plain key would say less than the comparator. No filter.
        return (NO_LOW, NO_HIGH, ANY_EXACT, 0)
    if any(bounds):
        decided = not bounds[1] and all(is_short(b) for b in bounds if b)
        return (_low_key(bounds[:2]), _high_key(bounds[2], bounds[3]), ANY_EXACT, int(decided))
    if version in ("*", ""):
        return (NO_LOW, NO_HIGH, ANY_EXACT, 1)  # every version
    exact = "-" if version == "-" else range_key(version)
    if exact is None:
        return (NO_LOW, NO_HIGH, ANY_EXACT, 0)  # "7.4p1": the comparator decides
    return (NO_LOW, NO_HIGH, exact, int(is_short(version)))


_CPE_FIELDS: dict[str, tuple[str, str, str, str, str]] = {}
_CPE_FIELDS_MAX = 200_000  # criteria repeat across records; the cache stays bounded


def _cpe_fields(criteria: str, bad: Callable[[str], DataError]) -> tuple[str, str, str, str, str]:
    """(part, vendor, product, version, update) of a criteria, quickly for the usual form."""
    fields: tuple[str, str, str, str, str] | None = None
    if (
        criteria.startswith("cpe:2.3:")
        and "\\" not in criteria
        and criteria.count(":") == 12
        and len(criteria) <= 2048
    ):
        f = criteria.lower().split(":")
        if f[2] in ("a", "o", "h", "*") and f[3] and f[4]:
            fields = (f[2], f[3], f[4], f[5] or "*", f[6] or "*")
    if fields is None:
        try:
            cpe = parse_cpe(criteria)
        except DataError as exc:
            raise bad(str(exc).rstrip(".")) from exc
        fields = (cpe.part, cpe.vendor, cpe.product, cpe.version, cpe.update)
    if len(_CPE_FIELDS) < _CPE_FIELDS_MAX:
        _CPE_FIELDS[criteria] = fields
    return fields


def _match(cve_id: str, match: Any, bad: Callable[[str], DataError]) -> MatchTuple:
    if not isinstance(match, dict):
        raise bad(_("a cpeMatch is not an object"))
    criteria = match.get("criteria")
    if not isinstance(criteria, str):
        raise bad(_("a cpeMatch has no 'criteria'"))
    vulnerable = match.get("vulnerable", True)
    if not isinstance(vulnerable, bool):
        raise bad(_("'vulnerable' is not true or false"))
    fields = _CPE_FIELDS.get(criteria)
    if fields is None:
        fields = _cpe_fields(criteria, bad)
    bounds = [
        match.get("versionStartIncluding"),
        match.get("versionStartExcluding"),
        match.get("versionEndIncluding"),
        match.get("versionEndExcluding"),
    ]
    for value in bounds:
        if value is not None and (not isinstance(value, str) or len(value) > MAX_FIELD):
            raise bad(_("a version bound is not a version"))
    return (
        criteria,
        *fields,
        bounds[0] or None,
        bounds[1] or None,
        bounds[2] or None,
        bounds[3] or None,
        1 if vulnerable else 0,
        *_keys(fields, bounds),
    )

"""NVD CVE 2.0 records: the API/feed envelope (streamed) and single ``cve`` objects.

Why streamed: the full NVD set is ~250,000 CVEs (~2 GB of JSON). ``ijson`` (C backend) builds
one ``vulnerabilities[]`` item at a time, so memory stays flat whatever the size.

Shapes accepted:

* the NVD API 2.0 response / 2.0 feed file: ``{"resultsPerPage", "startIndex",
  "totalResults", "format": "NVD_CVE", "version": "2.0", "timestamp", "vulnerabilities":
  [{"cve": {...}}, ...]}``;
* one ``cve`` object (``{"id": "CVE-…", "published", "lastModified", ...}``), as the
  per-CVE files of community mirrors, or ``{"cve": {...}}``.
"""

from __future__ import annotations

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
from rempart.vulns.store import ANY_EXACT, NO_HIGH, NO_LOW, CveRecord, MatchTuple, range_key

CVE_ID = re.compile(r"^CVE-\d{4}-\d{4,}$")
MAX_SINGLE = 64 * 1024 * 1024  # a single-record file is a few kB; refuse anything absurd
MAX_TEXT = 20_000  # characters kept of a description
MAX_FIELD = 1_000  # characters of a version bound, a date, a vector
_HEADER_KEYS = ("format", "version", "resultsPerPage", "startIndex", "totalResults", "timestamp")
_CVSS_ORDER = ("cvssMetricV31", "cvssMetricV30", "cvssMetricV40", "cvssMetricV2")


class NvdFeed:
    """One NVD file: :meth:`records` yields its CVEs; the counts are checked at the end.

    The file is read twice: once for its header (the first kilobytes only: the NVD writes
    ``format``, ``version`` and the counts before ``vulnerabilities``), then whole, by ijson's
    C object builder. After :meth:`records` is exhausted, ``file_sha256`` and
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
        try:
            for item in ijson.items(feed.stream, "vulnerabilities.item", use_float=True):
                self.count += 1
                n = self.count
                if not isinstance(item, dict) or not isinstance(item.get("cve"), dict):
                    raise self._error(_("no 'cve' object"), n)
                yield record_from_json(item["cve"], partial(self._where, n))
        except ijson.JSONError as exc:
            raise self._json_error(feed, exc) from exc
        except UnicodeDecodeError as exc:
            raise self._error(_("it is not UTF-8 text")) from exc
        except (OSError, EOFError) as exc:
            raise feed.damaged(exc) from exc
        self._check_header(self.header, complete=True)

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


def _bound_key(bounds: Sequence[str | None], pick: Callable[..., str], none: str) -> str:
    """The key of a range's side (lower: ``min``, upper: ``max`` of its bounds), or ``none``
    when a bound cannot be keyed or there is none: such a side never leaves the row out."""
    keys = [range_key(b) for b in bounds if b]
    if not keys or None in keys:
        return none
    return pick(keys)


def _keys(fields: Sequence[str], bounds: Sequence[str | None]) -> tuple[str, str, str]:
    """(lo_key, hi_key, exact_key) of a match row, for the store's filter."""
    version, update = fields[3], fields[4]
    if update not in ("*", "-", ""):
        # The update belongs to the bounds and the version (``openssh:*:p2`` up to 7.2 means
        # through 7.2p2): a plain key would say less than the comparator. No filter.
        return (NO_LOW, NO_HIGH, ANY_EXACT)
    if any(bounds):
        return (
            _bound_key(bounds[:2], min, NO_LOW),
            _bound_key(bounds[2:], max, NO_HIGH),
            ANY_EXACT,
        )
    exact = "-" if version == "-" else range_key(version)
    return (NO_LOW, NO_HIGH, ANY_EXACT if exact is None else exact)


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

"""EPSS scores (FIRST.org): a daily CSV, usually gzipped, ~300,000 rows.

Shape: an optional comment line ``#model_version:v2025.03.14,score_date:2025-08-25T00:00:00Z``,
a header ``cve,epss,percentile``, then one row per CVE. Streamed row by row; a row that is not
a CVE with a probability between 0 and 1 stops the import with its line number.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from rempart.core.errors import DataError
from rempart.i18n import _
from rempart.vulns.feeds import FeedStream

CVE_ID = re.compile(r"^CVE-\d{4}-\d{4,}$")
MAX_LINE = 4096


class EpssFeed:
    """One EPSS file; :meth:`rows` yields ``(cve_id, score, percentile)``."""

    def __init__(self, path: Path, *, on_read: Callable[[int], None] | None = None) -> None:
        self.path = path
        self._on_read = on_read
        self.model_version: str | None = None
        self.score_date: str | None = None
        self.count = 0
        self.file_sha256 = ""
        self.content_sha256 = ""

    def rows(self) -> Iterator[tuple[str, float, float | None]]:
        with FeedStream(self.path, on_read=self._on_read) as feed:
            text = io.TextIOWrapper(feed.stream, encoding="utf-8-sig", newline="")
            try:
                yield from self._rows(text)
            except UnicodeDecodeError as exc:
                raise self._bad(_("it is not UTF-8 text")) from exc
            except EOFError as exc:
                raise feed.truncated() from exc
            except OSError as exc:
                raise feed.damaged(exc) from exc
            feed.finish()
            self.file_sha256 = feed.file_sha256
            self.content_sha256 = feed.content_sha256

    def _rows(self, text: io.TextIOWrapper) -> Iterator[tuple[str, float, float | None]]:
        line_no = 0
        first = text.readline(MAX_LINE)
        line_no += 1
        if first.startswith("#"):
            for part in first[1:].strip().split(","):
                key, _sep, value = part.partition(":")
                if key.strip() == "model_version":
                    self.model_version = value.strip()[:100]
                elif key.strip() == "score_date":
                    self.score_date = value.strip()[:100]
            first = text.readline(MAX_LINE)
            line_no += 1
        header = [h.strip().lower() for h in first.strip().split(",")]
        if "cve" not in header or "epss" not in header:
            raise self._bad(_("no 'cve,epss,percentile' header"))
        i_cve, i_score = header.index("cve"), header.index("epss")
        i_pct = header.index("percentile") if "percentile" in header else None
        for row in csv.reader(_bounded_lines(text, self)):
            line_no += 1
            if not row:
                continue
            try:
                cve_id = row[i_cve].strip()
                score = float(row[i_score])
                percentile = float(row[i_pct]) if i_pct is not None else None
            except (IndexError, ValueError) as exc:
                raise self._bad(
                    _("line {n} is not 'CVE,score,percentile'").format(n=f"{line_no:,}")
                ) from exc
            if not CVE_ID.match(cve_id) or not 0.0 <= score <= 1.0:
                raise self._bad(
                    _("line {n}: not a CVE and a score from 0 to 1").format(n=f"{line_no:,}")
                )
            if percentile is not None and not 0.0 <= percentile <= 1.0:
                raise self._bad(
                    _("line {n}: the percentile is not from 0 to 1").format(n=f"{line_no:,}")
                )
            self.count += 1
            yield cve_id, score, percentile

    def _bad(self, what: str) -> DataError:
        return DataError(
            _("{path}: {what}. This is not a valid EPSS file; nothing was imported.").format(
                path=self.path, what=what
            )
        )


def _bounded_lines(text: io.TextIOWrapper, feed: EpssFeed) -> Iterator[str]:
    while True:
        line = text.readline(MAX_LINE)
        if not line:
            return
        if len(line) >= MAX_LINE and not line.endswith("\n"):
            raise feed._bad(_("a line longer than {n} characters").format(n=MAX_LINE))
        yield line


def looks_like_epss(head: bytes) -> bool:
    text = head[:200].lstrip(b"\xef\xbb\xbf").lstrip().lower()
    return text.startswith(b"#model_version") or text.startswith(b"cve,epss")

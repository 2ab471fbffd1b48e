"""CISA's Known Exploited Vulnerabilities catalogue (the JSON file, ~1,400 entries, ~1.5 MB).

Why not streamed: the catalogue is small and published whole; it is read at once (capped at
64 MB), checked against its own ``count``, and replaces the previous one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rempart.core.errors import DataError
from rempart.i18n import _
from rempart.vulns.feeds import FeedStream
from rempart.vulns.store import KevRow

MAX_SIZE = 64 * 1024 * 1024
MAX_FIELD = 4_000
CVE_ID = re.compile(r"^CVE-\d{4}-\d{4,}$")


@dataclass(frozen=True)
class KevCatalogue:
    """A checked catalogue: its version, release date and entries."""

    catalog_version: str | None
    date_released: str | None
    rows: tuple[KevRow, ...]
    file_sha256: str
    content_sha256: str

    @property
    def known_ransomware(self) -> int:
        return sum(1 for row in self.rows if row.known_ransomware)


def read_kev(path: Path, *, on_read: Callable[[int], None] | None = None) -> KevCatalogue:
    """Read and check a KEV catalogue file (plain, ``.gz`` or ``.zip``)."""
    with FeedStream(path, on_read=on_read) as feed:
        try:
            data = feed.stream.read(MAX_SIZE + 1)
        except (OSError, EOFError) as exc:
            raise feed.damaged(exc) from exc
        if len(data) > MAX_SIZE:
            raise _bad(path, _("larger than 64 MB"))
        feed.finish()
        try:
            obj = json.loads(data.decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise _bad(path, _("it is not UTF-8 text")) from exc
        except json.JSONDecodeError as exc:
            if data.count(b"{") > data.count(b"}") or data.count(b"[") > data.count(b"]"):
                raise feed.truncated() from exc
            raise _bad(
                path,
                _("not valid JSON at line {line}, column {column}").format(
                    line=exc.lineno, column=exc.colno
                ),
            ) from exc
        rows = parse_catalogue(obj, path)
        return KevCatalogue(
            catalog_version=_text(obj.get("catalogVersion")),
            date_released=_text(obj.get("dateReleased")),
            rows=rows,
            file_sha256=feed.file_sha256,
            content_sha256=feed.content_sha256,
        )


def parse_catalogue(obj: Any, path: Path) -> tuple[KevRow, ...]:
    if not isinstance(obj, dict) or not isinstance(obj.get("vulnerabilities"), list):
        raise _bad(path, _("no 'vulnerabilities' list"))
    items = obj["vulnerabilities"]
    count = obj.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int)):
        raise _bad(path, _("'count' is not a number"))
    if count is not None and count != len(items):
        raise _bad(
            path,
            _("it announces {expected} entries but holds {count}").format(
                expected=f"{count:,}", count=f"{len(items):,}"
            ),
        )
    rows: list[KevRow] = []
    for n, item in enumerate(items, start=1):
        where = _("entry {n}").format(n=f"{n:,}")
        if not isinstance(item, dict):
            raise _bad(path, _("{where} is not an object").format(where=where))
        cve_id = item.get("cveID")
        if not isinstance(cve_id, str) or not CVE_ID.match(cve_id.strip()):
            raise _bad(path, _("{where}: no valid cveID").format(where=where))
        ransomware = item.get("knownRansomwareCampaignUse", "Unknown")
        if not isinstance(ransomware, str):
            raise _bad(
                path,
                _("{where}: 'knownRansomwareCampaignUse' is not a string").format(where=where),
            )
        for key in ("vendorProject", "product", "vulnerabilityName", "dateAdded", "dueDate"):
            if item.get(key) is not None and not isinstance(item.get(key), str):
                raise _bad(
                    path, _("{where}: '{name}' is not a string").format(where=where, name=key)
                )
        rows.append(
            KevRow(
                cve_id=cve_id.strip(),
                vendor=_text(item.get("vendorProject")),
                product=_text(item.get("product")),
                name=_text(item.get("vulnerabilityName")),
                date_added=_text(item.get("dateAdded")),
                due_date=_text(item.get("dueDate")),
                known_ransomware=ransomware.strip().lower() == "known",
                notes=_text(item.get("notes")),
                required_action=_text(item.get("requiredAction")),
            )
        )
    return tuple(rows)


def looks_like_kev(head: bytes) -> bool:
    return b'"catalogVersion"' in head or b'"knownRansomwareCampaignUse"' in head


def _text(value: Any) -> str | None:
    return value[:MAX_FIELD] if isinstance(value, str) else None


def _bad(path: Path, what: str) -> DataError:
    return DataError(
        _("{path}: {what}. This is not a valid CISA KEV catalogue; nothing was imported.").format(
            path=path, what=what
        )
    )

"""Known vulnerabilities: feeds, curated base, matching, and the version comparator they share.

The comparator (:mod:`rempart.vulns.versions`) is re-exported here because every other part
compares versions; the other modules are imported from their own names.
"""

from __future__ import annotations

from rempart.vulns.versions import (
    Version,
    VersionError,
    compare,
    detect_scheme,
    in_range,
    parse_version,
    split_distribution,
)

__all__ = [
    "Version",
    "VersionError",
    "compare",
    "detect_scheme",
    "in_range",
    "parse_version",
    "split_distribution",
]

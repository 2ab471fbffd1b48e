"""The practice's grade, from A (best) to G (worst), like the French energy label.

Pure: findings in, a :class:`Score` out; no I/O, no clock unless none is given. Every
finding weighs a number of *risk points*; the sum of the points gives the grade through
:data:`THRESHOLDS`. The weights are documented, with a worked example, in docs/grade.md;
a change here must change that page.

A finding's points are its severity's base weight (:data:`SEVERITY_POINTS`) multiplied by:

* ``ransomware`` (×1.5) — a way in that ransomware crews are known to use
  (:data:`RANSOMWARE_PATH`: a CVE with known ransomware use, exposed remote access, SMBv1,
  factory passwords…);
* ``internet`` (×2) — the address is reachable from the Internet (a public address, audited
  with ``--authorized``); a LAN address or no address leaves the weight alone;
* ``compensated`` (×0.5, or ×0.2 for findings about backups themselves) — the practice has
  tested immutable backups: the last backup went to a repository under Object Lock and a
  restore drill succeeded within :data:`DRILL_FRESHNESS`; then the ransomware paths and the
  backup findings cost less, because an attack on them no longer means losing the data;
* ``accepted`` (×0.25) — somebody accepted the risk, with a reason, until a date that has not
  passed (the caller passes only the keys still accepted).

Stable run to run: duplicates (same :func:`finding_key`) count once, contributions are summed
in a fixed order and rounded to one decimal.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from rempart.core.model import Finding, Severity
from rempart.core.protection import BackupStatus

GRADES = ("A", "B", "C", "D", "E", "F", "G")

# Base weight of a finding by severity (risk points).
SEVERITY_POINTS: dict[Severity, float] = {
    Severity.CRITICAL: 20.0,
    Severity.HIGH: 8.0,
    Severity.MEDIUM: 3.0,
    Severity.LOW: 1.0,
    Severity.INFO: 0.0,
}

# Upper bounds (exclusive) of the points of each grade; above the last one: G.
# One high finding alone gives C; one critical gives D; one critical ransomware flaw gives E.
THRESHOLDS: tuple[tuple[str, float], ...] = (
    ("A", 3.0),
    ("B", 8.0),
    ("C", 16.0),
    ("D", 30.0),
    ("E", 50.0),
    ("F", 80.0),
)

RANSOMWARE_FACTOR = 1.5
INTERNET_FACTOR = 2.0
COMPENSATED_FACTOR = 0.5
COMPENSATED_BACKUP_FACTOR = 0.2
ACCEPTED_FACTOR = 0.25
DRILL_FRESHNESS = timedelta(days=30)

# Check IDs (an ID, or a prefix ending in "-") of the ways in that ransomware is known to
# use: CISA KEV with known ransomware use, and the entry points of the incident reports
# (exposed RDP and remote access, SMBv1, factory passwords, remote access without MFA).
RANSOMWARE_PATH: tuple[str, ...] = (
    "NET-VULN-RANSOMWARE",
    "NET-RDP-",
    "HOST-RDP-NO-NLA",
    "NET-SMB-V1",
    "HOST-WIN-SMB1",
    "NET-VNC-NO-AUTH",
    "NET-REMOTE-ACCESS",
    "NET-DEFAULT-CREDENTIALS",
    "ORG-NO-MFA-REMOTE",
    "ORG-REMOTE-ACCESS-UNCONTROLLED",
)

# Findings about the backups themselves: tested immutable backups answer them.
BACKUP_FINDINGS: tuple[str, ...] = (
    "ORG-NO-BACKUP",
    "ORG-BACKUP-",
    "HOST-NO-BACKUP",
    "HOST-BACKUP-",
    "HOST-NO-SHADOW-COPIES",
)


@dataclass(frozen=True, slots=True)
class Contribution:
    """What one finding adds to the score, and why (the factors applied, by name)."""

    key: str
    check_id: str
    severity: Severity
    base: float
    factors: tuple[tuple[str, float], ...]
    points: float


@dataclass(frozen=True, slots=True)
class Score:
    """The grade and the points it comes from, biggest contributions first."""

    points: float
    grade: str
    breakdown: tuple[Contribution, ...]
    compensated: bool = False  # tested immutable backups lowered the ransomware paths

    @property
    def grade_index(self) -> int:
        """0 for A up to 6 for G."""
        return GRADES.index(self.grade)


def finding_key(f: Finding) -> str:
    """The identity of a finding across audits: ``"check_id|address|port|transport"``.

    The same identity as :func:`rempart.store.diff_audits`; missing parts are empty.
    """
    port = "" if f.port is None else str(f.port)
    return f"{f.check_id}|{f.address or ''}|{port}|{f.transport or ''}"


def grade_for(points: float) -> str:
    """The grade of a number of risk points."""
    for grade, bound in THRESHOLDS:
        if points < bound:
            return grade
    return GRADES[-1]


def matches(check_id: str, patterns: Sequence[str]) -> bool:
    """``check_id`` is one of ``patterns`` or starts with one ending in ``-``."""
    return any(check_id == p or (p.endswith("-") and check_id.startswith(p)) for p in patterns)


@lru_cache(maxsize=4096)
def is_internet_facing(address: str | None) -> bool:
    """A public address (reachable from the Internet); ``False`` for a LAN or unknown one."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False  # a host name: where it points is not known here
    return ip.is_global


def is_compensated(protection: BackupStatus | None, now: datetime) -> bool:
    """Tested immutable backups: immutable repository and a good drill in the last 30 days."""
    if protection is None or not protection.immutable:
        return False
    drill = protection.last_good_drill_at
    if drill is None:
        return False
    if drill.tzinfo is None:
        drill = drill.replace(tzinfo=UTC)
    return now - DRILL_FRESHNESS <= drill <= now + timedelta(minutes=5)


def cents(c: Contribution) -> int:
    """A contribution in hundredths of a point: sums of them are exact and do not depend
    on the order they are added in."""
    return round(c.points * 100)


def points_of(total_cents: int) -> float:
    """The score's points from a sum of :func:`cents` (one decimal)."""
    return round(total_cents / 100, 1)


@lru_cache(maxsize=1024)
def _paths(check_id: str) -> tuple[bool, bool]:
    """(on a ransomware path, about the backups) for a check ID: asked once per ID."""
    return matches(check_id, RANSOMWARE_PATH), matches(check_id, BACKUP_FINDINGS)


def contribution(
    f: Finding, *, compensated: bool = False, accepted: frozenset[str] = frozenset()
) -> Contribution:
    """The points of one finding (see the module's docstring for the factors)."""
    key = finding_key(f)
    base = SEVERITY_POINTS[f.severity]
    factors: list[tuple[str, float]] = []
    ransomware_path, backup = _paths(f.check_id)
    if ransomware_path:
        factors.append(("ransomware", RANSOMWARE_FACTOR))
    if is_internet_facing(f.address):
        factors.append(("internet", INTERNET_FACTOR))
    if compensated:
        if backup:
            factors.append(("compensated", COMPENSATED_BACKUP_FACTOR))
        elif ransomware_path:
            factors.append(("compensated", COMPENSATED_FACTOR))
    if key in accepted:
        factors.append(("accepted", ACCEPTED_FACTOR))
    points = base
    for _name, factor in factors:
        points *= factor
    return Contribution(
        key=key,
        check_id=f.check_id,
        severity=f.severity,
        base=base,
        factors=tuple(factors),
        points=round(points, 2),
    )


def score(
    findings: Sequence[Finding],
    *,
    protection: BackupStatus | None = None,
    accepted: frozenset[str] = frozenset(),
    now: datetime | None = None,
) -> Score:
    """The grade of a set of findings.

    ``protection`` is the backup status (``BackupStatus``); ``accepted`` the keys
    (:func:`finding_key`) of the risks accepted and still in force; ``now`` the moment the
    drill's freshness is judged at (the current time when not given).
    """
    moment = now or datetime.now(UTC)
    compensated = is_compensated(protection, moment)
    seen: dict[str, Contribution] = {}
    for f in findings:
        c = contribution(f, compensated=compensated, accepted=accepted)
        kept = seen.get(c.key)
        if kept is None or c.points > kept.points:
            seen[c.key] = c
    breakdown = tuple(sorted(seen.values(), key=lambda c: (-c.points, c.key)))
    total = points_of(sum(cents(c) for c in breakdown))
    return Score(points=total, grade=grade_for(total), breakdown=breakdown, compensated=compensated)


__all__ = [
    "ACCEPTED_FACTOR",
    "BACKUP_FINDINGS",
    "COMPENSATED_BACKUP_FACTOR",
    "COMPENSATED_FACTOR",
    "DRILL_FRESHNESS",
    "GRADES",
    "INTERNET_FACTOR",
    "RANSOMWARE_FACTOR",
    "RANSOMWARE_PATH",
    "SEVERITY_POINTS",
    "THRESHOLDS",
    "Contribution",
    "Score",
    "cents",
    "contribution",
    "finding_key",
    "grade_for",
    "is_compensated",
    "is_internet_facing",
    "matches",
    "points_of",
    "score",
]

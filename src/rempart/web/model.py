"""What the pages show, built once per state of the store and kept.

Building the practice's report (grade, plan, finding views, history) reads every finding
of the audit and recomputes the grade of past audits: far too slow to do per request
with 1,000 findings and twenty people (or tabs) asking at once. A :class:`Snapshot` is
keyed by the audit, the language, the day and :func:`rempart.web.queries.state_stamp`
(which moves with every new audit, acceptance, revocation, backup or drill), so a page
is never stale and the costly part is done once per change.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rempart.core.model import Audit
from rempart.core.protection import BackupStatus, SentinelStatus
from rempart.report.practice import FindingView, PracticeReport, build_report
from rempart.store import Store
from rempart.store.status import backup_status, sentinel_status
from rempart.web.queries import latest_audit_id, sentinel_stamp, state_stamp
from rempart.web.words import LANGUAGE_LOCK

_serials = itertools.count(1)


@dataclass(frozen=True)
class Snapshot:
    """One audit's report in one language, with what the findings page filters on."""

    report: PracticeReport
    keys: tuple[str, ...]  # finding_key of each report.findings entry, same order
    haystacks: tuple[str, ...]  # lower-case text searched by the findings filter
    addresses: tuple[str, ...]  # devices with findings, for the filter's choices
    built_at: datetime
    serial: int  # unique per snapshot built: pages rendered from it are cached by it


def _haystack(view: FindingView) -> str:
    f = view.finding
    parts = [f.check_id, f.target, view.target, view.title, " ".join(f.cves)]
    parts.extend(value for _label, value in view.evidence)
    return " ".join(p for p in parts if p).lower()


class AuditCache:
    """A stored audit never changes: each one is read from the store once (reading 1,000
    findings back takes longer than building the rest of the report when a risk is
    accepted)."""

    def __init__(self, size: int = 4) -> None:
        self._size = size
        self._items: OrderedDict[str, Audit] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, store: Store, audit_id: str | None) -> Audit | None:
        """The audit ``audit_id`` (a unique prefix works), the latest when ``None``."""
        wanted = latest_audit_id(store) if audit_id is None else audit_id
        if wanted is None:
            return None
        with self._lock:
            audit = self._items.get(wanted)
        if audit is None:
            audit = store.get_audit(wanted)  # StoreError when there is no such audit
            with self._lock:
                self._items[wanted] = audit
                while len(self._items) > self._size:
                    self._items.popitem(last=False)
        return audit


def build_snapshot(
    store: Store, audit_id: str | None, lang: str, audits: AuditCache | None = None
) -> Snapshot | None:
    """The report of ``audit_id`` (the latest audit when ``None``), or ``None`` when the
    store holds no audit yet."""
    audit = (audits or AuditCache()).get(store, audit_id)
    if audit is None:
        return None
    with LANGUAGE_LOCK:  # the report's words are looked up in the process-wide language
        report = build_report(audit, store=store, lang=lang)
    views = report.findings
    addresses = sorted(
        {v.finding.address for v in views if v.finding.address},
        key=_address_order,
    )
    return Snapshot(
        report=report,
        keys=tuple(v.key for v in views),
        haystacks=tuple(_haystack(v) for v in views),
        addresses=tuple(addresses),
        built_at=datetime.now(UTC),
        serial=next(_serials),
    )


def _address_order(address: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in address.split("."))
    except ValueError:
        return (1 << 16,)


@dataclass(frozen=True)
class Current:
    """The store's state as the pages see it: the stamp, the backups, the sentinel."""

    stamp: tuple[Any, ...]  # what the report depends on (see state_stamp)
    sentinel_stamp: tuple[Any, ...]  # what the sentinel page depends on
    backup: BackupStatus
    sentinel: SentinelStatus


class StoreState:
    """:class:`Current`, read again at most every ``ttl`` seconds, and at once after this
    server wrote (:meth:`invalidate`: an acceptance, a finished audit or drill).

    Twenty requests at once would otherwise make eight queries each before any page is
    served; what other processes write (the sentinel's heartbeat, a backup run from the
    command line) shows within a second.
    """

    def __init__(self, store: Store, ttl: float = 1.0) -> None:
        self._store = store
        self._ttl = ttl
        self._lock = threading.Lock()
        self._current: Current | None = None
        self._read_at = 0.0

    def current(self) -> Current:
        with self._lock:
            now = time.monotonic()
            if self._current is None or now - self._read_at >= self._ttl:
                self._current = Current(
                    stamp=state_stamp(self._store),
                    sentinel_stamp=sentinel_stamp(self._store),
                    backup=backup_status(self._store),
                    sentinel=sentinel_status(self._store),
                )
                self._read_at = now
            return self._current

    def invalidate(self) -> None:
        with self._lock:
            self._current = None


class SnapshotCache:
    """Snapshots by (audit, language, day, store stamp); a few kept, least recent dropped.

    Twenty requests arriving together for a new state build it once: the others wait for
    the first one's result instead of building it too.
    """

    def __init__(self, size: int = 8) -> None:
        self._size = size
        self._items: OrderedDict[tuple[Any, ...], Snapshot | None] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[tuple[Any, ...], threading.Lock] = {}
        self._audits = AuditCache()

    def get(
        self, store: Store, audit_id: str | None, lang: str, stamp: tuple[Any, ...]
    ) -> Snapshot | None:
        key = (audit_id, lang, datetime.now(UTC).date(), stamp)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            build_lock = self._building.setdefault(key, threading.Lock())
        with build_lock:
            with self._lock:
                if key in self._items:
                    return self._items[key]
            snapshot = build_snapshot(store, audit_id, lang, self._audits)
            with self._lock:
                self._items[key] = snapshot
                self._items.move_to_end(key)
                while len(self._items) > self._size:
                    self._items.popitem(last=False)
                self._building.pop(key, None)
            return snapshot

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

"""The vulnerability knowledge store: one SQLite file (``<data dir>/vulns.db``).

Why plain ``sqlite3`` and not the audit store: this is a cache of public data (NVD, CISA KEV,
EPSS) that can be rebuilt at any time; it needs fast bulk inserts and one indexed lookup
(``cpe_match`` by vendor and product), nothing more.

Why a new file per import: an import copies the current file to a temporary one beside it,
writes into the copy, checks it, and only then moves it over the old one with
:func:`os.replace`. A truncated feed, a wrong hash or a crash in the middle therefore leaves the
previous knowledge exactly as it was. Readers open the file read-only; on POSIX a reader that
is already open keeps reading the old file until it closes. The temporary copy is written
without a journal (the rename is the commit) and the final file uses the ordinary rollback
journal, not WAL: a WAL file left beside ``vulns.db`` would belong to the replaced database.

Schema (version :data:`SCHEMA_VERSION`)::

    meta(key PRIMARY KEY, value)                 -- schema_version
    feed(source PRIMARY KEY, imported_at, records, sha256, last_modified, etag, detail)
    cve(id PRIMARY KEY, published, last_modified, description_en,
        cvss_score, cvss_severity, cvss_vector)
    cpe_match(cve_id, criteria, part, vendor, product, version, update_,
              version_start_including, version_start_excluding,
              version_end_including, version_end_excluding, vulnerable,
              lo_key, hi_key, exact_key, decided)
        INDEX (vendor, product, exact_key, hi_key), INDEX (cve_id)

``lo_key``/``hi_key`` (the lower and upper bound of a range, and ``exact_key`` the
criteria's own version for rows without one) are :func:`range_key` texts: the first three
numbers of a plain dotted version, zero-padded so that SQLite's text order is the version
order. An upper bound that holds its own version (``versionEndIncluding``, or one cut to
three numbers) carries :data:`INCLUSIVE` after its key, so that ``hi_key > key`` says
"ends after, or at, the version" for both kinds of end. A side that says nothing (no
bound, or one that is not a plain number) is :data:`NO_LOW` (``""``) below,
:data:`NO_HIGH` (``"~"``) above, and :data:`ANY_EXACT` (``""``) for the exact key;
``exact_key`` is ``-`` for "not applicable". Never NULL, so that
:meth:`KnowledgeBase.applicable` leaves out, inside SQLite and along the index
``(vendor, product, exact_key, hi_key)``, the rows that certainly do not hold the version
asked about: one seek for the ranges that end at or after it, one for the exact rows of
its key. ``decided`` is 1 when the keys say everything the row says (every bound a plain
version of at most three numbers, no ``versionStartExcluding``, no update): for a service
version of that shape too, a row the filter keeps applies, and the comparator is not asked.
    kev(cve_id PRIMARY KEY, vendor, product, name, date_added, due_date,
        known_ransomware, notes, required_action)
    epss(cve_id PRIMARY KEY, score, percentile, date)
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any, cast

from rempart import config
from rempart.core.errors import DataError
from rempart.i18n import _

SCHEMA_VERSION = 5
FILENAME = "vulns.db"
BATCH = 5000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS feed (
    source TEXT PRIMARY KEY,
    imported_at TEXT NOT NULL,
    records INTEGER NOT NULL,
    sha256 TEXT,
    last_modified TEXT,
    etag TEXT,
    detail TEXT
);
CREATE TABLE IF NOT EXISTS cve (
    id TEXT PRIMARY KEY,
    published TEXT,
    last_modified TEXT,
    description_en TEXT,
    cvss_score REAL,
    cvss_severity TEXT,
    cvss_vector TEXT
);
CREATE TABLE IF NOT EXISTS cpe_match (
    cve_id TEXT NOT NULL,
    criteria TEXT NOT NULL,
    part TEXT,
    vendor TEXT NOT NULL,
    product TEXT NOT NULL,
    version TEXT,
    update_ TEXT,
    version_start_including TEXT,
    version_start_excluding TEXT,
    version_end_including TEXT,
    version_end_excluding TEXT,
    vulnerable INTEGER NOT NULL,
    lo_key TEXT,
    hi_key TEXT,
    exact_key TEXT,
    decided INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS kev (
    cve_id TEXT PRIMARY KEY,
    vendor TEXT,
    product TEXT,
    name TEXT,
    date_added TEXT,
    due_date TEXT,
    known_ransomware INTEGER NOT NULL,
    notes TEXT,
    required_action TEXT
);
CREATE TABLE IF NOT EXISTS epss (
    cve_id TEXT PRIMARY KEY,
    score REAL NOT NULL,
    percentile REAL,
    date TEXT
);
"""
_INDEXES = """
CREATE INDEX IF NOT EXISTS cpe_match_key ON cpe_match (vendor, product, exact_key, hi_key);
CREATE INDEX IF NOT EXISTS cpe_match_cve ON cpe_match (cve_id);
"""


def default_path() -> Path:
    """``<data dir>/vulns.db``."""
    return config.data_dir() / FILENAME


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class CpeMatchRow:
    """One ``cpeMatch`` of an NVD configuration: a CPE criteria and an optional version range.

    ``vulnerable`` is False for platforms named only as context ("running on Windows").
    ``version``/``update`` come from the criteria (``*``: any, ``-``: not applicable).
    """

    cve_id: str
    criteria: str
    version: str
    version_start_including: str | None = None
    version_start_excluding: str | None = None
    version_end_including: str | None = None
    version_end_excluding: str | None = None
    vulnerable: bool = True
    part: str = "a"
    vendor: str = ""
    product: str = ""
    update: str = "*"


@dataclass(frozen=True)
class CveRow:
    """What the NVD says about one CVE (CVSS: v3.1, else v3.0, else v4.0, else v2)."""

    id: str
    published: str | None
    last_modified: str | None
    description_en: str | None
    cvss_score: float | None
    cvss_severity: str | None
    cvss_vector: str | None

    @property
    def cvss(self) -> float | None:
        """The base score (the name the matcher reads)."""
        return self.cvss_score


@dataclass(frozen=True)
class KevRow:
    """One entry of CISA's Known Exploited Vulnerabilities catalogue."""

    cve_id: str
    vendor: str | None
    product: str | None
    name: str | None
    date_added: str | None
    due_date: str | None
    known_ransomware: bool
    notes: str | None
    required_action: str | None


@dataclass(frozen=True)
class FeedState:
    """What the store remembers about the last import of one feed (for incremental updates)."""

    source: str
    imported_at: str
    records: int
    sha256: str | None = None
    last_modified: str | None = None
    etag: str | None = None
    detail: str | None = None


# One ``cpe_match`` row in column order (plain tuples: a full NVD import writes over a
# million of them, and a tuple costs a fraction of a frozen dataclass):
# (criteria, part, vendor, product, version, update, start_including, start_excluding,
#  end_including, end_excluding, vulnerable, lo_key, hi_key, exact_key, decided)
MatchTuple = tuple[
    str,
    str,
    str,
    str,
    str,
    str,
    str | None,
    str | None,
    str | None,
    str | None,
    int,
    str,
    str,
    str,
    int,
]

_PLAIN = re.compile(r"\d{1,9}(?:\.\d{1,9}){0,7}")
KEY_PARTS = 3  # numbers of a version kept in its key
NO_LOW, NO_HIGH, ANY_EXACT = "", "~", ""  # a side that says nothing (sorts below/above keys)
INCLUSIVE = "!"  # after an upper bound's key: the bound holds its own version (sorts below ".")


@functools.lru_cache(maxsize=65_536)  # a feed repeats the same bounds thousands of times
def range_key(text: str | None) -> str | None:
    """The first three numbers of a plain dotted version, zero-padded (``2.4.49`` →
    ``000000002.000000004.000000049``), else None.

    Text order of keys is the order of the versions they were cut from, and cutting keeps
    ``≤``: when ``a ≤ b`` then ``key(a) ≤ key(b)``. So a row whose upper bound's key is
    below the version's key cannot hold the version, whatever the rest of either says; the
    comparator decides for every row that is kept.
    """
    if not text:
        return None
    text = text.strip()
    if _PLAIN.fullmatch(text) is None:
        return None
    parts = [int(p) for p in text.split(".")[:KEY_PARTS]]
    parts += [0] * (KEY_PARTS - len(parts))
    return ".".join(f"{p:09d}" for p in parts)


@functools.lru_cache(maxsize=65_536)
def is_short(text: str | None) -> bool:
    """Whether a version is plain with at most three numbers: its key is the whole version."""
    if not text:
        return False
    text = text.strip()
    return text.count(".") < KEY_PARTS and _PLAIN.fullmatch(text) is not None


@dataclass(frozen=True)
class CveRecord:
    """One NVD CVE ready to be stored (built by :mod:`rempart.vulns.feeds.nvd`)."""

    id: str
    published: str | None
    last_modified: str | None
    description_en: str | None
    cvss_score: float | None
    cvss_severity: str | None
    cvss_vector: str | None
    matches: tuple[MatchTuple, ...]


# --------------------------------------------------------------------------- reading


class KnowledgeBase:
    """Read access to the knowledge store, for the matcher and the reports."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path
        self._candidates: dict[tuple[str, str], tuple[CpeMatchRow, ...]] = {}
        # Facts per CVE (cve, kev, epss rows): an audit asks about the same CVEs on many hosts.
        self._per_cve: dict[tuple[str, str], Any] = {}

    @classmethod
    def open(cls, path: Path | None = None) -> KnowledgeBase | None:
        """The store at ``path`` (default: the data dir), or ``None`` when nothing was imported.

        Raises :class:`DataError` when the file exists but is not a knowledge store of this
        version (damaged, or written by another version of Rempart).
        """
        path = path or default_path()
        if not path.is_file():
            return None
        try:
            db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        except sqlite3.Error as exc:
            raise _unreadable(path, exc) from exc
        try:
            version = _schema_version(db)
            if version != SCHEMA_VERSION:
                raise DataError(
                    _(
                        "The vulnerability knowledge {path} was written by another version of "
                        "Rempart. Run 'rempart data update' (or 'rempart data import') again."
                    ).format(path=path)
                )
            if db.execute("SELECT COUNT(*) FROM feed").fetchone()[0] == 0:
                db.close()
                return None
        except sqlite3.Error as exc:
            db.close()
            raise _unreadable(path, exc) from exc
        except DataError:
            db.close()
            raise
        return cls(db, path)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def candidates(self, vendor: str, product: str) -> list[CpeMatchRow]:
        """Every match row naming ``vendor:product`` (lower-case, as in CPE names).

        The last products asked for are kept: an audit asks for the same few products
        (OpenSSH, Samba, IIS…) on every host.
        """
        key = (vendor.lower(), product.lower())
        cached = self._candidates.get(key)
        if cached is None:
            cached = self._load_candidates(*key)
            if len(self._candidates) >= 256:
                self._candidates.pop(next(iter(self._candidates)))
            self._candidates[key] = cached
        return list(cached)

    def applicable(
        self, vendor: str, product: str, version: str, *, scheme: str | None = None
    ) -> list[CpeMatchRow]:
        """The rows of ``vendor:product`` that say ``version`` is vulnerable.

        The same answer as filtering :meth:`candidates` with ``cpe_match_applies`` (a test
        holds them equal), faster for products with thousands of rows: when the version is
        a plain dotted number, rows whose range ends before it or starts after it (on the
        first three numbers), exact rows of another version and rows that are not vulnerable
        are left out by SQLite before any row is built; a kept row whose keys say
        everything (``decided``) is not checked again when the version is short.
        """
        from rempart.vulns.feeds.cpe import cpe_match_applies

        key = range_key(version) if scheme is None else None
        if key is None:
            rows = self.candidates(vendor, product)
            return [r for r in rows if cpe_match_applies(r, version, scheme=scheme)]
        return [_match_row(r) for r in self._narrowed(vendor, product, version, key)]

    def applicable_ids(self, vendor: str, product: str, version: str) -> list[str]:
        """The CVE ids of :meth:`applicable`'s rows, each once, in row order: what matching
        needs, without building a row object for the rows the keys decide. The CVSS score,
        KEV entry and EPSS score of each come in the same query (joined), so that the
        :meth:`cvss`, :meth:`kev` and :meth:`epss` that follow need none."""
        key = range_key(version)
        if key is None:
            return list(dict.fromkeys(r.cve_id for r in self.applicable(vendor, product, version)))
        ids: dict[str, None] = {}
        for r in self._narrowed(vendor, product, version, key):
            cve_id = r[0]
            if cve_id in ids:
                continue
            ids[cve_id] = None
            self._put(("cvss", cve_id), None if r[13] is None else float(r[13]))
            self._put(("epss", cve_id), None if r[14] is None else float(r[14]))
            kev = r[15:]
            self._put(("kev", cve_id), None if kev[0] is None else _kev_row(kev))
        return list(ids)

    def _narrowed(
        self, vendor: str, product: str, version: str, key: str
    ) -> Iterator[tuple[Any, ...]]:
        """The rows of :data:`_FACTS_SQL` that hold ``version`` (of key ``key``): SQLite keeps
        those the keys allow, the comparator decides those the keys cannot (``decided``)."""
        from rempart.vulns.feeds.cpe import cpe_match_applies

        short = is_short(version)
        params = (vendor.lower(), product.lower(), ANY_EXACT, key, key, key)
        for r in self._query(_FACTS_SQL, params):
            if (r[12] and short) or cpe_match_applies(_match_row(r), version):
                yield r

    def _load_candidates(self, vendor: str, product: str) -> tuple[CpeMatchRow, ...]:
        return tuple(self._rows(_SELECT_ROWS, (vendor, product)))

    def _rows(self, sql: str, params: Sequence[object]) -> list[CpeMatchRow]:
        return [_match_row(r) for r in self._query(sql, params)]

    def _remember(self, table: str, cve_id: str, load: Callable[[str], Any]) -> Any:
        key = (table, cve_id.upper())
        if key in self._per_cve:
            return self._per_cve[key]
        value = load(key[1])
        self._put(key, value)
        return value

    def _put(self, key: tuple[str, str], value: Any) -> None:
        if len(self._per_cve) >= _PER_CVE_CACHE:
            self._per_cve.pop(next(iter(self._per_cve)))
        self._per_cve[key] = value

    def cve(self, cve_id: str) -> CveRow | None:
        return cast("CveRow | None", self._remember("cve", cve_id, self._load_cve))

    def kev(self, cve_id: str) -> KevRow | None:
        return cast("KevRow | None", self._remember("kev", cve_id, self._load_kev))

    def epss(self, cve_id: str) -> float | None:
        return cast("float | None", self._remember("epss", cve_id, self._load_epss))

    def cvss(self, cve_id: str) -> float | None:
        """The CVE's base score alone (what matching needs; :meth:`cve` reads the rest)."""
        return cast("float | None", self._remember("cvss", cve_id, self._load_cvss))

    def prefetch(self, cve_ids: Iterable[str]) -> None:
        """Load the CVSS score, KEV entry and EPSS score of many CVEs in one query per 500 (a
        service can have hundreds of CVEs: a query per CVE and table would cost more than
        matching). Descriptions are not read: :meth:`cve` reads them when asked.

        Only CVEs of the NVD feed are prefetched (the join starts from it); the others are
        looked up one by one when asked for, so a KEV-only fact is never hidden.
        """
        wanted = sorted(
            {u for u in (c.upper() for c in cve_ids) if ("cvss", u) not in self._per_cve}
        )
        kev_cols = ", ".join(f"k.{c}" for c in _KEV_COLUMNS)
        for at in range(0, len(wanted), 500):
            chunk = wanted[at : at + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._query(
                f"SELECT c.id, c.cvss_score, {kev_cols}, e.score FROM cve c"
                " LEFT JOIN kev k ON k.cve_id = c.id LEFT JOIN epss e ON e.cve_id = c.id"
                f" WHERE c.id IN ({marks})",
                chunk,
            )
            for r in rows:
                kev = r[2:-1]
                self._put(("cvss", r[0]), None if r[1] is None else float(r[1]))
                self._put(("kev", r[0]), None if kev[0] is None else _kev_row(kev))
                self._put(("epss", r[0]), None if r[-1] is None else float(r[-1]))

    def _load_cve(self, cve_id: str) -> CveRow | None:
        rows = self._query(
            f"SELECT {', '.join(_CVE_COLUMNS)} FROM cve WHERE id = ?", (cve_id.upper(),)
        )
        return CveRow(*rows[0]) if rows else None

    def _load_cvss(self, cve_id: str) -> float | None:
        rows = self._query("SELECT cvss_score FROM cve WHERE id = ?", (cve_id.upper(),))
        return None if not rows or rows[0][0] is None else float(rows[0][0])

    def _load_kev(self, cve_id: str) -> KevRow | None:
        rows = self._query(
            f"SELECT {', '.join(_KEV_COLUMNS)} FROM kev WHERE cve_id = ?", (cve_id.upper(),)
        )
        return _kev_row(rows[0]) if rows else None

    def _load_epss(self, cve_id: str) -> float | None:
        rows = self._query("SELECT score FROM epss WHERE cve_id = ?", (cve_id.upper(),))
        return float(rows[0][0]) if rows else None

    def feeds(self) -> dict[str, FeedState]:
        """The state of every imported feed, by source name (``nvd``, ``kev``, ``epss``)."""
        rows = self._query(
            "SELECT source, imported_at, records, sha256, last_modified, etag, detail FROM feed", ()
        )
        return {r[0]: FeedState(*r) for r in rows}

    def stats(self) -> dict[str, Any]:
        """Counts per table and the feeds' states, for ``rempart data status``."""
        counts = {}
        for table in ("cve", "cpe_match", "kev", "epss"):
            counts[table] = self._query(f"SELECT COUNT(*) FROM {table}", ())[0][0]
        ransomware = self._query("SELECT COUNT(*) FROM kev WHERE known_ransomware = 1", ())[0][0]
        return {
            "path": str(self.path),
            "schema_version": SCHEMA_VERSION,
            "cves": counts["cve"],
            "cpe_matches": counts["cpe_match"],
            "kev": counts["kev"],
            "kev_known_ransomware": ransomware,
            "epss": counts["epss"],
            "feeds": {name: state.__dict__ for name, state in self.feeds().items()},
        }

    def _query(self, sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise _unreadable(self.path, exc) from exc


_PER_CVE_CACHE = 65_536  # facts kept per CVE and table: bounded memory

# Columns read into CveRow and KevRow, in their field order (one list for every query).
_CVE_COLUMNS = (
    "id", "published", "last_modified", "description_en", "cvss_score", "cvss_severity",
    "cvss_vector",
)  # fmt: skip
_KEV_COLUMNS = (
    "cve_id", "vendor", "product", "name", "date_added", "due_date", "known_ransomware",
    "notes", "required_action",
)  # fmt: skip


def _kev_row(r: Sequence[Any]) -> KevRow:
    return KevRow(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), r[7], r[8])


# The rows that may hold a version of key K, with their CVE's facts joined: ranges (exact_key
# "") that end after K and exact rows of K, both along the index; then ranges that start
# after K are left out. Columns 0-11 as in _SELECT_ROWS, 12 decided, 13 CVSS, 14 EPSS, 15- KEV.
_FACTS_SQL = (
    "SELECT m.cve_id, m.criteria, m.version, m.version_start_including,"
    " m.version_start_excluding, m.version_end_including, m.version_end_excluding,"
    " m.vulnerable, m.part, m.vendor, m.product, m.update_, m.decided, c.cvss_score, e.score, "
    + ", ".join(f"k.{c}" for c in _KEV_COLUMNS)
    + " FROM cpe_match m LEFT JOIN cve c ON c.id = m.cve_id"
    " LEFT JOIN epss e ON e.cve_id = m.cve_id LEFT JOIN kev k ON k.cve_id = m.cve_id"
    " WHERE m.vendor = ? AND m.product = ? AND m.exact_key IN (?, ?) AND m.hi_key > ?"
    " AND m.lo_key <= ? AND m.vulnerable = 1"
)


_SELECT_ROWS = (
    "SELECT cve_id, criteria, version, version_start_including, version_start_excluding,"
    " version_end_including, version_end_excluding, vulnerable, part, vendor, product,"
    " update_ FROM cpe_match WHERE vendor = ? AND product = ?"
)


def _match_row(r: Sequence[Any]) -> CpeMatchRow:
    return CpeMatchRow(
        cve_id=r[0],
        criteria=r[1],
        version=r[2] or "*",
        version_start_including=r[3],
        version_start_excluding=r[4],
        version_end_including=r[5],
        version_end_excluding=r[6],
        vulnerable=bool(r[7]),
        part=r[8] or "*",
        vendor=r[9],
        product=r[10],
        update=r[11] or "*",
    )


def _schema_version(db: sqlite3.Connection) -> int | None:
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    try:
        return int(row[0]) if row else None
    except (TypeError, ValueError):
        return None


def _unreadable(path: Path, exc: Exception) -> DataError:
    return DataError(
        _(
            "The vulnerability knowledge {path} cannot be read ({error}). Delete it and run "
            "'rempart data update' (or 'rempart data import') again."
        ).format(path=path, error=exc)
    )


# --------------------------------------------------------------------------- writing


class KnowledgeWriter:
    """One import: a private copy of the store, written then swapped in by :meth:`commit`.

    Use as a context manager; leaving it with an exception (or without :meth:`commit`)
    deletes the copy and leaves the store untouched.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        self._tmp: Path | None = None
        self._db: sqlite3.Connection | None = None
        self._fresh = True
        self._known_ids = False
        self._lock: IO[bytes] | None = None

    # -- lifecycle

    def __enter__(self) -> KnowledgeWriter:
        self.begin()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.abort()

    def begin(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._take_lock()
            fd, name = tempfile.mkstemp(
                prefix=f".{self.path.name}-import-", suffix=".tmp", dir=self.path.parent
            )
            os.close(fd)
            self._tmp = Path(name)
            if self.path.is_file() and self._usable(self.path):
                shutil.copyfile(self.path, self._tmp)
                self._fresh = False
            db = sqlite3.connect(self._tmp, isolation_level=None)
            db.execute("PRAGMA journal_mode = OFF")
            db.execute("PRAGMA synchronous = OFF")
            db.execute("PRAGMA cache_size = -65536")
            db.execute("PRAGMA temp_store = MEMORY")
            # A first import fills the tables before indexing them (several times faster).
            db.executescript(_SCHEMA if self._fresh else _SCHEMA + _INDEXES)
            db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
            db.execute("BEGIN")
            self._db = db
            self._known_ids = (
                not self._fresh and db.execute("SELECT 1 FROM cve LIMIT 1").fetchone() is not None
            )
        except (OSError, sqlite3.Error) as exc:
            self.abort()
            raise DataError(
                _("Cannot write the vulnerability knowledge beside {path}: {error}.").format(
                    path=self.path, error=getattr(exc, "strerror", None) or exc
                )
            ) from exc

    def _take_lock(self) -> None:
        """One import at a time: two would each copy the old store and the last would win."""
        lock = open(self.path.with_name(self.path.name + ".lock"), "a+b")
        try:
            if sys.platform == "win32":
                import msvcrt

                msvcrt.locking(lock.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            lock.close()
            raise DataError(
                _(
                    "Another import of vulnerability data is running into {path}; "
                    "try again when it has finished."
                ).format(path=self.path)
            ) from exc
        self._lock = lock

    def _release_lock(self) -> None:
        if self._lock is not None:
            self._lock.close()  # closing releases the lock
            self._lock = None

    @staticmethod
    def _usable(path: Path) -> bool:
        """Whether the current file is a store of this schema (else the import starts afresh)."""
        try:
            db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            try:
                return _schema_version(db) == SCHEMA_VERSION
            finally:
                db.close()
        except sqlite3.Error:
            return False

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("KnowledgeWriter used outside begin()/commit()")
        return self._db

    def commit(self) -> None:
        """Check the copy, then put it in place of the store (atomically)."""
        db = self.db
        try:
            db.execute("COMMIT")
            db.executescript(_INDEXES)
            db.execute("PRAGMA journal_mode = DELETE")
            db.close()
            self._db = None
            assert self._tmp is not None
            with open(self._tmp, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(self._tmp, self.path)
            self._tmp = None
            self._release_lock()
        except (OSError, sqlite3.Error) as exc:
            self.abort()
            raise DataError(
                _("Cannot write the vulnerability knowledge {path}: {error}.").format(
                    path=self.path, error=getattr(exc, "strerror", None) or exc
                )
            ) from exc

    def abort(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None
        if self._tmp is not None:
            for suffix in ("", "-journal", "-wal", "-shm"):
                with contextlib.suppress(OSError):
                    Path(str(self._tmp) + suffix).unlink()
            self._tmp = None
        self._release_lock()

    # -- feeds

    def set_feed(self, state: FeedState) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO feed (source, imported_at, records, sha256, last_modified,"
            " etag, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                state.source,
                state.imported_at,
                state.records,
                state.sha256,
                state.last_modified,
                state.etag,
                state.detail,
            ),
        )

    def feed(self, source: str) -> FeedState | None:
        row = self.db.execute(
            "SELECT source, imported_at, records, sha256, last_modified, etag, detail"
            " FROM feed WHERE source = ?",
            (source,),
        ).fetchone()
        return FeedState(*row) if row else None

    def count(self, table: str) -> int:
        if table not in ("cve", "cpe_match", "kev", "epss"):
            raise ValueError(table)
        return int(self.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    def upsert_cves(self, records: Iterable[CveRecord]) -> int:
        """Store NVD records in batches; a record replaces a stored one unless that one is newer.

        Returns how many records were written (new or newer).
        """
        written = 0
        batch: dict[str, CveRecord] = {}
        for record in records:
            old = batch.get(record.id)
            if old is None or _newer_or_same(record.last_modified, old.last_modified):
                batch[record.id] = record
            if len(batch) >= BATCH:
                written += self._write_cves(batch)
                batch = {}
        if batch:
            written += self._write_cves(batch)
        return written

    def _write_cves(self, batch: dict[str, CveRecord]) -> int:
        db = self.db
        records = list(batch.values())
        if self._known_ids:
            stored: dict[str, str | None] = {}
            ids = list(batch)
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for cve_id, modified in db.execute(
                    f"SELECT id, last_modified FROM cve WHERE id IN ({marks})", chunk
                ):
                    stored[cve_id] = modified
            records = [
                r
                for r in records
                if r.id not in stored or _newer_or_same(r.last_modified, stored[r.id])
            ]
            replaced = [(r.id,) for r in records if r.id in stored]
            if replaced:
                db.executemany("DELETE FROM cpe_match WHERE cve_id = ?", replaced)
        db.executemany(
            "INSERT OR REPLACE INTO cve (id, published, last_modified, description_en, cvss_score,"
            " cvss_severity, cvss_vector) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    r.id,
                    r.published,
                    r.last_modified,
                    r.description_en,
                    r.cvss_score,
                    r.cvss_severity,
                    r.cvss_vector,
                )
                for r in records
            ],
        )
        db.executemany(
            "INSERT INTO cpe_match (cve_id, criteria, part, vendor, product, version, update_,"
            " version_start_including, version_start_excluding, version_end_including,"
            " version_end_excluding, vulnerable, lo_key, hi_key, exact_key, decided)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(r.id, *m) for r in records for m in r.matches],
        )
        self._known_ids = True
        return len(records)

    def replace_kev(self, rows: Sequence[KevRow]) -> None:
        """The catalogue is published whole: the new one replaces the old one."""
        self.db.execute("DELETE FROM kev")
        self.db.executemany(
            "INSERT OR REPLACE INTO kev (cve_id, vendor, product, name, date_added, due_date,"
            " known_ransomware, notes, required_action) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    r.cve_id,
                    r.vendor,
                    r.product,
                    r.name,
                    r.date_added,
                    r.due_date,
                    1 if r.known_ransomware else 0,
                    r.notes,
                    r.required_action,
                )
                for r in rows
            ],
        )

    def replace_epss(
        self, rows: Iterable[tuple[str, float, float | None]], date: str | None
    ) -> int:
        """EPSS scores are published whole each day: the new set replaces the old one."""
        self.db.execute("DELETE FROM epss")
        count = 0
        batch: list[tuple[str, float, float | None, str | None]] = []
        for cve_id, score, percentile in rows:
            batch.append((cve_id, score, percentile, date))
            if len(batch) >= BATCH:
                count += self._write_epss(batch)
                batch = []
        if batch:
            count += self._write_epss(batch)
        return count

    def _write_epss(self, batch: list[tuple[str, float, float | None, str | None]]) -> int:
        self.db.executemany(
            "INSERT OR REPLACE INTO epss (cve_id, score, percentile, date) VALUES (?, ?, ?, ?)",
            batch,
        )
        return len(batch)


def _newer_or_same(candidate: str | None, stored: str | None) -> bool:
    if stored is None:
        return True
    if candidate is None:
        return False
    return candidate >= stored


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iter_batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch

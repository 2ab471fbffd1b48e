"""The sentinel's baseline in the store (table ``sentinel_baseline``, migration 0004).

One row per protected file: what it looked like when last known good (size, mtime, kind from
magic bytes, entropy and chi-square of its sample, ppdeep hash where kept). Rows are plain
tuples here, in the order of :data:`FIELDS`, so that the store does not depend on the sentinel
pillar (``rempart.sentinel.baseline.BaselineEntry`` is built from them).

Why batches and stamps: a practice folder may hold 100,000 files. :func:`stamps` returns only
``path → (size, mtime)`` for one root, so that a restart recomputes only the files that changed;
:func:`upsert` and :func:`delete` take any number of rows and write them in chunks, in one
transaction per call.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy import delete as sql_delete
from sqlalchemy.exc import SQLAlchemyError

from rempart.core.errors import StoreError
from rempart.i18n import _
from rempart.store import Store
from rempart.store.models import SentinelBaselineRow

#: The order of a row tuple.
FIELDS = ("path", "size", "mtime", "kind", "entropy", "chi2", "fuzzy")
Row = tuple[str, int, float, str, float, float, str | None]

CHUNK = 500
_T: Table = cast(Table, SentinelBaselineRow.__table__)


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except SQLAlchemyError as exc:
        raise StoreError(
            _("The store could not be written or read: {error}").format(error=exc)
        ) from exc


def _row(values: Sequence[Any]) -> Row:
    path, size, mtime, kind, entropy, chi2, fuzzy = values
    return (str(path), int(size), float(mtime), str(kind), float(entropy), float(chi2), fuzzy)


def get(store: Store, path: str) -> Row | None:
    """The stored row of ``path``, or ``None``."""
    columns = [_T.c[name] for name in FIELDS]
    with _errors(), store.engine.connect() as conn:
        found = conn.execute(select(*columns).where(_T.c.path == path)).first()
    return _row(found) if found is not None else None


def stamps(store: Store, root: str) -> dict[str, tuple[int, float]]:
    """``path → (size, mtime)`` of every row under ``root``: what a rebuild compares against."""
    with _errors(), store.engine.connect() as conn:
        result = conn.execute(select(_T.c.path, _T.c.size, _T.c.mtime).where(_T.c.root == root))
        return {path: (int(size), float(mtime)) for path, size, mtime in result}


def rows(store: Store, root: str | None = None) -> Iterator[Row]:
    """Every row (of one root, or all), streamed."""
    columns = [_T.c[name] for name in FIELDS]
    query = select(*columns).order_by(_T.c.path)
    if root is not None:
        query = query.where(_T.c.root == root)
    with _errors(), store.engine.connect() as conn:
        for found in conn.execution_options(yield_per=1000).execute(query):
            yield _row(found)


def count(store: Store, root: str | None = None) -> int:
    query = select(func.count()).select_from(_T)
    if root is not None:
        query = query.where(_T.c.root == root)
    with _errors(), store.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def _insert(dialect: str) -> Any:
    if dialect == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert
    return None  # pragma: no cover - the store runs on SQLite or PostgreSQL


def upsert(store: Store, items: Iterable[tuple[str, Row]]) -> int:
    """Insert or replace rows; ``items`` are ``(root, row)`` pairs. Returns how many."""
    now = datetime.now(UTC)
    insert = _insert(store.engine.dialect.name)
    written = 0
    batch: list[dict[str, Any]] = []

    def flush(conn: Any) -> None:
        if not batch:
            return
        if insert is not None:
            stmt = insert(_T)
            stmt = stmt.on_conflict_do_update(
                index_elements=[_T.c.path],
                set_={name: stmt.excluded[name] for name in (*FIELDS[1:], "root", "updated_at")},
            )
            conn.execute(stmt, batch)
        else:  # pragma: no cover
            conn.execute(sql_delete(_T).where(_T.c.path.in_([b["path"] for b in batch])))
            conn.execute(_T.insert(), batch)
        batch.clear()

    with _errors(), store.engine.begin() as conn:
        for root, row in items:
            values: dict[str, Any] = dict(zip(FIELDS, row, strict=True))
            values.update(root=root, updated_at=now)
            batch.append(values)
            written += 1
            if len(batch) >= CHUNK:
                flush(conn)
        flush(conn)
    return written


def delete(store: Store, paths: Iterable[str]) -> int:
    """Forget the rows of ``paths``. Returns how many paths were asked for."""
    asked = 0
    chunk: list[str] = []
    with _errors(), store.engine.begin() as conn:
        for path in paths:
            chunk.append(path)
            asked += 1
            if len(chunk) >= CHUNK:
                conn.execute(sql_delete(_T).where(_T.c.path.in_(chunk)))
                chunk = []
        if chunk:
            conn.execute(sql_delete(_T).where(_T.c.path.in_(chunk)))
    return asked


def delete_root(store: Store, root: str) -> None:
    """Forget a whole protected folder."""
    with _errors(), store.engine.begin() as conn:
        conn.execute(sql_delete(_T).where(_T.c.root == root))

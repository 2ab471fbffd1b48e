"""The survey's answers on disk: ``<data dir>/survey.db``, a SQLite file of its own.

Every answer given is a new row (``question_id``, ``value``, ``answered_at``, ``origin``):
the current answer to a question is its latest row, and the history says when each was
given, so that an answer older than N months can be asked again. Each save is one
transaction: an interrupted survey keeps every answer saved before the interruption and
never half of one.

The lead may later move this table into the main store with an Alembic migration; the
public functions here (:func:`load_stored_answers`, :func:`save_answers`,
:func:`answer_history`) are what the rest of Rempart calls.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from rempart import config
from rempart.core.errors import StoreError
from rempart.core.survey import Answer, Answers, effective
from rempart.i18n import _

DB_NAME = "survey.db"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS survey_answer (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    question_id TEXT NOT NULL,
    value TEXT NOT NULL,
    answered_at TEXT NOT NULL,
    origin TEXT NOT NULL DEFAULT 'interactive'
);
CREATE INDEX IF NOT EXISTS survey_answer_question ON survey_answer (question_id, answered_at);
"""


def db_path() -> Path:
    return config.data_dir() / DB_NAME


@contextmanager
def _connect(path: Path | None = None) -> Iterator[sqlite3.Connection]:
    path = path or db_path()
    try:
        conn = sqlite3.connect(path, timeout=5.0)
    except sqlite3.Error as exc:
        raise StoreError(
            _("Cannot open the survey answers {path}: {error}.").format(path=path, error=exc)
        ) from exc
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                _(
                    "The survey answers {path} were written by a newer Rempart: update Rempart."
                ).format(path=path)
            )
        if version < SCHEMA_VERSION:
            with conn:
                conn.executescript(_SCHEMA)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        yield conn
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            _(
                "The survey answers {path} cannot be read ({error}): move the file away "
                "and answer the survey again."
            ).format(path=path, error=exc)
        ) from exc
    finally:
        conn.close()


def _decode(question_id: str, value: str, answered_at: str) -> Answer | None:
    """One row → an answer; a row that does not decode is skipped, not fatal."""
    try:
        decoded = json.loads(value)
        when = datetime.fromisoformat(answered_at)
    except (ValueError, TypeError):
        return None
    if isinstance(decoded, bool) or not isinstance(decoded, (str, int)):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return Answer(question_id=question_id, value=decoded, answered_at=when)


def save_answers(answers: Iterable[Answer], origin: str = "interactive") -> int:
    """Append the answers (one transaction); returns how many differ from the stored ones."""
    items = list(answers)
    if not items:
        return 0
    with _connect() as conn:
        current = _latest(conn)
        changed = sum(1 for a in items if current.value(a.question_id) != a.value)
        with conn:
            conn.executemany(
                "INSERT INTO survey_answer (question_id, value, answered_at, origin) "
                "VALUES (?, ?, ?, ?)",
                [
                    (a.question_id, json.dumps(a.value), a.answered_at.isoformat(), origin)
                    for a in items
                ],
            )
    return changed


def _latest(conn: sqlite3.Connection) -> Answers:
    rows = conn.execute(
        "SELECT question_id, value, answered_at FROM survey_answer ORDER BY id"
    ).fetchall()
    return Answers.of(a for a in (_decode(*row) for row in rows) if a is not None)


def stored_answers() -> Answers:
    """The latest stored answer to each question, as stored (no condition applied)."""
    if not db_path().exists():
        return Answers()
    with _connect() as conn:
        return _latest(conn)


def load_stored_answers() -> Answers:
    """The answers that count today: latest per question, for questions still asked.

    This is what the audit judges (``org_findings``): answers to questions removed from the
    survey, invalid values, and answers to questions whose condition no longer holds are
    left out. No answer at all gives an empty :class:`Answers` (no ORG- finding).
    """
    from rempart.survey.loader import questions

    return effective(questions(), stored_answers())


def answer_history(question_id: str) -> tuple[Answer, ...]:
    """Every answer ever given to one question, oldest first."""
    if not db_path().exists():
        return ()
    with _connect() as conn:
        rows = conn.execute(
            "SELECT question_id, value, answered_at FROM survey_answer "
            "WHERE question_id = ? ORDER BY id",
            (question_id,),
        ).fetchall()
    return tuple(a for a in (_decode(*row) for row in rows) if a is not None)

"""Answers kept in survey.db: latest wins, history kept, conditions respected, a damaged
file is one clear error, and the audit's entry points see what was stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rempart import i18n
from rempart.core.errors import StoreError
from rempart.core.survey import Answer, Answers
from rempart.survey import load_stored_answers, org_findings
from rempart.survey.store import answer_history, db_path, save_answers, stored_answers

T0 = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)


def test_nothing_stored_means_no_answers_and_no_findings() -> None:
    assert load_stored_answers() == Answers()
    assert org_findings(load_stored_answers(), T0) == ()
    assert not db_path().exists()  # reading does not create the file


def test_the_latest_answer_wins_and_the_history_is_kept() -> None:
    assert save_answers([Answer("backup.exists", "no", T0)]) == 1
    assert save_answers([Answer("backup.exists", "yes", T0 + timedelta(days=30))]) == 1
    assert save_answers([Answer("backup.exists", "yes", T0 + timedelta(days=60))]) == 0
    assert load_stored_answers().value("backup.exists") == "yes"
    history = answer_history("backup.exists")
    assert [(a.value, a.answered_at) for a in history] == [
        ("no", T0),
        ("yes", T0 + timedelta(days=30)),
        ("yes", T0 + timedelta(days=60)),
    ]


def test_a_follow_up_stops_counting_when_its_condition_no_longer_holds() -> None:
    save_answers([Answer("wifi.patients", "yes", T0), Answer("wifi.separated", "no", T0)])
    ids = [f.check_id for f in org_findings(load_stored_answers(), T0)]
    assert ids == ["ORG-WIFI-NOT-SEPARATED"]
    save_answers([Answer("wifi.patients", "no", T0 + timedelta(days=1))])
    assert "wifi.separated" in stored_answers()  # kept in the history...
    assert "wifi.separated" not in load_stored_answers()  # ...but no longer judged
    assert org_findings(load_stored_answers(), T0) == ()
    # and org_findings applies the same rule to answers given directly
    assert org_findings(stored_answers(), T0) == ()


def test_rows_that_do_not_decode_are_skipped() -> None:
    import sqlite3

    save_answers([Answer("backup.exists", "yes", T0)])
    with sqlite3.connect(db_path()) as conn:
        conn.execute(
            "INSERT INTO survey_answer (question_id, value, answered_at) VALUES (?, ?, ?)",
            ("backup.offline_copy", "{not json", T0.isoformat()),
        )
        conn.execute(
            "INSERT INTO survey_answer (question_id, value, answered_at) VALUES (?, ?, ?)",
            ("mfa.email", '"no"', "yesterday"),
        )
        conn.execute(
            "INSERT INTO survey_answer (question_id, value, answered_at) VALUES (?, ?, ?)",
            ("no.such.question", '"no"', T0.isoformat()),
        )
        conn.execute(
            "INSERT INTO survey_answer (question_id, value, answered_at) VALUES (?, ?, ?)",
            ("passwords.manager", '"perhaps"', T0.isoformat()),
        )
    assert load_stored_answers().as_dict() == {"backup.exists": "yes"}


def test_a_damaged_file_is_one_clear_error() -> None:
    db_path().write_bytes(b"this is not a SQLite database" * 100)
    with pytest.raises(StoreError) as caught:
        load_stored_answers()
    message = str(caught.value)
    assert "survey.db" in message and "\n" not in message


def test_a_file_from_a_newer_rempart_is_refused() -> None:
    import sqlite3

    save_answers([Answer("backup.exists", "yes", T0)])
    with sqlite3.connect(db_path()) as conn:
        conn.execute("PRAGMA user_version = 99")
    i18n.set_language("en")  # the message is checked in English (conftest resets to fr)
    with pytest.raises(StoreError, match="newer"):
        stored_answers()

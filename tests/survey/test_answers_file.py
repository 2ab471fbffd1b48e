"""The answers file: a template lists every question, a filled file is validated field by
field, the export reads back unchanged, and bad input gets one line naming the field."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rempart import i18n
from rempart.core.errors import UsageError
from rempart.core.survey import Answer, Answers, QuestionType
from rempart.survey.answers_file import (
    MAX_FILE_BYTES,
    parse_answers,
    read_answers_file,
    render_answers,
    write_answers_file,
)
from rempart.survey.loader import load_questionnaire
from rempart.survey.store import db_path, stored_answers
from tests.survey.terminal import RUNNER

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
QUESTIONS = load_questionnaire().questions


def rempart(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", RUNNER, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200"},
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_template_lists_every_question_commented_in_french() -> None:
    text = render_answers(Answers())
    for q in QUESTIONS:
        assert f'# {q.id} = ""' in text
        assert q.text.fr in text
    assert "Sauvegardes" in text and "Backups" not in text
    assert parse_answers(text, NOW) == Answers()  # an untouched template answers nothing


def test_a_filled_template_is_read_with_french_spellings_and_booleans() -> None:
    text = render_answers(Answers())
    text = text.replace('# backup.exists = ""', 'backup.exists = "Oui"')
    text = text.replace('# backup.offsite = ""', "backup.offsite = false")
    text = text.replace('# backup.restore_tested = ""', 'backup.restore_tested = "ne_sais_pas"')
    text = text.replace('# backup.frequency = ""', 'backup.frequency = "weekly"')
    text = text.replace('# backup.copies = ""', "backup.copies = 1")
    text = text.replace('# mfa.email = ""', 'mfa.email = ""')  # empty: not an answer
    answers = parse_answers(text, NOW)
    assert answers.as_dict() == {
        "backup.copies": 1,
        "backup.exists": "yes",
        "backup.frequency": "weekly",
        "backup.offsite": "no",
        "backup.restore_tested": "dont_know",
    }
    assert all(a.answered_at == NOW for a in answers)


def test_tables_work_as_well_as_dotted_keys() -> None:
    answers = parse_answers('[backup]\nexists = "no"\n[wifi]\npatients = "yes"\n', NOW)
    assert answers.as_dict() == {"backup.exists": "no", "wifi.patients": "yes"}


def test_the_export_reads_back_unchanged(tmp_path: Path) -> None:
    every = Answers.of(
        Answer(q.id, q.minimum + 3 if q.type is QuestionType.NUMBER else q.allowed[-1], NOW)
        for q in QUESTIONS
    )
    path = write_answers_file(tmp_path / "export.toml", every)
    assert read_answers_file(path, NOW) == every
    tomllib.loads(path.read_text(encoding="utf-8"))  # valid TOML for any other tool too


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            'backup.offline_copy = "peut-être"',
            "answers.toml: backup.offline_copy: expected yes, no or dont_know, got 'peut-être'.",
        ),
        (
            'backup.frequency = "hourly"',
            "answers.toml: backup.frequency: expected daily, weekly, monthly or rarely, "
            "got 'hourly'.",
        ),
        (
            "backup.copies = 9999",
            "answers.toml: backup.copies: expected a whole number from 0 to 50, got 9999.",
        ),
        (
            "backup.copies = 1.5",
            "answers.toml: backup.copies: expected a whole number from 0 to 50, got 1.5.",
        ),
        ("backup.exists = 1", "answers.toml: backup.exists: expected yes, no or dont_know, got 1."),
        ('backup.offlin_copy = "no"', "answers.toml: backup.offlin_copy: unknown question"),
        ('backup = "yes"', "answers.toml: backup: unknown question"),
    ],
)
def test_a_wrong_field_is_named(line: str, message: str) -> None:
    i18n.set_language("en")  # the messages are checked in English (conftest resets to fr)
    with pytest.raises(UsageError) as caught:
        parse_answers(line + "\n", NOW)
    assert str(caught.value).startswith(message)


def test_a_bad_file_through_the_command_stores_nothing(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text('backup.exists = "yes"\n', encoding="utf-8")
    assert rempart("--lang", "en", "survey", "--answers", str(good)).returncode == 0
    before = db_path().read_bytes()

    bad = tmp_path / "answers.toml"
    bad.write_text('backup.exists = "no"\nbackup.offline_copy = "peut-être"\n', encoding="utf-8")
    line = one_line_error(rempart("--lang", "en", "survey", "--answers", str(bad)))
    assert "backup.offline_copy: expected yes, no or dont_know, got 'peut-être'" in line
    assert str(bad) in line
    assert db_path().read_bytes() == before  # the valid first line was not stored either
    assert stored_answers().value("backup.exists") == "yes"


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"backup.exists = \xff\xfe\n", "UTF-8"),
        (b"backup.exists = \n", "not valid TOML"),
        (b"\x00" * (MAX_FILE_BYTES + 10), "too large"),
        (b'backup.exists = "yes"\nbackup.exists = "no"\n', "not valid TOML"),
    ],
)
def test_hostile_files_get_one_line(tmp_path: Path, content: bytes, needle: str) -> None:
    path = tmp_path / "answers.toml"
    path.write_bytes(content)
    line = one_line_error(rempart("--lang", "en", "survey", "--answers", str(path)))
    assert needle in line
    assert not db_path().exists() or stored_answers() == Answers()


def test_a_missing_answers_file_is_one_line(tmp_path: Path) -> None:
    line = one_line_error(rempart("survey", "--answers", str(tmp_path / "absent.toml")))
    assert "absent.toml" in line


def test_template_then_answers_then_export_through_the_command(tmp_path: Path) -> None:
    template = tmp_path / "modele.toml"
    assert rempart("survey", "--template", str(template)).returncode == 0
    text = template.read_text(encoding="utf-8")
    text = text.replace('# wifi.patients = ""', 'wifi.patients = "oui"')
    text = text.replace('# wifi.separated = ""', 'wifi.separated = "non"')
    filled = tmp_path / "answers.toml"
    filled.write_text(text, encoding="utf-8")
    result = rempart("survey", "--answers", str(filled))
    assert result.returncode == 0, result.stderr
    assert "ORG-WIFI-NOT-SEPARATED" in result.stdout
    export = tmp_path / "export.toml"
    assert rempart("survey", "--export", str(export)).returncode == 0
    assert tomllib.loads(export.read_text(encoding="utf-8")) == {
        "wifi": {"patients": "yes", "separated": "no"}
    }
    shown = rempart("--lang", "en", "survey", "--show")
    assert "Is this patients' Wi-Fi kept apart" in shown.stdout

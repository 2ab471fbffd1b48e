"""`rempart survey` in a real pseudo-terminal: typed answers are stored, a second run asks
only what is missing, Ctrl-C keeps what was answered, an old answer is asked again with
its value as the default."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from rempart.core.survey import Answer, QuestionType
from rempart.survey.loader import load_questionnaire
from rempart.survey.store import answer_history, save_answers, stored_answers
from tests.survey.terminal import RUNNER, Terminal

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX pseudo-terminal")

Q = {q.id: q for q in load_questionnaire().questions}


def text(qid: str) -> str:
    """The start of a question's French text, as shown (before any line wrapping)."""
    return Q[qid].text.fr[:40]


def answer_everything_except(*missing: str, when: datetime | None = None) -> None:
    when = when or datetime.now(UTC)
    answers = []
    for q in Q.values():
        if q.id in missing:
            continue
        if q.type is QuestionType.NUMBER:
            value: str | int = q.minimum + 2
        else:
            value = q.allowed[0]
        answers.append(Answer(q.id, value, when))
    save_answers(answers, origin="file")


def test_typed_answers_are_stored_and_ctrl_c_keeps_them() -> None:
    term = Terminal("survey")
    term.answer(text("backup.exists"), "o")
    term.answer(text("backup.frequency"), "1")
    term.answer(text("backup.copies"), "deux")  # refused: asked again, nothing stored
    term.answer("", "2")
    term.answer(text("backup.offsite"), "n")
    term.expect(text("backup.offline_copy"))
    term.expect(r"[\])]: ", regex=True)
    term.type("\x03")  # Ctrl-C at the fifth question
    assert term.finish() == 130
    assert "Traceback" not in term.seen
    assert stored_answers().as_dict() == {
        "backup.exists": "yes",
        "backup.frequency": "daily",
        "backup.copies": 2,
        "backup.offsite": "no",
    }


def test_a_second_run_asks_only_what_is_missing() -> None:
    save_answers(
        [
            Answer("backup.exists", "yes", datetime.now(UTC)),
            Answer("backup.frequency", "daily", datetime.now(UTC)),
            Answer("backup.copies", 2, datetime.now(UTC)),
            Answer("backup.offsite", "no", datetime.now(UTC)),
        ]
    )
    term = Terminal("survey")
    before = term.expect(text("backup.offline_copy"))
    term.expect(r"[\])]: ", regex=True)
    term.type("n\r")
    term.answer(text("backup.restore_tested"), "?")
    # backup.encrypted is only asked when a copy is kept away: skipped here
    after = term.expect(text("passwords.individual_accounts"))
    term.expect(r"[\])]: ", regex=True)
    term.type("\x03")
    assert term.finish() == 130
    assert text("backup.exists") not in before
    assert text("backup.encrypted") not in after
    stored = stored_answers()
    assert stored.value("backup.offline_copy") == "no"
    assert stored.value("backup.restore_tested") == "dont_know"
    assert "passwords.individual_accounts" not in stored


def test_finishing_the_survey_lists_the_findings_and_the_next_run_asks_nothing() -> None:
    answer_everything_except("backup.offline_copy", "awareness.training")
    term = Terminal("survey")
    first = term.answer(text("backup.offline_copy"), "n")
    term.answer(text("awareness.training"), "3")
    assert term.finish() == 0
    assert "ORG-BACKUP-NO-OFFLINE-COPY" in term.seen
    assert "ORG-NO-AWARENESS" in term.seen
    assert "[o/n/?]" in first  # French keys by default
    assert stored_answers().value("awareness.training") == "never"

    again = Terminal("survey")
    assert again.finish() == 0
    asked = [qid for qid in Q if text(qid) in again.seen]
    assert asked == []


def test_an_old_answer_is_asked_again_with_its_value_as_default() -> None:
    answer_everything_except("backup.exists")
    old = datetime.now(UTC) - timedelta(days=400)
    save_answers([Answer("backup.exists", "no", old)])
    term = Terminal("survey")
    prompt = term.answer(text("backup.exists"), "")  # Enter keeps the shown default
    assert term.finish() == 0
    assert "(n)" in prompt
    history = answer_history("backup.exists")
    assert [a.value for a in history] == ["no", "no"]
    assert history[-1].answered_at > old + timedelta(days=300)


def test_all_asks_again_a_fresh_answer() -> None:
    answer_everything_except()
    term = Terminal("survey", "--all")
    prompt = term.answer(text("backup.exists"), "n")
    term.expect(text("passwords.individual_accounts"))  # backup.* gated off by "no"
    term.expect(r"[\])]: ", regex=True)
    term.type("\x03")
    assert term.finish() == 130
    assert "(o)" in prompt
    assert stored_answers().value("backup.exists") == "no"


def test_english_uses_y_for_yes() -> None:
    term = Terminal("--lang", "en", "survey")
    prompt = term.answer(Q["backup.exists"].text.en[:40], "y")
    term.expect(Q["backup.frequency"].text.en[:40])
    term.expect(r"[\])]: ", regex=True)
    term.type("\x03")
    assert term.finish() == 130
    assert "[y/n/?]" in prompt
    assert stored_answers().value("backup.exists") == "yes"


def test_without_a_terminal_it_says_to_use_an_answers_file() -> None:
    result = subprocess.run(
        [sys.executable, "-c", RUNNER, "survey"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "--answers" in lines[0], result.stderr
    assert "Traceback" not in result.stderr

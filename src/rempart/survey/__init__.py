"""The survey: the practice's answers about what no scan can see (backups, passwords, contracts).

The questions are data (``questions.toml``, French and English, with their sources in the
ANS mémento, ANSSI's guides and the CNIL's pages); answers come from the terminal
(:mod:`~rempart.survey.interactive`) or a TOML answers file
(:mod:`~rempart.survey.answers_file`), are kept with their date in ``survey.db``
(:mod:`~rempart.survey.store`) and are judged by the ORG- checks
(``rempart.checks.org``) through :func:`org_findings`.
"""

from __future__ import annotations

import re
from datetime import datetime

from rempart.core.model import Finding
from rempart.core.survey import (
    DONT_KNOW,
    NO,
    YES,
    Answer,
    Answers,
    Question,
    QuestionType,
    Value,
    effective,
)
from rempart.i18n import _
from rempart.survey.loader import Questionnaire, load_questionnaire, questions
from rempart.survey.store import load_stored_answers, save_answers


def org_findings(answers: Answers, now: datetime) -> tuple[Finding, ...]:
    """The ORG- findings for ``answers`` judged at ``now`` (timezone-aware), most severe first.

    Answers to questions whose condition does not hold are left out first, so a stale
    answer never fires. No answers: no findings.
    """
    from rempart.checks.base import CheckContext, run_org_checks

    return run_org_checks(effective(questions(), answers), CheckContext(now=now))


EVIDENCE_PREFIX = "survey "
_EVIDENCE_VALUE = re.compile(r"^(?P<value>\S+) \(answered (?P<date>\d{4}-\d{2}-\d{2})\)$")


def answer_label(question: Question, value: Value, lang: str) -> str:
    """The answer as a person reads it: « Oui », « Chaque jour », « 2 »."""
    if question.type is QuestionType.YES_NO:
        labels = {YES: _("Yes"), NO: _("No"), DONT_KNOW: _("I don't know")}
        return labels.get(str(value), str(value))
    if question.type is QuestionType.CHOICE:
        for option in question.options:
            if option.value == value:
                return option.label.get(lang)
    return str(value)


def explain_evidence(label: str, value: str, lang: str) -> tuple[str, str] | None:
    """An ORG- finding's evidence in words: (the question, the answer and its date).

    ORG- checks write ``Evidence("survey backup.offline_copy", "no (answered 2026-11-28)")``
    (language-neutral, like every finding in the store); a report shows instead
    ``("Une copie est-elle déconnectée … ?", "Non (2026-11-28)")``. ``None`` for evidence
    that is not a survey answer, or names a question this version does not know.
    """
    if not label.startswith(EVIDENCE_PREFIX):
        return None
    question = load_questionnaire().get(label[len(EVIDENCE_PREFIX) :])
    found = _EVIDENCE_VALUE.match(value)
    if question is None or found is None:
        return None
    raw: Value = found["value"]
    if question.type is QuestionType.NUMBER and found["value"].isdigit():
        raw = int(found["value"])
    return question.text.get(lang), f"{answer_label(question, raw, lang)} ({found['date']})"


__all__ = [
    "EVIDENCE_PREFIX",
    "Answer",
    "Answers",
    "Questionnaire",
    "answer_label",
    "explain_evidence",
    "load_questionnaire",
    "load_stored_answers",
    "org_findings",
    "questions",
    "save_answers",
]

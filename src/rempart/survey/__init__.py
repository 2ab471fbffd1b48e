"""The survey: the practice's answers about what no scan can see (backups, passwords, contracts).

The questions are data (``questions.toml``, French and English, with their sources in the
ANS mémento, ANSSI's guides and the CNIL's pages); answers come from the terminal
(:mod:`~rempart.survey.interactive`) or a TOML answers file
(:mod:`~rempart.survey.answers_file`), are kept with their date in ``survey.db``
(:mod:`~rempart.survey.store`) and are judged by the ORG- checks
(``rempart.checks.org``) through :func:`org_findings`.
"""

from __future__ import annotations

from datetime import datetime

from rempart.core.model import Finding
from rempart.core.survey import Answer, Answers, effective
from rempart.survey.loader import Questionnaire, load_questionnaire, questions
from rempart.survey.store import load_stored_answers, save_answers


def org_findings(answers: Answers, now: datetime) -> tuple[Finding, ...]:
    """The ORG- findings for ``answers`` judged at ``now`` (timezone-aware), most severe first.

    Answers to questions whose condition does not hold are left out first, so a stale
    answer never fires. No answers: no findings.
    """
    from rempart.checks.base import CheckContext, run_org_checks

    return run_org_checks(effective(questions(), answers), CheckContext(now=now))


__all__ = [
    "Answer",
    "Answers",
    "Questionnaire",
    "load_questionnaire",
    "load_stored_answers",
    "org_findings",
    "questions",
    "save_answers",
]

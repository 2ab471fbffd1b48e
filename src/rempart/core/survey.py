"""The practice's answers to the survey, and the questions they answer: plain data, no I/O.

The questions themselves are data (``rempart/survey/questions.toml``, French and English);
this module only says what a question and an answer are, so that the ORG- checks
(``rempart.checks.org``) can judge answers without reading any file.

Values are normalised: a yes/no question holds ``"yes"``, ``"no"`` or ``"dont_know"``; a
choice question holds one of its option values; a number question holds an ``int``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

YES = "yes"
NO = "no"
DONT_KNOW = "dont_know"
YES_NO_VALUES = (YES, NO, DONT_KNOW)

Value = str | int


class QuestionType(enum.Enum):
    """How a question is answered."""

    YES_NO = "yes_no"  # yes / no / dont_know
    CHOICE = "choice"  # one of the question's options
    NUMBER = "number"  # a whole number between minimum and maximum


@dataclass(frozen=True, slots=True)
class Bilingual:
    """A sentence in French and English (the survey speaks to the dentist in either)."""

    fr: str
    en: str

    def get(self, lang: str) -> str:
        """The text in ``lang``; French for any other language (the default one)."""
        return self.en if lang == "en" else self.fr


@dataclass(frozen=True, slots=True)
class Option:
    """One possible answer of a choice question: a stable value and its label."""

    value: str
    label: Bilingual


@dataclass(frozen=True, slots=True)
class Source:
    """Where a question comes from (ANS mémento, ANSSI measure, CNIL page)."""

    label: str
    url: str


@dataclass(frozen=True, slots=True)
class Condition:
    """Ask a question only when another one was answered with one of ``values``."""

    question_id: str
    values: tuple[Value, ...]

    def holds(self, answers: Answers) -> bool:
        answer = answers.get(self.question_id)
        return answer is not None and answer.value in self.values


@dataclass(frozen=True, slots=True)
class Question:
    """One question of the survey, as written in ``questions.toml``."""

    id: str  # stable, e.g. "backup.offline_copy"; answers and checks refer to it
    type: QuestionType
    theme: str
    text: Bilingual
    help: Bilingual
    sources: tuple[Source, ...]
    options: tuple[Option, ...] = ()
    minimum: int = 0
    maximum: int = 1000
    condition: Condition | None = None

    @property
    def allowed(self) -> tuple[str, ...]:
        """The values a yes/no or choice question accepts (empty for a number)."""
        if self.type is QuestionType.YES_NO:
            return YES_NO_VALUES
        if self.type is QuestionType.CHOICE:
            return tuple(o.value for o in self.options)
        return ()

    def accepts(self, value: object) -> bool:
        """Whether ``value`` (already normalised) is a valid answer to this question."""
        if self.type is QuestionType.NUMBER:
            return (
                isinstance(value, int)
                and not isinstance(value, bool)
                and self.minimum <= value <= self.maximum
            )
        return isinstance(value, str) and value in self.allowed

    def is_asked(self, answers: Answers) -> bool:
        """A question whose condition does not hold is neither asked nor judged."""
        return self.condition is None or self.condition.holds(answers)


@dataclass(frozen=True, slots=True)
class Answer:
    """The practice's answer to one question, and when it was given (timezone-aware)."""

    question_id: str
    value: Value
    answered_at: datetime


@dataclass(frozen=True, slots=True)
class Answers:
    """The current answer to each answered question (at most one per question).

    Mapping-like: ``answers.get("backup.offline_copy")`` gives the :class:`Answer` or
    ``None`` when the question was never answered; ``answers.value(qid)`` gives the bare
    value. An unanswered question is never a finding.
    """

    items: tuple[Answer, ...] = ()

    @classmethod
    def of(cls, answers: Iterable[Answer]) -> Answers:
        """Keep the latest answer per question, sorted by question id."""
        latest: dict[str, Answer] = {}
        for answer in answers:
            seen = latest.get(answer.question_id)
            if seen is None or answer.answered_at >= seen.answered_at:
                latest[answer.question_id] = answer
        return cls(tuple(latest[k] for k in sorted(latest)))

    def get(self, question_id: str) -> Answer | None:
        for answer in self.items:
            if answer.question_id == question_id:
                return answer
        return None

    def value(self, question_id: str) -> Value | None:
        answer = self.get(question_id)
        return None if answer is None else answer.value

    def with_answer(self, answer: Answer) -> Answers:
        """A copy where ``answer`` replaces any earlier answer to the same question."""
        kept = [a for a in self.items if a.question_id != answer.question_id]
        return Answers.of([*kept, answer])

    def as_dict(self) -> dict[str, Value]:
        return {a.question_id: a.value for a in self.items}

    def __contains__(self, question_id: object) -> bool:
        return any(a.question_id == question_id for a in self.items)

    def __iter__(self) -> Iterator[Answer]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def effective(questions: Iterable[Question], answers: Answers) -> Answers:
    """The answers that count: those to known questions whose condition holds.

    An answer kept from an earlier run may belong to a question that is no longer asked
    (the practice said later it has no patients' Wi-Fi: the old "is it separated?" answer
    no longer means anything). Conditions are judged in question order, so a chain
    (C only if B, B only if A) falls as a whole.
    """
    kept: list[Answer] = []
    for question in questions:
        answer = answers.get(question.id)
        if answer is None or not question.is_asked(Answers.of(kept)):
            continue
        if question.accepts(answer.value):
            kept.append(answer)
    return Answers.of(kept)


def by_id(questions: Iterable[Question]) -> Mapping[str, Question]:
    return {q.id: q for q in questions}


__all__ = [
    "DONT_KNOW",
    "NO",
    "YES",
    "YES_NO_VALUES",
    "Answer",
    "Answers",
    "Bilingual",
    "Condition",
    "Option",
    "Question",
    "QuestionType",
    "Source",
    "Value",
    "by_id",
    "effective",
]

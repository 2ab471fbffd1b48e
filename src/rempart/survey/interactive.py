"""The survey in the terminal, with Rich prompts, in the user's language (French by default).

Only what is missing is asked: questions never answered, and those whose answer is older
than ``max_age_months`` (or every question with ``ask_all``). The current answer is the
default (Enter keeps it). Each answer is saved as soon as it is given, so Ctrl-C (or the
end of input) stops the survey and keeps everything answered so far.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from rich.console import Console
from rich.markup import escape
from rich.prompt import IntPrompt, InvalidResponse, Prompt

from rempart.core.survey import (
    DONT_KNOW,
    NO,
    YES,
    Answer,
    Answers,
    Question,
    QuestionType,
    effective,
)
from rempart.i18n import _
from rempart.survey.loader import Questionnaire

DAYS_PER_MONTH = 30.44


@dataclass(frozen=True, slots=True)
class SessionResult:
    """What an interactive session did: questions asked, answers saved, interrupted or not."""

    asked: int
    saved: int
    interrupted: bool
    answers: Answers


def is_due(
    question: Question, answers: Answers, now: datetime, max_age_months: int, ask_all: bool
) -> bool:
    """Whether to ask ``question`` now (its condition is judged by the caller)."""
    if ask_all:
        return True
    answer = answers.get(question.id)
    if answer is None or not question.accepts(answer.value):
        return True
    return now - answer.answered_at > timedelta(days=max_age_months * DAYS_PER_MONTH)


class _Prompt(Prompt):
    """Rich's prompt, case-insensitive, with its complaint in the user's language."""

    def process_response(self, value: str) -> str:
        value = value.strip().lower()
        if self.choices is not None and value not in self.choices:
            raise InvalidResponse(
                "[prompt.invalid.choice]"
                + escape(_("Please type one of: {choices}").format(choices=", ".join(self.choices)))
            )
        return value


class _NumberPrompt(IntPrompt):
    """A whole number within the question's range, the complaint in the user's language."""

    def __init__(self, *args: object, low: int, high: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.low, self.high = low, high

    def process_response(self, value: str) -> int:
        try:
            number = int(value.strip())
        except ValueError:
            number = None
        if number is None or not self.low <= number <= self.high:
            raise InvalidResponse(
                "[prompt.invalid]"
                + escape(
                    _("Please type a whole number from {low} to {high}.").format(
                        low=self.low, high=self.high
                    )
                )
            )
        return number


def _yes_no_keys(lang: str) -> dict[str, str]:
    """Keys typed for yes / no / don't know: o/n/? in French, y/n/? in English."""
    return {"y" if lang == "en" else "o": YES, "n": NO, "?": DONT_KNOW}


def ask_one(console: Console, question: Question, current: Answer | None, lang: str) -> str | int:
    """Ask one question; returns the normalised value."""
    console.print(f"\n[bold]{escape(question.text.get(lang))}[/bold]")
    console.print(f"[dim]{escape(question.help.get(lang))}[/dim]")
    if question.type is QuestionType.YES_NO:
        keys = _yes_no_keys(lang)
        console.print(
            escape(
                _("{yes} = yes, {no} = no, {dk} = I don't know").format(
                    yes=next(k for k, v in keys.items() if v == YES), no="n", dk="?"
                )
            ),
            highlight=False,
        )
        default = next((k for k, v in keys.items() if current and v == current.value), None)
        key = _Prompt.ask(
            _("Answer"), choices=list(keys), default=default, console=console, show_default=True
        )
        return keys[str(key)]
    if question.type is QuestionType.CHOICE:
        for index, option in enumerate(question.options, start=1):
            console.print(f"  {index}. {escape(option.label.get(lang))}", highlight=False)
        numbers = [str(i) for i in range(1, len(question.options) + 1)]
        default = next(
            (
                str(i)
                for i, o in enumerate(question.options, start=1)
                if current and o.value == current.value
            ),
            None,
        )
        picked = _Prompt.ask(_("Answer"), choices=numbers, default=default, console=console)
        return question.options[int(str(picked)) - 1].value
    default_number = current.value if current and isinstance(current.value, int) else None
    prompt = _NumberPrompt(
        _("Answer ({low}–{high})").format(low=question.minimum, high=question.maximum),
        console=console,
        low=question.minimum,
        high=question.maximum,
    )
    if default_number is None:
        return int(prompt())
    return int(prompt(default=default_number))


def run_interactive(
    console: Console,
    questionnaire: Questionnaire,
    stored: Answers,
    save: Callable[[Answer], None],
    clock: Callable[[], datetime],
    *,
    lang: str = "fr",
    ask_all: bool = False,
    max_age_months: int = 12,
) -> SessionResult:
    """Ask what is due, saving each answer at once; Ctrl-C or end of input stops cleanly."""
    answers = stored
    asked = saved = 0
    theme = None
    try:
        for question in questionnaire.questions:
            # A chain of conditions holds only through questions still asked: after "no
            # backup", an old "a copy is kept away: yes" must not bring its follow-up back.
            if not question.is_asked(effective(questionnaire.questions, answers)):
                continue
            if not is_due(question, answers, clock(), max_age_months, ask_all):
                continue
            if question.theme != theme:
                theme = question.theme
                console.rule(escape(questionnaire.themes[theme].get(lang)))
            asked += 1
            value = ask_one(console, question, answers.get(question.id), lang)
            answer = Answer(question_id=question.id, value=value, answered_at=clock())
            save(answer)
            saved += 1
            answers = answers.with_answer(answer)
    except (KeyboardInterrupt, EOFError):
        console.print()
        return SessionResult(asked=asked, saved=saved, interrupted=True, answers=answers)
    return SessionResult(asked=asked, saved=saved, interrupted=False, answers=answers)

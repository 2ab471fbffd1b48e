"""Read the questions (``questions.toml``, shipped in the package) into :class:`Question` objects.

The file is data written by people: it is validated as strictly as an answers file, so a
typo (a condition on an unknown question, a source that does not exist) fails the tests
rather than a dentist's survey.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from rempart.core.errors import DataError
from rempart.core.survey import (
    Bilingual,
    Condition,
    Option,
    Question,
    QuestionType,
    Source,
)

QUESTIONS_FILE = "questions.toml"


@dataclass(frozen=True, slots=True)
class Questionnaire:
    """The whole survey: its themes (in order) and its questions (in the order asked)."""

    version: int
    themes: dict[str, Bilingual]
    questions: tuple[Question, ...]

    def get(self, question_id: str) -> Question | None:
        for question in self.questions:
            if question.id == question_id:
                return question
        return None


def _text(raw: dict[str, Any], key_fr: str, key_en: str, where: str) -> Bilingual:
    fr, en = raw.get(key_fr), raw.get(key_en)
    if not isinstance(fr, str) or not isinstance(en, str) or not fr.strip() or not en.strip():
        raise DataError(f"{QUESTIONS_FILE}: {where}: '{key_fr}' and '{key_en}' must be texts")
    return Bilingual(fr=fr.strip(), en=en.strip())


def parse(text: str) -> Questionnaire:
    """Build the questionnaire from the TOML text; :class:`DataError` names what is wrong."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"{QUESTIONS_FILE}: not valid TOML ({exc})") from exc
    themes = {
        key: _text(value, "fr", "en", f"theme.{key}")
        for key, value in dict(raw.get("theme", {})).items()
    }
    sources: dict[str, Source] = {}
    for key, value in dict(raw.get("source", {})).items():
        label, url = value.get("label"), value.get("url")
        if not isinstance(label, str) or not isinstance(url, str) or not url.startswith("https://"):
            raise DataError(f"{QUESTIONS_FILE}: source.{key}: needs a label and an https:// url")
        sources[key] = Source(label=label, url=url)
    questions: list[Question] = []
    seen: dict[str, Question] = {}
    for index, item in enumerate(raw.get("question", [])):
        qid = item.get("id")
        if not isinstance(qid, str) or not qid or qid in seen:
            raise DataError(f"{QUESTIONS_FILE}: question #{index + 1}: missing or repeated id")
        try:
            qtype = QuestionType(item.get("type"))
        except ValueError:
            raise DataError(f"{QUESTIONS_FILE}: {qid}: unknown type {item.get('type')!r}") from None
        theme = item.get("theme")
        if theme not in themes:
            raise DataError(f"{QUESTIONS_FILE}: {qid}: unknown theme {theme!r}")
        refs = item.get("sources", [])
        if not refs or any(r not in sources for r in refs):
            raise DataError(f"{QUESTIONS_FILE}: {qid}: sources missing or unknown: {refs}")
        options = tuple(
            Option(value=str(o.get("value")), label=_text(o, "fr", "en", f"{qid} option"))
            for o in item.get("option", [])
        )
        if (qtype is QuestionType.CHOICE) != bool(options):
            raise DataError(f"{QUESTIONS_FILE}: {qid}: options go with type 'choice' only")
        condition = None
        if "ask_if" in item:
            cond = item["ask_if"]
            target = seen.get(cond.get("question", ""))
            values = tuple(cond.get("values", ()))
            if target is None or not values or not all(target.accepts(v) for v in values):
                raise DataError(
                    f"{QUESTIONS_FILE}: {qid}: ask_if must name an earlier question "
                    "and values it accepts"
                )
            condition = Condition(question_id=target.id, values=values)
        question = Question(
            id=qid,
            type=qtype,
            theme=theme,
            text=_text(item, "fr", "en", qid),
            help=_text(item, "help_fr", "help_en", qid),
            sources=tuple(sources[r] for r in refs),
            options=options,
            minimum=int(item.get("min", 0)),
            maximum=int(item.get("max", 1000)),
            condition=condition,
        )
        seen[qid] = question
        questions.append(question)
    if not questions:
        raise DataError(f"{QUESTIONS_FILE}: no question")
    return Questionnaire(
        version=int(raw.get("version", 1)), themes=themes, questions=tuple(questions)
    )


@lru_cache(maxsize=1)
def load_questionnaire() -> Questionnaire:
    """The questionnaire shipped with Rempart (read once)."""
    text = resources.files("rempart.survey").joinpath(QUESTIONS_FILE).read_text(encoding="utf-8")
    return parse(text)


def questions() -> tuple[Question, ...]:
    return load_questionnaire().questions

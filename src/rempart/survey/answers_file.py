"""The answers file: survey answers written in TOML, read back with strict validation.

Format (``docs/survey.md``)::

    # Les données du cabinet ... sont-elles sauvegardées ?
    backup.exists = "yes"            # yes / no / dont_know (or oui / non / ne_sais_pas)
    backup.frequency = "daily"       # one of the question's options
    backup.copies = 2                # a whole number

Keys are question ids (TOML dotted keys, so ``[backup]`` tables work too). An empty string
or a commented line means "not answered". The file is hostile input: its size is bounded,
it must be UTF-8, and the first wrong field stops the import with one line naming it
(``answers.toml: backup.offline_copy: expected yes, no or dont_know, got 'peut-être'``);
nothing is stored from a file with an error.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from rempart.core.errors import UsageError
from rempart.core.survey import (
    DONT_KNOW,
    NO,
    YES,
    Answer,
    Answers,
    Question,
    QuestionType,
    Value,
)
from rempart.i18n import _
from rempart.report.files import write_text_atomic
from rempart.survey.loader import Questionnaire, load_questionnaire

MAX_FILE_BYTES = 256 * 1024
MAX_SHOWN = 40

# Spellings accepted for yes/no questions besides the canonical ones (French first).
YES_NO_ALIASES = {
    "yes": YES,
    "oui": YES,
    "no": NO,
    "non": NO,
    "dont_know": DONT_KNOW,
    "don't know": DONT_KNOW,
    "ne_sais_pas": DONT_KNOW,
    "je ne sais pas": DONT_KNOW,
    "nsp": DONT_KNOW,
}


def _shown(value: object) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def _flatten(table: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flatten(value, name + ".")
        else:
            yield name, value


def _or_list(values: tuple[str, ...]) -> str:
    if len(values) == 1:
        return values[0]
    return _("{first} or {last}").format(first=", ".join(values[:-1]), last=values[-1])


def normalise(question: Question, raw: object, where: str) -> Value | None:
    """The stored value for ``raw``; ``None`` for "not answered"; :class:`UsageError` else."""
    if isinstance(raw, str) and not raw.strip():
        return None
    if question.type is QuestionType.YES_NO:
        if isinstance(raw, bool):
            return YES if raw else NO
        if isinstance(raw, str):
            found = YES_NO_ALIASES.get(raw.strip().lower().replace("-", "_"))
            found = found or YES_NO_ALIASES.get(raw.strip().lower())
            if found:
                return found
        raise UsageError(
            _("{where}: {qid}: expected {allowed}, got {got}.").format(
                where=where, qid=question.id, allowed=_or_list(question.allowed), got=_shown(raw)
            )
        )
    if question.type is QuestionType.CHOICE:
        if isinstance(raw, str) and raw.strip().lower() in question.allowed:
            return raw.strip().lower()
        raise UsageError(
            _("{where}: {qid}: expected {allowed}, got {got}.").format(
                where=where, qid=question.id, allowed=_or_list(question.allowed), got=_shown(raw)
            )
        )
    number: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        number = raw
    elif isinstance(raw, str) and raw.strip().isdigit() and len(raw.strip()) <= 9:
        number = int(raw.strip())
    if number is None or not question.accepts(number):
        raise UsageError(
            _("{where}: {qid}: expected a whole number from {low} to {high}, got {got}.").format(
                where=where,
                qid=question.id,
                low=question.minimum,
                high=question.maximum,
                got=_shown(raw),
            )
        )
    return number


def parse_answers(
    text: str,
    now: datetime,
    where: str = "answers.toml",
    questionnaire: Questionnaire | None = None,
) -> Answers:
    """Validate an answers file's text; every answer is dated ``now``."""
    questionnaire = questionnaire or load_questionnaire()
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(
            _("{where}: not valid TOML ({error}).").format(where=where, error=exc)
        ) from exc
    answers: list[Answer] = []
    for key, value in _flatten(raw):
        question = questionnaire.get(key)
        if question is None:
            raise UsageError(
                _(
                    "{where}: {qid}: unknown question (rempart survey --template FILE "
                    "writes every question id)."
                ).format(where=where, qid=_shown(key).strip("'"))
            )
        normalised = normalise(question, value, where)
        if normalised is not None:
            answers.append(Answer(question_id=key, value=normalised, answered_at=now))
    return Answers.of(answers)


def read_answers_file(path: Path, now: datetime) -> Answers:
    """Read and validate an answers file; :class:`UsageError` (one line) when it is wrong."""
    where = str(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise UsageError(
            _("Cannot read the answers file {path}: {error}.").format(
                path=path, error=exc.strerror or exc
            )
        ) from exc
    if len(data) > MAX_FILE_BYTES:
        raise UsageError(
            _("{where}: too large (more than {size} KiB): is it really an answers file?").format(
                where=where, size=MAX_FILE_BYTES // 1024
            )
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(
            _("{where}: not UTF-8 text (byte {pos}): save it as UTF-8.").format(
                where=where, pos=exc.start
            )
        ) from exc
    return parse_answers(text, now, where)


def _toml_value(value: Value) -> str:
    if isinstance(value, int):
        return str(value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _comment(text: str) -> str:
    return "\n".join("# " + line if line else "#" for line in text.splitlines())


def render_answers(
    answers: Answers, lang: str = "fr", questionnaire: Questionnaire | None = None
) -> str:
    """An answers file with every question commented; answered ones hold their value.

    With no answers it is the template (``rempart survey --template``); with the stored
    answers it is the export (``--export``), which ``--answers`` reads back unchanged.
    """
    questionnaire = questionnaire or load_questionnaire()
    head = {
        "fr": (
            "Rempart : réponses au questionnaire de sécurité du cabinet.\n"
            'Remplacez "" par votre réponse et enlevez le « # » du début de la ligne,\n'
            "puis : rempart survey --answers CE_FICHIER\n"
            "Une ligne laissée en commentaire ou vide n'est pas une réponse."
        ),
        "en": (
            "Rempart: answers to the practice's security survey.\n"
            'Replace "" with your answer and remove the "#" at the start of the line,\n'
            "then: rempart survey --answers THIS_FILE\n"
            "A line left commented or empty is not an answer."
        ),
    }["en" if lang == "en" else "fr"]
    lines = [_comment(head), ""]
    theme = None
    for question in questionnaire.questions:
        if question.theme != theme:
            theme = question.theme
            title = questionnaire.themes[theme].get(lang)
            lines += ["", f"# ===== {title} " + "=" * max(3, 60 - len(title)), ""]
        lines.append(_comment(question.text.get(lang)))
        lines.append(_comment(question.help.get(lang)))
        if question.type is QuestionType.NUMBER:
            allowed = f"{question.minimum}–{question.maximum}"
        elif question.type is QuestionType.CHOICE:
            allowed = " / ".join(f"{o.value} ({o.label.get(lang)})" for o in question.options)
        else:
            allowed = " / ".join(question.allowed)
            if lang != "en":
                allowed += " (ou oui / non / ne_sais_pas)"
        label = "Réponses possibles" if lang != "en" else "Possible answers"
        lines.append(_comment(f"{label} : {allowed}" if lang != "en" else f"{label}: {allowed}"))
        if question.condition is not None:
            cond = question.condition
            values = ", ".join(str(v) for v in cond.values)
            lines.append(
                _comment(
                    f"Seulement si {cond.question_id} = {values}"
                    if lang != "en"
                    else f"Only if {cond.question_id} = {values}"
                )
            )
        answer = answers.get(question.id)
        if answer is None:
            lines.append(f'# {question.id} = ""')
        else:
            lines.append(f"{question.id} = {_toml_value(answer.value)}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write_answers_file(
    path: Path, answers: Answers, lang: str = "fr", questionnaire: Questionnaire | None = None
) -> Path:
    """Write :func:`render_answers` to ``path`` atomically."""
    return write_text_atomic(path, render_answers(answers, lang, questionnaire))

"""`rempart survey`: the practice's security questionnaire, in the terminal or from a file.

rempart survey                       # asks what is missing or older than 12 months
rempart survey --all                 # asks everything again (current answers as defaults)
rempart survey --answers FILE        # validates and stores a TOML answers file
rempart survey --template FILE       # writes every question, commented, to fill in
rempart survey --export FILE         # writes the stored answers (readable by --answers)
rempart survey --show                # lists the stored answers and their date
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from rempart import i18n
from rempart.cli.main import app, console
from rempart.core.errors import UsageError
from rempart.core.model import Finding
from rempart.core.survey import Answer, Answers
from rempart.i18n import _, ngettext
from rempart.survey import answer_label, org_findings
from rempart.survey.answers_file import read_answers_file, write_answers_file
from rempart.survey.interactive import run_interactive
from rempart.survey.loader import Questionnaire, load_questionnaire
from rempart.survey.store import load_stored_answers, save_answers, stored_answers


def _now() -> datetime:
    return datetime.now(UTC)


def answers_table(questionnaire: Questionnaire, answers: Answers, lang: str) -> Table:
    table = Table(title=_("Survey answers"), show_lines=False)
    table.add_column(_("Question"), ratio=1)
    table.add_column(_("Answer"))
    table.add_column(_("Answered on"), no_wrap=True)
    for question in questionnaire.questions:
        answer = answers.get(question.id)
        if answer is None:
            continue
        table.add_row(
            escape(question.text.get(lang)),
            escape(answer_label(question, answer.value, lang)),
            answer.answered_at.date().isoformat(),
        )
    return table


def print_org_findings(findings: tuple[Finding, ...]) -> None:
    """The ORG- findings the answers lead to, most severe first."""
    from rempart.checks import get_meta
    from rempart.cli.audit import SEVERITY_STYLE, severity_label  # after main: no import cycle

    lang = i18n.current_language()
    if not findings:
        console.print(_("No point to improve in the answers given."))
        return
    table = Table(title=_("Points to improve"), show_lines=False)
    table.add_column(_("Severity"), no_wrap=True)
    table.add_column(_("Check"), no_wrap=True)
    table.add_column(_("What"), ratio=1)
    for f in findings:
        meta = get_meta(f.check_id)
        title = meta.title.get(lang) if meta is not None else f.check_id
        table.add_row(
            f"[{SEVERITY_STYLE[f.severity]}]{severity_label(f.severity)}[/]",
            f.check_id,
            escape(title),
        )
    console.print(table)
    console.print(_("rempart audit includes these points in its report."))


@app.command()
def survey(
    answers_file: Annotated[
        Path | None,
        typer.Option("--answers", help="Read the answers from this TOML file instead of asking."),
    ] = None,
    ask_all: Annotated[
        bool, typer.Option("--all", help="Ask every question again, not only the missing ones.")
    ] = False,
    export: Annotated[
        Path | None,
        typer.Option("--export", help="Write the stored answers to this TOML file."),
    ] = None,
    show: Annotated[bool, typer.Option("--show", help="List the stored answers.")] = False,
    template: Annotated[
        Path | None,
        typer.Option("--template", help="Write an answers file with every question, to fill in."),
    ] = None,
    max_age: Annotated[
        int,
        typer.Option(
            "--max-age", min=1, max=120, help="Ask again answers older than this (months)."
        ),
    ] = 12,
) -> None:
    """Answer the practice's security questionnaire (backups, passwords, provider, GDPR...)."""
    lang = i18n.current_language()
    questionnaire = load_questionnaire()
    if template is not None:
        write_answers_file(template, Answers(), lang, questionnaire)
        console.print(_("Template written: {path}").format(path=template), highlight=False)
    if answers_file is not None:
        given = read_answers_file(answers_file, _now())
        changed = save_answers(given, origin="file")
        console.print(
            _("{n} answer(s) read from {path}, {changed} changed.").format(
                n=len(given), path=answers_file, changed=changed
            ),
            highlight=False,
        )
    if export is not None:
        write_answers_file(export, stored_answers(), lang, questionnaire)
        console.print(_("Answers written: {path}").format(path=export), highlight=False)
    if show:
        current = load_stored_answers()
        if len(current):
            console.print(answers_table(questionnaire, current, lang))
        else:
            console.print(_("No answer stored yet: run rempart survey."))
    if answers_file is not None:
        print_org_findings(org_findings(load_stored_answers(), _now()))
    if any(x is not None for x in (template, answers_file, export)) or show:
        return
    _interactive(questionnaire, lang, ask_all, max_age)


def _interactive(questionnaire: Questionnaire, lang: str, ask_all: bool, max_age: int) -> None:
    if not sys.stdin.isatty():
        raise UsageError(
            _(
                "rempart survey asks its questions in a terminal: run it in one, or give the "
                "answers with --answers FILE (rempart survey --template FILE writes one)."
            )
        )

    def save(answer: Answer) -> None:
        save_answers([answer], origin="interactive")

    console.print(
        _(
            "Practice security survey. Enter keeps the answer shown in brackets; "
            "Ctrl-C stops and keeps what was answered."
        )
    )
    result = run_interactive(
        console,
        questionnaire,
        stored_answers(),
        save,
        _now,
        lang=lang,
        ask_all=ask_all,
        max_age_months=max_age,
    )
    if result.interrupted:
        console.print(
            ngettext(
                "Survey stopped: {n} answer kept.",
                "Survey stopped: {n} answers kept.",
                result.saved,
            ).format(n=result.saved)
        )
        raise typer.Exit(130)
    if result.asked == 0:
        console.print(_("Every answer is up to date (rempart survey --all asks everything again)."))
    else:
        console.print(
            ngettext("{n} answer saved.", "{n} answers saved.", result.saved).format(n=result.saved)
        )
    print_org_findings(org_findings(load_stored_answers(), _now()))

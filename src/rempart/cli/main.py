"""Entry point of the ``rempart`` command: global options, sub-commands, error handling.

Every command module registers itself on :data:`app` (see the imports at the bottom).
A :class:`~rempart.core.errors.RempartError` becomes one line on stderr and a non-zero
exit; a traceback is shown only with ``--debug``.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

from rempart import __version__, config, i18n
from rempart.core.errors import RempartError
from rempart.i18n import _

app = typer.Typer(
    name="rempart",
    help="Rempart: protect a small healthcare practice against ransomware.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)

console = Console()
err_console = Console(stderr=True)


class State:
    debug = False


def _version(value: bool) -> None:
    if value:
        console.print(f"rempart {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    lang: Annotated[
        str | None, typer.Option("--lang", help="Language of the output: fr (default) or en.")
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Rempart: protect a small healthcare practice against ransomware."""
    State.debug = debug
    if lang is not None and i18n.normalise(lang) is None:
        raise RempartError(f"Unknown language '{lang}': use --lang fr or --lang en.")
    configured = None
    try:
        configured = config.load().lang
    except RempartError:
        configured = None  # a broken settings file is reported by the commands that need it
    i18n.set_language(i18n.detect(lang, configured))


def print_error(exc: BaseException) -> None:
    """One line on stderr: what is wrong and what to do (the exception's message)."""
    prefix = _("Error:")  # French puts a space before the colon
    err_console.print(f"{prefix} {exc}", markup=False, highlight=False, soft_wrap=True)


def run() -> None:
    """Console-script entry point."""
    try:
        app()
    except RempartError as exc:
        if State.debug:
            raise
        print_error(exc)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print(_("Interrupted."), markup=False)
        sys.exit(130)


# Command groups register themselves on `app` when imported.
from rempart.cli import audit as _audit  # noqa: E402,F401
from rempart.cli import backup as _backup  # noqa: E402,F401
from rempart.cli import backup_drill as _backup_drill  # noqa: E402,F401
from rempart.cli import data as _data  # noqa: E402,F401
from rempart.cli import demo as _demo  # noqa: E402,F401
from rempart.cli import drill as _drill  # noqa: E402,F401
from rempart.cli import lab as _lab  # noqa: E402,F401
from rempart.cli import report as _report  # noqa: E402,F401
from rempart.cli import scan as _scan  # noqa: E402,F401
from rempart.cli import serve as _serve  # noqa: E402,F401
from rempart.cli import survey as _survey  # noqa: E402,F401
from rempart.cli import watch as _watch  # noqa: E402,F401

"""`rempart data ...`: reference data (fingerprints; later vulnerability feeds).

``rempart data import-fingerprints DIR`` installs Rapid7 Recog's XML files (validated first,
all or nothing); ``rempart data status`` shows what the audit will use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from rempart.cli.main import app, console, print_error
from rempart.core.errors import RempartError
from rempart.i18n import _

data_app = typer.Typer(help="Manage reference data (fingerprints).", no_args_is_help=True)
app.add_typer(data_app, name="data")

MAX_FAILURES_SHOWN = 10


def _error(exc: RempartError) -> typer.Exit:
    """One line on stderr (the shared printer), then the error's exit code."""
    print_error(exc)
    return typer.Exit(exc.exit_code)


@data_app.command("import-fingerprints")
def import_fingerprints(
    directory: Annotated[
        Path,
        typer.Argument(
            help="Folder holding Recog's fingerprint files (*.xml), e.g. recog/xml.",
            show_default=False,
        ),
    ],
) -> None:
    """Validate and install Rapid7 Recog's fingerprints (BSD-2) from DIR."""
    from rempart.discover.fingerprints.importer import import_recog

    try:
        result = import_recog(directory.expanduser())
    except RempartError as exc:
        raise _error(exc) from None
    console.print(
        _(
            "Imported {fingerprints} fingerprints and {examples} examples "
            "from {files} files into {target}."
        ).format(
            fingerprints=result.fingerprints,
            examples=result.examples,
            files=result.files,
            target=escape(str(result.target)),
        ),
        soft_wrap=True,
    )
    share = 100.0 * result.examples_passed / result.examples if result.examples else 100.0
    console.print(
        _("Examples reproduced by Rempart's reader: {passed}/{total} ({share:.2f} %).").format(
            passed=result.examples_passed, total=result.examples, share=share
        ),
        soft_wrap=True,
    )
    for failure in result.failures[:MAX_FAILURES_SHOWN]:
        console.print(f"  - {failure}", markup=False, highlight=False, soft_wrap=True)
    if len(result.failures) > MAX_FAILURES_SHOWN:
        console.print(
            _("  … and {count} more.").format(count=len(result.failures) - MAX_FAILURES_SHOWN)
        )


@data_app.command("status")
def status() -> None:
    """Show the fingerprints the audit will use."""
    from rempart.discover.fingerprints import load_fingerprints

    try:
        stats = load_fingerprints().stats()
    except RempartError as exc:
        raise _error(exc) from None
    table = Table(title=_("Fingerprints"), show_lines=False)
    table.add_column(_("Source"))
    table.add_column(_("Files"), justify="right")
    table.add_column(_("Fingerprints"), justify="right")
    table.add_column(_("Examples"), justify="right")
    table.add_row(_("Rempart's own rules"), str(stats.own_files), str(stats.own_fingerprints), "")
    table.add_row(
        "Recog",
        str(stats.recog_files),
        str(stats.recog_fingerprints),
        str(stats.recog_examples),
    )
    console.print(table)
    if stats.recog_dir is not None:
        console.print(
            _("Recog's files: {path}").format(path=str(stats.recog_dir)),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    for warning in stats.warnings:
        console.print(f"! {warning}", markup=False, highlight=False, soft_wrap=True)

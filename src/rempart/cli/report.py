"""`rempart report [AUDIT]`: the practice's report (HTML, PDF, JSON, SARIF) of a stored audit.
`rempart accept KEY`: accept a finding's risk until a date (or end an acceptance).

Thin: the report is built by :func:`rempart.report.practice.build_report` and laid out by
the renderers; every file is written atomically (a temporary file, then a rename), so a
failure never leaves half a report behind.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rempart import config, i18n
from rempart.cli.main import app, console
from rempart.core.errors import UsageError
from rempart.core.model import Audit
from rempart.i18n import _

if TYPE_CHECKING:
    from rempart.report.practice import PracticeReport
    from rempart.store import Store

FORMATS = ("html", "pdf", "json", "sarif")
SUFFIX = {"html": ".html", "pdf": ".pdf", "json": ".json", "sarif": ".sarif"}


def _language(lang: str | None) -> str:
    if lang is None:
        return i18n.current_language()
    code = i18n.normalise(lang)
    if code is None:
        raise UsageError(
            _("Unknown language '{lang}': use --lang fr or --lang en.").format(lang=lang)
        )
    return code


def _format(value: str) -> str:
    fmt = value.strip().lower()
    if fmt not in FORMATS:
        raise UsageError(
            _("Unknown format '{format}': choose html, pdf, json or sarif.").format(format=value)
        )
    return fmt


def _audit(store: Store, audit_id: str | None) -> Audit:
    if audit_id:
        return store.get_audit(audit_id)
    latest = store.latest_audit()
    if latest is None:
        raise UsageError(
            _("No audit in the store yet: run 'rempart audit' or 'rempart demo' first.")
        )
    return latest


def default_report_path(audit: Audit, fmt: str) -> Path:
    """``<data dir>/reports/rapport-<audit id>.<ext>`` ("report-" in English)."""
    stem = _("report")
    return config.data_dir() / "reports" / f"{stem}-{audit.id[:8]}{SUFFIX[fmt]}"


def write_report(audit: Audit, fmt: str, out: Path, lang: str, store: Store | None) -> Path:
    """Build the practice report of ``audit`` and write it as ``fmt`` to ``out``."""
    from rempart.report.practice import build_report

    return render_report(build_report(audit, store=store, lang=lang), fmt, out)


def render_report(report: PracticeReport, fmt: str, out: Path) -> Path:
    """Write a built practice report as ``fmt`` (html, pdf, sarif, json) to ``out``."""
    from rempart.report.files import write_text_atomic
    from rempart.report.practice import report_to_json

    if fmt == "html":
        from rempart.report.practice_html import render_html

        return write_text_atomic(out, render_html(report))
    if fmt == "pdf":
        from rempart.report.pdf import render_pdf

        render_pdf(report, out)
        return out
    if fmt == "sarif":
        from rempart.report.sarif import write_sarif

        return write_sarif(report, out)
    text = json.dumps(report_to_json(report), ensure_ascii=False, indent=2)
    return write_text_atomic(out, text + "\n")


def _out_path(out: Path | None, audit: Audit, fmt: str) -> Path:
    if out is None:
        return default_report_path(audit, fmt)
    out = out.expanduser()
    if out.is_dir():
        return out / default_report_path(audit, fmt).name
    if out.exists() and not out.is_file():
        raise UsageError(_("{path} is not a regular file: choose another --out.").format(path=out))
    return out


@app.command()
def report(
    audit_id: Annotated[
        str | None,
        typer.Argument(
            metavar="AUDIT", help="Audit ID or prefix (see 'rempart audits'); default: latest."
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="html (default), pdf, json or sarif.")
    ] = "html",
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="File to write (default: in the data dir's reports)."),
    ] = None,
    lang: Annotated[
        str | None, typer.Option("--lang", help="Language of the report: fr or en.")
    ] = None,
) -> None:
    """Write the practice's report of an audit: grade, action plan, backups, sentinel, details
    per device, change since the previous audit."""
    from rempart.store import Store

    fmt = _format(fmt)
    code = _language(lang)
    with Store.open() as store:
        audit = _audit(store, audit_id)
        path = _out_path(out, audit, fmt)
        with_lang = i18n.current_language()
        try:
            i18n.set_language(code)
            written = write_report(audit, fmt, path, code, store)
        finally:
            i18n.set_language(with_lang)
    console.print(
        _("Report ({format}): {path}").format(format=fmt, path=written),
        highlight=False,
        soft_wrap=True,
    )


def _until(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(
            _("'{value}' is not a date: write --until as YYYY-MM-DD (2027-03-31).").format(
                value=value
            )
        ) from None


@app.command()
def accept(
    key: Annotated[
        str,
        typer.Argument(
            metavar="FINDING_KEY",
            help="The finding's key, check|address|port|transport (in the JSON or SARIF report).",
        ),
    ],
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why the risk is accepted.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Last day of the acceptance (YYYY-MM-DD).")
    ] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who accepts it.")] = None,
    revoke: Annotated[
        bool, typer.Option("--revoke", help="End the acceptance of this finding now.")
    ] = False,
) -> None:
    """Accept a finding's risk until a date (a year at most): it then weighs less in the grade
    and leaves the plan."""
    from rempart.store import Store, accept_risk
    from rempart.store import revoke as revoke_risk

    with Store.open() as store:
        if revoke:
            if revoke_risk(store, key):
                console.print(
                    _("Acceptance ended: {key}").format(key=key), highlight=False, soft_wrap=True
                )
            else:
                console.print(
                    _("No acceptance in force for {key}.").format(key=key), highlight=False
                )
            return
        if reason is None or until is None:
            raise UsageError(_('Say why and until when: --reason "..." --until YYYY-MM-DD.'))
        last_day = _until(until)
        accept_risk(store, key, reason, last_day, by, now=datetime.now(UTC))
    console.print(
        _("Risk accepted until {until} included: {key}").format(
            until=last_day.isoformat(), key=key
        ),
        highlight=False,
        soft_wrap=True,
    )

"""`rempart audit --network TARGETS`: scan, identify, judge, store, report.
`rempart audits`: the audits kept in the store."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from rempart import config, i18n
from rempart.app.audit import (
    AuditOptions,
    SavedAudit,
    prepare_out_dir,
    run_audit,
    save_and_report,
)
from rempart.cli.common import build_scope, progress_bar
from rempart.cli.main import app, console, err_console
from rempart.core.errors import UsageError
from rempart.core.model import Audit, Severity
from rempart.i18n import _
from rempart.report import words

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def severity_label(sev: Severity) -> str:
    return words.severity_label(sev).lower()


def findings_table(audit: Audit) -> Table:
    from rempart.checks import get_meta

    lang = i18n.current_language()
    table = Table(title=_("Findings"), show_lines=False)
    table.add_column(_("Severity"), no_wrap=True)
    table.add_column(_("Check"), no_wrap=True)
    table.add_column(_("Target"), no_wrap=True)
    table.add_column(_("What"), ratio=1)
    for f in sorted(audit.findings, key=lambda f: f.sort_key):
        meta = get_meta(f.check_id)
        title = meta.title.get(lang) if meta is not None else f.check_id
        table.add_row(
            f"[{SEVERITY_STYLE[f.severity]}]{severity_label(f.severity)}[/]",
            f.check_id,
            escape(f.target),
            escape(title),
        )
    return table


def print_audit_summary(audit: Audit, saved: SavedAudit) -> None:
    console.print(findings_table(audit))
    counts = {s: 0 for s in Severity}
    for f in audit.findings:
        counts[f.severity] += 1
    parts = ", ".join(f"{counts[s]} {severity_label(s)}" for s in Severity if counts[s])
    console.print(
        _("{hosts} host(s), {findings} finding(s){detail}.").format(
            hosts=len(audit.assets) + len(audit.hosts),
            findings=len(audit.findings),
            detail=f" ({parts})" if parts else "",
        )
    )
    for note in audit.notes:
        console.print(f"[yellow]![/] {escape(note)}", highlight=False)
    console.print(_("Audit stored: {id}").format(id=audit.id))
    if saved.report_html is not None:
        console.print(_("Report: {path}").format(path=saved.report_html), highlight=False)
        console.print(
            _("Findings (JSON): {path}").format(path=saved.findings_json), highlight=False
        )


@app.command()
def audit(
    network: Annotated[
        list[str] | None,
        typer.Option(
            "--network",
            "-n",
            help="Targets: CIDRs, ranges, hosts or 'auto' (repeat or separate with commas).",
        ),
    ] = None,
    ports: Annotated[
        str | None,
        typer.Option(
            "--ports", help="Ports: '22,80,8000-8100', 'all'; default: dental-aware list."
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for findings.json and report.html.")
    ] = None,
    authorized: Annotated[
        bool, typer.Option("--authorized", help="Allow public addresses (written permission).")
    ] = False,
    large: Annotated[
        bool, typer.Option("--large", help="Allow more than 4,096 addresses.")
    ] = False,
    try_default_credentials: Annotated[
        bool,
        typer.Option(
            "--try-default-credentials",
            help="Try the documented default passwords of recognised devices (a few attempts).",
        ),
    ] = False,
    no_snmp: Annotated[
        bool, typer.Option("--no-snmp", help="Skip the SNMP (UDP 161) sweep.")
    ] = False,
    host: Annotated[
        bool,
        typer.Option(
            "--host/--no-host", help="Also audit this computer's own settings (on by default)."
        ),
    ] = True,
    export: Annotated[
        Path | None,
        typer.Option(
            "--export",
            help="Only collect this computer's facts into FILE (to import on the PC that "
            "writes the report).",
        ),
    ] = None,
    imports: Annotated[
        list[Path] | None,
        typer.Option("--import", help="Add the facts of another computer (repeatable)."),
    ] = None,
) -> None:
    """Audit the practice: the network, this computer, the other computers' exported facts
    and the survey answers; store the audit and write the report."""
    from rempart.host import collect_host_facts, gather_hosts
    from rempart.host.export import export_host
    from rempart.survey.store import load_stored_answers

    if export is not None:
        facts = collect_host_facts()
        path = export_host(facts, export)
        console.print(
            _("Facts of this computer ({name}) exported to {path}.").format(
                name=facts.hostname or "?", path=path
            ),
            highlight=False,
        )
        return
    answers = load_stored_answers()
    if not network and not host and not imports and not len(answers):
        raise UsageError(
            _(
                "Nothing to audit: give the network with --network (e.g. --network "
                "192.168.1.0/24), keep --host, --import a computer's facts, or answer "
                "the survey (rempart survey)."
            )
        )
    settings = config.load()
    scope = build_scope(network, ports, authorized=authorized, large=large) if network else None
    if out is not None:
        prepare_out_dir(out)  # say now, not after the scan, if the report cannot be written
    # Every imported file is read first: a bad one stops us before any scan.
    hosts, host_notes = gather_hosts(collect=host, imports=imports or ())
    options = AuditOptions(try_default_credentials=try_default_credentials, snmp=not no_snmp)
    with progress_bar(err_console, enabled=scope is not None) as bar:
        result = run_audit(scope, options, settings, bar, hosts=hosts, answers=answers)
    extra = list(host_notes)
    if not len(answers):
        extra.append(_("The practice's habits were not surveyed: run 'rempart survey'."))
    result = dataclasses.replace(result, notes=(*result.notes, *extra))
    saved = save_and_report(result, out, i18n.current_language())
    print_audit_summary(result, saved)


@app.command("audits")
def list_audits(
    limit: Annotated[int, typer.Option("--limit", help="How many, newest first.")] = 20,
) -> None:
    """List the audits kept in the store."""
    from rempart.store import Store

    with Store.open() as store:
        rows = store.list_audits(limit)
    if not rows:
        console.print(_("No audit yet: run 'rempart audit --network ...' or 'rempart demo'."))
        return
    table = Table(title=_("Audits"))
    table.add_column(_("Audit"))
    table.add_column(_("Date"))
    table.add_column(_("Targets"))
    table.add_column(_("Hosts"), justify="right")
    table.add_column(_("Findings"), justify="right")
    for r in rows:
        table.add_row(
            r.id[:8],
            r.started_at.strftime("%Y-%m-%d %H:%M"),
            escape(", ".join(r.targets)),
            str(r.assets),
            str(r.findings),
        )
    console.print(table)

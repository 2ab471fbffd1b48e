"""`rempart demo`: start the demo practice, audit it, show the findings, stop it."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rempart import config, i18n
from rempart.app.audit import (
    AuditOptions,
    NetworkScope,
    lab_scope_ports,
    run_network_audit,
    save_and_report,
)
from rempart.cli.audit import print_audit_summary
from rempart.cli.common import build_scope, progress_bar
from rempart.cli.main import app, console, err_console
from rempart.core.model import Audit
from rempart.i18n import _
from rempart.lab.state import LabState

if TYPE_CHECKING:
    from rempart.report.practice import PracticeReport

LAB_NETWORK = "127.42.0.0/24"


def demo_scope(state: LabState) -> NetworkScope:
    """The demo practice's network: the default ports plus the ports the lab really bound
    (offset ones included), and SNMP where the lab answers it."""
    from rempart.discover.ports import DEFAULT_TCP_PORTS

    udp = state.udp_ports()
    ports = lab_scope_ports(DEFAULT_TCP_PORTS, state.all_tcp_ports())
    scope = build_scope(
        [LAB_NETWORK],
        ",".join(str(p) for p in ports),
        authorized=False,
        large=False,
        snmp_port=udp[0] if udp else 161,
    )
    return dataclasses.replace(scope, ports_label="default+lab")


@app.command()
def demo(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder for the report (default: in the data dir)."),
    ] = None,
    keep_lab: Annotated[
        bool, typer.Option("--keep-lab", help="Leave the demo practice running afterwards.")
    ] = False,
) -> None:
    """Audit a simulated dental practice on 127.42.0.0/24, start to finish."""
    from rempart.lab import lab_status, start_lab, stop_lab

    started = time.monotonic()
    settings = config.load()
    already = lab_status()
    if already is None:
        console.print(_("Starting the demo practice on {net}…").format(net=LAB_NETWORK))
        state = start_lab()
    else:
        console.print(_("The demo practice is already running; auditing it."))
        state = already
    try:
        scope = demo_scope(state)
        options = AuditOptions(try_default_credentials=True)
        with progress_bar(err_console) as bar:
            result = run_network_audit(scope, options, settings, bar)
        if out is None:
            stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
            out = config.data_dir() / "reports" / f"demo-{stamp}"
        saved = save_and_report(result, out, i18n.current_language())
        print_audit_summary(result, saved)
        practice, report = write_practice_report(result, out)
    finally:
        if already is None and not keep_lab:
            stop_lab()
            console.print(_("Demo practice stopped."))
    console.print(_("Demo finished in {s:.1f} s.").format(s=time.monotonic() - started))
    print_next_steps(practice, report)


PRACTICE_REPORT = "practice-report.html"


def write_practice_report(audit: Audit, out: Path) -> tuple[Path, PracticeReport]:
    """The practice's report (grade, plan, backups, sentinel) beside the audit's files."""
    from rempart.cli.report import render_report
    from rempart.report.practice import build_report
    from rempart.store import Store

    with Store.open() as store:
        report = build_report(audit, store=store, lang=i18n.current_language())
    return render_report(report, "html", out / PRACTICE_REPORT), report


def _lower_first(text: str) -> str:
    """ "Le prestataire informatique" in the middle of a sentence ("IT" stays upper-case)."""
    return text[:1].lower() + text[1:]


def print_next_steps(practice: Path, report: PracticeReport) -> None:
    """The grade and the first action, where the practice's report is, and how to open the
    dashboard."""
    from rempart.cli.serve import DEFAULT_HOST, DEFAULT_PORT

    console.print(
        _("Grade of the practice: {grade} ({points} risk points; A is best, G worst).").format(
            grade=report.score.grade, points=f"{report.score.points:.0f}"
        ),
        highlight=False,
        soft_wrap=True,
    )
    if report.plan:
        first = report.plan[0]
        console.print(
            _("First action: {title} ({who}, {effort}).").format(
                title=first.title,
                who=_lower_first(first.who_label),
                effort=_lower_first(first.effort_label),
            ),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    console.print(
        _("Practice report (grade and action plan): {path}").format(path=practice),
        highlight=False,
        soft_wrap=True,
    )
    console.print(
        _("Dashboard: run 'rempart serve', then open {url}").format(
            url=f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"
        ),
        highlight=False,
        soft_wrap=True,
    )

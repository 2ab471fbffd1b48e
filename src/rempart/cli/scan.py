"""`rempart scan TARGETS`: what is on the network (hosts, open ports, services), no judgement."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape

from rempart import config
from rempart.app.audit import AuditOptions, discover
from rempart.cli.common import build_scope, progress_bar, services_table
from rempart.cli.main import app, console, err_console
from rempart.core.model import to_jsonable
from rempart.i18n import _


@app.command()
def scan(
    targets: Annotated[
        list[str],
        typer.Argument(
            help="CIDRs, ranges (a.b.c.d-e), hosts, or 'auto' (this machine's subnets)."
        ),
    ],
    ports: Annotated[
        str | None,
        typer.Option(
            "--ports", help="Ports: '22,80,8000-8100', 'all' (1-65535); default: dental-aware list."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
    authorized: Annotated[
        bool,
        typer.Option("--authorized", help="Allow public addresses (you have written permission)."),
    ] = False,
    large: Annotated[
        bool, typer.Option("--large", help="Allow more than 4,096 addresses.")
    ] = False,
    no_snmp: Annotated[
        bool, typer.Option("--no-snmp", help="Skip the SNMP (UDP 161) sweep.")
    ] = False,
) -> None:
    """List the hosts, open ports and services found on TARGETS."""
    settings = config.load()
    scope = build_scope(targets, ports, authorized=authorized, large=large)
    with progress_bar(err_console, enabled=err_console.is_terminal or not as_json) as bar:
        outcome = discover(scope, AuditOptions(snmp=not no_snmp), settings, bar)
    if as_json:
        doc = {
            "targets": list(scope.specs),
            "ports": scope.ports_label,
            "started_at": outcome.started_at.isoformat(),
            "finished_at": outcome.finished_at.isoformat(),
            "hosts": [to_jsonable(a) for a in outcome.assets],
            "notes": list(outcome.notes),
        }
        typer.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    console.print(services_table(outcome.assets))
    n_services = sum(len(a.services) for a in outcome.assets)
    console.print(
        _("{hosts} host(s), {services} service(s) in {seconds:.1f} s.").format(
            hosts=len(outcome.assets),
            services=n_services,
            seconds=(outcome.finished_at - outcome.started_at).total_seconds(),
        )
    )
    for note in outcome.notes:
        console.print(f"[yellow]![/] {escape(note)}", highlight=False)

"""`rempart lab up|down|status|data`: the demo practice on 127.42.0.0/24."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from rempart.cli.main import app, console
from rempart.i18n import _
from rempart.lab import LabState, lab_status, start_lab, stop_lab, write_practice_data

lab_app = typer.Typer(
    help="Start, stop or inspect the demo practice on 127.42.0.0/24.", no_args_is_help=True
)
app.add_typer(lab_app, name="lab")


def _table(state: LabState) -> Table:
    table = Table(
        title=_("Demo practice (pid {pid}, started {started})").format(
            pid=state.pid, started=state.started
        )
    )
    table.add_column(_("Address"))
    table.add_column(_("Host"))
    table.add_column(_("Kind"))
    table.add_column(_("Port"), justify="right")
    table.add_column(_("Service"))
    for host in state.hosts:
        for index, service in enumerate(host.services):
            port = f"{service.port}/{service.transport}"
            if service.offset:
                port += f" (← {service.nominal_port})"
            table.add_row(
                host.address if index == 0 else "",
                host.name if index == 0 else "",
                host.kind if index == 0 else "",
                port,
                service.description,
                end_section=index == len(host.services) - 1,
            )
    return table


def _show(state: LabState) -> None:
    console.print(_table(state))
    if any(s.offset for h in state.hosts for s in h.services):
        console.print(
            _("Ports below 1024 could not be bound (not root): they are moved by +10000, as shown.")
        )
    if state.data_dir:
        console.print(
            _("Synthetic practice data: {path}").format(path=state.data_dir), highlight=False
        )


@lab_app.command("up")
def up(
    data: Annotated[
        Path | None,
        typer.Option("--data", help="Folder where the synthetic practice data is written."),
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds to wait until every service answers.")
    ] = 5.0,
) -> None:
    """Start the demo practice in the background."""
    running = lab_status()
    if running is not None:
        console.print(
            _("The demo practice is already running (pid {pid}).").format(pid=running.pid)
        )
        _show(running)
        return
    state = start_lab(data, timeout=timeout)
    console.print(_("The demo practice is running."))
    _show(state)


@lab_app.command("down")
def down() -> None:
    """Stop the demo practice."""
    state = stop_lab()
    if state is None:
        console.print(_("The demo practice is not running."))
        return
    console.print(_("The demo practice is stopped (pid {pid}).").format(pid=state.pid))


@lab_app.command("status")
def status() -> None:
    """Show the demo practice's hosts and the ports actually bound."""
    state = lab_status()
    if state is None:
        console.print(_("The demo practice is not running."))
        return
    _show(state)


@lab_app.command("data")
def data(
    directory: Annotated[
        Path, typer.Argument(help="Folder in which to write the synthetic practice data.")
    ],
    force: Annotated[
        bool, typer.Option("--force", help="Rewrite the files even if they exist.")
    ] = False,
) -> None:
    """Write the synthetic practice data (agenda, invoices, x-rays, database) into DIRECTORY."""
    root = write_practice_data(directory, force=force)
    count = sum(1 for p in root.rglob("*") if p.is_file())
    console.print(
        _("{count} synthetic files written in {path}").format(count=count, path=root),
        highlight=False,
    )

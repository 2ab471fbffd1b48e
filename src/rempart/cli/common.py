"""Pieces shared by the scan, audit and demo commands: scope, progress bar, summary table."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from rempart.app.audit import NetworkScope
from rempart.core.model import Asset
from rempart.i18n import _


def phase_label(name: str) -> str:
    labels = {"scan": _("Port scan"), "identify": _("Identifying services")}
    return labels.get(name, name)


def split_targets(values: Sequence[str]) -> list[str]:
    """``["127.42.0.0/28,127.42.0.20", "auto"]`` → each target on its own."""
    out: list[str] = []
    for value in values:
        out.extend(part.strip() for part in value.replace(" ", ",").split(",") if part.strip())
    return out


def build_scope(
    targets: Sequence[str],
    ports: str | None,
    *,
    authorized: bool,
    large: bool,
    extra_ports: Sequence[int] = (),
    snmp_port: int = 161,
) -> NetworkScope:
    from rempart.discover.ports import parse_ports
    from rempart.discover.targets import parse_targets

    specs = split_targets(targets)
    target_set = parse_targets(specs, authorized=authorized, large=large)
    tcp_ports = tuple(sorted(set(parse_ports(ports)) | set(extra_ports)))
    notes: tuple[str, ...] = ()
    public = getattr(target_set, "public", ())
    if public:
        notes = (
            _("Scan of public addresses authorised by --authorized: {n} address(es)").format(
                n=len(public)
            ),
        )
    return NetworkScope(
        addresses=tuple(target_set.addresses),
        tcp_ports=tcp_ports,
        specs=tuple(specs),
        ports_label=ports or "default",
        authorized=authorized,
        snmp_port=snmp_port,
        extra_notes=notes,
    )


class RichProgress:
    """A Rich progress bar, one task per phase (port scan, identification)."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: object | None = None

    def phase(self, name: str, total: int) -> None:
        if self._task is not None:
            self._progress.update(self._task, completed=self._progress.tasks[-1].total)  # type: ignore[arg-type]
        self._task = self._progress.add_task(phase_label(name), total=max(total, 1))

    def update(self, done: int, total: int) -> None:
        if self._task is not None:
            self._progress.update(self._task, completed=done, total=max(total, 1))  # type: ignore[arg-type]


@contextmanager
def progress_bar(console: Console, enabled: bool = True) -> Iterator[RichProgress | None]:
    if not enabled:
        yield None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        yield RichProgress(progress)


def services_table(assets: Sequence[Asset]) -> Table:
    table = Table(title=_("Hosts and services"), show_lines=False)
    table.add_column(_("Host"))
    table.add_column(_("Port"), justify="right")
    table.add_column(_("Service"))
    table.add_column(_("Product"))
    for asset in assets:
        label = asset.address + (f" ({asset.hostname})" if asset.hostname else "")
        for i, svc in enumerate(asset.services):
            product = " ".join(p for p in (svc.product, svc.version) if p)
            table.add_row(
                escape(label) if i == 0 else "",
                f"{svc.port}/{svc.transport}",
                escape(svc.name),
                escape(product[:60]),
            )
    return table

"""`rempart drill ransomware|benign`: exercises with the sentinel watching a sandbox.

rempart drill ransomware                     # every family, one after the other
rempart drill ransomware --family lockfile   # one family
rempart drill ransomware --json              # machine output
rempart drill ransomware --sandbox DIR --undo   # put back a sandbox left encrypted
rempart drill benign                         # a normal day: must raise no alarm

Each family runs in its own process inside a sandbox the drill creates (synthetic files
only), against a fresh sentinel (``drill=True``: its incidents are marked as drills in
the store). After each family the drill counts the files lost, undoes the encryption bit
for bit and puts the canaries back. ``drill_app`` is the group other pillars add their
own exercises to (``rempart drill restore``).
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from rempart import config, i18n
from rempart.cli.main import app, console, err_console
from rempart.core.errors import UsageError
from rempart.i18n import _
from rempart.lab import benign, ransomware
from rempart.lab.sandbox import DEFAULT_FILES, Sandbox, create_sandbox, open_sandbox, remove_sandbox

drill_app = typer.Typer(
    help="Exercises: a ransomware simulator and a normal day, with the sentinel watching.",
    no_args_is_help=True,
)
app.add_typer(drill_app, name="drill")

BENIGN_FILES = 120


def _family_names(value: str) -> list[str]:
    if value == "all":
        return list(ransomware.FAMILY_NAMES)
    names = [v.strip() for v in value.split(",") if v.strip()]
    for name in names:
        ransomware.family(name)  # an unknown name is one clear line
    return names


def _make_sandbox(path: Path | None, files: int, quiet: bool) -> Sandbox:
    if quiet:
        return create_sandbox(path, files=files)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(_("Synthetic practice files"), total=files)
        return create_sandbox(
            path, files=files, progress=lambda done, _total: progress.update(task, completed=done)
        )


@contextmanager
def _sentinel(sandbox: Sandbox, mode: str, notes: list[str]) -> Iterator[Any]:
    """A fresh sentinel on the sandbox's data folder; canaries put back afterwards."""
    from rempart.sentinel import canaries
    from rempart.sentinel.service import Sentinel
    from rempart.store import Store, sentinel_baseline

    settings = config.load()
    with Store.open() as store:
        sentinel = Sentinel(
            [sandbox.data],
            settings=settings.sentinel,
            alerts=config.AlertSettings(desktop=False),  # a drill alerts on the console only
            store=store,
            drill=True,
            mode=mode,
            on_note=lambda text: notes.append(text) if text not in notes else None,
        )
        sentinel.start()
        try:
            yield sentinel
        finally:
            sentinel.stop()
            canaries.restore(sandbox.data)
            # The drill's incidents stay (marked as drills); its baseline is of no use later.
            sentinel_baseline.delete_root(store, str(sandbox.data))


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def _yes(value: bool) -> str:
    return _("yes") if value else _("no")


def _ransomware_table(results: list[ransomware.DrillResult]) -> Table:
    table = Table(title=_("Ransomware drill"))
    table.add_column(_("Family"))
    table.add_column(_("Detected"))
    table.add_column(_("Detection time"), justify="right")
    table.add_column(_("Culprit stopped"))
    table.add_column(_("Files lost"), justify="right")
    table.add_column(_("Restored"))
    for r in results:
        if r.skipped:
            table.add_row(r.family, _("skipped"), "-", "-", "-", "-")
            continue
        table.add_row(
            r.family,
            _yes(r.detected),
            _seconds(r.latency),
            _yes(r.stopped),
            f"{r.lost_count}/{r.touched}",
            _yes(r.restored),
        )
    return table


def _result_json(r: ransomware.DrillResult) -> dict[str, Any]:
    return {
        "family": r.family,
        "order": r.order,
        "skipped": r.skipped,
        "detected": r.detected,
        "detection_seconds": None if r.latency is None else round(r.latency, 4),
        "culprit_stopped": r.stopped,
        "action": r.action,
        "files": r.files,
        "files_touched": r.touched,
        "files_lost": r.lost_count,
        "lost": list(r.lost),
        "reasons": list(r.reasons),
        "restored": r.restored,
        "regenerated": r.regenerated,
        "files_per_second": None if r.rate is None else round(r.rate, 1),
        "stopped_seconds": None if r.stop_time is None else round(r.stop_time, 4),
    }


def _summary(results: list[ransomware.DrillResult]) -> dict[str, Any]:
    ran = [r for r in results if not r.skipped]
    lost = [r.lost_count for r in ran]
    latencies = [r.latency for r in ran if r.latency is not None]
    return {
        "families": len(ran),
        "skipped": len(results) - len(ran),
        "detected": sum(r.detected for r in ran),
        "stopped": sum(r.stopped for r in ran),
        "lost_median": statistics.median(lost) if lost else None,
        "lost_max": max(lost) if lost else None,
        "latency_median": round(statistics.median(latencies), 4) if latencies else None,
        "restored": all(r.restored for r in ran),
    }


@drill_app.command("ransomware")
def ransomware_drill(
    family: Annotated[
        str,
        typer.Option(
            "--family",
            help="A family (overwrite, lockfile, ...), several separated by commas, or all.",
        ),
    ] = "all",
    json_output: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
    sandbox_dir: Annotated[
        Path | None,
        typer.Option(
            "--sandbox",
            help="Sandbox folder: must not exist, or be a sandbox made by a previous drill.",
        ),
    ] = None,
    files: Annotated[
        int, typer.Option("--files", help="Synthetic files in the sandbox.", min=1, max=100000)
    ] = DEFAULT_FILES,
    interval: Annotated[
        float | None,
        typer.Option("--interval", help="Seconds between two files for the slow family (10)."),
    ] = None,
    order: Annotated[
        str | None,
        typer.Option("--order", help="How the simulator walks the folders: sorted, deep, random."),
    ] = None,
    rate: Annotated[
        float | None,
        typer.Option("--rate", help="At most N files per second (LockBit: about 300).", min=0.1),
    ] = None,
    mode: Annotated[
        str, typer.Option("--mode", help="Sentinel watch mode: auto, fanotify, inotify, poll.")
    ] = "auto",
    keep: Annotated[
        bool, typer.Option("--keep", help="Keep the sandbox afterwards (it is restored).")
    ] = False,
    undo: Annotated[
        bool, typer.Option("--undo", help="Only put back the files of --sandbox DIR.")
    ] = False,
) -> None:
    """Encrypt synthetic files the ways real ransomware does, while the sentinel watches."""
    if undo:
        _undo(sandbox_dir, json_output)
        return
    names = _family_names(family)
    if order is not None and order not in ransomware.ORDERS:
        raise UsageError(
            _("Unknown order '{order}': use sorted, deep or random.").format(order=order)
        )
    if interval is not None and interval < 0:
        raise UsageError(_("--interval must be zero or more seconds."))
    sandbox = _make_sandbox(sandbox_dir, files, json_output)
    notes: list[str] = []
    shown: set[str] = set()
    results: list[ransomware.DrillResult] = []
    watch_mode = "-"
    if not json_output:
        console.print(
            _("Sandbox: {path} ({files} synthetic files)").format(path=sandbox.root, files=files),
            highlight=False,
        )
    for name in names:
        fam = ransomware.family(name)
        if fam.other_user and not ransomware.can_run_other_user():
            results.append(
                ransomware.DrillResult(
                    fam.name, order or fam.order, files, False, None, False, "none", (), 0, (),
                    True, skipped=ransomware.other_user_skip_reason(),
                )
            )  # fmt: skip
            _say_skipped(results[-1], json_output)
            continue
        if not json_output:
            console.print(
                _("Family {name}: {what}...").format(
                    name=fam.name, what=fam.describe(i18n.current_language())
                ),
                highlight=False,
            )
        with _sentinel(sandbox, mode, notes) as sentinel:
            watch_mode = sentinel.mode
            _flush_notes(notes, json_output, shown)
            result = ransomware.run_drill(
                sandbox, fam, sentinel, interval=interval, order=order, rate=rate
            )
        results.append(result)
    summary = _summary(results)
    if json_output:
        print(
            json.dumps(
                {
                    "sandbox": str(sandbox.root),
                    "mode": watch_mode,
                    "notes": notes,
                    "summary": summary,
                    "families": [_result_json(r) for r in results],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        console.print(_ransomware_table(results))
        _print_summary(summary, watch_mode)
    _finish(sandbox, sandbox_dir, keep, json_output)
    failed = summary["detected"] < summary["families"] or not summary["restored"]
    if failed:
        raise typer.Exit(1)


def _say_skipped(result: ransomware.DrillResult, quiet: bool) -> None:
    if not quiet and result.skipped:
        err_console.print(f"{result.family}: {result.skipped}", markup=False, highlight=False)


def _flush_notes(notes: list[str], quiet: bool, shown: set[str]) -> None:
    """The sentinel's notes (a weaker watch mode, and why), each said once."""
    for note in notes:
        if note not in shown:
            shown.add(note)
            if not quiet:
                err_console.print(note, markup=False, highlight=False)


def _print_summary(summary: dict[str, Any], mode: str) -> None:
    if not summary["families"]:
        return
    console.print(
        _(
            "{detected}/{families} families detected, culprit stopped {stopped} times "
            "(watch mode {mode}); files lost: median {median}, max {max}; "
            "detection time median {latency}."
        ).format(
            detected=summary["detected"],
            families=summary["families"],
            stopped=summary["stopped"],
            mode=mode,
            median=summary["lost_median"],
            max=summary["lost_max"],
            latency=_seconds(summary["latency_median"]),
        ),
        highlight=False,
    )
    if summary["restored"]:
        console.print(_("Every file of the sandbox was put back bit for bit."))
    else:
        console.print(_("Some files of the sandbox could not be put back: see the table."))


def _finish(sandbox: Sandbox, given: Path | None, keep: bool, quiet: bool) -> None:
    """A sandbox the drill made up itself is removed, unless --keep."""
    if given is None and not keep:
        remove_sandbox(sandbox)
    elif not quiet:
        console.print(_("The sandbox stays in {path}.").format(path=sandbox.root), highlight=False)


def _undo(sandbox_dir: Path | None, json_output: bool) -> None:
    if sandbox_dir is None:
        raise UsageError(_("--undo needs --sandbox DIR: the sandbox to put back."))
    sandbox = open_sandbox(sandbox_dir)
    report = ransomware.undo(sandbox)
    if json_output:
        print(
            json.dumps(
                {
                    "sandbox": str(sandbox.root),
                    "decrypted": report.decrypted,
                    "regenerated": report.regenerated,
                    "notes_removed": report.notes_removed,
                    "unrecovered": list(report.unrecovered),
                },
                indent=2,
            )
        )
    else:
        console.print(
            _(
                "{decrypted} file(s) decrypted, {regenerated} written again, "
                "{notes} ransom note(s) removed in {path}."
            ).format(
                decrypted=report.decrypted,
                regenerated=report.regenerated,
                notes=report.notes_removed,
                path=sandbox.root,
            ),
            highlight=False,
        )
    if report.unrecovered:
        raise UsageError(
            _("{count} file(s) could not be put back in {path}.").format(
                count=len(report.unrecovered), path=sandbox.root
            )
        )


def _benign_table(results: list[benign.BenignResult]) -> Table:
    table = Table(title=_("A normal day (benign drill)"))
    table.add_column(_("Workload"))
    table.add_column(_("What it does"))
    table.add_column(_("Duration"), justify="right")
    table.add_column(_("False alarms"), justify="right")
    table.add_column(_("Completed"))
    for r in results:
        what = next(w for w in benign.WORKLOADS if w.name == r.name).describe(
            i18n.current_language()
        )
        table.add_row(r.name, escape(what), _seconds(r.seconds), str(r.alarms), _yes(r.ok))
    return table


@drill_app.command("benign")
def benign_drill(
    json_output: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
    sandbox_dir: Annotated[
        Path | None,
        typer.Option(
            "--sandbox",
            help="Sandbox folder: must not exist, or be a sandbox made by a previous drill.",
        ),
    ] = None,
    workloads: Annotated[
        str,
        typer.Option("--workloads", help="Workloads separated by commas, or all."),
    ] = "all",
    mode: Annotated[
        str, typer.Option("--mode", help="Sentinel watch mode: auto, fanotify, inotify, poll.")
    ] = "auto",
    keep: Annotated[bool, typer.Option("--keep", help="Keep the sandbox afterwards.")] = False,
) -> None:
    """A practice's normal day (archives, x-rays, Office, database...): no alarm expected."""
    names = list(benign.WORKLOAD_NAMES) if workloads == "all" else [
        w.strip() for w in workloads.split(",") if w.strip()
    ]  # fmt: skip
    unknown = [n for n in names if n not in benign.WORKLOAD_NAMES]
    if unknown or not names:
        raise UsageError(
            _("Unknown workload '{name}': choose among {names} or all.").format(
                name=", ".join(unknown), names=", ".join(benign.WORKLOAD_NAMES)
            )
        )
    sandbox = _make_sandbox(sandbox_dir, BENIGN_FILES, json_output)
    notes: list[str] = []
    show: Callable[[benign.BenignResult], None] | None = None
    if not json_output:
        console.print(_("Sandbox: {path}").format(path=sandbox.root), highlight=False)

        def show(result: benign.BenignResult) -> None:
            console.print(
                _("{name}: {alarms} alarm(s) in {seconds}").format(
                    name=result.name, alarms=result.alarms, seconds=_seconds(result.seconds)
                ),
                highlight=False,
            )

    with _sentinel(sandbox, mode, notes) as sentinel:
        watch_mode = sentinel.mode
        _flush_notes(notes, json_output, set())
        results = benign.run_benign_drill(sandbox, sentinel, names, on_done=show)
    alarms = sum(r.alarms for r in results)
    if json_output:
        print(
            json.dumps(
                {
                    "sandbox": str(sandbox.root),
                    "mode": watch_mode,
                    "notes": notes,
                    "false_alarms": alarms,
                    "workloads": [
                        {
                            "name": r.name,
                            "seconds": round(r.seconds, 3),
                            "finished": r.ok,
                            "false_alarms": r.alarms,
                            "reasons": list(r.reasons),
                            "stopped_by_sentinel": r.stopped_by_sentinel,
                            "error": r.error,
                        }
                        for r in results
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        console.print(_benign_table(results))
        if alarms:
            console.print(
                _("{count} false alarm(s): the sentinel took a normal day for an attack.").format(
                    count=alarms
                )
            )
        else:
            console.print(_("No false alarm: the sentinel let a normal day go by."))
    _finish(sandbox, sandbox_dir, keep, json_output)
    if alarms or not all(r.ok for r in results):
        raise typer.Exit(1)

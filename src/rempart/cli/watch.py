"""`rempart watch`: protect folders against encryption in progress, in the foreground.

rempart watch D:/Patients D:/Radios          # watch until Ctrl-C (canaries stay in place)
rempart watch --response suspend PATH        # suspend the culprit instead of killing it
rempart watch                                # the folders of [sentinel] folders
rempart watch --status                       # what is protected, mode, recent incidents
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from rempart import config
from rempart.cli.main import app, console, err_console
from rempart.core.errors import UsageError
from rempart.i18n import _


def action_label(action: str) -> str:
    labels = {
        "killed": _("stopped (killed)"),
        "suspended": _("suspended"),
        "named": _("named, not stopped"),
        "none": _("nothing done"),
    }
    return labels.get(action, action)


def _status() -> None:
    from rempart.store import Store
    from rempart.store.incidents import recent_incidents
    from rempart.store.status import sentinel_status

    with Store.open() as store:
        status = sentinel_status(store)
        incidents = recent_incidents(store, limit=10)
    if status.running:
        console.print(
            _("The sentinel is running ({mode}), last heartbeat {at}.").format(
                mode=status.mode,
                at=status.last_heartbeat.strftime("%Y-%m-%d %H:%M:%S UTC")
                if status.last_heartbeat
                else "-",
            ),
            highlight=False,
        )
    elif status.last_heartbeat is not None:
        console.print(
            _("The sentinel is NOT running (last heartbeat {at}): start rempart watch.").format(
                at=status.last_heartbeat.strftime("%Y-%m-%d %H:%M:%S UTC")
            ),
            highlight=False,
        )
    else:
        console.print(_("The sentinel has never run here: start rempart watch FOLDER."))
    if status.folders:
        console.print(_("Protected folders:"))
        for folder in status.folders:
            console.print(f"  {escape(folder)}", highlight=False)
    if not incidents:
        console.print(_("No incident recorded."))
        return
    table = Table(title=_("Recent incidents"))
    table.add_column("#", justify="right")
    table.add_column(_("Detected"), no_wrap=True)
    table.add_column(_("Folder"))
    table.add_column(_("Process"))
    table.add_column(_("Action"))
    table.add_column(_("Files"), justify="right")
    table.add_column(_("Status"))
    for inc in incidents:
        who = inc.actor_name or "?"
        if inc.actor_pid:
            who += f" ({inc.actor_pid})"
        table.add_row(
            str(inc.id),
            inc.detected_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            escape(inc.folder),
            escape(who),
            action_label(inc.action),
            str(inc.files_affected),
            _("to deal with") if inc.status == "open" else _("dealt with"),
        )
    console.print(table)


PASSPHRASE_ENV = "REMPART_VAULT_PASSPHRASE"  # noqa: S105 - a variable's name, as in `backup`


def snapshot_hook(
    vault: config.VaultSettings, folders: list[Path], note: Callable[[str], None]
) -> Callable[[Any], None] | None:
    """The vault's side of an incident, wired here (pillars do not import each other): a
    snapshot of the protected folders, tagged with the incident, taken right after the
    culprit is stopped — what was not encrypted yet is kept, whatever happens next.

    Only when a repository is configured and its passphrase can be read without a prompt
    (``REMPART_VAULT_PASSPHRASE`` or ``[vault] passphrase_file``); otherwise says why once.
    """
    if not vault.repository:
        return None
    if not (os.environ.get(PASSPHRASE_ENV) or vault.passphrase_file):
        note(
            _(
                "No snapshot on incident: set {env} or [vault] passphrase_file so that the "
                "sentinel can ask the vault for one without a prompt."
            ).format(env=PASSPHRASE_ENV)
        )
        return None
    roots = [str(f) for f in folders]

    def hook(incident: Any) -> None:
        from rempart.vault import Repository, open_backend
        from rempart.vault.backup import run_backup

        secret = os.environ.get(PASSPHRASE_ENV) or (
            Path(vault.passphrase_file).expanduser().read_text(encoding="utf-8").rstrip("\r\n")
        )
        repo = Repository.open(open_backend(vault.repository, vault), secret)
        try:
            result = run_backup(
                repo,
                roots,
                tags=("sentinel", f"incident-{incident.id}"),
                excludes=vault.excludes,
                database_globs=vault.database_globs,
                page_size=vault.page_size,
            )
        finally:
            repo.unlock()
        incident.add("snapshot", detail=f"vault snapshot {result.snapshot.name[:12]}")

    return hook


def _folders(paths: list[Path] | None, settings: config.Settings) -> list[Path]:
    if paths:
        return list(paths)
    if settings.sentinel.folders:
        return [Path(f).expanduser() for f in settings.sentinel.folders]
    raise UsageError(
        _(
            "No folder to protect: give one (rempart watch D:/Patients) or set "
            "[sentinel] folders in the settings file."
        )
    )


@app.command("watch")
def watch(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Folders to protect (default: [sentinel] folders).")
    ] = None,
    response: Annotated[
        str | None,
        typer.Option(
            "--response", help="kill (suspend, then kill), suspend, or alert (name only)."
        ),
    ] = None,
    mode: Annotated[
        str | None,
        typer.Option(
            "--mode", help="auto (best available), fanotify, inotify or poll (default: settings)."
        ),
    ] = None,
    status: Annotated[
        bool, typer.Option("--status", help="Show what is protected and recent incidents.")
    ] = False,
    close: Annotated[
        int | None, typer.Option("--close", help="Mark incident number N as dealt with.")
    ] = None,
) -> None:
    """Protect folders against ransomware encrypting them (foreground; Ctrl-C stops)."""
    from dataclasses import replace

    if close is not None:
        from rempart.store import Store
        from rempart.store.incidents import close_incident

        with Store.open() as store:
            if not close_incident(store, close):
                raise UsageError(
                    _("No incident number {n}: see rempart watch --status.").format(n=close)
                )
        console.print(_("Incident {n} closed.").format(n=close))
        return
    if status:
        _status()
        return
    settings = config.load()
    if response is not None and response not in ("kill", "suspend", "alert"):
        raise UsageError(
            _("Unknown response '{value}': use --response kill, suspend or alert.").format(
                value=response
            )
        )
    sentinel_settings = settings.sentinel
    if response is not None:
        sentinel_settings = replace(sentinel_settings, response=response)
    folders = _folders(paths, settings)
    run(folders, sentinel_settings, settings.alerts, mode, vault=settings.vault)


def run(
    folders: list[Path],
    sentinel_settings: config.SentinelSettings,
    alert_settings: config.AlertSettings,
    mode: str | None,
    *,
    vault: config.VaultSettings | None = None,
    stop_event: threading.Event | None = None,
) -> None:
    """Watch until Ctrl-C, SIGTERM or ``stop_event``; the sentinel is always stopped cleanly."""
    from rempart.sentinel.service import Sentinel
    from rempart.store import Store

    stop_event = stop_event or threading.Event()

    def note(text: str) -> None:
        err_console.print(text, markup=False, highlight=False)

    with Store.open() as store:
        sentinel = Sentinel(
            folders,
            settings=sentinel_settings,
            alerts=alert_settings,
            store=store,
            console=console,
            mode=mode,
            on_note=note,
            snapshot_hook=snapshot_hook(vault or config.VaultSettings(), folders, note),
        )
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task(_("Indexing the protected files"), total=None)

            def on_progress(done: int, total: int) -> None:
                progress.update(task, completed=done, total=max(total, 1))

            sentinel.progress = on_progress
            sentinel.start()
        console.print(
            _("Watching {n} folder(s) with {mode}; response: {response}. Ctrl-C stops.").format(
                n=len(sentinel.folders), mode=sentinel.mode, response=sentinel_settings.response
            ),
            highlight=False,
        )
        if sentinel.gate is not None:
            console.print(
                _(
                    "Gate on: a program that changed protected files waits at its next open "
                    "until they are judged."
                ),
                highlight=False,
            )
        for folder in sentinel.folders:
            console.print(f"  {escape(str(folder))}", highlight=False)

        previous = None
        if threading.current_thread() is threading.main_thread():

            def on_term(_signum: int, _frame: FrameType | None) -> None:
                stop_event.set()

            previous = signal.signal(signal.SIGTERM, on_term)
        started = datetime.now(UTC)
        try:
            while not stop_event.wait(0.5):
                pass  # incidents are printed by the console alert, from the sentinel
        except KeyboardInterrupt:
            pass
        finally:
            sentinel.stop()
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
        minutes = (datetime.now(UTC) - started).total_seconds() / 60
        console.print(
            _(
                "Sentinel stopped after {minutes:.0f} min: {n} incident(s). The canary files "
                "stay in place."
            ).format(minutes=minutes, n=len(sentinel.incidents)),
            highlight=False,
        )

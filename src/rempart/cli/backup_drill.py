"""``rempart drill restore``: restore a sample of the backups (or everything) and verify it.

rempart drill restore                  # a random sample; everything when a monthly one is due
rempart drill restore --full           # the whole last clean snapshot
rempart drill restore --repo s3://…    # another repository than the settings'
rempart drill restore --json           # machine output

The outcome goes into the store: the audit reports a practice whose last successful drill
is older than 30 days.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from rempart import config
from rempart.cli.drill import drill_app
from rempart.cli.main import console, err_console
from rempart.i18n import _


def _secret(passphrase_file: Path | None) -> str | None:
    if passphrase_file is None:
        return None
    from rempart.vault.errors import VaultError

    try:
        return passphrase_file.read_text(encoding="utf-8").strip("\r\n")
    except OSError as exc:
        raise VaultError(
            _("Cannot read the passphrase file {path}: {error}.").format(
                path=passphrase_file, error=exc.strerror or exc
            )
        ) from exc


@drill_app.command("restore")
def restore_drill_cmd(
    full: Annotated[
        bool | None,
        typer.Option(
            "--full/--sample",
            help="Restore everything, or a random sample (default: everything once a month).",
        ),
    ] = None,
    repo: Annotated[
        str | None,
        typer.Option("--repo", "-r", help="Repository (default: 'repository' in [vault])."),
    ] = None,
    passphrase_file: Annotated[
        Path | None, typer.Option("--passphrase-file", help="File holding the passphrase.")
    ] = None,
    files: Annotated[
        int, typer.Option("--files", min=1, max=10000, help="Files in a sample drill.")
    ] = 24,
    as_json: Annotated[bool, typer.Option("--json", help="Machine output.")] = False,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Progress bar.")
    ] = True,
) -> None:
    """Restore backups into a scratch folder and check them bit for bit."""
    from rempart.vault.drills import run_drill

    settings = config.load()
    location = repo or settings.vault.repository
    show = progress and not as_json
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err_console,
        transient=True,
        disable=not show,
    ) as bar:
        task = bar.add_task(_("Restore drill"), total=None)
        result = run_drill(
            settings,
            location=location,
            passphrase=_secret(passphrase_file),
            full=full,
            count=files,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    if as_json:
        console.print_json(
            json.dumps(
                {
                    "repository": result.repository,
                    "snapshot": result.snapshot_id,
                    "kind": result.kind,
                    "ok": result.ok,
                    "files": result.files,
                    "bytes": result.bytes,
                    "snapshots": result.snapshots,
                    "seconds": round(result.seconds, 3),
                    "failures": [
                        {"snapshot": f.snapshot, "path": f.path, "reason": f.reason}
                        for f in result.failures
                    ],
                    "skipped_anomalous": list(result.skipped_anomalous),
                }
            )
        )
    else:
        for name in result.skipped_anomalous:
            err_console.print(
                _(
                    "Snapshot {id} is flagged as anomalous: the drill used the last clean one."
                ).format(id=name[:8]),
                highlight=False,
            )
        kind = _("Full drill") if result.kind == "full" else _("Sample drill")
        line = f"{kind} ({result.repository}): {result.detail}"
        if result.ok:
            console.print(f"[green]✔[/green] {line}", highlight=False, markup=True)
        else:
            err_console.print(line, highlight=False, markup=False)
            for failure in result.failures[:20]:
                err_console.print(f"  {failure}", highlight=False, markup=False)
    if not result.ok:
        raise typer.Exit(1)

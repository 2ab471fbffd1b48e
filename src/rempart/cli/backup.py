"""`rempart backup init|run|list|diff|restore|check|forget|prune`: the vault's commands.

Thin: parse, open the repository, call :mod:`rempart.vault`, render. The passphrase comes
from --passphrase-file, the environment variable REMPART_VAULT_PASSPHRASE, the setting
``[vault] passphrase_file``, or a hidden prompt.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.panel import Panel
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from rempart import config
from rempart.cli.main import app, console, err_console
from rempart.core.errors import RempartError, UsageError
from rempart.i18n import _
from rempart.vault.errors import VaultError

if TYPE_CHECKING:
    from rempart.vault import Repository

backup_app = typer.Typer(
    help="Encrypted, deduplicated backups (the vault).",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(backup_app, name="backup")

PASSPHRASE_ENV = "REMPART_VAULT_PASSPHRASE"  # noqa: S105 (a variable name)

RepoOpt = Annotated[
    str | None,
    typer.Option("--repo", "-r", help="Repository: a folder or s3://bucket/prefix?endpoint=…"),
]
PassOpt = Annotated[
    Path | None,
    typer.Option("--passphrase-file", help="Read the passphrase from this file."),
]
ProgressOpt = Annotated[bool, typer.Option("--progress/--no-progress", help="Progress bar.")]


# -- helpers -------------------------------------------------------------------------------


def _settings() -> config.VaultSettings:
    return config.load().vault


def _location(repo: str | None) -> str:
    location = repo or _settings().repository
    if not location:
        raise UsageError(
            _(
                "No backup repository given: pass --repo or set 'repository' in the "
                "[vault] section of the settings."
            )
        )
    return location


def _read_secret_file(path: Path) -> str:
    try:
        text = path.expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(
            _("Cannot read the passphrase file {path}: {error}.").format(path=path, error=exc)
        ) from exc
    secret = text.rstrip("\r\n")
    if not secret:
        raise UsageError(_("The passphrase file {path} is empty.").format(path=path))
    return secret


def get_passphrase(passphrase_file: Path | None, *, confirm: bool = False) -> str:
    if passphrase_file is not None:
        return _read_secret_file(passphrase_file)
    env = os.environ.get(PASSPHRASE_ENV)
    if env:
        return env
    configured = _settings().passphrase_file
    if configured:
        return _read_secret_file(Path(configured))
    if not sys.stdin.isatty():
        raise UsageError(
            _(
                "No passphrase: use --passphrase-file, the variable {env}, or run the "
                "command in a terminal to type it."
            ).format(env=PASSPHRASE_ENV)
        )
    secret: str = typer.prompt(
        _("Repository passphrase"), hide_input=True, confirmation_prompt=confirm
    )
    if confirm and len(secret) < 8:
        raise UsageError(_("Choose a passphrase of at least 8 characters."))
    return secret


def open_repo(repo: str | None, passphrase_file: Path | None) -> Repository:
    from rempart.vault import Repository, open_backend  # here: other commands start sooner

    backend = open_backend(_location(repo), _settings())
    return Repository.open(backend, get_passphrase(passphrase_file))


def preload(*modules: str) -> None:
    """Import ``modules`` in a background thread while this one opens the repository:
    scrypt (the passphrase) and the disk release the GIL, so the store's SQLAlchemy
    (about 0.3 s to import) costs no time. Only imports: nothing is read or written."""

    def load() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: S112 (the command's own import reports it)
                continue

    threading.Thread(target=load, name="rempart-preload", daemon=True).start()


def human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


class BytesProgress:
    """Rich progress bar in bytes (thread-safe: Rich locks its updates)."""

    def __init__(self, progress: Progress, label: str) -> None:
        self._progress = progress
        self._label = label
        self._task: object | None = None

    def start(self, files: int, total_bytes: int) -> None:
        self._task = self._progress.add_task(self._label, total=max(total_bytes, 1))

    def advance(self, nbytes: int, files: int = 0) -> None:
        if self._task is not None and nbytes:
            self._progress.advance(self._task, nbytes)  # type: ignore[arg-type]


@contextmanager
def bytes_progress(label: str, enabled: bool) -> Iterator[BytesProgress | None]:
    if not enabled:
        yield None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(binary_units=True),
        TransferSpeedColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    ) as progress:
        yield BytesProgress(progress, label)


def _when(t: datetime) -> str:
    return t.astimezone().strftime("%Y-%m-%d %H:%M:%S")


# -- commands ------------------------------------------------------------------------------


@backup_app.command("init")
def init_cmd(repo: RepoOpt = None, passphrase_file: PassOpt = None) -> None:
    """Create a repository; prints the recovery key once (print it and keep it safe)."""
    from rempart.vault import Repository, open_backend

    backend = open_backend(_location(repo), _settings())
    secret = get_passphrase(passphrase_file, confirm=True)
    _repo, recovery = Repository.init(backend, secret)
    console.print(
        _("Repository created at {location}.").format(location=backend.location), highlight=False
    )
    console.print(
        Panel(
            f"[bold]{recovery}[/]",
            title=_("Recovery key"),
            subtitle=_("shown only now"),
        )
    )
    console.print(
        _(
            "Print this recovery key and keep it away from the computer: it opens the "
            "repository if the passphrase is lost. Rempart will never show it again."
        )
    )


@backup_app.command("change-passphrase")
def change_passphrase_cmd(
    repo: RepoOpt = None,
    passphrase_file: PassOpt = None,
    new_passphrase_file: Annotated[
        Path | None,
        typer.Option("--new-passphrase-file", help="Read the new passphrase from this file."),
    ] = None,
) -> None:
    """Replace the passphrase (the recovery key keeps working)."""
    repository = open_repo(repo, passphrase_file)
    if new_passphrase_file is not None:
        new = _read_secret_file(new_passphrase_file)
    elif sys.stdin.isatty():
        new = typer.prompt(_("New passphrase"), hide_input=True, confirmation_prompt=True)
    else:
        raise UsageError(_("Give the new passphrase with --new-passphrase-file."))
    if len(new) < 8:
        raise UsageError(_("Choose a passphrase of at least 8 characters."))
    refused = repository.change_passphrase(new)
    console.print(_("Passphrase changed."))
    if refused:
        err_console.print(
            _(
                "{n} old passphrase key file(s) are under retention in {location}: the old "
                "passphrase keeps opening the repository until their lock ends."
            ).format(n=refused, location=repository.location),
            markup=False,
        )


@backup_app.command("run")
def run_cmd(
    paths: Annotated[list[str] | None, typer.Argument(help="Folders or files to save.")] = None,
    repo: RepoOpt = None,
    passphrase_file: PassOpt = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="A tag (repeatable).")] = None,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", help="Pattern to leave out (repeatable).")
    ] = None,
    vss: Annotated[
        bool, typer.Option("--vss/--no-vss", help="Windows: read from a shadow copy.")
    ] = False,
    progress: ProgressOpt = True,
) -> None:
    """Save folders as a new snapshot."""
    preload("rempart.store", "rempart.store.backups", "rempart.vault.anomaly")
    from rempart.vault.backup import run_backup
    from rempart.vault.sources import DirectSource, SnapshotSource, VssSource

    settings = _settings()
    todo = list(paths or settings.paths)
    repository = open_repo(repo, passphrase_file)
    from rempart.store import Store
    from rempart.store.backups import finish_run, start_run

    source: SnapshotSource = VssSource(todo) if vss else DirectSource()
    with Store.open() as store:
        run_id = start_run(store, repository.location, immutable=repository.immutable)
        try:
            with bytes_progress(_("Backup"), progress) as bar:
                result = run_backup(
                    repository,
                    todo,
                    tags=tag or (),
                    excludes=[*settings.excludes, *(exclude or ())],
                    database_globs=settings.database_globs,
                    page_size=settings.page_size,
                    source=source,
                    progress=bar,
                )
        except (RempartError, OSError, KeyboardInterrupt) as exc:
            finish_run(store, run_id, status="failed", message=str(exc))
            raise
        snap = result.snapshot
        anomalies = _anomalies(repository, snap.name)
        finish_run(
            store,
            run_id,
            status="anomalous" if anomalies else "ok",
            snapshot_id=snap.name,
            files=snap.stats.files,
            bytes_read=snap.stats.bytes,
            bytes_added=snap.stats.bytes_added,
            anomalies=anomalies,
            message="\n".join(result.errors),
        )
    s = snap.stats
    console.print(
        _(
            "Snapshot {id} saved: {files} file(s), {size} read, {added} added "
            "({unchanged} unchanged file(s) not read again)."
        ).format(
            id=snap.short_id,
            files=s.files,
            size=human(s.bytes),
            added=human(s.bytes_added),
            unchanged=s.files_unchanged,
        ),
        highlight=False,
    )
    for line in result.errors:
        err_console.print(_("Skipped (unreadable): {line}").format(line=line), markup=False)
    for line in anomalies:
        err_console.print(_("Anomaly: {line}").format(line=line), markup=False)
    if result.errors:
        raise typer.Exit(3)


def _anomalies(repository: Repository, snapshot: str) -> list[str]:
    """Anomaly detection on the new snapshot (a failure there never fails the backup)."""
    from rempart.vault import anomaly

    try:
        found = anomaly.assess_snapshot(repository, snapshot)
    except RempartError as exc:
        err_console.print(
            _("Anomaly detection could not run: {error}").format(error=exc), markup=False
        )
        return []
    return [str(a) for a in found]


def _flagged(repository: Repository) -> dict[str, tuple[str, ...]]:
    from rempart.vault import anomaly

    try:
        return anomaly.flagged(repository)
    except RempartError:
        return {}


@backup_app.command("list")
def list_cmd(repo: RepoOpt = None, passphrase_file: PassOpt = None) -> None:
    """The snapshots, oldest first."""
    repository = open_repo(repo, passphrase_file)
    snaps = repository.snapshots()
    for name in repository.damaged_snapshots:
        err_console.print(
            _("Snapshot {id} is damaged and cannot be read: run 'rempart backup check'.").format(
                id=name[:8]
            ),
            markup=False,
        )
    if not snaps:
        console.print(_("No snapshot yet: run 'rempart backup run'."))
        return
    table = Table(title=_("Snapshots in {location}").format(location=repository.location))
    table.add_column("ID", no_wrap=True)
    table.add_column(_("Date"), no_wrap=True)
    table.add_column(_("Host"))
    table.add_column(_("Paths"))
    table.add_column(_("Tags"))
    table.add_column(_("Files"), justify="right")
    table.add_column(_("Size"), justify="right")
    table.add_column(_("Added"), justify="right")
    table.add_column(_("Anomaly"))
    flags = _flagged(repository)
    for s in snaps:
        table.add_row(
            s.short_id,
            _when(s.time),
            escape(s.host),
            escape(", ".join(s.paths)),
            escape(", ".join(s.tags)),
            str(s.stats.files),
            human(s.stats.bytes),
            human(s.stats.bytes_added),
            "[bold red]⚠[/] " + escape("; ".join(flags[s.name])) if s.name in flags else "",
        )
    console.print(table)


@backup_app.command("diff")
def diff_cmd(
    first: Annotated[str | None, typer.Argument(help="Older snapshot (default: previous).")] = None,
    second: Annotated[str | None, typer.Argument(help="Newer snapshot (default: latest).")] = None,
    repo: RepoOpt = None,
    passphrase_file: PassOpt = None,
) -> None:
    """Files added, removed and modified between two snapshots."""
    from rempart.vault.diff import diff_snapshots

    repository = open_repo(repo, passphrase_file)
    snaps = repository.snapshots()
    if first is None and second is None:
        if len(snaps) < 2:
            raise UsageError(_("Two snapshots are needed for a diff: the repository has fewer."))
        a, b = snaps[-2], snaps[-1]
    else:
        a = repository.find_snapshot(first or "latest")
        b = repository.find_snapshot(second or "latest")
    changes = diff_snapshots(repository, a, b)
    for change in changes:
        style = {"+": "green", "-": "red", "M": "yellow"}[change.kind]
        console.print(f"[{style}]{change.kind}[/] {escape(change.path)}", highlight=False)
    added = sum(1 for c in changes if c.kind == "+")
    removed = sum(1 for c in changes if c.kind == "-")
    modified = sum(1 for c in changes if c.kind == "M")
    console.print(
        _("{a} → {b}: {added} added, {removed} removed, {modified} modified.").format(
            a=a.short_id, b=b.short_id, added=added, removed=removed, modified=modified
        ),
        highlight=False,
    )


def _new_folder(snapshot_id: str) -> Path:
    base = Path.cwd() / f"restauration-{snapshot_id}"
    candidate, n = base, 2
    while candidate.exists():
        candidate = base.with_name(f"{base.name}-{n}")
        n += 1
    return candidate


@backup_app.command("restore")
def restore_cmd(
    snapshot: Annotated[str, typer.Argument(help="Snapshot ID (or 'latest').")] = "latest",
    target: Annotated[
        Path | None,
        typer.Option("--target", "-t", help="Folder to restore into (default: a new folder)."),
    ] = None,
    path: Annotated[
        list[str] | None, typer.Option("--path", help="Restore only this path (repeatable).")
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace files that already exist.")
    ] = False,
    sync: Annotated[
        bool,
        typer.Option(
            "--sync",
            help="Wait until every restored file is on disk before saying done "
            "(always so with --overwrite).",
        ),
    ] = False,
    repo: RepoOpt = None,
    passphrase_file: PassOpt = None,
    progress: ProgressOpt = True,
) -> None:
    """Restore a snapshot, or some of its paths; every file is checked against its hash."""
    if snapshot == "latest":  # the store is asked too which snapshots are flagged
        preload("sqlalchemy", "rempart.store", "rempart.store.models")
    from rempart.vault.restore import restore

    repository = open_repo(repo, passphrase_file)
    if snapshot == "latest":
        from rempart.vault.anomaly import latest_clean

        snap, skipped = latest_clean(repository)
        for flagged_snap in skipped:
            err_console.print(
                _(
                    "Snapshot {id} ({when}) is flagged as anomalous and is skipped: give its "
                    "ID to restore it anyway."
                ).format(id=flagged_snap.short_id, when=_when(flagged_snap.time)),
                markup=False,
            )
    else:
        snap = repository.find_snapshot(snapshot)
    dest = target if target is not None else _new_folder(snap.short_id)
    with bytes_progress(_("Restore"), progress) as bar:
        result = restore(
            repository,
            snap,
            dest,
            includes=path or (),
            overwrite=overwrite,
            durable=overwrite or sync,
            progress=bar,
        )
    console.print(
        _("Snapshot {id} restored into {target}: {files} file(s), {size}, all verified.").format(
            id=snap.short_id, target=result.target, files=result.files, size=human(result.bytes)
        ),
        highlight=False,
    )


@backup_app.command("check")
def check_cmd(
    read_data: Annotated[
        bool, typer.Option("--read-data", help="Read and verify every chunk.")
    ] = False,
    subset: Annotated[
        str | None, typer.Option("--subset", help="With --read-data: only part N/M of the packs.")
    ] = None,
    repo: RepoOpt = None,
    passphrase_file: PassOpt = None,
    progress: ProgressOpt = True,
) -> None:
    """Verify the repository's structure, and with --read-data every byte."""
    from rempart.vault.check import check, parse_subset

    part = parse_subset(subset) if subset else None
    if part is not None and not read_data:
        raise UsageError(_("--subset goes with --read-data."))
    from rempart.vault import Repository, open_backend

    backend = open_backend(_location(repo), _settings())
    repository = Repository.open(backend, get_passphrase(passphrase_file), load_index=False)
    if read_data and progress:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
        ) as bar:
            task = bar.add_task(_("Reading packs"), total=None)

            def step(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            report = check(repository, read_data=True, subset=part, progress=step)
    else:
        report = check(repository, read_data=read_data, subset=part)
    for note in report.notes:
        console.print(f"[dim]{escape(note)}[/]")
    for problem in report.problems:
        err_console.print(f"✗ {problem}", markup=False)
    summary = _(
        "{snapshots} snapshot(s), {packs} pack(s), {read} pack(s) read, {blobs} chunk(s) verified."
    ).format(
        snapshots=report.snapshots, packs=report.packs, read=report.packs_read, blobs=report.blobs
    )
    console.print(summary, highlight=False)
    if not report.ok:
        raise VaultError(
            _("The repository has {n} problem(s) (listed above).").format(n=len(report.problems))
        )
    console.print(_("No problem found."))


@backup_app.command("forget")
def forget_cmd(
    keep_last: Annotated[int, typer.Option("--keep-last", min=0)] = 0,
    keep_daily: Annotated[int, typer.Option("--keep-daily", min=0)] = 0,
    keep_weekly: Annotated[int, typer.Option("--keep-weekly", min=0)] = 0,
    keep_monthly: Annotated[int, typer.Option("--keep-monthly", min=0)] = 0,
    prune_after: Annotated[bool, typer.Option("--prune", help="Then run prune.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only say what would go.")] = False,
    repo: RepoOpt = None,
    passphrase_file: PassOpt = None,
) -> None:
    """Remove the snapshots a keep policy does not keep (data goes with prune)."""
    from rempart.vault.prune import KeepPolicy, forget

    policy = KeepPolicy(last=keep_last, daily=keep_daily, weekly=keep_weekly, monthly=keep_monthly)
    repository = open_repo(repo, passphrase_file)
    result = forget(repository, policy, dry_run=dry_run)
    verb = _("would remove") if dry_run else _("removed")
    for snap in result.removed:
        console.print(f"- {snap.short_id} {_when(snap.time)} ({verb})", highlight=False)
    console.print(
        _("{kept} snapshot(s) kept, {removed} {verb}.").format(
            kept=len(result.kept), removed=len(result.removed), verb=verb
        ),
        highlight=False,
    )
    if result.refused:
        err_console.print(
            _(
                "{n} snapshot(s) are still under retention in {location}: the storage refuses "
                "to delete them before their lock ends; they will be removed by a later forget."
            ).format(n=len(result.refused), location=repository.location),
            markup=False,
        )
    if prune_after and not dry_run:
        _prune(repository, dry_run=False)


def _prune(repository: Repository, dry_run: bool) -> None:
    from rempart.vault.prune import prune

    result = prune(repository, dry_run=dry_run)
    console.print(
        _("{deleted} pack(s) deleted, {repacked} rewritten, {size} freed.").format(
            deleted=result.packs_deleted,
            repacked=result.packs_repacked,
            size=human(result.bytes_freed),
        )
        if not dry_run
        else _("Would delete {deleted} pack(s), rewrite {repacked}, free {size}.").format(
            deleted=result.packs_deleted,
            repacked=result.packs_repacked,
            size=human(result.bytes_freed),
        ),
        highlight=False,
    )
    if result.refused:
        err_console.print(
            _(
                "{n} object(s) are still under retention in {location}: the storage keeps "
                "them until their lock ends."
            ).format(n=result.refused, location=repository.location),
            markup=False,
        )


@backup_app.command("prune")
def prune_cmd(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only say what would go.")] = False,
    repo: RepoOpt = None,
    passphrase_file: PassOpt = None,
) -> None:
    """Delete the data no snapshot needs any more."""
    _prune(open_repo(repo, passphrase_file), dry_run)

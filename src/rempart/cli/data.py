"""`rempart data ...`: reference data (fingerprints and vulnerability feeds).

``rempart data update`` downloads NVD, CISA KEV, EPSS and Recog (incremental, resumable,
verified); ``rempart data import PATH`` imports the same from files (air-gapped practices);
``rempart data import-fingerprints DIR`` installs Rapid7 Recog's XML files (validated first,
all or nothing); ``rempart data status`` shows what the audit will use.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from rempart.cli.main import app, console, print_error
from rempart.core.errors import RempartError
from rempart.i18n import _

if TYPE_CHECKING:
    from rempart.vulns.download import FeedOutcome, Progress

data_app = typer.Typer(
    help="Manage reference data (fingerprints, vulnerability feeds).", no_args_is_help=True
)
app.add_typer(data_app, name="data")

MAX_FAILURES_SHOWN = 10


def _error(exc: RempartError) -> typer.Exit:
    """One line on stderr (the shared printer), then the error's exit code."""
    print_error(exc)
    return typer.Exit(exc.exit_code)


@data_app.command("import-fingerprints")
def import_fingerprints(
    directory: Annotated[
        Path,
        typer.Argument(
            help="Folder holding Recog's fingerprint files (*.xml), e.g. recog/xml.",
            show_default=False,
        ),
    ],
) -> None:
    """Validate and install Rapid7 Recog's fingerprints (BSD-2) from DIR."""
    from rempart.discover.fingerprints.importer import import_recog

    try:
        result = import_recog(directory.expanduser())
    except RempartError as exc:
        raise _error(exc) from None
    console.print(
        _(
            "Imported {fingerprints} fingerprints and {examples} examples "
            "from {files} files into {target}."
        ).format(
            fingerprints=result.fingerprints,
            examples=result.examples,
            files=result.files,
            target=escape(str(result.target)),
        ),
        soft_wrap=True,
    )
    share = 100.0 * result.examples_passed / result.examples if result.examples else 100.0
    console.print(
        _("Examples reproduced by Rempart's reader: {passed}/{total} ({share:.2f} %).").format(
            passed=result.examples_passed, total=result.examples, share=share
        ),
        soft_wrap=True,
    )
    for failure in result.failures[:MAX_FAILURES_SHOWN]:
        console.print(f"  - {failure}", markup=False, highlight=False, soft_wrap=True)
    if len(result.failures) > MAX_FAILURES_SHOWN:
        console.print(
            _("  … and {count} more.").format(count=len(result.failures) - MAX_FAILURES_SHOWN)
        )


@data_app.command("status")
def status() -> None:
    """Show the fingerprints and the vulnerability knowledge the audit will use."""
    from rempart.discover.fingerprints import load_fingerprints

    try:
        stats = load_fingerprints().stats()
    except RempartError as exc:
        raise _error(exc) from None
    table = Table(title=_("Fingerprints"), show_lines=False)
    table.add_column(_("Source"))
    table.add_column(_("Files"), justify="right")
    table.add_column(_("Fingerprints"), justify="right")
    table.add_column(_("Examples"), justify="right")
    table.add_row(_("Rempart's own rules"), str(stats.own_files), str(stats.own_fingerprints), "")
    table.add_row(
        "Recog",
        str(stats.recog_files),
        str(stats.recog_fingerprints),
        str(stats.recog_examples),
    )
    console.print(table)
    if stats.recog_dir is not None:
        console.print(
            _("Recog's files: {path}").format(path=str(stats.recog_dir)),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    for warning in stats.warnings:
        console.print(f"! {warning}", markup=False, highlight=False, soft_wrap=True)
    _knowledge_status()


def _knowledge_status() -> None:
    """The vulnerability knowledge (feeds, counts, dates), when this Rempart has one."""
    try:
        from rempart.vulns.store import KnowledgeBase
    except ImportError:
        return
    try:
        knowledge = KnowledgeBase.open()
        if knowledge is None:
            console.print(
                _(
                    "Vulnerability knowledge: none yet. Run 'rempart data update' "
                    "(or 'rempart data import PATH' on a computer without internet)."
                ),
                soft_wrap=True,
            )
            return
        with knowledge:
            stats: dict[str, Any] = knowledge.stats()
    except RempartError as exc:
        console.print(f"! {exc}", markup=False, highlight=False, soft_wrap=True)
        return
    feeds: dict[str, dict[str, Any]] = stats.get("feeds") or {}
    table = Table(title=_("Vulnerability knowledge"), show_lines=False)
    table.add_column(_("Feed"))
    table.add_column(_("Records"), justify="right")
    table.add_column(_("Imported"))
    table.add_column(_("Version or date"))
    rows = (
        ("nvd", "NVD", str(stats.get("cves", 0))),
        (
            "kev",
            "CISA KEV",
            _("{n} ({r} ransomware)").format(
                n=stats.get("kev", 0), r=stats.get("kev_known_ransomware", 0)
            ),
        ),
        ("epss", "EPSS", str(stats.get("epss", 0))),
    )
    for key, name, records in rows:
        feed = feeds.get(key) or {}
        version = str(feed.get("last_modified") or "")[:10]
        if key != "nvd" and feed.get("detail"):
            version = f"{str(feed['detail'])[:20]} {version}".strip()
        table.add_row(
            name,
            records if feed else "-",
            str(feed.get("imported_at") or "-")[:16].replace("T", " "),
            escape(version),
        )
    console.print(table)
    console.print(
        _("Vulnerability knowledge: {path}").format(path=stats.get("path", "")),
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


@contextmanager
def _progress_bar() -> Iterator[Progress | None]:
    """A Rich bar per file (bytes), on a terminal only: piped output stays clean."""
    if not console.is_terminal:
        yield None
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TaskID,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
    tasks: dict[str, TaskID] = {}
    finished: set[str] = set()

    def report(label: str, done: int, total: int | None) -> None:
        # A finished file leaves the screen: a full NVD update is fifty files.
        if label in finished and total is not None and done >= total:
            return
        finished.discard(label)
        if label not in tasks:
            tasks[label] = bar.add_task(escape(label), total=total)
        bar.update(tasks[label], completed=done, total=total)
        if total is not None and done >= total:
            bar.remove_task(tasks.pop(label))
            finished.add(label)

    with bar:
        yield report


def _describe(outcome: FeedOutcome) -> str:
    """One line per feed file: what came in, or that nothing changed."""
    label = "NVD " + outcome.name if outcome.kind == "nvd" else outcome.name
    if outcome.kind in ("kev", "epss", "recog") and outcome.name == outcome.kind:
        label = "Recog" if outcome.kind == "recog" else outcome.kind.upper()
    if outcome.status == "unchanged":
        return _("{feed}: already up to date.").format(feed=label)
    detail = outcome.detail
    recog = getattr(detail, "recog", None) if not hasattr(detail, "fingerprints") else detail
    if recog is not None and hasattr(recog, "fingerprints"):
        return _("{feed}: {fingerprints} fingerprints ({files} files).").format(
            feed=label, fingerprints=recog.fingerprints, files=recog.files
        )
    files = getattr(detail, "files", ())
    parts = []
    for file in files:
        kind = getattr(file, "kind", "")
        records = getattr(file, "records", 0)
        if kind == "nvd":
            parts.append(_("{n} CVEs").format(n=records))
        elif kind == "kev":
            parts.append(_("{n} known-exploited vulnerabilities").format(n=records))
        elif kind == "epss":
            parts.append(_("{n} EPSS scores").format(n=records))
    if not parts:
        return _("{feed}: imported.").format(feed=label)
    return _("{feed}: imported {what}.").format(feed=label, what=", ".join(parts))


def _print_knowledge_totals() -> None:
    try:
        from rempart.vulns.store import KnowledgeBase

        knowledge = KnowledgeBase.open()
        if knowledge is None:
            return
        with knowledge:
            stats = knowledge.stats()
    except (ImportError, RempartError):
        return
    console.print(
        _(
            "Vulnerability knowledge: {cves} CVEs, {kev} known exploited "
            "({ransomware} used by ransomware), {epss} EPSS scores."
        ).format(
            cves=stats.get("cves", 0),
            kev=stats.get("kev", 0),
            ransomware=stats.get("kev_known_ransomware", 0),
            epss=stats.get("epss", 0),
        ),
        soft_wrap=True,
    )


@data_app.command("update")
def update(
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--only",
            help="Fetch only this feed: nvd, kev, epss or recog (repeat for several).",
            show_default=False,
        ),
    ] = None,
    years: Annotated[
        str | None,
        typer.Option(
            "--years",
            help="NVD years to fetch, e.g. 2020-2026 or 2026 (default: 2002 to this year).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Download and import the vulnerability feeds (NVD, CISA KEV, EPSS) and Recog.

    Only what changed since the last update is fetched; an interrupted download resumes.
    """
    from rempart.vulns import download
    from rempart.vulns.sources import FEED_KINDS, parse_years

    try:
        kinds = tuple(k.strip().lower() for k in only) if only else FEED_KINDS
        span = parse_years(years) if years else None
        with _progress_bar() as progress:
            report = download.update(kinds, years=span, progress=progress)
    except RempartError as exc:
        raise _error(exc) from None
    for outcome in report.outcomes:
        if outcome.status != "failed":
            console.print(_describe(outcome), markup=False, highlight=False, soft_wrap=True)
    _print_knowledge_totals()
    for message in report.errors:
        print_error(RempartError(message))
    if not report.ok:
        raise typer.Exit(1)


@data_app.command("import")
def import_(
    path: Annotated[
        Path,
        typer.Argument(
            help="A feed file (NVD JSON[.gz], KEV JSON, EPSS CSV[.gz]), a folder of them, "
            "or Recog (a folder or its tar.gz).",
            show_default=False,
        ),
    ],
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            help="nvd, kev, epss or recog (default: recognised from the content).",
            show_default=False,
        ),
    ] = None,
    sha256: Annotated[
        str | None,
        typer.Option(
            "--sha256",
            help="Expected SHA-256 of the file (or of its uncompressed content).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Import vulnerability feeds or Recog from files (for computers without internet)."""
    from rempart.vulns.download import import_file

    try:
        with _progress_bar() as progress:
            outcome = import_file(
                path.expanduser(),
                kind=kind.strip().lower() if kind else None,
                sha256=sha256,
                progress=progress,
            )
    except RempartError as exc:
        raise _error(exc) from None
    console.print(_describe(outcome), markup=False, highlight=False, soft_wrap=True)
    _print_knowledge_totals()

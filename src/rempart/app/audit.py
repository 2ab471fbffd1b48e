"""The network audit, wired end to end: scope → port scan → identification → checks.

This is the service layer between the CLI (which parses and renders) and the pillars
(which do one thing each). It returns an :class:`~rempart.core.model.Audit`; storing it
and writing the reports is :func:`save_and_report`'s job.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from rempart import __version__, config
from rempart.core.host import HostFacts
from rempart.core.model import Asset, Audit, Finding
from rempart.core.protection import BackupStatus
from rempart.core.survey import Answers
from rempart.i18n import _


class Progress(Protocol):
    """What the CLI shows while an audit runs (a Rich progress bar, or nothing)."""

    def phase(self, name: str, total: int) -> None: ...

    def update(self, done: int, total: int) -> None: ...


class NoProgress:
    def phase(self, name: str, total: int) -> None:
        pass

    def update(self, done: int, total: int) -> None:
        pass


@dataclass(frozen=True)
class NetworkScope:
    """What to audit: addresses, TCP ports, and how the scope was asked for."""

    addresses: tuple[str, ...]
    tcp_ports: tuple[int, ...]
    specs: tuple[str, ...]
    ports_label: str = "default"
    authorized: bool = False
    snmp_port: int = 161
    extra_notes: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class AuditOptions:
    try_default_credentials: bool = False
    snmp: bool = True
    workers: int | None = None  # port-scan worker processes (None: one per core)


@dataclass(frozen=True)
class ScanOutcome:
    """Open ports and identified services, before any judgement (``rempart scan``)."""

    assets: tuple[Any, ...]
    notes: tuple[str, ...]
    started_at: datetime
    finished_at: datetime
    scan_seconds: float
    identify_seconds: float


def discover(
    scope: NetworkScope,
    options: AuditOptions,
    settings: config.Settings | None = None,
    progress: Progress | None = None,
) -> ScanOutcome:
    """Port scan then identify every open port (and sweep SNMP over UDP)."""
    from rempart.discover.fingerprints import load_fingerprints
    from rempart.discover.identify import Identifier, IdentifyOptions
    from rempart.discover.portscan import scan_ports

    settings = settings or config.load()
    progress = progress or NoProgress()
    started = datetime.now(UTC)
    total = len(scope.addresses) * len(scope.tcp_ports)
    progress.phase("scan", total)
    scan = scan_ports(
        scope.addresses,
        scope.tcp_ports,
        timeout=settings.scan.timeout,
        concurrency=settings.scan.concurrency,
        max_seconds_per_host=settings.scan.host_time_cap,
        progress=progress.update,
        workers=options.workers,
    )
    notes = list(scope.extra_notes)
    for host in scan.timed_out_hosts:
        notes.append(_("{host}: port scan stopped at the time cap").format(host=host))
    recog_dir = config.fingerprints_dir(settings) / "recog"
    fingerprints = load_fingerprints(recog_dir if recog_dir.is_dir() else None)
    notes.extend(fingerprints.warnings)
    identifier = Identifier(
        IdentifyOptions(
            host_time_cap=settings.scan.host_time_cap,
            host_bytes_cap=settings.scan.host_bytes_cap,
            try_default_credentials=options.try_default_credentials,
            snmp=options.snmp,
            snmp_port=scope.snmp_port,
        ),
        fingerprints=fingerprints,
    )
    n_ports = sum(len(p) for p in scan.open.values())
    progress.phase("identify", n_ports + (1 if options.snmp else 0))
    ident = identifier.identify(
        scan.open,
        snmp_addresses=scope.addresses if options.snmp else (),
        progress=progress.update,
    )
    notes.extend(ident.notes)
    return ScanOutcome(
        assets=ident.assets,
        notes=tuple(notes),
        started_at=started,
        finished_at=datetime.now(UTC),
        scan_seconds=scan.elapsed,
        identify_seconds=ident.elapsed,
    )


def run_audit(
    scope: NetworkScope | None,
    options: AuditOptions | None = None,
    settings: config.Settings | None = None,
    progress: Progress | None = None,
    *,
    hosts: Sequence[HostFacts] = (),
    answers: Answers | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    backup: BackupStatus | None = None,
) -> Audit:
    """The whole audit as one :class:`Audit`: the network (when ``scope`` is given), the
    computers' own facts (``hosts``: this one and imported ones), the practice's survey
    answers, and what Rempart's vault recorded (``backup``; read from the store when the
    audit covers computers or answers). Every part is judged by the checks of its subject."""
    from rempart.checks import CheckContext, run_checks, run_host_checks, run_org_checks
    from rempart.checks.backup import run_backup_checks
    from rempart.host import unknown_notes

    options = options or AuditOptions()
    started = now()
    ctx = CheckContext(now=started, vulns=vuln_matcher())
    findings: list[Finding] = []
    notes: list[str] = []
    assets: tuple[Asset, ...] = ()
    if scope is not None:
        outcome = discover(scope, options, settings, progress)
        started = outcome.started_at
        assets = outcome.assets
        notes.extend(outcome.notes)
        findings.extend(run_checks(assets, ctx))
    for facts in hosts:
        findings.extend(run_host_checks(facts, ctx, address=facts.hostname))
        notes.extend(unknown_notes(facts))
    if answers is not None:
        findings.extend(run_org_checks(answers, ctx))
    if backup is None and (hosts or answers is not None):
        backup = load_backup_status()
    if backup is not None:
        findings.extend(run_backup_checks(backup, ctx))
    if ctx.vulns is not None:
        ctx.vulns.close()  # the imported knowledge is an SQLite file: let it go
    findings.sort(key=lambda f: f.sort_key)
    return Audit(
        id=str(uuid.uuid4()),
        started_at=started,
        finished_at=now(),
        targets=scope.specs if scope is not None else (),
        ports=scope.ports_label if scope is not None else "",
        authorized=scope.authorized if scope is not None else False,
        assets=assets,
        findings=tuple(findings),
        notes=tuple(notes),
        rempart_version=__version__,
        hosts=tuple(hosts),
    )


def load_backup_status() -> BackupStatus | None:
    """The vault's last backup and restore drill, as the store has them (``None`` when the
    store cannot be read: the backup checks then stay silent rather than guess)."""
    from rempart.core.errors import RempartError
    from rempart.store import Store
    from rempart.store.status import backup_status

    try:
        with Store.open() as store:
            return backup_status(store)
    except RempartError:
        return None


def run_network_audit(
    scope: NetworkScope,
    options: AuditOptions | None = None,
    settings: config.Settings | None = None,
    progress: Progress | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Audit:
    """Discover, then judge: the network part of the audit alone (the demo, ``scan``)."""
    return run_audit(scope, options, settings, progress, now=now)


def vuln_matcher() -> Any:
    """The known-vulnerability matcher for the checks: the curated base plus whatever feeds
    were imported (``rempart data update`` / ``import``); ``None`` if unavailable."""
    try:
        from rempart.vulns.matching import default_matcher
    except ImportError:
        return None
    return default_matcher()


@dataclass(frozen=True)
class SavedAudit:
    audit: Audit
    findings_json: Path | None
    report_html: Path | None


def save_and_report(audit: Audit, out_dir: Path | None, lang: str) -> SavedAudit:
    """Store the audit, then write ``findings.json`` and ``report.html`` into ``out_dir``."""
    from rempart.report.html import write_report_html
    from rempart.report.json import write_findings_json
    from rempart.store import Store

    with Store.open() as store:
        store.save_audit(audit)
    if out_dir is None:
        return SavedAudit(audit, None, None)
    out_dir = prepare_out_dir(out_dir)
    json_path = out_dir / "findings.json"
    html_path = out_dir / "report.html"
    write_findings_json(audit, json_path, lang)
    write_report_html(audit, html_path, lang)
    return SavedAudit(audit, json_path, html_path)


def prepare_out_dir(out_dir: Path) -> Path:
    """Create the report folder, or say clearly why it cannot be."""
    from rempart.core.errors import RempartError

    if out_dir.exists() and not out_dir.is_dir():
        raise RempartError(
            _("{path} exists and is not a folder: choose another --out.").format(path=out_dir)
        )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RempartError(
            _("Cannot create the report folder {path}: {error}.").format(
                path=out_dir, error=exc.strerror
            )
        ) from exc
    return out_dir


def lab_scope_ports(default_ports: Sequence[int], lab_ports: Sequence[int]) -> tuple[int, ...]:
    """The default port list plus the ports the lab actually bound (offset ones included)."""
    return tuple(sorted(set(default_ports) | set(lab_ports)))

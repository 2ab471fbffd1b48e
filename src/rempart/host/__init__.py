"""This computer's facts: collect them (Windows, Linux, macOS), judge them, move them.

* :func:`collect_host_facts` runs the collector for the current platform. It never raises
  for a failed command: each fact it could not learn is recorded as unknown with a reason.
* :func:`host_findings` judges the facts with the ``HOST-`` checks.
* :func:`unknown_notes` lists, for the report, what could not be checked and why.
* :func:`export_host` / :func:`import_host` move the facts between computers.
"""

from __future__ import annotations

import dataclasses
import os
import platform as pyplatform
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from rempart.checks.base import CheckContext, run_host_checks
from rempart.core.errors import UsageError
from rempart.core.host import HostFacts
from rempart.core.model import Finding
from rempart.host.common import text_field
from rempart.host.export import HostImportError, export_host, import_host
from rempart.host.runner import RecordedRunner, Result, Runner, SystemRunner
from rempart.i18n import _


def current_platform() -> str:
    if sys.platform.startswith("win"):
        return "windows"
    if sys.platform == "darwin":
        return "macos"
    if sys.platform.startswith("linux"):
        return "linux"
    return "unknown"


def collect_host_facts(
    runner: Runner | None = None, platform: str | None = None, now: datetime | None = None
) -> HostFacts:
    """The facts of this computer (or of the platform ``runner`` replays)."""
    from rempart.host import linux, macos, windows

    real = runner is None
    runner = runner or SystemRunner()
    now = now or datetime.now(UTC)
    platform = platform or current_platform()
    if platform == "windows":
        facts = windows.collect(runner, now)
    elif platform == "macos":
        facts = macos.collect(runner, now)
    elif platform == "linux":
        facts = linux.collect(runner, now)
    else:
        facts = HostFacts(
            collected_at=now,
            unknown={"os_name": f"no collector for this platform ({sys.platform[:30]})"},
        )
    if real and not facts.hostname:
        # the commands did not say: ask Python (findings need a name to point at)
        facts = dataclasses.replace(facts, hostname=text_field(pyplatform.node(), 100) or None)
    return facts


def host_findings(facts: HostFacts, now: datetime) -> tuple[Finding, ...]:
    """The ``HOST-`` findings for ``facts``; they carry the computer's name as address."""
    return run_host_checks(facts, CheckContext(now=now), address=facts.hostname or "localhost")


def fact_labels() -> dict[str, str]:
    """What each fact is, for a person (translated)."""
    return {
        "hostname": _("computer name"),
        "collected_at": _("collection time"),
        "os_name": _("operating system"),
        "os_version": _("operating system version"),
        "os_build": _("operating system build"),
        "os_edition": _("operating system edition"),
        "last_update": _("last update installed"),
        "pending_updates": _("pending updates"),
        "auto_updates": _("automatic updates"),
        "firewall": _("firewall"),
        "antivirus": _("antivirus products"),
        "av_realtime": _("antivirus real-time protection"),
        "av_signatures_updated": _("antivirus signature date"),
        "volumes": _("disk encryption"),
        "rdp_enabled": _("remote desktop (RDP)"),
        "rdp_nla": _("remote desktop network level authentication"),
        "smb1_enabled": _("SMBv1"),
        "smb_signing_required": _("SMB signing"),
        "powershell2": _("PowerShell 2"),
        "llmnr_enabled": _("LLMNR"),
        "netbios_enabled": _("NetBIOS over TCP/IP"),
        "office_macros_enabled": _("Office macro policy"),
        "usb_autorun": _("USB autorun"),
        "current_user": _("current user"),
        "local_admins": _("local administrators"),
        "user_is_admin": _("whether the current user is an administrator"),
        "guest_enabled": _("guest account"),
        "password_min_length": _("minimum password length"),
        "lockout_threshold": _("account lockout threshold"),
        "screen_lock_seconds": _("screen lock delay"),
        "autologon": _("automatic logon"),
        "remote_tools": _("remote-access tools"),
        "backup_software": _("backup software"),
        "last_backup": _("last backup"),
        "shadow_copies": _("shadow copies"),
        "ssh_root_login": _("SSH root login"),
        "ssh_password_auth": _("SSH password authentication"),
        "sudo_nopasswd": _("sudo without password"),
    }


def unknown_notes(facts: HostFacts) -> tuple[str, ...]:
    """One line per fact that could not be learnt, for the report's "not checked" list:
    ``"PC-ACCUEIL: not checked: disk encryption (Get-BitLockerVolume: access denied)"``."""
    labels = fact_labels()
    host = facts.hostname or "localhost"
    return tuple(
        _("{host}: not checked: {fact} ({reason})").format(
            host=host, fact=labels.get(name, name), reason=reason
        )
        for name, reason in sorted(facts.unknown.items(), key=lambda kv: labels.get(kv[0], kv[0]))
    )


@dataclass(frozen=True, slots=True)
class HostAudit:
    """What ``rempart audit`` needs from this part: the computers' facts, their findings
    (sorted most severe first) and the notes listing what could not be checked."""

    hosts: tuple[HostFacts, ...] = ()
    findings: tuple[Finding, ...] = ()
    notes: tuple[str, ...] = ()


def gather_hosts(
    *,
    collect: bool = True,
    imports: Sequence[str | os.PathLike[str]] = (),
    export: str | os.PathLike[str] | None = None,
    now: datetime | None = None,
    runner: Runner | None = None,
) -> tuple[tuple[HostFacts, ...], tuple[str, ...]]:
    """The computers of ``rempart audit --host/--no-host --export FILE --import FILE...``.

    Collects this computer's facts (``collect``), writes them to ``export`` if given, and
    reads every ``imports`` file (all of them before anything else, so that a malformed
    one stops the audit before any work: :class:`HostImportError`). Two files for the same
    computer name: the most recent collection wins, and a note (second item) says so.
    """
    if export is not None and not collect:
        raise UsageError(_("--export needs --host: there are no facts of this computer to export"))
    now = now or datetime.now(UTC)
    imported = [import_host(path) for path in imports]
    hosts: list[HostFacts] = []
    if collect:
        local = collect_host_facts(runner, now=now)
        if export is not None:
            export_host(local, export)
        hosts.append(local)
    hosts += imported
    notes: list[str] = []
    by_name: dict[str, HostFacts] = {}
    epoch = datetime.min.replace(tzinfo=UTC)
    for facts in hosts:
        name = (facts.hostname or "localhost").casefold()
        kept = by_name.get(name)
        if kept is None:
            by_name[name] = facts
            continue
        newer = max(kept, facts, key=lambda f: f.collected_at or epoch)
        by_name[name] = newer
        notes.append(
            _("{host}: facts given twice; kept those collected at {when}").format(
                host=facts.hostname or "localhost",
                when=newer.collected_at.isoformat() if newer.collected_at else "?",
            )
        )
    return tuple(by_name.values()), tuple(notes)


def audit_hosts(
    *,
    collect: bool = True,
    imports: Sequence[str | os.PathLike[str]] = (),
    export: str | os.PathLike[str] | None = None,
    now: datetime | None = None,
    runner: Runner | None = None,
) -> HostAudit:
    """:func:`gather_hosts`, then each computer judged (findings and what was not checked)."""
    now = now or datetime.now(UTC)
    kept_hosts, dup_notes = gather_hosts(
        collect=collect, imports=imports, export=export, now=now, runner=runner
    )
    findings = sorted(
        (f for facts in kept_hosts for f in host_findings(facts, now)), key=lambda f: f.sort_key
    )
    notes = list(dup_notes)
    for facts in kept_hosts:
        notes.extend(unknown_notes(facts))
    return HostAudit(hosts=kept_hosts, findings=tuple(findings), notes=tuple(notes))


__all__ = [
    "HostAudit",
    "HostFacts",
    "HostImportError",
    "RecordedRunner",
    "Result",
    "Runner",
    "SystemRunner",
    "audit_hosts",
    "collect_host_facts",
    "current_platform",
    "export_host",
    "fact_labels",
    "gather_hosts",
    "host_findings",
    "import_host",
    "unknown_notes",
]

"""macOS collector: ``sw_vers``, ``softwareupdate -l``, ``fdesetup status``, the
application firewall (``socketfilterfw --getglobalstate``), Time Machine
(``tmutil latestbackup``), admin group membership and remote-access apps in /Applications.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from rempart.core.host import FirewallProfile, HostFacts, Software, Volume
from rempart.host.common import (
    BACKUP_TOOLS,
    REMOTE_TOOLS,
    FactSheet,
    ParseError,
    Unknown,
    match_software,
    text_field,
)
from rempart.host.runner import Result, Runner

COMMANDS: dict[str, list[str]] = {
    "hostname": ["hostname"],
    "sw_vers": ["sw_vers"],
    "softwareupdate": ["softwareupdate", "-l"],
    "fdesetup": ["fdesetup", "status"],
    "firewall": ["/usr/libexec/ApplicationFirewall/socketfilterfw", "--getglobalstate"],
    "tmutil": ["tmutil", "latestbackup"],
    "id_user": ["id", "-un"],
    "id_groups": ["id", "-Gn"],
}
APPLICATIONS = "/Applications"


def parse_sw_vers(text: str) -> dict[str, Any]:
    values = {}
    for line in text.splitlines()[:50]:
        key, sep, value = line.partition(":")
        if sep:
            values[key.strip()] = text_field(value.strip())
    name, version = values.get("ProductName"), values.get("ProductVersion")
    if not name or not version:
        raise ParseError("ProductName or ProductVersion missing")
    return {"os_name": name, "os_version": version, "os_build": values.get("BuildVersion")}


def parse_softwareupdate(text: str) -> dict[str, Any]:
    if re.search(r"No new software available", text, re.IGNORECASE):
        return {"pending_updates": 0}
    labels = re.findall(r"^\s*\*\s*(?:Label:\s*)?\S", text, re.MULTILINE)
    if not labels and "Software Update" not in text:
        raise ParseError("not the output of softwareupdate -l")
    return {"pending_updates": len(labels)}


def parse_fdesetup(text: str) -> dict[str, Any]:
    match = re.search(r"FileVault is (On|Off)", text)
    if not match:
        raise ParseError("no 'FileVault is On/Off' line")
    return {"volumes": (Volume("/", match.group(1) == "On", "FileVault"),)}


def parse_socketfilterfw(text: str) -> dict[str, Any]:
    match = re.search(r"(?:Firewall is (enabled|disabled|blocking))|State = (\d)", text)
    if not match:
        raise ParseError("no firewall state")
    enabled = match.group(1) in ("enabled", "blocking") or match.group(2) in ("1", "2")
    return {"firewall": (FirewallProfile("Application Firewall", enabled),)}


def parse_tmutil(text: str) -> dict[str, Any]:
    match = re.search(r"(\d{4})-(\d{2})-(\d{2})-(\d{2})(\d{2})(\d{2})", text)
    if not match:
        return {"last_backup": Unknown("Time Machine shows no backup")}
    try:
        year, month, day, hour, minute, second = (int(g) for g in match.groups())
        when = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        raise ParseError("invalid backup date") from None
    return {"last_backup": when}


def parse_applications(text: str) -> dict[str, Any]:
    apps = [(line.removesuffix(".app"), "") for line in text.splitlines() if line.endswith(".app")]
    return {
        "remote_tools": match_software(apps, REMOTE_TOOLS),
        "backup_software": match_software(apps, BACKUP_TOOLS),
    }


def facts_from_outputs(
    commands: Mapping[str, Result],
    applications: Result,
    collected_at: datetime | None = None,
) -> HostFacts:
    """Pure: the facts of a Mac from its commands' results and the /Applications listing."""

    def cmd(name: str) -> Result:
        return commands.get(name) or Result(error=f"{name}: not collected")

    sheet = FactSheet()
    sheet.apply(("os_name", "os_version", "os_build"), cmd("sw_vers"), parse_sw_vers, "sw_vers")
    sheet.apply(("pending_updates",), cmd("softwareupdate"), parse_softwareupdate,
                "softwareupdate")  # fmt: skip
    sheet.apply(("volumes",), cmd("fdesetup"), parse_fdesetup, "fdesetup")
    sheet.apply(("firewall",), cmd("firewall"), parse_socketfilterfw, "socketfilterfw")
    sheet.apply(("remote_tools", "backup_software"), applications, parse_applications,
                "/Applications")  # fmt: skip
    tm = cmd("tmutil")
    if tm.ok:
        sheet.apply(("last_backup",), tm, parse_tmutil, "tmutil")
        parsed = sheet.values.get("last_backup")
        if parsed is not None:
            found = sheet.values.get("backup_software", ())
            sheet.set("backup_software", (*found, Software("Time Machine")))
    else:
        sheet.mark("last_backup", tm.error or "tmutil failed")
    user, groups = cmd("id_user"), cmd("id_groups")
    if user.ok and user.text.strip():
        sheet.set("current_user", text_field(user.text.strip(), 64))
        if groups.ok:
            sheet.set("user_is_admin", "admin" in groups.text.split())
    else:
        sheet.mark("user_is_admin", user.error or "id failed")
    host = cmd("hostname")
    hostname = text_field(host.text.strip(), 100) if host.ok else ""
    return sheet.build(platform="macos", hostname=hostname or None, collected_at=collected_at)


def collect(runner: Runner, now: datetime | None = None) -> HostFacts:
    commands = {name: runner.run(name, argv, 120.0) for name, argv in COMMANDS.items()}
    return facts_from_outputs(commands, runner.listdir(APPLICATIONS), now or datetime.now(UTC))

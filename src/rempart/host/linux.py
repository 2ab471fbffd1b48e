"""Linux collector: the same facts as on Windows where they apply.

Updates (``apt-get -s upgrade``, unattended-upgrades, ``/var/log/apt/history.log``),
firewall (``ufw status``, else ``nft list ruleset``), disk encryption (``lsblk -J``: is
the root file system on a LUKS device?), SSH server (``sshd -T``, else
``/etc/ssh/sshd_config``), sudo (``NOPASSWD`` in sudoers, membership of sudo/wheel/admin),
installed remote-access and backup tools (``dpkg-query``). Commands run with ``LC_ALL=C``
so that their messages are in English. Facts that have no Linux meaning (SMBv1, Office
macros, BitLocker) stay ``None`` without a reason: they do not apply.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from rempart.core.host import FirewallProfile, HostFacts, Volume
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
    "id_user": ["id", "-un"],
    "id_groups": ["id", "-Gn"],
    "apt_upgrade": ["apt-get", "-s", "-o", "Debug::NoLocking=1", "upgrade"],
    "ufw": ["ufw", "status"],
    "nft": ["nft", "list", "ruleset"],
    "lsblk": ["lsblk", "-J", "-o", "NAME,TYPE,FSTYPE,MOUNTPOINT"],
    "sshd": ["sshd", "-T"],
    "dpkg": ["dpkg-query", "-W", "-f", "${Package}\t${Version}\t${Status}\n"],
}

FILES = (
    "/etc/os-release",
    "/etc/apt/apt.conf.d/20auto-upgrades",
    "/var/log/apt/history.log",
    "/etc/ssh/sshd_config",
    "/etc/sudoers",
    "/etc/group",
)
SUDOERS_D = "/etc/sudoers.d"
ADMIN_GROUPS = ("sudo", "wheel", "admin")


def _os_release_values(text: str) -> dict[str, str]:
    values = {}
    for line in text.splitlines()[:200]:
        key, sep, raw = line.partition("=")
        if not sep or not re.fullmatch(r"[A-Z_]{1,40}", key.strip()):
            continue
        try:
            parts = shlex.split(raw, comments=False)
        except ValueError:
            parts = [raw.strip().strip("\"'")]
        values[key.strip()] = text_field(" ".join(parts))
    return values


def parse_os_release(text: str) -> dict[str, Any]:
    values = _os_release_values(text)
    name = values.get("PRETTY_NAME") or values.get("NAME")
    if not name:
        raise ParseError("no NAME in os-release")
    return {
        "os_name": name,
        "os_version": values.get("VERSION_ID") or None,
        "os_edition": values.get("ID") or None,
        "os_build": None,
    }


def parse_apt_upgrade(text: str) -> dict[str, Any]:
    if not re.search(r"^(Reading|NOTE:|\d+ upgraded)", text, re.MULTILINE):
        raise ParseError("not the output of apt-get -s upgrade")
    return {"pending_updates": sum(1 for line in text.splitlines() if line.startswith("Inst "))}


def parse_auto_upgrades(text: str) -> dict[str, Any]:
    match = re.search(r'^\s*APT::Periodic::Unattended-Upgrade\s+"(\d+)"\s*;', text, re.MULTILINE)
    return {"auto_updates": bool(match and int(match.group(1)) > 0)}


def parse_apt_history(text: str) -> dict[str, Any]:
    """The last ``Start-Date`` of an apt run that upgraded or installed packages."""
    last: date | None = None
    for block in text.split("\n\n"):
        found = re.search(r"^Start-Date:\s*(\d{4}-\d{2}-\d{2})", block, re.MULTILINE)
        if not found or not re.search(r"^(Upgrade|Install):", block, re.MULTILINE):
            continue
        try:
            day = date.fromisoformat(found.group(1))
        except ValueError:
            continue
        last = day if last is None or day > last else last
    if last is None:
        return {"last_update": Unknown("apt history lists no upgrade")}
    return {"last_update": last}


def parse_ufw(text: str) -> dict[str, Any]:
    match = re.search(r"^Status:\s*(active|inactive)", text, re.MULTILINE | re.IGNORECASE)
    if not match:
        raise ParseError("no 'Status:' line")
    return {"firewall": (FirewallProfile("ufw", match.group(1).lower() == "active"),)}


def parse_nft(text: str) -> dict[str, Any]:
    """A ruleset filters incoming traffic if an input hook has a drop policy or rules."""
    enabled = False
    for chain in re.finditer(r"chain\s+\S+\s*\{(.*?)\n\s*\}", text, re.DOTALL):
        body = chain.group(1)
        if "hook input" not in body:
            continue
        rules = [
            line.strip()
            for line in body.splitlines()
            if line.strip() and not line.strip().startswith(("type ", "policy "))
        ]
        if "policy drop" in body or rules:
            enabled = True
    return {"firewall": (FirewallProfile("nftables", enabled),)}


def parse_lsblk(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise ParseError("not valid JSON") from None
    devices = data.get("blockdevices") if isinstance(data, dict) else None
    if not isinstance(devices, list):
        raise ParseError("no 'blockdevices' list")
    volumes: list[Volume] = []

    def walk(nodes: Any, encrypted: bool, depth: int) -> None:
        if not isinstance(nodes, list) or depth > 16:
            return
        for node in nodes[:500]:
            if not isinstance(node, dict):
                continue
            inside = encrypted or node.get("type") == "crypt" or node.get("fstype") == "crypto_LUKS"
            mount = node.get("mountpoint")
            if isinstance(mount, str) and mount in ("/", "/home", "/srv", "/var"):
                volumes.append(Volume(mount, inside, "LUKS" if inside else ""))
            walk(node.get("children"), inside, depth + 1)

    walk(devices, False, 0)
    if not any(v.mount == "/" for v in volumes):
        return {"volumes": Unknown("the root file system is not on a local disk (container?)")}
    return {"volumes": tuple(sorted(volumes, key=lambda v: v.mount))}


def parse_sshd(text: str) -> dict[str, Any]:
    """``sshd -T`` (effective settings, lower-case keys) or ``sshd_config`` (first value
    wins, as sshd reads it; ``Match`` blocks are not followed)."""
    values: dict[str, str] = {}
    for line in text.splitlines()[:5000]:
        words = line.strip().split(None, 1)
        if not words or words[0].startswith("#"):
            continue
        key = words[0].lower()
        if key == "match":
            break
        if len(words) == 2:
            values.setdefault(key, words[1].strip().lower())
    root = values.get("permitrootlogin", "prohibit-password")  # OpenSSH default since 7.0
    password_auth = values.get("passwordauthentication", "yes") == "yes"
    if root not in ("yes", "no", "prohibit-password", "without-password", "forced-commands-only"):
        return {
            "ssh_root_login": Unknown(f"PermitRootLogin {root[:20]!r} not understood"),
            "ssh_password_auth": password_auth,
        }
    return {"ssh_root_login": root, "ssh_password_auth": password_auth}


def sudo_nopasswd_lines(text: str) -> list[str]:
    lines = []
    for line in text.splitlines()[:5000]:
        stripped = " ".join(line.split())
        if stripped.startswith("#") or "NOPASSWD" not in stripped:
            continue
        lines.append(stripped[:200])
    return lines


def admin_members(group_text: str) -> tuple[str, ...]:
    members: list[str] = []
    for line in group_text.splitlines()[:5000]:
        parts = line.split(":")
        if len(parts) >= 4 and parts[0] in ADMIN_GROUPS:
            members += [m for m in parts[3].strip().split(",") if m]
    return tuple(sorted(set(members)))


def parse_dpkg(text: str) -> dict[str, Any]:
    installed = []
    for line in text.splitlines()[:20000]:
        parts = line.split("\t")
        if len(parts) >= 2 and (len(parts) < 3 or "installed" in parts[2].split()[-1:]):
            installed.append((text_field(parts[0]), text_field(parts[1], 60)))
    if not installed:
        raise ParseError("no installed package listed")
    return {
        "remote_tools": match_software(installed, REMOTE_TOOLS),
        "backup_software": match_software(installed, BACKUP_TOOLS),
    }


def facts_from_outputs(
    commands: Mapping[str, Result],
    files: Mapping[str, Result],
    sudoers_d: Mapping[str, Result] | None = None,
    collected_at: datetime | None = None,
) -> HostFacts:
    """Pure: the facts of a Linux computer from its commands' results and files."""

    def cmd(name: str) -> Result:
        return commands.get(name) or Result(error=f"{name}: not collected")

    def file(path: str) -> Result:
        return files.get(path) or Result(error=f"{path}: not read", returncode=2)

    sheet = FactSheet()
    sheet.apply(("os_name", "os_version", "os_edition"), file("/etc/os-release"),
                parse_os_release, "/etc/os-release")  # fmt: skip
    # Updates (Debian family; other distributions: unknown with the reason).
    apt = cmd("apt_upgrade")
    sheet.apply(("pending_updates",), apt, parse_apt_upgrade, "apt-get -s upgrade")
    if apt.ok:
        auto = file("/etc/apt/apt.conf.d/20auto-upgrades")
        if auto.returncode == 2:  # the file does not exist: automatic upgrades are off
            auto = Result(text="")
        sheet.apply(("auto_updates",), auto, parse_auto_upgrades, "20auto-upgrades")
        sheet.apply(("last_update",), file("/var/log/apt/history.log"), parse_apt_history,
                    "apt history")  # fmt: skip
    else:
        sheet.mark("auto_updates", "not a Debian-family system (apt-get missing)")
        sheet.mark("last_update", "not a Debian-family system (apt-get missing)")
    # Firewall: ufw when installed, else the nftables ruleset.
    ufw = cmd("ufw")
    if ufw.ok:
        sheet.apply(("firewall",), ufw, parse_ufw, "ufw status")
    else:
        nft = cmd("nft")
        sheet.apply(("firewall",), nft, parse_nft, "nft list ruleset")
        if not nft.ok:
            sheet.mark("firewall", f"{ufw.error}; {nft.error}")
    sheet.apply(("volumes",), cmd("lsblk"), parse_lsblk, "lsblk")
    # SSH server: only when installed.
    sshd = cmd("sshd")
    config = file("/etc/ssh/sshd_config")
    if sshd.ok:
        sheet.apply(("ssh_root_login", "ssh_password_auth"), sshd, parse_sshd, "sshd -T")
    elif config.ok:
        sheet.apply(("ssh_root_login", "ssh_password_auth"), config, parse_sshd, "sshd_config")
    elif config.returncode != 2:
        sheet.mark("ssh_root_login", config.error or "sshd_config unreadable")
        sheet.mark("ssh_password_auth", config.error or "sshd_config unreadable")
    # sudo
    sudoers = file("/etc/sudoers")
    if sudoers.ok:
        lines = sudo_nopasswd_lines(sudoers.text)
        unreadable = []
        for name, result in sorted((sudoers_d or {}).items()):
            if result.ok:
                lines += sudo_nopasswd_lines(result.text)
            else:
                unreadable.append(name)
        if unreadable:
            sheet.mark("sudo_nopasswd", f"cannot read {', '.join(unreadable[:3])}")
        else:
            sheet.set("sudo_nopasswd", tuple(lines))
    elif sudoers.returncode != 2:  # no sudoers at all: sudo is not installed
        sheet.mark("sudo_nopasswd", sudoers.error or "sudoers unreadable")
    # Users
    user, groups, group_file = cmd("id_user"), cmd("id_groups"), file("/etc/group")
    if user.ok and user.text.strip():
        name = text_field(user.text.strip().splitlines()[0], 64)
        sheet.set("current_user", name)
        if groups.ok:
            mine = set(groups.text.split())
            sheet.set("user_is_admin", name == "root" or bool(mine & set(ADMIN_GROUPS)))
        else:
            sheet.mark("user_is_admin", groups.error or "id -Gn failed")
    else:
        sheet.mark("current_user", user.error or "id -un printed nothing")
        sheet.mark("user_is_admin", user.error or "id -un printed nothing")
    if group_file.ok:
        sheet.set("local_admins", admin_members(group_file.text))
    else:
        sheet.mark("local_admins", group_file.error or "/etc/group unreadable")
    dpkg = cmd("dpkg")
    sheet.apply(("remote_tools", "backup_software"), dpkg, parse_dpkg, "dpkg-query")
    host = cmd("hostname")
    hostname = text_field(host.text.strip(), 100) if host.ok else ""
    return sheet.build(platform="linux", hostname=hostname or None, collected_at=collected_at)


def collect(runner: Runner, now: datetime | None = None) -> HostFacts:
    commands = {name: runner.run(name, argv, 120.0) for name, argv in COMMANDS.items()}
    files = {path: runner.read(path) for path in FILES}
    listing = runner.listdir(SUDOERS_D)
    sudoers_d: dict[str, Result] = {}
    if listing.ok:
        for entry in listing.text.splitlines():
            # sudo skips names with a dot or ending in "~" (README, editor backups).
            if entry and "." not in entry and not entry.endswith("~"):
                sudoers_d[entry] = runner.read(f"{SUDOERS_D}/{entry}")
    return facts_from_outputs(commands, files, sudoers_d, now or datetime.now(UTC))

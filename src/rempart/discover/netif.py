"""This computer's IPv4 networks, for the ``auto`` target.

Reading interfaces is split in two so that ``auto`` can be tested without touching a
real network: pure parsers turn the text of ``ip -j -4 addr`` / ``ip -4 -o addr``
(Linux), ``Get-NetIPAddress | ConvertTo-Json`` or ``ipconfig`` (Windows) into
:class:`InterfaceAddress` facts, and :func:`auto_networks` decides which subnets are the
practice LAN. Only :func:`read_interfaces` runs a command, and it does nothing else.

``auto`` keeps the subnets of real, connected adapters. It leaves out loopback, link-local
addresses (169.254.x.x: an adapter that got no address from DHCP), and virtual or VPN
adapters (Docker, Hyper-V, VirtualBox, VMware, WireGuard, Tailscale...): a VPN's subnet
belongs to somebody else, and a container bridge is not the practice.
"""

from __future__ import annotations

import ipaddress
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Interface, IPv4Network
from typing import Any

from rempart.core.errors import UsageError
from rempart.i18n import _

_MAX_INPUT = 1024 * 1024  # characters of command output parsed, at most
_MAX_NAME = 128


@dataclass(frozen=True)
class InterfaceAddress:
    """One IPv4 address configured on one adapter of this computer."""

    name: str
    interface: IPv4Interface  # address and prefix, e.g. 192.168.1.23/24
    up: bool = True
    loopback: bool = False


InterfaceReader = Callable[[], Sequence[InterfaceAddress]]

# Adapter names (lower case) of container bridges, hypervisors and VPNs.
_VIRTUAL_PREFIXES = (
    "docker", "br-", "veth", "virbr", "lxcbr", "lxdbr", "cni", "flannel", "cali", "vxlan",
    "kube", "podman", "tun", "tap", "wg", "tailscale", "zt", "vboxnet", "vmnet", "utun",
    "vethernet", "virtualbox", "vmware", "hyper-v", "npcap", "openvpn", "wireguard",
    "nordlynx", "loopback pseudo",
)  # fmt: skip
_VIRTUAL_WORDS = (
    "virtualbox", "vmware", "vethernet", "hyper-v", "wsl", "vpn", "tailscale", "zerotier",
)  # fmt: skip


def looks_virtual(name: str) -> bool:
    """Whether an adapter name is a container bridge, a hypervisor's or a VPN's."""
    lowered = name.strip().lower()
    for prefix in ("carte ", "ethernet adapter ", "wireless lan adapter ", "unknown adapter "):
        if lowered.startswith(prefix):
            lowered = lowered[len(prefix) :]
            break
    lowered = lowered.removeprefix("ethernet ").strip()
    return lowered.startswith(_VIRTUAL_PREFIXES) or any(w in lowered for w in _VIRTUAL_WORDS)


def auto_networks(addresses: Iterable[InterfaceAddress]) -> tuple[IPv4Network, ...]:
    """The subnets ``auto`` scans: connected, real adapters; no loopback or link-local."""
    found: list[IPv4Network] = []
    for item in addresses:
        ip = item.interface.ip
        if not item.up or item.loopback or ip.is_loopback or ip.is_link_local:
            continue
        if ip.is_unspecified or ip.is_multicast or looks_virtual(item.name):
            continue
        network = item.interface.network
        if network not in found:
            found.append(network)
    return tuple(sorted(found))


# --- Linux -----------------------------------------------------------------------------


def parse_ip_json(text: str) -> tuple[InterfaceAddress, ...]:
    """Parse ``ip -j -4 addr show``. Malformed parts are skipped, never fatal."""
    try:
        data = json.loads(text[:_MAX_INPUT])
    except (ValueError, RecursionError):
        return ()
    if not isinstance(data, list):
        return ()
    found: list[InterfaceAddress] = []
    for link in data:
        if not isinstance(link, dict):
            continue
        name = _name(link.get("ifname"))
        flags = link.get("flags")
        flags = [str(f) for f in flags] if isinstance(flags, list) else []
        up = "UP" in flags and link.get("operstate") != "DOWN"
        loopback = "LOOPBACK" in flags
        infos = link.get("addr_info")
        for info in infos if isinstance(infos, list) else []:
            if not isinstance(info, dict) or info.get("family", "inet") != "inet":
                continue
            iface = _interface(info.get("local"), info.get("prefixlen"))
            if iface is not None:
                found.append(InterfaceAddress(name, iface, up=up, loopback=loopback))
    return tuple(found)


_IP_ONELINE = re.compile(r"^\s*\d+:\s+(\S+)\s+inet\s+(\d{1,3}(?:\.\d{1,3}){3})/(\d{1,2})\b")


def parse_ip_oneline(text: str) -> tuple[InterfaceAddress, ...]:
    """Parse ``ip -4 -o addr show`` (older iproute2, BusyBox), one address a line."""
    found: list[InterfaceAddress] = []
    for line in text[:_MAX_INPUT].splitlines():
        match = _IP_ONELINE.match(line)
        if match is None:
            continue
        name = _name(match.group(1).split("@")[0])
        iface = _interface(match.group(2), match.group(3))
        if iface is not None:
            loopback = name == "lo" or iface.ip.is_loopback
            found.append(InterfaceAddress(name, iface, up=True, loopback=loopback))
    return tuple(found)


# --- Windows ---------------------------------------------------------------------------

# Run by read_interfaces() on Windows; states are turned into text so that both Windows
# PowerShell 5.1 and PowerShell 7 give the same JSON.
POWERSHELL_COMMAND = (
    "Get-NetIPAddress -AddressFamily IPv4 | ForEach-Object { [pscustomobject]@{ "
    "InterfaceAlias = $_.InterfaceAlias; IPAddress = $_.IPAddress; "
    'PrefixLength = [int]$_.PrefixLength; AddressState = "$($_.AddressState)" } } '
    "| ConvertTo-Json -Compress"
)
_PREFERRED = ("preferred", "4")


def parse_powershell_json(text: str) -> tuple[InterfaceAddress, ...]:
    """Parse ``Get-NetIPAddress -AddressFamily IPv4 | ConvertTo-Json``.

    ConvertTo-Json gives one object for one address, a list for several; ``AddressState``
    may be a number (4 is Preferred) or text. Only preferred addresses count as up.
    """
    try:
        data = json.loads(text[:_MAX_INPUT].lstrip("\ufeff"))
    except (ValueError, RecursionError):
        return ()
    items = data if isinstance(data, list) else [data]
    found: list[InterfaceAddress] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        iface = _interface(item.get("IPAddress"), item.get("PrefixLength"))
        if iface is None:
            continue
        name = _name(item.get("InterfaceAlias"))
        state = str(item.get("AddressState", "Preferred")).strip().lower()
        loopback = iface.ip.is_loopback or name.lower().startswith("loopback")
        found.append(InterfaceAddress(name, iface, up=state in _PREFERRED, loopback=loopback))
    return tuple(found)


_DOTTED = re.compile(r"(\d{1,3}(?:\.\d{1,3}){3})")


def parse_ipconfig(text: str) -> tuple[InterfaceAddress, ...]:
    """Parse ``ipconfig`` or ``ipconfig /all`` output, in any language.

    An adapter starts on a line that is not indented and ends with ``:``; its address is
    on the line that mentions ``IPv4`` and its mask on the next line holding a netmask.
    Adapters whose media is disconnected list no IPv4 address, so they add nothing.
    """
    found: list[InterfaceAddress] = []
    adapter = ""
    pending: ipaddress.IPv4Address | None = None
    for line in text[:_MAX_INPUT].splitlines():
        if line and not line[0].isspace():
            adapter = _name(line.rstrip().rstrip(":").rstrip())
            pending = None
            continue
        if ":" not in line:
            continue
        label, _sep, value = line.partition(":")
        match = _DOTTED.search(value)
        if "ipv4" in label.lower():
            pending = _address(match.group(1)) if match else None
            continue
        if pending is not None and match is not None:
            iface = _interface(str(pending), _prefix_from_mask(match.group(1)))
            if iface is not None:
                loopback = iface.ip.is_loopback
                found.append(InterfaceAddress(adapter, iface, up=True, loopback=loopback))
            pending = None
    return tuple(found)


# --- reading this computer -------------------------------------------------------------


def read_interfaces() -> tuple[InterfaceAddress, ...]:
    """Ask the system for its IPv4 addresses (the only function here that runs a command)."""
    if sys.platform == "win32":
        cmd = ["powershell", "-NoProfile", "-NonInteractive", "-Command", POWERSHELL_COMMAND]
        return parse_powershell_json(_run(cmd))
    try:
        return parse_ip_json(_run(["ip", "-j", "-4", "addr", "show"]))
    except UsageError:
        return parse_ip_oneline(_run(["ip", "-4", "-o", "addr", "show"]))


def _run(cmd: list[str]) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=15, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        raise UsageError(
            _("Cannot list this computer's networks ({error}): give the network to audit "
              "instead of auto, e.g. 192.168.1.0/24.").format(error=type(exc).__name__)
        ) from exc  # fmt: skip
    return done.stdout[:_MAX_INPUT].decode("utf-8", errors="replace")


# --- helpers ---------------------------------------------------------------------------


def _name(value: Any) -> str:
    text = value if isinstance(value, str) else ""
    return "".join(ch for ch in text[:_MAX_NAME] if ch.isprintable())


def _address(value: Any) -> ipaddress.IPv4Address | None:
    try:
        return ipaddress.IPv4Address(str(value).strip())
    except ValueError:
        return None


def _interface(address: Any, prefix: Any) -> IPv4Interface | None:
    if address is None or prefix is None or isinstance(prefix, bool):
        return None
    try:
        length = int(prefix)
    except (TypeError, ValueError):
        return None
    if not 0 <= length <= 32:
        return None
    ip = _address(address)
    return IPv4Interface(f"{ip}/{length}") if ip is not None else None


def _prefix_from_mask(mask: str) -> int | None:
    try:
        return IPv4Network(f"0.0.0.0/{mask}").prefixlen
    except ValueError:
        return None  # not a contiguous netmask (e.g. a gateway address)


__all__ = [
    "POWERSHELL_COMMAND",
    "InterfaceAddress",
    "InterfaceReader",
    "auto_networks",
    "looks_virtual",
    "parse_ip_json",
    "parse_ip_oneline",
    "parse_ipconfig",
    "parse_powershell_json",
    "read_interfaces",
]

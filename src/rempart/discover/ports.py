"""Which ports the audit knocks on, and how a user names other ones.

The default list is nmap's top 100 TCP ports plus what a French dental practice runs:
practice-management databases (SQL Server, HFSQL, Firebird, 4D, SQL Anywhere), X-ray
imaging (DICOM), NAS admin pages, and the remote-support tools vendors leave open.
Those practice ports are kept in :data:`PRACTICE_PORTS` with what usually answers there,
so the list documents itself and a report can say why a port was looked at.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from rempart.core.errors import UsageError
from rempart.i18n import _

MIN_PORT = 1
MAX_PORT = 65535

# Ports a practice's own equipment and software listen on: port → what usually runs there.
PRACTICE_PORTS: Mapping[int, str] = MappingProxyType(
    {
        21: "FTP: NAS and scanner file drops, often with anonymous login",
        22: "SSH: NAS and box administration",
        23: "Telnet: internet box, printers, old NAS",
        25: "SMTP: scan-to-mail on printers, small mail relays",
        80: "HTTP: box, NAS, printer and camera admin pages",
        104: "DICOM: X-ray imaging (sensors, panoramic, CBCT) storage and query",
        110: "POP3: mail clients of the practice",
        135: "MS-RPC endpoint mapper: every Windows PC and server",
        139: "NetBIOS session: old Windows file sharing",
        143: "IMAP: mail clients of the practice",
        389: "LDAP: Windows domain controller, NAS directory",
        443: "HTTPS: box, NAS and remote-access admin pages",
        445: "SMB: Windows file sharing, the practice's shared folders and NAS",
        1433: "Microsoft SQL Server: practice-management database",
        1521: "Oracle database: some imaging and practice software",
        2638: "SAP SQL Anywhere (Sybase): practice-management database",
        3050: "Firebird / InterBase: practice-management database",
        3306: "MySQL / MariaDB: practice-management database, NAS apps",
        3389: "RDP: Windows remote desktop, the first way in for ransomware",
        4899: "Radmin: remote support",
        4900: "HFSQL client/server (WinDev): practice-management database",
        5000: "Synology DSM admin page (HTTP), UPnP on some boxes",
        5001: "Synology DSM admin page (HTTPS)",
        5432: "PostgreSQL: practice-management and imaging databases",
        5631: "pcAnywhere: legacy remote support",
        5800: "VNC over HTTP: remote support",
        5900: "VNC: remote support on the imaging or reception PC",
        5901: "VNC display :1",
        5902: "VNC display :2",
        5903: "VNC display :3",
        5938: "TeamViewer: remote support left open for the software vendor",
        5985: "WinRM over HTTP: Windows remote management",
        5986: "WinRM over HTTPS: Windows remote management",
        6568: "AnyDesk: remote support",
        7070: "AnyDesk direct connections: remote support",
        8000: "HTTP alternative: NAS, cameras, imaging software web pages",
        8040: "ScreenConnect (ConnectWise Control) web page: remote support",
        8041: "ScreenConnect (ConnectWise Control) relay: remote support",
        8080: "HTTP alternative: QNAP NAS admin page, web apps",
        8443: "HTTPS alternative: NAS and firewall admin pages",
        8888: "HTTP alternative: admin pages of appliances",
        11112: "DICOM (alternative port): X-ray imaging",
        19812: "4D Server (SQL): practice-management database",
        19813: "4D Server (application): practice-management database",
        19814: "4D Server (DB4D): practice-management database",
        21118: "RustDesk direct access: remote support",
    }
)

# nmap's 100 most common TCP ports (nmap-services, by frequency).
NMAP_TOP_100_TCP: tuple[int, ...] = (
    7, 9, 13, 21, 22, 23, 25, 26, 37, 53, 79, 80, 81, 88, 106, 110, 111, 113, 119, 135,
    139, 143, 144, 179, 199, 389, 427, 443, 444, 445, 465, 513, 514, 515, 543, 544, 548,
    554, 587, 631, 646, 873, 990, 993, 995, 1025, 1026, 1027, 1028, 1029, 1110, 1433, 1720,
    1723, 1755, 1900, 2000, 2001, 2049, 2121, 2717, 3000, 3128, 3306, 3389, 3986, 4899,
    5000, 5009, 5051, 5060, 5101, 5190, 5357, 5432, 5631, 5666, 5800, 5900, 6000, 6001,
    6646, 7070, 8000, 8008, 8009, 8080, 8081, 8443, 8888, 9100, 9999, 10000, 32768, 49152,
    49153, 49154, 49155, 49156, 49157,
)  # fmt: skip

DEFAULT_TCP_PORTS: tuple[int, ...] = tuple(sorted({*PRACTICE_PORTS, *NMAP_TOP_100_TCP}))

# SNMP (printers, NAS, boxes); probed directly by the SNMP probe, not by the port scanner.
DEFAULT_UDP_PORTS: tuple[int, ...] = (161,)

ALL_TCP_PORTS: tuple[int, ...] = tuple(range(MIN_PORT, MAX_PORT + 1))

_MAX_SPEC = 8192  # characters; longer than any sensible list, short enough to echo safely
_ITEM = re.compile(r"^(\d{1,5})?(-)?(\d{1,5})?$")


def parse_ports(spec: str | None) -> tuple[int, ...]:
    """Read a port list as a user types it: ``None``/``"default"``, ``"all"``, or
    ``"22,80,8000-8100"`` (open ranges ``"-1024"`` and ``"60000-"`` as in nmap).

    Returns sorted, deduplicated ports. A malformed spec raises :class:`UsageError`
    with one line saying what is wrong and how to write it.
    """
    if spec is None:
        return DEFAULT_TCP_PORTS
    text = spec.strip().lower()
    if text in ("", "default"):
        return DEFAULT_TCP_PORTS
    if text in ("all", "-"):
        return ALL_TCP_PORTS
    if len(text) > _MAX_SPEC:
        raise UsageError(
            _(
                "The port list is too long ({n} characters): use ranges such as 1-1024, or all."
            ).format(n=len(text))
        )
    ports: set[int] = set()
    for raw in text.split(","):
        item = raw.strip()
        ports.update(_parse_item(item, spec))
    return tuple(sorted(ports))


def _parse_item(item: str, spec: str) -> range:
    match = _ITEM.match(item)
    if not item or match is None or match.group(0) == "-":
        raise _bad(item, spec)
    first, dash, last = match.groups()
    if dash is None:
        low = high = int(first)
    else:
        low = int(first) if first else MIN_PORT
        high = int(last) if last else MAX_PORT
    for value in (low, high):
        if not MIN_PORT <= value <= MAX_PORT:
            raise UsageError(
                _("Invalid port {port} in '{spec}': ports go from 1 to 65535.").format(
                    port=value, spec=_echo(spec)
                )
            )
    if low > high:
        raise UsageError(
            _("Invalid port range '{item}': the first port must not be above the last.").format(
                item=_echo(item)
            )
        )
    return range(low, high + 1)


def _bad(item: str, spec: str) -> UsageError:
    shown = item or _("(empty)")
    return UsageError(
        _("Invalid port list '{spec}': '{item}' is not a port or a range. "
          "Write it like 22,80,8000-8100, or use all.").format(spec=_echo(spec), item=_echo(shown))
    )  # fmt: skip


def _echo(text: str, limit: int = 60) -> str:
    """The user's input, shortened and made printable, to quote it back in a message."""
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in text[:limit])
    return cleaned + ("…" if len(text) > limit else "")


__all__ = [
    "ALL_TCP_PORTS",
    "DEFAULT_TCP_PORTS",
    "DEFAULT_UDP_PORTS",
    "NMAP_TOP_100_TCP",
    "PRACTICE_PORTS",
    "parse_ports",
]

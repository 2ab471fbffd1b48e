"""The demo practice as data: which host answers on which port, and what it pretends to be.

This table is the contract written in ``docs/lab-practice.md``: the probes, the checks and
the end-to-end test are written against it, so addresses and ports change only with the doc.
"""

from __future__ import annotations

from dataclasses import dataclass

SUBNET = "127.42.0.0/24"
PORT_OFFSET = 10000  # added to a port below 1024 when it cannot be bound (not root)


@dataclass(frozen=True)
class ServiceSpec:
    """One listening service of a host: ``key`` selects the fake that answers."""

    key: str
    port: int
    transport: str  # "tcp" or "udp"
    description: str


@dataclass(frozen=True)
class HostSpec:
    name: str
    kind: str
    address: str
    label: str
    services: tuple[ServiceSpec, ...]


def _tcp(key: str, port: int, description: str) -> ServiceSpec:
    return ServiceSpec(key, port, "tcp", description)


HOSTS: tuple[HostSpec, ...] = (
    HostSpec(
        "box",
        "router",
        "127.42.0.1",
        "Internet box",
        (
            _tcp("http-box", 80, "HTTP: ISP box admin page (Livebox), Basic auth admin/admin"),
            _tcp("telnet-box", 23, "Telnet: Livebox login prompt"),
        ),
    ),
    HostSpec(
        "accueil",
        "workstation",
        "127.42.0.10",
        "Reception PC",
        (
            _tcp("rdp-no-nla", 3389, "RDP without NLA (standard security and TLS)"),
            _tcp("smb-accueil", 445, "SMB1 (NT LM 0.12) and SMB 2.0.2-3.1.1, signing not required"),
        ),
    ),
    HostSpec(
        "fauteuil-1",
        "workstation",
        "127.42.0.11",
        "Chair PC",
        (
            _tcp("rdp-nla", 3389, "RDP with NLA (CredSSP required)"),
            _tcp("smb-fauteuil", 445, "SMB 3.0-3.1.1 only, signing required"),
        ),
    ),
    HostSpec(
        "serveur",
        "server",
        "127.42.0.20",
        "Practice server",
        (
            _tcp("mssql", 1433, "SQL Server 2012 SP4 (TDS 11.0.7001)"),
            _tcp("smb-serveur", 445, "SMB 2.0.2-3.1.1, signing not required, no SMB1"),
            _tcp("winrm", 5985, "WinRM over HTTP (Microsoft-HTTPAPI/2.0)"),
        ),
    ),
    HostSpec(
        "nas",
        "nas",
        "127.42.0.30",
        "NAS",
        (
            _tcp("http-qnap", 8080, "HTTP: QNAP QTS 4.5.1 login page"),
            _tcp("https-qnap", 443, "HTTPS: QNAP QTS, self-signed, TLS 1.0-1.2"),
            _tcp("ftp", 21, "FTP: anonymous login accepted"),
            _tcp("ssh", 22, "SSH: OpenSSH 7.4 with weak algorithms"),
        ),
    ),
    HostSpec(
        "radio",
        "imaging",
        "127.42.0.40",
        "Imaging PC",
        (
            _tcp("dicom", 104, "DICOM storage SCP accepting any called AE title"),
            _tcp("vnc", 5900, "VNC RFB 3.8 without password"),
            _tcp("teamviewer", 5938, "TeamViewer"),
        ),
    ),
    HostSpec(
        "imprimante",
        "printer",
        "127.42.0.50",
        "Printer",
        (
            _tcp("http-printer", 80, "HTTP: HP LaserJet Pro M404dn embedded web server"),
            ServiceSpec("snmp", 161, "udp", "SNMP v1/v2c, community public readable"),
        ),
    ),
)


def host_by_name(name: str) -> HostSpec:
    for host in HOSTS:
        if host.name == name:
            return host
    raise KeyError(name)

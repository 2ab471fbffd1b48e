"""What each protocol probe saw: typed facts, never a verdict.

Each probe in ``rempart.discover.probes`` returns one of these frozen dataclasses; the
checks in ``rempart.checks`` judge them. They live in ``core`` so that checks (pure
functions) never import the code that does network I/O.

Every text field holds text that came from the network: bounded, decoded with
``errors="replace"``, and still hostile (escape it wherever it is shown).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True, slots=True)
class Observation:
    """Base class. ``kind`` names the observation in JSON and in the store."""

    kind: ClassVar[str] = "observation"


@dataclass(frozen=True, slots=True)
class SmbObservation(Observation):
    """SMB negotiation.

    ``dialects``: the dialects the server accepted when offered each one, in the
    usual spelling: ``"NT LM 0.12"`` (SMBv1), ``"2.0.2"``, ``"2.1"``, ``"3.0"``,
    ``"3.0.2"``, ``"3.1.1"``. ``signing_required`` is ``None`` when not learnt.
    """

    kind: ClassVar[str] = "smb"
    dialects: tuple[str, ...] = ()
    smb1: bool = False
    signing_required: bool | None = None
    signing_enabled: bool | None = None
    native_os: str | None = None
    native_lm: str | None = None
    server_guid: str | None = None


# RDP security protocols (MS-RDPBCGR 2.2.1.1.1).
RDP_PROTOCOL_RDP = "rdp"  # standard RDP security
RDP_PROTOCOL_SSL = "ssl"  # TLS
RDP_PROTOCOL_HYBRID = "hybrid"  # CredSSP (NLA)
RDP_PROTOCOL_HYBRID_EX = "hybrid_ex"  # CredSSP with Early User Authorization Result


@dataclass(frozen=True, slots=True)
class RdpObservation(Observation):
    """X.224 negotiation.

    ``protocols``: the security protocols the server accepts (``"rdp"``, ``"ssl"``,
    ``"hybrid"``, ``"hybrid_ex"``). ``nla_required``: the server refused every request
    that did not include CredSSP (``HYBRID_REQUIRED_BY_SERVER``).
    """

    kind: ClassVar[str] = "rdp"
    protocols: tuple[str, ...] = ()
    nla_required: bool = False
    failure_codes: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class SshObservation(Observation):
    """SSH identification string and algorithm lists from the server's KEXINIT."""

    kind: ClassVar[str] = "ssh"
    banner: str = ""
    protocol_version: str | None = None
    software: str | None = None  # "OpenSSH_7.4p1" as sent
    comments: str | None = None  # "Debian-10+deb9u7"
    kex_algorithms: tuple[str, ...] = ()
    host_key_algorithms: tuple[str, ...] = ()
    ciphers: tuple[str, ...] = ()
    macs: tuple[str, ...] = ()
    weak_kex: tuple[str, ...] = ()
    weak_host_keys: tuple[str, ...] = ()
    weak_ciphers: tuple[str, ...] = ()
    weak_macs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FtpObservation(Observation):
    """FTP greeting and whether anonymous login was accepted (``None``: not tried)."""

    kind: ClassVar[str] = "ftp"
    banner: str = ""
    anonymous_login: bool | None = None
    auth_tls: bool | None = None  # AUTH TLS offered (FEAT)


@dataclass(frozen=True, slots=True)
class TelnetObservation(Observation):
    """A Telnet service: reachable, with what it printed first."""

    kind: ClassVar[str] = "telnet"
    banner: str = ""
    login_prompt: bool = False
    negotiation: bool = False  # IAC option negotiation seen


@dataclass(frozen=True, slots=True)
class VncObservation(Observation):
    """RFB handshake. Security type 1 is None (no password); 2 is VNC authentication."""

    kind: ClassVar[str] = "vnc"
    rfb_version: str = ""
    security_types: tuple[int, ...] = ()
    no_auth: bool = False
    failure_reason: str | None = None


@dataclass(frozen=True, slots=True)
class HttpObservation(Observation):
    """One HTTP(S) answer to ``GET /``, and the admin console recognised in it, if any.

    ``console_kind``: ``"nas"``, ``"router"``, ``"printer"``, ``"imaging"``, ``"remote"``…
    ``login_form``: the page asks for a password; ``password_over_cleartext`` is true when
    that form or a Basic/Digest challenge is served without TLS.
    ``default_credentials``: ``None`` when not tried (``--try-default-credentials`` off),
    else the user names that logged in with the product's documented default password.
    """

    kind: ClassVar[str] = "http"
    tls: bool = False
    status: int | None = None
    server: str | None = None
    title: str | None = None
    powered_by: str | None = None
    www_authenticate: str | None = None
    location: str | None = None
    console: str | None = None  # "QNAP QTS", "Synology DSM", "Livebox"...
    console_kind: str | None = None
    console_version: str | None = None
    console_model: str | None = None  # "TS-453Be", "LaserJet Pro M404dn"
    console_cpe: str | None = None  # CPE 2.3 built from the console's version, for vulns
    login_form: bool = False
    password_over_cleartext: bool = False
    default_credentials: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class TlsObservation(Observation):
    """TLS versions accepted and the certificate presented.

    ``versions``: ``"TLSv1.0"``, ``"TLSv1.1"``, ``"TLSv1.2"``, ``"TLSv1.3"``.
    Dates are ISO 8601 in UTC.
    """

    kind: ClassVar[str] = "tls"
    versions: tuple[str, ...] = ()
    subject: str | None = None
    issuer: str | None = None
    not_before: str | None = None
    not_after: str | None = None
    self_signed: bool | None = None
    sha256: str | None = None


@dataclass(frozen=True, slots=True)
class SnmpObservation(Observation):
    """SNMP (UDP) communities that answered a read of sysDescr."""

    kind: ClassVar[str] = "snmp"
    communities: tuple[str, ...] = ()  # the ones that answered ("public", "private")
    sysdescr: str | None = None
    sysname: str | None = None
    version: str = "v2c"


@dataclass(frozen=True, slots=True)
class DicomObservation(Observation):
    """C-ECHO with a made-up calling AE title and a wrong called AE title."""

    kind: ClassVar[str] = "dicom"
    calling_ae: str = ""
    called_ae: str = ""
    association_accepted: bool = False
    echo_status: int | None = None  # 0x0000 on success
    reject_reason: str | None = None
    implementation_class_uid: str | None = None
    implementation_version: str | None = None


@dataclass(frozen=True, slots=True)
class DatabaseObservation(Observation):
    """A database engine reachable from the LAN.

    ``engine``: ``"mssql"``, ``"mysql"``, ``"postgresql"``, ``"firebird"``, ``"hfsql"``,
    ``"sqlanywhere"``, ``"oracle"``.
    """

    kind: ClassVar[str] = "database"
    engine: str = ""
    version: str | None = None
    banner: str | None = None
    detail: str | None = None  # e.g. "encryption: off", "auth: md5"


@dataclass(frozen=True, slots=True)
class RemoteAccessObservation(Observation):
    """A remote-support or remote-administration service.

    ``tool``: ``"teamviewer"``, ``"anydesk"``, ``"screenconnect"``, ``"winrm"``,
    ``"radmin"``, ``"rustdesk"``…
    """

    kind: ClassVar[str] = "remote_access"
    tool: str = ""
    version: str | None = None
    detail: str | None = None
    encrypted: bool | None = None  # WinRM over HTTPS (5986) vs HTTP (5985)


ALL_OBSERVATIONS: tuple[type[Observation], ...] = (
    SmbObservation,
    RdpObservation,
    SshObservation,
    FtpObservation,
    TelnetObservation,
    VncObservation,
    HttpObservation,
    TlsObservation,
    SnmpObservation,
    DicomObservation,
    DatabaseObservation,
    RemoteAccessObservation,
)

"""Each check on plain objects: it fires on the hole, stays quiet without it, and never
fires on "unknown" (a missing observation, or a field the probe could not learn)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from rempart.checks import CheckContext, all_checks, run_checks
from rempart.checks.base import MAX_EVIDENCE, Check
from rempart.core.model import Asset, Evidence, Finding, Service, Severity
from rempart.core.observations import (
    ALL_OBSERVATIONS,
    DatabaseObservation,
    DicomObservation,
    FtpObservation,
    HttpObservation,
    Observation,
    RdpObservation,
    RemoteAccessObservation,
    SmbObservation,
    SnmpObservation,
    SshObservation,
    TelnetObservation,
    TlsObservation,
    VncObservation,
)

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
ADDR = "192.0.2.1"  # documentation address: never contacted, checks do no I/O


def svc(*obs: Observation, port: int = 1, name: str = "unknown", **kw: object) -> Service:
    return Service(ADDR, port, name=name, observations=obs, **kw)  # type: ignore[arg-type]


def judge(check_id: str, service: Service, now: datetime = NOW) -> Finding | None:
    registered: Check = next(c for c in all_checks() if c.meta.id == check_id)
    return registered.run(service, CheckContext(now=now))


def ids(service: Service, now: datetime = NOW) -> set[str]:
    return {
        f.check_id for f in run_checks([Asset(ADDR, services=(service,))], CheckContext(now=now))
    }


# (check ID, a service with the hole, the same kind of service without it, one where the
# deciding fact is unknown)
CASES = [
    (
        "NET-SMB-V1",
        svc(SmbObservation(dialects=("NT LM 0.12", "2.0.2"), smb1=True, signing_required=True)),
        svc(SmbObservation(dialects=("2.0.2", "3.1.1"), signing_required=True)),
        svc(SmbObservation()),
    ),
    (
        "NET-SMB-SIGNING-OFF",
        svc(SmbObservation(dialects=("3.1.1",), signing_required=False)),
        svc(SmbObservation(dialects=("3.1.1",), signing_required=True)),
        svc(SmbObservation(dialects=("3.1.1",), signing_required=None)),
    ),
    (
        "NET-RDP-EXPOSED",
        svc(RdpObservation(protocols=("hybrid",), nla_required=True)),
        svc(SmbObservation(dialects=("3.1.1",), signing_required=True), name="smb"),
        svc(name="rdp"),  # the port answered but the probe could not confirm RDP
    ),
    (
        "NET-RDP-NO-NLA",
        svc(RdpObservation(protocols=("rdp", "ssl"), nla_required=False)),
        svc(RdpObservation(protocols=("hybrid",), nla_required=True)),
        svc(RdpObservation(protocols=(), nla_required=False)),
    ),
    (
        "NET-TELNET",
        svc(TelnetObservation(banner="login: ", login_prompt=True)),
        svc(SshObservation(banner="SSH-2.0-OpenSSH_9.6", ciphers=("aes128-ctr",))),
        svc(name="telnet"),
    ),
    (
        "NET-FTP-ANONYMOUS",
        svc(FtpObservation(banner="220 ready", anonymous_login=True)),
        svc(FtpObservation(banner="220 ready", anonymous_login=False, auth_tls=True)),
        svc(FtpObservation(banner="220 ready", anonymous_login=None, auth_tls=True)),
    ),
    (
        "NET-CLEARTEXT-LOGIN",
        svc(HttpObservation(status=200, login_form=True, password_over_cleartext=True)),
        svc(HttpObservation(tls=True, status=200, login_form=True)),
        svc(FtpObservation(banner="220 ready", anonymous_login=False, auth_tls=None)),
    ),
    (
        "NET-VNC-NO-AUTH",
        svc(VncObservation(rfb_version="003.008", security_types=(1,), no_auth=True)),
        svc(VncObservation(rfb_version="003.008", security_types=(2,))),
        svc(name="vnc"),
    ),
    (
        "NET-SNMP-DEFAULT-COMMUNITY",
        svc(SnmpObservation(communities=("public",), sysdescr="JetDirect"), transport="udp"),
        svc(SnmpObservation(communities=()), transport="udp"),
        svc(name="snmp", transport="udp"),
    ),
    (
        "NET-DICOM-ANY-AE",
        svc(DicomObservation(calling_ae="A", called_ae="B", association_accepted=True)),
        svc(DicomObservation(calling_ae="A", called_ae="B", reject_reason="called AE unknown")),
        svc(name="dicom"),
    ),
    (
        "NET-DB-EXPOSED",
        svc(DatabaseObservation(engine="mssql", version="16.0.1000")),
        svc(HttpObservation(status=200, title="Intranet")),
        svc(DatabaseObservation(engine="")),
    ),
    (
        "NET-ADMIN-CONSOLE",
        svc(HttpObservation(status=200, console="Synology DSM", console_kind="nas", tls=True)),
        svc(HttpObservation(status=200, console="HP EWS", console_kind="printer")),
        svc(HttpObservation(status=200, title="Welcome")),
    ),
    (
        "NET-DEFAULT-CREDENTIALS",
        svc(HttpObservation(tls=True, console="Livebox", default_credentials=("admin",))),
        svc(HttpObservation(tls=True, console="Livebox", default_credentials=())),
        svc(HttpObservation(tls=True, console="Livebox", default_credentials=None)),
    ),
    (
        "NET-TLS-OLD",
        svc(TlsObservation(versions=("TLSv1.0", "TLSv1.2")), name="https"),
        svc(TlsObservation(versions=("TLSv1.2", "TLSv1.3")), name="https"),
        svc(TlsObservation(versions=()), name="https"),
    ),
    (
        "NET-TLS-CERT-EXPIRED",
        svc(TlsObservation(not_after="2025-01-01T00:00:00+00:00", self_signed=False), name="https"),
        svc(TlsObservation(not_after="2027-01-01T00:00:00Z", self_signed=False), name="https"),
        svc(TlsObservation(not_after="not a date", self_signed=False), name="https"),
    ),
    (
        "NET-TLS-CERT-SELF-SIGNED",
        svc(TlsObservation(subject="CN=nas", issuer="CN=nas", self_signed=True), name="https"),
        svc(TlsObservation(subject="CN=nas", issuer="CN=CA", self_signed=False), name="https"),
        svc(TlsObservation(subject="CN=nas", self_signed=None), name="https"),
    ),
    (
        "NET-REMOTE-ACCESS",
        svc(RemoteAccessObservation(tool="anydesk")),
        svc(RemoteAccessObservation(tool="winrm")),
        svc(RemoteAccessObservation(tool="")),
    ),
    (
        "NET-WINRM",
        svc(RemoteAccessObservation(tool="winrm", encrypted=False)),
        svc(RemoteAccessObservation(tool="teamviewer")),
        svc(name="winrm"),
    ),
    (
        "NET-SSH-WEAK-ALGOS",
        svc(SshObservation(kex_algorithms=("diffie-hellman-group1-sha1",), ciphers=("3des-cbc",))),
        svc(
            SshObservation(
                kex_algorithms=("curve25519-sha256",),
                ciphers=("chacha20-poly1305@openssh.com",),
                macs=("hmac-sha2-256-etm@openssh.com",),
                host_key_algorithms=("ssh-ed25519",),
            )
        ),
        svc(name="ssh"),
    ),
    (
        "NET-EOL-VERSION",
        svc(
            DatabaseObservation(engine="mssql"), product="Microsoft SQL Server", version="12.0.6024"
        ),
        svc(
            DatabaseObservation(engine="mssql"), product="Microsoft SQL Server", version="16.0.1000"
        ),
        svc(DatabaseObservation(engine="mssql"), product="Microsoft SQL Server", version=None),
    ),
]


def test_every_check_has_a_case() -> None:
    # Network checks on observations; the vulnerability, host and survey checks have their
    # own test modules (test_vuln_checks, test_host_checks, test_org_checks).
    network = {c.meta.id for c in all_checks() if c.meta.id.startswith("NET-")}
    network -= {c.meta.id for c in all_checks() if c.meta.id.startswith("NET-VULN-")}
    assert {c[0] for c in CASES} == network


@pytest.mark.parametrize(("check_id", "hole", "fine", "unknown"), CASES, ids=[c[0] for c in CASES])
def test_check_fires_on_the_hole_only(
    check_id: str, hole: Service, fine: Service, unknown: Service
) -> None:
    finding = judge(check_id, hole)
    assert finding is not None, f"{check_id} missed the hole"
    assert finding.check_id == check_id
    assert (finding.address, finding.port, finding.transport) == (ADDR, 1, hole.transport)
    assert finding.evidence and all(e.label and e.value for e in finding.evidence)
    assert judge(check_id, fine) is None, f"{check_id} fired without the hole"
    assert judge(check_id, unknown) is None, f"{check_id} fired on unknown"


@pytest.mark.parametrize("kind", ALL_OBSERVATIONS, ids=lambda k: k.kind)
def test_an_observation_with_nothing_learnt_raises_at_most_a_presence_finding(
    kind: type[Observation],
) -> None:
    # Only checks about a service being there (Telnet, RDP: the probe confirmed the
    # protocol) may fire on an observation that learnt nothing else.
    assert ids(svc(kind())) <= {"NET-TELNET", "NET-RDP-EXPOSED"}


def test_a_service_without_observations_gives_no_finding() -> None:
    for name in ("smb", "rdp", "http", "https", "ftp", "ssh", "mssql", "vnc", "unknown"):
        assert ids(svc(name=name, product="Microsoft SQL Server")) == set()


def test_smbv1_is_high_and_shows_the_dialects() -> None:
    finding = judge(
        "NET-SMB-V1",
        svc(SmbObservation(dialects=("NT LM 0.12",), smb1=False, signing_required=True)),
    )
    assert finding is not None and finding.severity is Severity.HIGH
    assert finding.evidence[0] == Evidence("dialects accepted", "NT LM 0.12")


def test_rdp_without_nla_is_high_and_exposure_is_medium() -> None:
    found = run_checks(
        [Asset(ADDR, services=(svc(RdpObservation(protocols=("ssl",)), port=3389),))],
        CheckContext(now=NOW),
    )
    assert [(f.check_id, f.severity) for f in found] == [
        ("NET-RDP-NO-NLA", Severity.HIGH),
        ("NET-RDP-EXPOSED", Severity.MEDIUM),
    ]


def test_telnet_is_not_also_a_cleartext_login() -> None:
    assert ids(svc(TelnetObservation(login_prompt=True))) == {"NET-TELNET"}


def test_anonymous_ftp_is_one_finding_but_ftp_without_tls_is_a_cleartext_login() -> None:
    assert ids(svc(FtpObservation(anonymous_login=True, auth_tls=False))) == {"NET-FTP-ANONYMOUS"}
    assert ids(svc(FtpObservation(anonymous_login=False, auth_tls=False))) == {
        "NET-CLEARTEXT-LOGIN"
    }
    assert ids(svc(FtpObservation(anonymous_login=False, auth_tls=True))) == set()


def test_vnc_without_password_is_not_also_remote_access() -> None:
    assert ids(svc(VncObservation(security_types=(1, 2)))) == {"NET-VNC-NO-AUTH"}
    assert ids(svc(VncObservation(security_types=(2,)))) == {"NET-REMOTE-ACCESS"}


def test_https_login_is_not_cleartext() -> None:
    obs = HttpObservation(tls=True, login_form=True, password_over_cleartext=True)
    assert "NET-CLEARTEXT-LOGIN" not in ids(svc(obs))


def test_basic_auth_over_http_is_a_cleartext_login_with_its_challenge() -> None:
    obs = HttpObservation(
        status=401, www_authenticate='Basic realm="x"', password_over_cleartext=True
    )
    finding = judge("NET-CLEARTEXT-LOGIN", svc(obs))
    assert finding is not None
    assert Evidence("authentication challenge", 'Basic realm="x"') in finding.evidence


def test_certificate_expiry_follows_the_context_clock() -> None:
    service = svc(TlsObservation(not_after="2026-06-30T23:59:59+00:00", self_signed=False))
    assert judge("NET-TLS-CERT-EXPIRED", service, now=datetime(2026, 6, 1, tzinfo=UTC)) is None
    assert judge("NET-TLS-CERT-EXPIRED", service, now=datetime(2026, 7, 1, tzinfo=UTC)) is not None


def test_a_naive_certificate_date_is_read_as_utc() -> None:
    service = svc(TlsObservation(not_after="2026-06-30T23:59:59", self_signed=False))
    assert judge("NET-TLS-CERT-EXPIRED", service, now=datetime(2026, 7, 1, tzinfo=UTC)) is not None


def test_expired_self_signed_certificate_is_one_finding() -> None:
    obs = TlsObservation(versions=("TLSv1.2",), not_after="2020-01-01T00:00:00Z", self_signed=True)
    assert ids(svc(obs, name="https")) == {"NET-TLS-CERT-SELF-SIGNED"}


def test_rdp_certificate_and_tls_are_left_to_the_rdp_checks() -> None:
    tls = TlsObservation(versions=("TLSv1.0",), self_signed=True)
    service = svc(RdpObservation(protocols=("hybrid",), nla_required=True), tls, name="rdp")
    assert ids(service) == {"NET-RDP-EXPOSED"}


def test_weak_ssh_algorithms_are_listed_by_family() -> None:
    obs = SshObservation(
        software="OpenSSH_7.4",
        kex_algorithms=("curve25519-sha256", "diffie-hellman-group1-sha1"),
        ciphers=("aes128-ctr", "3des-cbc", "arcfour"),
        macs=("hmac-md5",),
        host_key_algorithms=("ssh-rsa",),
    )
    finding = judge("NET-SSH-WEAK-ALGOS", svc(obs))
    assert finding is not None
    values = {e.label: e.value for e in finding.evidence}
    assert values == {
        "software": "OpenSSH_7.4",
        "weak key exchange": "diffie-hellman-group1-sha1",
        "weak ciphers": "3des-cbc, arcfour",
        "weak MACs": "hmac-md5",
    }


def test_weak_algorithms_flagged_by_the_probe_are_trusted() -> None:
    obs = SshObservation(ciphers=("aes128-cbc",), weak_ciphers=("aes128-cbc",))
    assert judge("NET-SSH-WEAK-ALGOS", svc(obs)) is not None


def test_snmp_with_a_private_community_name_is_fine() -> None:
    assert judge("NET-SNMP-DEFAULT-COMMUNITY", svc(SnmpObservation(communities=("x7Qp!",)))) is None
    assert judge("NET-SNMP-DEFAULT-COMMUNITY", svc(SnmpObservation(communities=("PRIVATE",))))


def test_eol_is_judged_against_the_context_date() -> None:
    service = svc(product="Microsoft SQL Server", version="13.0.5026")  # SQL Server 2016
    assert judge("NET-EOL-VERSION", service, now=datetime(2026, 7, 14, tzinfo=UTC)) is None
    assert judge("NET-EOL-VERSION", service, now=datetime(2026, 7, 15, tzinfo=UTC)) is not None


@pytest.mark.parametrize(
    ("service", "release"),
    [
        (svc(DatabaseObservation(engine="mssql", version="10.50.6000")), "SQL Server 2008 R2"),
        (svc(DatabaseObservation(engine="mssql", version="10.0.6000")), "SQL Server 2008"),
        (
            svc(HttpObservation(server="Microsoft-IIS/7.5")),
            "IIS 7.0 / 7.5 (Windows Server 2008 / 2008 R2)",
        ),
        (
            svc(HttpObservation(server="Apache/2.2.34 (Unix)", powered_by="PHP/8.3.1")),
            "Apache httpd 2.2",
        ),
        (svc(HttpObservation(server="nginx", powered_by="PHP/7.4.33")), "PHP 7.4"),
        (svc(product="Windows 7 Professional 7601 Service Pack 1"), "Windows 7"),
        (svc(product="PostgreSQL", version="12.4"), "PostgreSQL 12"),
        (
            svc(SmbObservation(native_os="Windows Server 2008 R2 Standard 7601 Service Pack 1")),
            "Windows Server 2008 / 2008 R2",
        ),
    ],
)
def test_eol_products_are_recognised_from_products_and_headers(
    service: Service, release: str
) -> None:
    finding = judge("NET-EOL-VERSION", service)
    assert finding is not None
    assert Evidence("release", release) in finding.evidence


@pytest.mark.parametrize(
    "service",
    [
        svc(product="OpenSSH", version="7.4"),  # no published end of life: none invented
        svc(product="vsftpd", version="2.3.4"),
        svc(product="Microsoft SQL Server", version="110.0"),
        svc(HttpObservation(server="Apache/2.4.62")),
        svc(HttpObservation(console="QNAP QTS", console_version="5.2.1")),
        svc(SmbObservation(native_os="Windows 6.1")),  # what Samba says: not a Windows release
        svc(SmbObservation(native_os="Windows Server 2022 Standard 20348")),
    ],
)
def test_supported_or_unknown_products_are_not_end_of_life(service: Service) -> None:
    assert judge("NET-EOL-VERSION", service) is None


def test_windows_8_and_8_1_are_told_apart() -> None:
    f81 = judge("NET-EOL-VERSION", svc(product="Windows 8.1 Pro"))
    assert f81 is not None and Evidence("release", "Windows 8.1") in f81.evidence


def test_hostile_evidence_is_bounded_and_printable() -> None:
    banner = "220 " + "\x00\x1b[31m" + "A" * 5000
    finding = judge("NET-FTP-ANONYMOUS", svc(FtpObservation(banner=banner, anonymous_login=True)))
    assert finding is not None
    for e in finding.evidence:
        assert len(e.value) <= MAX_EVIDENCE
        assert e.value.isprintable()


def test_findings_carry_the_service_transport() -> None:
    service = replace(svc(SnmpObservation(communities=("public",))), port=161, transport="udp")
    finding = judge("NET-SNMP-DEFAULT-COMMUNITY", service)
    assert finding is not None and finding.target == f"{ADDR}:161/udp"

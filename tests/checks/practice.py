"""The demo practice of docs/lab-practice.md as plain objects: what each probe should see.

Used by the check and report tests (no network): the observations follow the table of
docs/lab-practice.md, with default credentials tried (``--try-default-credentials``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from rempart.core.model import Asset, Audit, Service
from rempart.core.observations import (
    DatabaseObservation,
    DicomObservation,
    FtpObservation,
    HttpObservation,
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

# The expected findings of the demo practice: (check_id, address, port).
EXPECTED = {
    ("NET-ADMIN-CONSOLE", "127.42.0.1", 80),
    ("NET-CLEARTEXT-LOGIN", "127.42.0.1", 80),
    ("NET-DEFAULT-CREDENTIALS", "127.42.0.1", 80),
    ("NET-TELNET", "127.42.0.1", 23),
    ("NET-RDP-EXPOSED", "127.42.0.10", 3389),
    ("NET-RDP-NO-NLA", "127.42.0.10", 3389),
    ("NET-SMB-V1", "127.42.0.10", 445),
    ("NET-SMB-SIGNING-OFF", "127.42.0.10", 445),
    ("NET-RDP-EXPOSED", "127.42.0.11", 3389),
    ("NET-DB-EXPOSED", "127.42.0.20", 1433),
    ("NET-EOL-VERSION", "127.42.0.20", 1433),
    ("NET-SMB-SIGNING-OFF", "127.42.0.20", 445),
    ("NET-WINRM", "127.42.0.20", 5985),
    ("NET-ADMIN-CONSOLE", "127.42.0.30", 8080),
    ("NET-CLEARTEXT-LOGIN", "127.42.0.30", 8080),
    ("NET-ADMIN-CONSOLE", "127.42.0.30", 443),
    ("NET-TLS-OLD", "127.42.0.30", 443),
    ("NET-TLS-CERT-SELF-SIGNED", "127.42.0.30", 443),
    ("NET-FTP-ANONYMOUS", "127.42.0.30", 21),
    ("NET-SSH-WEAK-ALGOS", "127.42.0.30", 22),
    ("NET-DICOM-ANY-AE", "127.42.0.40", 104),
    ("NET-VNC-NO-AUTH", "127.42.0.40", 5900),
    ("NET-REMOTE-ACCESS", "127.42.0.40", 5938),
    ("NET-SNMP-DEFAULT-COMMUNITY", "127.42.0.50", 161),
}

_QNAP = {
    "server": "http server",
    "title": "QNAP Turbo NAS",
    "console": "QNAP QTS",
    "console_kind": "nas",
    "console_version": "4.5.1",
    "login_form": True,
}


def demo_assets() -> tuple[Asset, ...]:
    box = Asset(
        "127.42.0.1",
        "box",
        "router",
        (
            Service(
                "127.42.0.1",
                80,
                name="http",
                product="Livebox",
                observations=(
                    HttpObservation(
                        status=200,
                        title="Livebox - Accueil",
                        www_authenticate='Basic realm="Livebox"',
                        console="Livebox",
                        console_kind="router",
                        login_form=True,
                        password_over_cleartext=True,
                        default_credentials=("admin",),
                    ),
                ),
            ),
            Service(
                "127.42.0.1",
                23,
                name="telnet",
                banner="Livebox login: ",
                observations=(
                    TelnetObservation(
                        banner="Livebox login: ", login_prompt=True, negotiation=True
                    ),
                ),
            ),
        ),
    )
    accueil = Asset(
        "127.42.0.10",
        "accueil",
        "workstation",
        (
            Service(
                "127.42.0.10",
                3389,
                name="rdp",
                observations=(RdpObservation(protocols=("rdp", "ssl"), nla_required=False),),
            ),
            Service(
                "127.42.0.10",
                445,
                name="smb",
                observations=(
                    SmbObservation(
                        dialects=("NT LM 0.12", "2.0.2", "2.1", "3.0", "3.0.2", "3.1.1"),
                        smb1=True,
                        signing_required=False,
                        signing_enabled=True,
                    ),
                ),
            ),
        ),
    )
    fauteuil = Asset(
        "127.42.0.11",
        "fauteuil-1",
        "workstation",
        (
            Service(
                "127.42.0.11",
                3389,
                name="rdp",
                observations=(
                    RdpObservation(protocols=("hybrid",), nla_required=True, failure_codes=(5,)),
                ),
            ),
            Service(
                "127.42.0.11",
                445,
                name="smb",
                observations=(
                    SmbObservation(
                        dialects=("3.0", "3.0.2", "3.1.1"),
                        signing_required=True,
                        signing_enabled=True,
                    ),
                ),
            ),
        ),
    )
    serveur = Asset(
        "127.42.0.20",
        "serveur",
        "server",
        (
            Service(
                "127.42.0.20",
                1433,
                name="mssql",
                product="Microsoft SQL Server",
                version="11.0.7001",
                cpe="cpe:/a:microsoft:sql_server:2012",
                observations=(DatabaseObservation(engine="mssql", version="11.0.7001"),),
            ),
            Service(
                "127.42.0.20",
                445,
                name="smb",
                observations=(
                    SmbObservation(
                        dialects=("2.0.2", "2.1", "3.0", "3.0.2", "3.1.1"),
                        signing_required=False,
                        signing_enabled=True,
                    ),
                ),
            ),
            Service(
                "127.42.0.20",
                5985,
                name="winrm",
                product="Microsoft HTTPAPI httpd",
                version="2.0",
                observations=(
                    HttpObservation(
                        status=404, server="Microsoft-HTTPAPI/2.0", www_authenticate="Negotiate"
                    ),
                    RemoteAccessObservation(tool="winrm", encrypted=False),
                ),
            ),
        ),
    )
    nas = Asset(
        "127.42.0.30",
        "nas",
        "nas",
        (
            Service(
                "127.42.0.30",
                8080,
                name="http",
                product="QNAP QTS",
                version="4.5.1",
                observations=(HttpObservation(status=200, password_over_cleartext=True, **_QNAP),),
            ),
            Service(
                "127.42.0.30",
                443,
                name="https",
                product="QNAP QTS",
                version="4.5.1",
                observations=(
                    HttpObservation(tls=True, status=200, **_QNAP),
                    TlsObservation(
                        versions=("TLSv1.0", "TLSv1.1", "TLSv1.2"),
                        subject="CN=nas.cabinet.lan",
                        issuer="CN=nas.cabinet.lan",
                        not_before="2026-01-01T00:00:00+00:00",
                        not_after="2036-01-01T00:00:00+00:00",
                        self_signed=True,
                    ),
                ),
            ),
            Service(
                "127.42.0.30",
                21,
                name="ftp",
                banner="220 NAS FTP server ready.",
                observations=(
                    FtpObservation(banner="220 NAS FTP server ready.", anonymous_login=True),
                ),
            ),
            Service(
                "127.42.0.30",
                22,
                name="ssh",
                product="OpenSSH",
                version="7.4",
                banner="SSH-2.0-OpenSSH_7.4",
                observations=(
                    SshObservation(
                        banner="SSH-2.0-OpenSSH_7.4",
                        protocol_version="2.0",
                        software="OpenSSH_7.4",
                        kex_algorithms=("curve25519-sha256", "diffie-hellman-group1-sha1"),
                        host_key_algorithms=("ssh-rsa", "ssh-ed25519"),
                        ciphers=("aes128-ctr", "3des-cbc", "arcfour"),
                        macs=("hmac-sha2-256", "hmac-md5"),
                    ),
                ),
            ),
        ),
    )
    radio = Asset(
        "127.42.0.40",
        "radio",
        "imaging",
        (
            Service(
                "127.42.0.40",
                104,
                name="dicom",
                observations=(
                    DicomObservation(
                        calling_ae="REMPART",
                        called_ae="NOSUCHAE",
                        association_accepted=True,
                        echo_status=0,
                    ),
                ),
            ),
            Service(
                "127.42.0.40",
                5900,
                name="vnc",
                observations=(
                    VncObservation(rfb_version="003.008", security_types=(1,), no_auth=True),
                ),
            ),
            Service(
                "127.42.0.40",
                5938,
                name="teamviewer",
                product="TeamViewer",
                observations=(RemoteAccessObservation(tool="teamviewer"),),
            ),
        ),
    )
    imprimante = Asset(
        "127.42.0.50",
        "imprimante",
        "printer",
        (
            Service(
                "127.42.0.50",
                80,
                name="http",
                product="HP LaserJet Pro M404dn",
                observations=(
                    HttpObservation(
                        status=200,
                        title="HP LaserJet Pro M404dn",
                        server="HP HTTP Server",
                        console="HP Embedded Web Server",
                        console_kind="printer",
                    ),
                ),
            ),
            Service(
                "127.42.0.50",
                161,
                transport="udp",
                name="snmp",
                observations=(
                    SnmpObservation(
                        communities=("public",),
                        sysdescr="HP ETHERNET MULTI-ENVIRONMENT,JETDIRECT",
                    ),
                ),
            ),
        ),
    )
    return (box, accueil, fauteuil, serveur, nas, radio, imprimante)


def demo_audit(findings: tuple = ()) -> Audit:  # type: ignore[type-arg]
    return Audit(
        id="demo-0001",
        started_at=datetime(2026, 11, 28, 11, 58, tzinfo=UTC),
        finished_at=NOW,
        targets=("127.42.0.0/24",),
        ports="default",
        authorized=False,
        assets=demo_assets(),
        findings=findings,
        notes=("SNMP: only communities public and private were tried.",),
        rempart_version="0.1.0",
    )

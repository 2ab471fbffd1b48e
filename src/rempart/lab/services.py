"""Which fake answers each service of :mod:`rempart.lab.practice`, and how it is served."""

from __future__ import annotations

import ssl
import uuid
from dataclasses import dataclass

from rempart.lab.fakes import ftp, rdp, smb, ssh, tds, teamviewer, telnet, vnc
from rempart.lab.fakes.common import Handler
from rempart.lab.fakes.http import http_handler
from rempart.lab.fakes.ntlm import WINDOWS_7_SP1, WINDOWS_11_25H2, WINDOWS_SERVER_2016
from rempart.lab.fakes.sites import (
    BOX_SERVER,
    HP_SERVER,
    QNAP_SERVER,
    WINRM_SERVER,
    box_site,
    printer_site,
    qnap_site,
    winrm_site,
)
from rempart.lab.fakes.tls import server_context

ALL_SMB2 = (smb.SMB2_0_2, smb.SMB2_1, smb.SMB3_0, smb.SMB3_0_2, smb.SMB3_1_1)


def _guid(name: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_DNS, f"{name}.cabinet-des-vignes.lab")


SMB_PROFILES = {
    # Windows 7 speaks SMB1, 2.0.2 and 2.1 only.
    "smb-accueil": smb.SmbProfile(
        "ACCUEIL", (smb.SMB2_0_2, smb.SMB2_1), True, False, WINDOWS_7_SP1, _guid("accueil")
    ),
    "smb-fauteuil": smb.SmbProfile(
        "FAUTEUIL-1",
        (smb.SMB3_0, smb.SMB3_0_2, smb.SMB3_1_1),
        False,
        True,
        WINDOWS_11_25H2,
        _guid("fauteuil-1"),
    ),
    "smb-serveur": smb.SmbProfile(
        "SERVEUR", ALL_SMB2, False, False, WINDOWS_SERVER_2016, _guid("serveur")
    ),
}


@dataclass(frozen=True)
class TcpFake:
    handler: Handler
    tls: ssl.SSLContext | None = None


def tcp_fakes() -> dict[str, TcpFake]:
    """Handlers by service key (DICOM and SNMP are served apart: own threads / UDP)."""
    nas_tls = server_context("NAS-CABINET", "QNAP Systems, Inc.")
    fakes = {
        "http-box": TcpFake(http_handler(box_site, BOX_SERVER)),
        "telnet-box": TcpFake(telnet.handle),
        "rdp-no-nla": TcpFake(
            rdp.make_handler(
                False, server_context("ACCUEIL", legacy=False), "ACCUEIL", WINDOWS_7_SP1
            )
        ),
        "rdp-nla": TcpFake(
            rdp.make_handler(True, server_context("FAUTEUIL-1", legacy=False), "FAUTEUIL-1")
        ),
        "mssql": TcpFake(tds.handle),
        "winrm": TcpFake(http_handler(winrm_site, WINRM_SERVER, httpapi=True)),
        "http-qnap": TcpFake(http_handler(qnap_site, QNAP_SERVER)),
        "https-qnap": TcpFake(http_handler(qnap_site, QNAP_SERVER), tls=nas_tls),
        "ftp": TcpFake(ftp.handle),
        "ssh": TcpFake(ssh.handle),
        "vnc": TcpFake(vnc.handle),
        "teamviewer": TcpFake(teamviewer.handle),
        "http-printer": TcpFake(http_handler(printer_site, HP_SERVER)),
    }
    for key, profile in SMB_PROFILES.items():
        fakes[key] = TcpFake(smb.make_handler(profile))
    return fakes

"""FTP: anonymous login accepted.

An FTP service that accepts anonymous login gets this finding only, not also
NET-CLEARTEXT-LOGIN: the fix (turn FTP off, or at least anonymous access) is the same
person's same action. See docs/checks.md, "One finding per hole".
"""

from __future__ import annotations

from rempart.checks import refs
from rempart.checks.base import CheckContext, CheckMeta, Hit, Text, Who, check
from rempart.core.model import Evidence, Service, Severity
from rempart.core.observations import FtpObservation


@check(
    CheckMeta(
        id="NET-FTP-ANONYMOUS",
        severity=Severity.HIGH,
        title=Text(
            fr="Serveur FTP ouvert sans mot de passe (accès anonyme)",
            en="FTP server open without a password (anonymous access)",
        ),
        risk=Text(
            fr="N'importe qui sur le réseau peut lire, et parfois déposer ou effacer, des fichiers "
            "sur cet appareil sans mot de passe. Un rançongiciel ou un visiteur sur le Wi-Fi peut "
            "ainsi atteindre des documents du cabinet, voire des sauvegardes.",
            en="Anyone on the network can read, and sometimes drop or delete, files on this "
            "device without a password. Ransomware or a visitor on the Wi-Fi can thus reach "
            "practice documents, even backups.",
        ),
        remediation=Text(
            fr="Dans l'interface d'administration de l'appareil (NAS QNAP : Panneau de "
            "configuration → Services réseau et fichiers → FTP ; Synology : Panneau de "
            "configuration → Services de fichiers → FTP) : désactivez le service FTP s'il ne "
            "sert pas, sinon décochez l'accès anonyme et imposez FTPS (FTP chiffré par SSL/TLS).",
            en="In the device's admin interface (QNAP NAS: Control Panel → Network & File "
            "Services → FTP; Synology: Control Panel → File Services → FTP): turn the FTP service "
            "off if it is not used, otherwise untick anonymous access and require FTPS (FTP "
            "encrypted with SSL/TLS).",
        ),
        who=(Who.IT_PROVIDER,),
        references=(refs.ANSSI_10, refs.ANSSI_21, refs.ANS_ACCES),
        rationale="high: practice files readable (sometimes writable) without any password.",
        categories=("file-sharing", "authentication"),
    )
)
def ftp_anonymous(service: Service, ctx: CheckContext) -> Hit:
    obs = service.observation(FtpObservation)
    if not isinstance(obs, FtpObservation) or obs.anonymous_login is not True:
        return None
    evidence = [Evidence("anonymous login", "accepted")]
    if obs.banner:
        evidence.append(Evidence("greeting", obs.banner))
    return tuple(evidence)

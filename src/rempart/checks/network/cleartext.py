"""Clear-text logins: a password asked for over HTTP without TLS, or FTP without TLS.

Not raised for Telnet (NET-TELNET covers it) nor for an FTP server that accepts anonymous
login (NET-FTP-ANONYMOUS covers it): one finding per hole.
"""

from __future__ import annotations

from rempart.checks import refs
from rempart.checks.base import CheckContext, CheckMeta, Hit, Text, Who, check
from rempart.core.model import Evidence, Service, Severity
from rempart.core.observations import FtpObservation, HttpObservation


@check(
    CheckMeta(
        id="NET-CLEARTEXT-LOGIN",
        severity=Severity.MEDIUM,
        title=Text(
            fr="Mot de passe demandé sur une connexion non chiffrée",
            en="Password requested over an unencrypted connection",
        ),
        risk=Text(
            fr="Le mot de passe saisi sur cette page ou ce service circule en clair sur le réseau. "
            "Tout appareil compromis du cabinet, ou une personne connectée au Wi-Fi, peut le "
            "lire au passage et s'en servir.",
            en="The password typed on this page or service travels in clear over the network. "
            "Any compromised device in the practice, or someone on the Wi-Fi, can read it on "
            "the way and reuse it.",
        ),
        remediation=Text(
            fr="Utilisez l'adresse en https:// si l'appareil la propose, et demandez au "
            "prestataire informatique d'activer HTTPS (ou FTPS) puis de désactiver l'accès non "
            "chiffré. Changez ensuite le mot de passe, qui a pu être lu.",
            en="Use the https:// address if the device offers one, and ask the IT provider to "
            "enable HTTPS (or FTPS) and then turn the unencrypted access off. Then change the "
            "password, which may have been read.",
        ),
        who=(Who.IT_PROVIDER,),
        references=(refs.ANSSI_21, refs.ANS_ACCES),
        rationale="medium: needs someone on the LAN or Wi-Fi to capture the password.",
        categories=("cleartext", "authentication"),
    )
)
def cleartext_login(service: Service, ctx: CheckContext) -> Hit:
    http = service.observation(HttpObservation)
    if isinstance(http, HttpObservation) and not http.tls and http.password_over_cleartext:
        evidence = [Evidence("protocol", "HTTP without TLS")]
        if http.login_form:
            evidence.append(Evidence("login form", "yes"))
        if http.www_authenticate:
            evidence.append(Evidence("authentication challenge", http.www_authenticate))
        if http.title:
            evidence.append(Evidence("page title", http.title))
        return tuple(evidence)
    ftp = service.observation(FtpObservation)
    no_tls = isinstance(ftp, FtpObservation) and ftp.auth_tls is False
    if no_tls and isinstance(ftp, FtpObservation) and ftp.anonymous_login is not True:
        return (
            Evidence("protocol", "FTP without AUTH TLS"),
            Evidence("greeting", ftp.banner or "-"),
        )
    return None

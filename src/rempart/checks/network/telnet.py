"""Telnet: a remote console that sends everything, passwords included, in clear.

A Telnet service gets this finding only, not also NET-CLEARTEXT-LOGIN: Telnet *is* a
clear-text login, and the fix is to turn it off.
"""

from __future__ import annotations

from rempart.checks import refs
from rempart.checks.base import CheckContext, CheckMeta, Hit, Text, Who, check
from rempart.core.model import Evidence, Service, Severity
from rempart.core.observations import TelnetObservation


@check(
    CheckMeta(
        id="NET-TELNET",
        severity=Severity.HIGH,
        title=Text(
            fr="Console Telnet ouverte (mots de passe envoyés en clair)",
            en="Telnet console open (passwords sent in clear)",
        ),
        risk=Text(
            fr="Telnet donne une console d'administration et transmet tout, mot de passe compris, "
            "sans chiffrement. Sur les box et routeurs, il est souvent protégé par un mot de "
            "passe d'usine et sert aux logiciels malveillants (type Mirai) pour prendre le "
            "contrôle de l'appareil.",
            en="Telnet gives an administration console and sends everything, password included, "
            "without encryption. On boxes and routers it is often protected by a factory "
            "password and used by malware (Mirai-like) to take over the device.",
        ),
        remediation=Text(
            fr="Dans l'interface d'administration de l'appareil (box, routeur, NAS), désactivez "
            "Telnet. Si l'option n'existe pas, contactez le fournisseur d'accès ou le prestataire "
            "informatique pour qu'il le coupe ou remplace l'appareil.",
            en="In the device's admin interface (box, router, NAS), turn Telnet off. If there is "
            "no such option, contact the Internet provider or the IT provider to have it turned "
            "off or the device replaced.",
        ),
        who=(Who.IT_PROVIDER, Who.DENTIST),
        references=(refs.ANSSI_21, refs.ANSSI_12, refs.ANS_EQUIPEMENTS),
        rationale="high: clear-text administration console, often with factory passwords (Mirai).",
        categories=("legacy-protocol", "cleartext", "administration"),
    )
)
def telnet(service: Service, ctx: CheckContext) -> Hit:
    obs = service.observation(TelnetObservation)
    if not isinstance(obs, TelnetObservation):
        return None
    evidence = [Evidence("service", "Telnet answered")]
    if obs.login_prompt:
        evidence.append(Evidence("login prompt", "yes"))
    if obs.banner:
        evidence.append(Evidence("banner", obs.banner))
    return tuple(evidence)

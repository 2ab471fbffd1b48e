"""Web admin pages: NAS or router consoles on the LAN, and default credentials accepted."""

from __future__ import annotations

from rempart.checks import refs
from rempart.checks.base import CheckContext, CheckMeta, Hit, Reference, Text, Who, check
from rempart.core.model import Evidence, Service, Severity
from rempart.core.observations import HttpObservation

ADMIN_CONSOLE_KINDS = frozenset({"nas", "router"})


@check(
    CheckMeta(
        id="NET-ADMIN-CONSOLE",
        severity=Severity.LOW,
        title=Text(
            fr="Page d'administration d'un NAS ou d'une box accessible sur le réseau",
            en="NAS or router admin page reachable on the network",
        ),
        risk=Text(
            fr="La page qui commande le NAS (où sont souvent les sauvegardes) ou la box est "
            "ouverte à tous les appareils du réseau. Les rançongiciels Qlocker et DeadBolt ont "
            "chiffré des milliers de NAS par ces pages ; si elle est aussi ouverte vers Internet "
            "(redirection de port, UPnP), le risque est immédiat.",
            en="The page that controls the NAS (where backups often live) or the box is open to "
            "every device on the network. Qlocker and DeadBolt ransomware encrypted thousands "
            "of NAS through these pages; if it is also open to the Internet (port forwarding, "
            "UPnP), the risk is immediate.",
        ),
        remediation=Text(
            fr="Dans l'interface d'administration de la box, vérifiez qu'aucune redirection de "
            "port ne mène à cet appareil et désactivez l'UPnP. Sur le NAS, activez la mise à jour "
            "automatique du système et, si possible, limitez l'accès à la page d'administration "
            "aux ordinateurs du prestataire informatique.",
            en="In the box's admin interface, check that no port forwarding leads to this device "
            "and turn UPnP off. On the NAS, turn on automatic system updates and, if possible, "
            "restrict the admin page to the IT provider's computers.",
        ),
        who=(Who.IT_PROVIDER, Who.DENTIST),
        references=(
            refs.ANSSI_28,
            refs.ANSSI_34,
            refs.ANS_EQUIPEMENTS,
            Reference(
                "cybermalveillance.gouv.fr : les rançongiciels",
                "https://www.cybermalveillance.gouv.fr/tous-nos-contenus/fiches-reflexes/"
                "rancongiciels-ransomwares",
            ),
        ),
        rationale=(
            "low: an admin page on the LAN is normal for a box or NAS; it becomes serious with "
            "default credentials or Internet exposure, which have their own findings."
        ),
        categories=("administration", "exposure"),
    )
)
def admin_console(service: Service, ctx: CheckContext) -> Hit:
    obs = service.observation(HttpObservation)
    if not isinstance(obs, HttpObservation) or obs.console_kind not in ADMIN_CONSOLE_KINDS:
        return None
    evidence = [Evidence("console", f"{obs.console or obs.console_kind} ({obs.console_kind})")]
    if obs.console_version:
        evidence.append(Evidence("version", obs.console_version))
    if obs.console_model:
        evidence.append(Evidence("model", obs.console_model))
    if obs.title:
        evidence.append(Evidence("page title", obs.title))
    return tuple(evidence)


@check(
    CheckMeta(
        id="NET-DEFAULT-CREDENTIALS",
        severity=Severity.CRITICAL,
        title=Text(
            fr="Mot de passe d'usine toujours valable",
            en="Factory password still works",
        ),
        risk=Text(
            fr="L'appareil accepte l'identifiant et le mot de passe d'usine, publiés dans sa "
            "documentation. N'importe qui, ou n'importe quel logiciel malveillant, peut en "
            "prendre le contrôle complet en quelques secondes.",
            en="The device accepts the factory user name and password published in its manual. "
            "Anyone, or any malware, can take full control of it within seconds.",
        ),
        remediation=Text(
            fr="Connectez-vous à l'interface d'administration de l'appareil et changez tout de "
            "suite le mot de passe pour une phrase de passe longue et unique ; notez-la dans le "
            "coffre-fort de mots de passe du cabinet. Si le compte « admin » peut être désactivé "
            "au profit d'un compte nominatif, faites-le.",
            en="Log in to the device's admin interface and change the password now to a long, "
            "unique passphrase; write it down in the practice's password manager. If the "
            '"admin" account can be disabled in favour of a named account, do it.',
        ),
        who=(Who.DENTIST, Who.IT_PROVIDER),
        references=(refs.ANSSI_12, refs.ANSSI_10, refs.ANS_ACCES, refs.CYBER_MOTS_DE_PASSE),
        rationale="critical: full control for anyone who reads the manual.",
        categories=("credentials", "administration"),
    )
)
def default_credentials(service: Service, ctx: CheckContext) -> Hit:
    obs = service.observation(HttpObservation)
    if not isinstance(obs, HttpObservation) or not obs.default_credentials:
        return None  # None: not tried; (): tried and refused
    accounts = ", ".join(obs.default_credentials)
    evidence = [Evidence("accounts accepting the factory password", accounts)]
    if obs.console:
        evidence.append(Evidence("console", obs.console))
    return tuple(evidence)

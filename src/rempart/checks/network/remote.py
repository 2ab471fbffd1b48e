"""Remote-support tools (TeamViewer, AnyDesk, VNC with a password…) and WinRM.

WinRM has its own check (it is Windows' administration channel, not a support tool).
A VNC server without a password gets NET-VNC-NO-AUTH instead of this one.
"""

from __future__ import annotations

from rempart.checks import refs
from rempart.checks.base import CheckContext, CheckMeta, Hit, Reference, Text, Who, check
from rempart.checks.network.vnc import vnc_without_password
from rempart.core.model import Evidence, Service, Severity
from rempart.core.observations import RemoteAccessObservation, VncObservation

WINRM = "winrm"


@check(
    CheckMeta(
        id="NET-REMOTE-ACCESS",
        severity=Severity.MEDIUM,
        title=Text(
            fr="Logiciel de prise en main à distance en écoute",
            en="Remote-control software listening",
        ),
        risk=Text(
            fr="Un outil de prise en main à distance (TeamViewer, AnyDesk, VNC…) est installé et "
            "joignable. Souvent laissé par un éditeur ou un fournisseur de matériel, c'est une "
            "entrée classique des rançongiciels quand son mot de passe est faible, volé ou "
            "jamais changé.",
            en="A remote-control tool (TeamViewer, AnyDesk, VNC…) is installed and reachable. "
            "Often left behind by a software vendor or equipment supplier, it is a classic "
            "ransomware way in when its password is weak, stolen or never changed.",
        ),
        remediation=Text(
            fr="Demandez qui utilise cet outil et pourquoi. S'il ne sert plus, désinstallez-le "
            "(Paramètres Windows → Applications). Sinon, faites-le démarrer seulement à la "
            "demande, activez la double authentification et la liste des comptes autorisés, et "
            "tenez-le à jour.",
            en="Find out who uses this tool and why. If it is no longer used, uninstall it "
            "(Windows Settings → Apps). Otherwise make it start only on demand, turn on two-factor "
            "authentication and the allow-list of accounts, and keep it up to date.",
        ),
        who=(Who.DENTIST, Who.SOFTWARE_VENDOR, Who.IT_PROVIDER),
        references=(refs.ANSSI_3, refs.ANSSI_13, refs.ANS_ACCES),
        rationale=(
            "medium: a classic ransomware entry when its password is weak or stolen; protected by"
            " the tool's own authentication."
        ),
        categories=("remote-access", "third-party"),
    )
)
def remote_access(service: Service, ctx: CheckContext) -> Hit:
    obs = service.observation(RemoteAccessObservation)
    if isinstance(obs, RemoteAccessObservation) and obs.tool and obs.tool != WINRM:
        evidence = [Evidence("tool", obs.tool)]
        if obs.version:
            evidence.append(Evidence("version", obs.version))
        if obs.detail:
            evidence.append(Evidence("detail", obs.detail))
        return tuple(evidence)
    vnc = service.observation(VncObservation)
    if isinstance(vnc, VncObservation) and vnc.security_types and not vnc_without_password(vnc):
        return (
            Evidence("tool", "vnc"),
            Evidence("security types offered", ", ".join(str(t) for t in vnc.security_types)),
        )
    return None


@check(
    CheckMeta(
        id="NET-WINRM",
        severity=Severity.LOW,
        title=Text(
            fr="Administration à distance de Windows (WinRM) ouverte",
            en="Windows remote administration (WinRM) open",
        ),
        risk=Text(
            fr="WinRM permet de lancer des commandes sur cet ordinateur à distance. Avec un mot de "
            "passe d'administrateur volé, un attaquant s'en sert pour se propager et déployer un "
            "rançongiciel sur tout le réseau.",
            en="WinRM lets commands be run on this computer remotely. With a stolen administrator "
            "password, an attacker uses it to spread and deploy ransomware across the network.",
        ),
        remediation=Text(
            fr="Si personne n'administre ce serveur par PowerShell à distance, le prestataire "
            "informatique désactive le service « Gestion à distance de Windows (Gestion WSM) ». "
            "Sinon, il limite les ports 5985/5986 dans le pare-feu à son seul poste "
            "d'administration.",
            en="If nobody administers this server through remote PowerShell, the IT provider "
            'disables the "Windows Remote Management (WS-Management)" service. Otherwise they '
            "restrict ports 5985/5986 in the firewall to their own admin workstation.",
        ),
        who=(Who.IT_PROVIDER,),
        references=(
            refs.ANSSI_28,
            refs.ANSSI_17,
            Reference(
                "Microsoft : installation et configuration de WinRM",
                "https://learn.microsoft.com/windows/win32/winrm/"
                "installation-and-configuration-for-windows-remote-management",
            ),
        ),
        rationale=(
            "low: default on Windows Server and needs administrator credentials; an amplifier for"
            " lateral movement rather than an entry."
        ),
        categories=("remote-access", "administration", "lateral-movement"),
    )
)
def winrm(service: Service, ctx: CheckContext) -> Hit:
    obs = service.observation(RemoteAccessObservation)
    if not isinstance(obs, RemoteAccessObservation) or obs.tool != WINRM:
        return None
    transport = {True: "HTTPS", False: "HTTP", None: "unknown"}[obs.encrypted]
    evidence = [Evidence("tool", "WinRM"), Evidence("transport", transport)]
    if obs.detail:
        evidence.append(Evidence("detail", obs.detail))
    return tuple(evidence)

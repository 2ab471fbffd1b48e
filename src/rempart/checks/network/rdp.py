"""Remote Desktop (RDP): reachable from the LAN, and without Network Level Authentication.

Both can fire on one port: they are two holes with two different fixes (limit who can
reach the port; tick the NLA box).
"""

from __future__ import annotations

from rempart.checks import refs
from rempart.checks.base import CheckContext, CheckMeta, Hit, Reference, Text, Who, check
from rempart.core.model import Evidence, Service, Severity
from rempart.core.observations import (
    RDP_PROTOCOL_RDP,
    RDP_PROTOCOL_SSL,
    RdpObservation,
)


@check(
    CheckMeta(
        id="NET-RDP-EXPOSED",
        severity=Severity.MEDIUM,
        title=Text(
            fr="Bureau à distance (RDP) ouvert à tout le réseau",
            en="Remote Desktop (RDP) open to the whole network",
        ),
        risk=Text(
            fr="Le Bureau à distance est la première porte d'entrée des rançongiciels. Ouvert à "
            "tout le réseau, il permet à un poste déjà infecté (ou à un appareil Wi-Fi) d'essayer "
            "des mots de passe sur cet ordinateur et d'en prendre le contrôle.",
            en="Remote Desktop is ransomware's first way in. Open to the whole network, it lets an "
            "already infected computer (or any Wi-Fi device) try passwords on this machine and "
            "take control of it.",
        ),
        remediation=Text(
            fr="Si personne ne se connecte à cet ordinateur à distance : Paramètres Windows → "
            "Système → Bureau à distance → désactivez-le. Sinon, demandez au prestataire "
            "informatique de limiter le port 3389 dans le pare-feu Windows aux seuls ordinateurs "
            "qui en ont besoin, et de ne jamais l'ouvrir vers Internet sur la box.",
            en="If nobody connects to this computer remotely: Windows Settings → System → "
            "Remote Desktop → turn it off. Otherwise ask the IT provider to restrict port 3389 "
            "in Windows Firewall to the computers that need it, and never to open it to the "
            "Internet on the box.",
        ),
        who=(Who.IT_PROVIDER, Who.ASSISTANT),
        references=(refs.ANSSI_17, refs.ANSSI_19, refs.ANSSI_28, refs.ANS_ACCES),
        rationale=(
            "medium: RDP is ransomware's main way in, but on the LAN it still needs a password; "
            "high if it were reachable from the Internet (not judged here)."
        ),
        categories=("remote-access", "exposure"),
    )
)
def rdp_exposed(service: Service, ctx: CheckContext) -> Hit:
    obs = service.observation(RdpObservation)
    if not isinstance(obs, RdpObservation):
        return None
    return (
        Evidence("service", "RDP answered the connection request"),
        Evidence("security protocols", ", ".join(obs.protocols) or "not learnt"),
    )


@check(
    CheckMeta(
        id="NET-RDP-NO-NLA",
        severity=Severity.HIGH,
        title=Text(
            fr="Bureau à distance sans authentification préalable (NLA)",
            en="Remote Desktop without Network Level Authentication (NLA)",
        ),
        risk=Text(
            fr="Sans NLA, n'importe qui sur le réseau obtient l'écran de connexion de Windows sans "
            "donner de mot de passe, ce qui expose l'ordinateur à des failles exploitables à "
            "distance comme BlueKeep et facilite les essais de mots de passe.",
            en="Without NLA, anyone on the network gets the Windows logon screen without giving a "
            "password, which exposes the computer to remotely exploitable flaws such as BlueKeep "
            "and makes password guessing easier.",
        ),
        remediation=Text(
            fr="Sur l'ordinateur concerné : Paramètres Windows → Système → Bureau à distance → "
            "Paramètres avancés → cochez « Exiger des ordinateurs qu'ils utilisent "
            "l'authentification au niveau du réseau (NLA) pour se connecter ». Faites ensuite "
            "installer les mises à jour Windows en attente.",
            en="On the computer concerned: Windows Settings → System → Remote Desktop → Advanced "
            'settings → tick "Require computers to use Network Level Authentication (NLA) to '
            'connect". Then have pending Windows updates installed.',
        ),
        who=(Who.IT_PROVIDER, Who.ASSISTANT),
        references=(
            refs.ANSSI_13,
            refs.ANSSI_34,
            refs.ANS_ACCES,
            Reference(
                "Microsoft : CVE-2019-0708 (BlueKeep), la NLA comme atténuation",
                "https://msrc.microsoft.com/update-guide/vulnerability/CVE-2019-0708",
            ),
        ),
        rationale=(
            "high: pre-authentication attack surface (BlueKeep class) and easier password guessing."
        ),
        categories=("remote-access", "authentication"),
    )
)
def rdp_no_nla(service: Service, ctx: CheckContext) -> Hit:
    obs = service.observation(RdpObservation)
    if not isinstance(obs, RdpObservation) or obs.nla_required:
        return None
    weak = [p for p in obs.protocols if p in (RDP_PROTOCOL_RDP, RDP_PROTOCOL_SSL)]
    if not weak:
        return None  # nothing accepted without CredSSP was seen: do not guess
    return (
        Evidence("accepted without NLA", ", ".join(weak)),
        Evidence("NLA required", "no"),
    )

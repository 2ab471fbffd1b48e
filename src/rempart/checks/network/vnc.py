"""VNC: screen sharing that asks for no password.

A VNC server that asks for no password gets this finding only; one with a password gets
NET-REMOTE-ACCESS (see remote.py).
"""

from __future__ import annotations

from rempart.checks import refs
from rempart.checks.base import CheckContext, CheckMeta, Hit, Text, Who, check
from rempart.core.model import Evidence, Service, Severity
from rempart.core.observations import VncObservation

VNC_SECURITY_NONE = 1


def vnc_without_password(obs: VncObservation) -> bool:
    """The server offers security type None (1): a client may connect without a password."""
    return obs.no_auth or VNC_SECURITY_NONE in obs.security_types


@check(
    CheckMeta(
        id="NET-VNC-NO-AUTH",
        severity=Severity.CRITICAL,
        title=Text(
            fr="Prise en main à distance (VNC) sans mot de passe",
            en="Remote control (VNC) without a password",
        ),
        risk=Text(
            fr="N'importe qui sur le réseau peut voir l'écran de cet ordinateur et en prendre les "
            "commandes, sans mot de passe : lire les dossiers patients affichés, installer un "
            "rançongiciel, ou se servir de cet ordinateur pour atteindre les autres.",
            en="Anyone on the network can see this computer's screen and take control of it "
            "without a password: read patient records on screen, install ransomware, or use this "
            "computer to reach the others.",
        ),
        remediation=Text(
            fr="Sur cet ordinateur, ouvrez les réglages du logiciel VNC (icône près de l'horloge) "
            "et imposez un mot de passe long, ou désinstallez-le s'il ne sert pas. S'il a été "
            "installé par le fournisseur du matériel de radiologie, demandez-lui de le sécuriser.",
            en="On this computer, open the VNC software's settings (icon near the clock) and set "
            "a long password, or uninstall it if it is not used. If the imaging equipment's "
            "supplier installed it, ask them to secure it.",
        ),
        who=(Who.IT_PROVIDER, Who.SOFTWARE_VENDOR),
        references=(refs.ANSSI_12, refs.ANSSI_13, refs.ANSSI_3, refs.ANS_ACCES),
        rationale="critical: full remote control of a computer without any password.",
        categories=("remote-access", "authentication"),
    )
)
def vnc_no_auth(service: Service, ctx: CheckContext) -> Hit:
    obs = service.observation(VncObservation)
    if not isinstance(obs, VncObservation) or not vnc_without_password(obs):
        return None
    return (
        Evidence("protocol", obs.rfb_version or "RFB"),
        Evidence("security types offered", ", ".join(str(t) for t in obs.security_types) or "1"),
    )

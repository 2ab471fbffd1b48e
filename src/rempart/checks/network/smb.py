"""SMB (Windows file sharing): SMBv1 still accepted, signing not required."""

from __future__ import annotations

from rempart.checks import refs
from rempart.checks.base import CheckContext, CheckMeta, Hit, Reference, Text, Who, check
from rempart.core.model import Evidence, Service, Severity
from rempart.core.observations import SmbObservation

SMB1_DIALECT = "NT LM 0.12"


@check(
    CheckMeta(
        id="NET-SMB-V1",
        severity=Severity.HIGH,
        title=Text(
            fr="Partage de fichiers Windows en SMBv1, une version abandonnée",
            en="Windows file sharing still accepts SMBv1, an abandoned version",
        ),
        risk=Text(
            fr="SMBv1 est le protocole par lequel WannaCry et NotPetya se sont propagés d'un "
            "ordinateur à l'autre en 2017, sans mot de passe. Un seul poste infecté peut "
            "chiffrer tous ceux qui l'acceptent encore.",
            en="SMBv1 is how WannaCry and NotPetya spread from computer to computer in 2017, "
            "without any password. One infected computer can encrypt every machine that "
            "still accepts it.",
        ),
        remediation=Text(
            fr="Sur l'ordinateur concerné : menu Démarrer → tapez « Activer ou désactiver des "
            "fonctionnalités Windows » → décochez « Support de partage de fichiers SMB 1.0/CIFS » "
            "→ OK, puis redémarrez. Si un vieil appareil (scanner, NAS) ne fonctionne plus "
            "ensuite, demandez au prestataire informatique de le mettre à jour ou de le remplacer "
            "plutôt que de réactiver SMBv1.",
            en='On the computer concerned: Start menu → type "Turn Windows features on or off" '
            '→ untick "SMB 1.0/CIFS File Sharing Support" → OK, then restart. If an old device '
            "(scanner, NAS) stops working afterwards, ask the IT provider to update or replace "
            "it rather than turning SMBv1 back on.",
        ),
        who=(Who.IT_PROVIDER, Who.ASSISTANT),
        references=(
            refs.ANSSI_21,
            refs.ANSSI_34,
            refs.ANS_EQUIPEMENTS,
            Reference(
                "Microsoft : détecter, activer et désactiver SMBv1, SMBv2 et SMBv3",
                "https://learn.microsoft.com/windows-server/storage/file-server/troubleshoot/"
                "detect-enable-and-disable-smbv1-v2-v3",
            ),
        ),
        rationale=(
            "high: the protocol WannaCry spread through, exploitable without credentials "
            "on a host missing its updates (EternalBlue); not critical because an updated "
            "host resists the known exploits."
        ),
        categories=("file-sharing", "legacy-protocol", "lateral-movement"),
    )
)
def smb_v1(service: Service, ctx: CheckContext) -> Hit:
    obs = service.observation(SmbObservation)
    if not isinstance(obs, SmbObservation):
        return None
    if not (obs.smb1 or SMB1_DIALECT in obs.dialects):
        return None
    return (Evidence("dialects accepted", ", ".join(obs.dialects) or SMB1_DIALECT),)


@check(
    CheckMeta(
        id="NET-SMB-SIGNING-OFF",
        severity=Severity.MEDIUM,
        title=Text(
            fr="Partage de fichiers Windows sans signature obligatoire",
            en="Windows file sharing does not require signing",
        ),
        risk=Text(
            fr="Sans signature SMB obligatoire, un attaquant présent sur le réseau du cabinet peut "
            "se placer entre un poste et ce partage pour relayer une connexion et agir avec les "
            "droits de l'utilisateur (attaque par relais NTLM), par exemple pour déposer ou "
            "chiffrer des fichiers.",
            en="Without mandatory SMB signing, an attacker on the practice network can sit "
            "between a computer and this share and relay a login to act with the user's rights "
            "(NTLM relay), for instance to drop or encrypt files.",
        ),
        remediation=Text(
            fr="Demandez au prestataire informatique d'activer « Serveur réseau Microsoft : "
            "communications signées numériquement (toujours) » dans la stratégie de sécurité "
            "locale (secpol.msc → Stratégies locales → Options de sécurité) de cet ordinateur, "
            "ou en PowerShell administrateur : "
            "Set-SmbServerConfiguration -RequireSecuritySignature $true.",
            en='Ask the IT provider to enable "Microsoft network server: Digitally sign '
            "communications (always)\" in this computer's Local Security Policy (secpol.msc → "
            "Local Policies → Security Options), or in an administrator PowerShell: "
            "Set-SmbServerConfiguration -RequireSecuritySignature $true.",
        ),
        who=(Who.IT_PROVIDER,),
        references=(
            refs.ANSSI_21,
            refs.ANS_EQUIPEMENTS,
            Reference(
                "Microsoft : vue d'ensemble de la signature SMB",
                "https://learn.microsoft.com/windows-server/storage/file-server/smb-signing",
            ),
        ),
        rationale="medium: exploitable only by an attacker already on the LAN, through NTLM relay.",
        categories=("file-sharing", "lateral-movement"),
    )
)
def smb_signing_off(service: Service, ctx: CheckContext) -> Hit:
    obs = service.observation(SmbObservation)
    if not isinstance(obs, SmbObservation) or obs.signing_required is not False:
        return None
    enabled = {True: "yes", False: "no", None: "unknown"}[obs.signing_enabled]
    return (
        Evidence("signing required", "no"),
        Evidence("signing enabled", enabled),
    )

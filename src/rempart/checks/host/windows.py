"""Windows settings of this computer: remote desktop, SMB, PowerShell 2, name resolution,
Office macros, AutoRun."""

from __future__ import annotations

from rempart.checks import refs
from rempart.checks.base import CheckContext, CheckMeta, Hit, Reference, Text, Who, host_check
from rempart.checks.host import hrefs
from rempart.core.host import HostFacts
from rempart.core.model import Evidence, Severity


@host_check(
    CheckMeta(
        id="HOST-RDP-NO-NLA",
        severity=Severity.HIGH,
        title=Text(
            fr="Bureau à distance activé sans authentification préalable (NLA)",
            en="Remote desktop is on without network level authentication (NLA)",
        ),
        risk=Text(
            fr="Sans NLA, n'importe qui sur le réseau obtient l'écran de connexion de "
            "l'ordinateur avant de s'authentifier : il peut essayer des mots de passe à volonté "
            "et exploiter des failles du bureau à distance (BlueKeep) sans aucun compte.",
            en="Without NLA, anyone on the network gets the computer's logon screen before "
            "authenticating: they can try passwords at will and exploit remote desktop flaws "
            "(BlueKeep) without any account.",
        ),
        remediation=Text(
            fr="Paramètres Windows → Système → Bureau à distance → Paramètres avancés → cochez "
            "« Exiger que les appareils utilisent l'authentification au niveau du réseau ». Si "
            "personne ne se connecte à distance à cet ordinateur, désactivez plutôt le bureau "
            "à distance sur la même page.",
            en="Windows Settings → System → Remote Desktop → Advanced settings → tick "
            '"Require devices to use Network Level Authentication to connect". If nobody '
            "connects remotely to this computer, turn remote desktop off on the same page "
            "instead.",
        ),
        who=(Who.IT_PROVIDER, Who.ASSISTANT),
        references=(
            refs.ANSSI_13,
            refs.ANS_ACCES,
            Reference(
                "Microsoft : autoriser l'accès à votre PC par le Bureau à distance",
                "https://learn.microsoft.com/windows-server/remote/remote-desktop-services/"
                "clients/remote-desktop-allow-access",
            ),
        ),
        rationale="high: pre-authentication attack surface (BlueKeep class) and unlimited "
        "password guessing from the LAN.",
        categories=("remote-access",),
    )
)
def rdp_no_nla(facts: HostFacts, ctx: CheckContext) -> Hit:
    if facts.rdp_enabled is not True or facts.rdp_nla is not False:
        return None
    return (Evidence("remote desktop", "on"), Evidence("NLA required", "no"))


@host_check(
    CheckMeta(
        id="HOST-WIN-SMB1",
        severity=Severity.HIGH,
        title=Text(
            fr="SMBv1, un protocole abandonné, est activé sur cet ordinateur",
            en="SMBv1, an abandoned protocol, is turned on on this computer",
        ),
        risk=Text(
            fr="SMBv1 est le protocole par lequel WannaCry et NotPetya se sont propagés d'un "
            "ordinateur à l'autre en 2017, sans mot de passe.",
            en="SMBv1 is how WannaCry and NotPetya spread from computer to computer in 2017, "
            "without any password.",
        ),
        remediation=Text(
            fr="Menu Démarrer → tapez « Activer ou désactiver des fonctionnalités Windows » → "
            "décochez « Support de partage de fichiers SMB 1.0/CIFS » → OK, puis redémarrez.",
            en='Start menu → type "Turn Windows features on or off" → untick "SMB 1.0/CIFS '
            'File Sharing Support" → OK, then restart.',
        ),
        who=(Who.IT_PROVIDER, Who.ASSISTANT),
        references=(
            refs.ANSSI_21,
            refs.ANS_EQUIPEMENTS,
            Reference(
                "Microsoft : détecter, activer et désactiver SMBv1, SMBv2 et SMBv3",
                "https://learn.microsoft.com/windows-server/storage/file-server/troubleshoot/"
                "detect-enable-and-disable-smbv1-v2-v3",
            ),
        ),
        rationale="high: the WannaCry propagation protocol, same reasoning as NET-SMB-V1.",
        categories=("file-sharing", "legacy-protocol", "lateral-movement"),
    )
)
def win_smb1(facts: HostFacts, ctx: CheckContext) -> Hit:
    if facts.smb1_enabled is not True:
        return None
    return (Evidence("EnableSMB1Protocol", "True"),)


@host_check(
    CheckMeta(
        id="HOST-SMB-SIGNING-OFF",
        severity=Severity.LOW,
        title=Text(
            fr="Le partage de fichiers de cet ordinateur n'exige pas de signature",
            en="This computer's file sharing does not require signing",
        ),
        risk=Text(
            fr="Sans signature SMB obligatoire, un attaquant présent sur le réseau peut relayer "
            "une connexion vers cet ordinateur et agir avec les droits de l'utilisateur "
            "(attaque par relais NTLM).",
            en="Without mandatory SMB signing, an attacker on the network can relay a login to "
            "this computer and act with the user's rights (NTLM relay).",
        ),
        remediation=Text(
            fr="Demandez au prestataire informatique d'activer « Serveur réseau Microsoft : "
            "communications signées numériquement (toujours) » (secpol.msc → Stratégies "
            "locales → Options de sécurité), ou en PowerShell administrateur : "
            "Set-SmbServerConfiguration -RequireSecuritySignature $true.",
            en='Ask the IT provider to enable "Microsoft network server: Digitally sign '
            'communications (always)" (secpol.msc → Local Policies → Security Options), or in '
            "an administrator PowerShell: Set-SmbServerConfiguration "
            "-RequireSecuritySignature $true.",
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
        rationale="low: Windows 10's default on workstations; matters most where the computer "
        "shares files (see NET-SMB-SIGNING-OFF, medium, when a share answers on the network).",
        categories=("file-sharing", "lateral-movement"),
    )
)
def smb_signing_off(facts: HostFacts, ctx: CheckContext) -> Hit:
    if facts.smb_signing_required is not False:
        return None
    return (Evidence("RequireSecuritySignature", "False"),)


@host_check(
    CheckMeta(
        id="HOST-POWERSHELL2",
        severity=Severity.LOW,
        title=Text(
            fr="PowerShell 2, une version sans journalisation, est encore installé",
            en="PowerShell 2, a version without logging, is still installed",
        ),
        risk=Text(
            fr="Les attaquants lancent PowerShell 2 pour échapper à l'antivirus et aux journaux "
            "des versions récentes ; Microsoft l'a déclaré obsolète.",
            en="Attackers start PowerShell 2 to evade the antivirus and the logging of recent "
            "versions; Microsoft has deprecated it.",
        ),
        remediation=Text(
            fr="Menu Démarrer → tapez « Activer ou désactiver des fonctionnalités Windows » → "
            "décochez « Windows PowerShell 2.0 » → OK.",
            en='Start menu → type "Turn Windows features on or off" → untick "Windows '
            'PowerShell 2.0" → OK.',
        ),
        who=(Who.IT_PROVIDER, Who.ASSISTANT),
        references=(
            refs.ANSSI_14,
            refs.ANS_EQUIPEMENTS,
            Reference(
                "Microsoft : Windows PowerShell 2.0 Deprecation",
                "https://devblogs.microsoft.com/powershell/windows-powershell-2-0-deprecation/",
            ),
        ),
        rationale="low: helps an attacker already running code to stay unseen.",
        categories=("hardening",),
    )
)
def powershell2(facts: HostFacts, ctx: CheckContext) -> Hit:
    if facts.powershell2 is not True:
        return None
    return (Evidence("MicrosoftWindowsPowerShellV2Root", "Enabled"),)


@host_check(
    CheckMeta(
        id="HOST-LLMNR-NETBIOS",
        severity=Severity.LOW,
        title=Text(
            fr="Résolution de noms LLMNR ou NetBIOS active",
            en="LLMNR or NetBIOS name resolution is on",
        ),
        risk=Text(
            fr="Quand un nom est introuvable, l'ordinateur demande à tout le réseau qui le porte. "
            "Un attaquant répond « c'est moi » et récupère le mot de passe chiffré de "
            "l'utilisateur, qu'il peut casser ou relayer.",
            en="When a name cannot be found, the computer asks the whole network who has it. An "
            'attacker answers "me" and obtains the user\'s hashed password, to crack or relay.',
        ),
        remediation=Text(
            fr="Demandez au prestataire informatique de désactiver LLMNR (stratégie de groupe : "
            "Configuration ordinateur → Modèles d'administration → Réseau → Client DNS → "
            "« Désactiver la résolution de noms multidiffusion ») et NetBIOS sur TCP/IP "
            "(propriétés de la carte réseau → IPv4 → Avancé → WINS → « Désactiver NetBIOS »).",
            en="Ask the IT provider to turn off LLMNR (group policy: Computer Configuration → "
            'Administrative Templates → Network → DNS Client → "Turn off multicast name '
            'resolution") and NetBIOS over TCP/IP (network adapter properties → IPv4 → '
            'Advanced → WINS → "Disable NetBIOS over TCP/IP").',
        ),
        who=(Who.IT_PROVIDER,),
        references=(refs.ANSSI_21, refs.ANS_EQUIPEMENTS),
        rationale="low: needs an attacker on the LAN and a weak password or relay target.",
        categories=("hardening", "lateral-movement"),
    )
)
def llmnr_netbios(facts: HostFacts, ctx: CheckContext) -> Hit:
    evidence = []
    if facts.llmnr_enabled is True:
        evidence.append(Evidence("LLMNR", "on"))
    if facts.netbios_enabled is True:
        evidence.append(Evidence("NetBIOS over TCP/IP", "on"))
    return tuple(evidence) or None


@host_check(
    CheckMeta(
        id="HOST-OFFICE-MACROS",
        severity=Severity.HIGH,
        title=Text(
            fr="Office exécute toutes les macros sans demander",
            en="Office runs every macro without asking",
        ),
        risk=Text(
            fr="Un document Word ou Excel piégé reçu par courriel (fausse facture, faux "
            "résultat de laboratoire) lance son programme dès l'ouverture : c'est l'une des "
            "premières portes d'entrée des rançongiciels.",
            en="A booby-trapped Word or Excel document received by e-mail (fake invoice, fake "
            "lab result) runs its program as soon as it is opened: one of ransomware's main "
            "ways in.",
        ),
        remediation=Text(
            fr="Dans Word et dans Excel : Fichier → Options → Centre de gestion de la "
            "confidentialité → Paramètres du Centre de gestion de la confidentialité → "
            "Paramètres des macros → « Désactiver toutes les macros avec notification ».",
            en="In Word and in Excel: File → Options → Trust Center → Trust Center Settings → "
            'Macro Settings → "Disable all macros with notification".',
        ),
        who=(Who.ASSISTANT, Who.IT_PROVIDER),
        references=(
            refs.ANSSI_14,
            refs.ANS_EQUIPEMENTS,
            Reference(
                "Microsoft : les macros provenant d'Internet sont bloquées par défaut dans Office",
                "https://learn.microsoft.com/microsoft-365-apps/security/internet-macros-blocked",
            ),
        ),
        rationale="high: one opened attachment is enough to run an attacker's code.",
        categories=("e-mail", "hardening"),
    )
)
def office_macros(facts: HostFacts, ctx: CheckContext) -> Hit:
    if facts.office_macros_enabled is not True:
        return None
    return (Evidence("VBAWarnings", "1 (enable all macros)"),)


@host_check(
    CheckMeta(
        id="HOST-USB-AUTORUN",
        severity=Severity.LOW,
        title=Text(
            fr="L'exécution automatique n'est pas interdite pour les clés USB",
            en="AutoRun is not forbidden for USB drives",
        ),
        risk=Text(
            fr="Une clé USB infectée (apportée par un visiteur, trouvée sur le parking) peut "
            "proposer ou lancer un programme dès son branchement.",
            en="An infected USB drive (brought by a visitor, found in the car park) can offer "
            "or start a program as soon as it is plugged in.",
        ),
        remediation=Text(
            fr="Paramètres Windows → Bluetooth et appareils → Exécution automatique → "
            "désactivez « Utiliser l'exécution automatique pour tous les médias et "
            "périphériques ». Le prestataire peut l'imposer par stratégie (« Désactiver "
            "l'exécution automatique » : tous les lecteurs).",
            en='Windows Settings → Bluetooth & devices → AutoPlay → turn off "Use AutoPlay for '
            'all media and devices". The IT provider can enforce it by policy ("Turn off '
            'AutoPlay": all drives).',
        ),
        who=(Who.ASSISTANT, Who.IT_PROVIDER),
        references=(
            hrefs.ANSSI_15,
            refs.ANS_EQUIPEMENTS,
            Reference(
                "Microsoft : AutoRun et AutoPlay (NoDriveTypeAutoRun)",
                "https://learn.microsoft.com/windows/win32/shell/autoplay-reg",
            ),
        ),
        rationale="low: recent Windows no longer runs autorun.inf from USB drives; AutoPlay "
        "still prompts, which helps social engineering.",
        categories=("removable-media", "hardening"),
    )
)
def usb_autorun(facts: HostFacts, ctx: CheckContext) -> Hit:
    if facts.usb_autorun is not True:
        return None
    return (Evidence("AutoRun on removable drives", "not disabled by policy"),)

"""Software that changes the risk: remote-access tools, backups, shadow copies."""

from __future__ import annotations

from datetime import timedelta

from rempart.checks import refs
from rempart.checks.base import CheckContext, CheckMeta, Hit, Reference, Text, Who, host_check
from rempart.checks.host import hrefs
from rempart.core.host import HostFacts
from rempart.core.model import Evidence, Severity

OLD_BACKUP_DAYS = 7


@host_check(
    CheckMeta(
        id="HOST-REMOTE-TOOL",
        severity=Severity.MEDIUM,
        title=Text(
            fr="Un logiciel de prise en main à distance est installé",
            en="A remote-control tool is installed",
        ),
        risk=Text(
            fr="TeamViewer, AnyDesk et leurs semblables donnent le contrôle complet de "
            "l'ordinateur depuis Internet. Les attaquants s'en servent après avoir volé ou "
            "deviné l'identifiant, ou en se faisant passer pour le support au téléphone ; une "
            "version ancienne peut en plus avoir des failles connues.",
            en="TeamViewer, AnyDesk and the like give full control of the computer from the "
            "Internet. Attackers use them after stealing or guessing the ID, or by posing as "
            "support on the phone; an old version may also have known flaws.",
        ),
        remediation=Text(
            fr="Vérifiez avec le prestataire que chaque outil listé est nécessaire. Désinstallez "
            "les autres (Paramètres Windows → Applications → Applications installées). Pour "
            "ceux qui restent : mise à jour, accès sans surveillance désactivé ou protégé par un "
            "mot de passe fort et la double authentification, et ne jamais accepter une "
            "connexion demandée par un appel inattendu.",
            en="Check with the IT provider that each tool listed is needed. Uninstall the others "
            "(Windows Settings → Apps → Installed apps). For those that stay: update them, turn "
            "unattended access off or protect it with a strong password and two-factor "
            "authentication, and never accept a connection asked for by an unexpected call.",
        ),
        who=(Who.IT_PROVIDER, Who.DENTIST),
        references=(
            refs.ANSSI_3,
            refs.ANS_ACCES,
            Reference(
                "CISA : utilisation malveillante de logiciels légitimes de gestion à distance "
                "(AA23-025A)",
                "https://www.cisa.gov/news-events/cybersecurity-advisories/aa23-025a",
            ),
        ),
        rationale="medium: a frequent entry point of ransomware in small businesses; needed by "
        "many IT providers, so the finding asks for a review, not removal.",
        categories=("remote-access",),
    )
)
def remote_tool(facts: HostFacts, ctx: CheckContext) -> Hit:
    if not facts.remote_tools:
        return None
    return tuple(
        Evidence(tool.name, tool.version or "version unknown") for tool in facts.remote_tools
    )


@host_check(
    CheckMeta(
        id="HOST-NO-BACKUP",
        severity=Severity.HIGH,
        title=Text(
            fr="Aucun logiciel de sauvegarde trouvé sur cet ordinateur",
            en="No backup software found on this computer",
        ),
        risk=Text(
            fr="Si cet ordinateur contient des données du cabinet (dossiers patients, radios, "
            "comptabilité) et qu'elles ne sont sauvegardées nulle part, un rançongiciel ou une "
            "panne de disque les fait disparaître définitivement.",
            en="If this computer holds practice data (patient records, X-rays, accounts) that is "
            "backed up nowhere, ransomware or a disk failure makes it disappear for good.",
        ),
        remediation=Text(
            fr="Vérifiez avec le prestataire où sont sauvegardées les données de cet ordinateur. "
            "S'il n'y en a pas, mettez en place une sauvegarde quotidienne, dont une copie hors "
            "ligne ou hors du cabinet (règle 3-2-1), et testez une restauration.",
            en="Check with the IT provider where this computer's data is backed up. If nowhere, "
            "set up a daily backup with one copy offline or off-site (3-2-1 rule), and test a "
            "restore.",
        ),
        who=(Who.DENTIST, Who.IT_PROVIDER),
        references=(hrefs.ANSSI_37, refs.ANS_EQUIPEMENTS, hrefs.CYBER_SAUVEGARDES),
        rationale="high: backups are what turns a ransomware attack into a bad day instead of "
        "the loss of the practice's records; not critical since the data may be backed up "
        "from elsewhere (a server, the practice software's cloud).",
        categories=("backup",),
    )
)
def no_backup(facts: HostFacts, ctx: CheckContext) -> Hit:
    if facts.backup_software is None or facts.backup_software or facts.last_backup is not None:
        return None
    if facts.reason("last_backup") is not None:
        return None  # a backup may exist that the collector could not see
    return (Evidence("backup software found", "none"),)


@host_check(
    CheckMeta(
        id="HOST-BACKUP-OLD",
        severity=Severity.HIGH,
        title=Text(
            fr="La dernière sauvegarde date de plus d'une semaine",
            en="The last backup is more than a week old",
        ),
        risk=Text(
            fr="Une sauvegarde qui ne tourne plus ne se remarque qu'au moment d'en avoir besoin. "
            "Après un rançongiciel, tout ce qui a été saisi depuis la dernière sauvegarde est "
            "perdu.",
            en="A backup that has stopped running is only noticed when it is needed. After "
            "ransomware, everything entered since the last backup is lost.",
        ),
        remediation=Text(
            fr="Ouvrez le logiciel de sauvegarde et regardez pourquoi les dernières sauvegardes "
            "ont échoué (disque plein, disque débranché, mot de passe changé), ou demandez au "
            "prestataire. Mettez en place une alerte par courriel en cas d'échec.",
            en="Open the backup software and see why the last backups failed (disk full, disk "
            "unplugged, password changed), or ask the IT provider. Set up an e-mail alert on "
            "failure.",
        ),
        who=(Who.ASSISTANT, Who.IT_PROVIDER),
        references=(hrefs.ANSSI_37, refs.ANS_EQUIPEMENTS, hrefs.CYBER_SAUVEGARDES),
        rationale="high: a week or more of the practice's work is at stake.",
        categories=("backup",),
    )
)
def backup_old(facts: HostFacts, ctx: CheckContext) -> Hit:
    if facts.last_backup is None:
        return None
    age = ctx.now - facts.last_backup
    if age <= timedelta(days=OLD_BACKUP_DAYS):
        return None
    return (
        Evidence("last backup", facts.last_backup.date().isoformat()),
        Evidence("days old", str(age.days)),
    )


@host_check(
    CheckMeta(
        id="HOST-NO-SHADOW-COPIES",
        severity=Severity.LOW,
        title=Text(
            fr="Aucun point de restauration des fichiers (clichés instantanés)",
            en="No file restore points (shadow copies)",
        ),
        risk=Text(
            fr="Les clichés instantanés permettent de récupérer en quelques clics un fichier "
            "effacé ou abîmé (« Versions précédentes »). Sans eux, la moindre erreur oblige à "
            "recourir à la sauvegarde.",
            en="Shadow copies let anyone recover a deleted or damaged file in a few clicks "
            '("Previous versions"). Without them, every mistake requires the backup.',
        ),
        remediation=Text(
            fr="Menu Démarrer → tapez « Créer un point de restauration » → sélectionnez le disque "
            "C: → Configurer → « Activer la protection du système ». Ce n'est pas une sauvegarde : "
            "un rançongiciel les efface, gardez aussi une sauvegarde hors ligne.",
            en='Start menu → type "Create a restore point" → select drive C: → Configure → '
            '"Turn on system protection". This is not a backup: ransomware erases them, keep an '
            "offline backup too.",
        ),
        who=(Who.IT_PROVIDER,),
        references=(
            hrefs.ANSSI_37,
            refs.ANS_EQUIPEMENTS,
            Reference(
                "Microsoft : service de cliché instantané de volume",
                "https://learn.microsoft.com/windows-server/storage/file-server/"
                "volume-shadow-copy-service",
            ),
        ),
        rationale="low: convenience against mistakes; ransomware deletes them first.",
        categories=("backup",),
    )
)
def no_shadow_copies(facts: HostFacts, ctx: CheckContext) -> Hit:
    if facts.shadow_copies != 0:
        return None
    return (Evidence("shadow copies", "0"),)

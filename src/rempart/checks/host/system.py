"""This computer's system: end of support, updates, firewall, antivirus, disk encryption."""

from __future__ import annotations

from datetime import timedelta

from rempart.checks import refs
from rempart.checks.base import CheckContext, CheckMeta, Hit, Reference, Text, Who, host_check
from rempart.checks.host import hrefs
from rempart.checks.host.os_eol import os_end_of_support
from rempart.core.host import HostFacts
from rempart.core.model import Evidence, Severity

STALE_UPDATES_DAYS = 60
OLD_SIGNATURES_DAYS = 7

MS_LIFECYCLE = Reference(
    "Microsoft : cycle de vie des produits Windows",
    "https://learn.microsoft.com/lifecycle/faq/windows",
)


def _os_label(facts: HostFacts) -> str:
    parts = [facts.os_name or "", facts.os_version or "", facts.os_build or ""]
    return " ".join(p for p in parts if p)


@host_check(
    CheckMeta(
        id="HOST-OS-EOL",
        severity=Severity.HIGH,
        title=Text(
            fr="Ce système d'exploitation ne reçoit plus de mises à jour de sécurité",
            en="This operating system no longer receives security updates",
        ),
        risk=Text(
            fr="L'éditeur ne corrige plus les failles de cette version. Chaque faille découverte "
            "depuis la fin du support reste ouverte pour toujours, et les rançongiciels les "
            "exploitent précisément sur ces ordinateurs.",
            en="The vendor no longer fixes this release's flaws. Every flaw found since the end "
            "of support stays open for good, and ransomware exploits exactly these computers.",
        ),
        remediation=Text(
            fr="Installez la version suivante du système : Paramètres Windows → Windows Update → "
            "« Rechercher des mises à jour » propose la mise à niveau quand l'ordinateur la "
            "supporte. Sinon, demandez au prestataire informatique de remplacer l'ordinateur, ou "
            "en attendant de souscrire les mises à jour de sécurité étendues (ESU) de Microsoft.",
            en="Install the next release of the system: Windows Settings → Windows Update → "
            '"Check for updates" offers the upgrade when the computer supports it. Otherwise, '
            "ask the IT provider to replace the computer, or in the meantime to subscribe to "
            "Microsoft's Extended Security Updates (ESU).",
        ),
        who=(Who.IT_PROVIDER, Who.DENTIST),
        references=(refs.ANSSI_35, refs.ANS_EQUIPEMENTS, MS_LIFECYCLE),
        rationale="high: every new flaw stays unpatched; not critical as exploitation still "
        "needs a way in (network service, e-mail, browser).",
        categories=("updates", "end-of-life"),
    )
)
def os_eol(facts: HostFacts, ctx: CheckContext) -> Hit:
    found = os_end_of_support(facts)
    if found is None or ctx.now.date() <= found.end:
        return None
    return (
        Evidence("system", _os_label(facts) or found.name),
        Evidence("release", found.name),
        Evidence("end of security updates", found.end.isoformat()),
        Evidence("source", found.source),
    )


@host_check(
    CheckMeta(
        id="HOST-UPDATES-PENDING",
        severity=Severity.MEDIUM,
        title=Text(
            fr="Des mises à jour attendent d'être installées",
            en="Updates are waiting to be installed",
        ),
        risk=Text(
            fr="Une mise à jour téléchargée mais pas installée ne protège pas : la faille qu'elle "
            "corrige reste ouverte, alors que sa publication l'a rendue connue des attaquants.",
            en="An update downloaded but not installed protects nothing: the flaw it fixes stays "
            "open, while its publication has made it known to attackers.",
        ),
        remediation=Text(
            fr="Paramètres Windows → Windows Update → « Rechercher des mises à jour », installez "
            "tout puis redémarrez l'ordinateur (le soir, pour ne pas gêner les consultations). "
            "Sous Linux : sudo apt update && sudo apt upgrade. Sur Mac : Réglages système → "
            "Général → Mise à jour de logiciels.",
            en='Windows Settings → Windows Update → "Check for updates", install everything '
            "then restart the computer (in the evening, not to disturb appointments). On Linux: "
            "sudo apt update && sudo apt upgrade. On a Mac: System Settings → General → "
            "Software Update.",
        ),
        who=(Who.ASSISTANT, Who.IT_PROVIDER),
        references=(refs.ANSSI_34, refs.ANS_EQUIPEMENTS, refs.CYBER_MISES_A_JOUR),
        rationale="medium: known flaws stay open until installed; the delay is usually short.",
        categories=("updates",),
    )
)
def updates_pending(facts: HostFacts, ctx: CheckContext) -> Hit:
    if not facts.pending_updates:
        return None
    return (Evidence("pending updates", str(facts.pending_updates)),)


@host_check(
    CheckMeta(
        id="HOST-UPDATES-STALE",
        severity=Severity.HIGH,
        title=Text(
            fr="Aucune mise à jour installée depuis plus de deux mois",
            en="No update installed for more than two months",
        ),
        risk=Text(
            fr="Microsoft publie des correctifs de sécurité chaque mois. Un ordinateur qui n'en a "
            "reçu aucun depuis plus de deux mois cumule des failles publiques que les "
            "rançongiciels savent exploiter.",
            en="Microsoft publishes security fixes every month. A computer that has received none "
            "for more than two months piles up public flaws that ransomware knows how to use.",
        ),
        remediation=Text(
            fr="Paramètres Windows → Windows Update : vérifiez que les mises à jour ne sont pas "
            "suspendues, cliquez sur « Rechercher des mises à jour », installez puis redémarrez. "
            "Si Windows Update échoue, demandez au prestataire informatique de le réparer.",
            en="Windows Settings → Windows Update: check that updates are not paused, click "
            '"Check for updates", install then restart. If Windows Update fails, ask the IT '
            "provider to repair it.",
        ),
        who=(Who.ASSISTANT, Who.IT_PROVIDER),
        references=(refs.ANSSI_34, refs.ANS_EQUIPEMENTS, refs.CYBER_MISES_A_JOUR),
        rationale="high: two missed monthly rounds of fixes mean several public, exploited "
        "flaws; updates have probably stopped working.",
        categories=("updates",),
    )
)
def updates_stale(facts: HostFacts, ctx: CheckContext) -> Hit:
    if facts.last_update is None:
        return None
    age = (ctx.now.date() - facts.last_update).days
    if age <= STALE_UPDATES_DAYS:
        return None
    return (
        Evidence("last update installed", facts.last_update.isoformat()),
        Evidence("days since", str(age)),
    )


@host_check(
    CheckMeta(
        id="HOST-AUTO-UPDATES-OFF",
        severity=Severity.MEDIUM,
        title=Text(
            fr="Les mises à jour de sécurité automatiques sont désactivées",
            en="Automatic security updates are turned off",
        ),
        risk=Text(
            fr="Sans installation automatique, les correctifs dépendent de la mémoire de "
            "quelqu'un ; dans les faits, ils attendent des mois.",
            en="Without automatic installation, fixes depend on someone remembering; in "
            "practice they wait for months.",
        ),
        remediation=Text(
            fr="Demandez au prestataire informatique d'activer les mises à jour automatiques : "
            "sudo apt install unattended-upgrades puis sudo dpkg-reconfigure unattended-upgrades "
            "(répondre « Oui »).",
            en="Ask the IT provider to turn on automatic updates: sudo apt install "
            'unattended-upgrades then sudo dpkg-reconfigure unattended-upgrades (answer "Yes").',
        ),
        who=(Who.IT_PROVIDER,),
        references=(
            refs.ANSSI_34,
            refs.ANS_EQUIPEMENTS,
            Reference(
                "Debian : mises à jour automatiques (UnattendedUpgrades)",
                "https://wiki.debian.org/UnattendedUpgrades",
            ),
        ),
        rationale="medium: not a flaw by itself, but the usual cause of stale systems.",
        categories=("updates",),
    )
)
def auto_updates_off(facts: HostFacts, ctx: CheckContext) -> Hit:
    if facts.auto_updates is not False:
        return None
    return (Evidence("automatic security updates", "off"),)


@host_check(
    CheckMeta(
        id="HOST-FIREWALL-OFF",
        severity=Severity.MEDIUM,
        title=Text(
            fr="Le pare-feu de cet ordinateur est désactivé",
            en="This computer's firewall is turned off",
        ),
        risk=Text(
            fr="Sans pare-feu, tous les services de l'ordinateur (partage de fichiers, bureau à "
            "distance…) sont joignables depuis n'importe quel appareil du réseau, y compris un "
            "poste déjà infecté ou le Wi-Fi des patients s'il n'est pas séparé.",
            en="Without a firewall, every service of the computer (file sharing, remote "
            "desktop…) can be reached from any device on the network, including an already "
            "infected computer or the patients' Wi-Fi if it is not separated.",
        ),
        remediation=Text(
            fr="Menu Démarrer → « Sécurité Windows » → Pare-feu et protection du réseau → "
            "activez le pare-feu pour chaque réseau (domaine, privé, public). Si un logiciel du "
            "cabinet ne fonctionne plus ensuite, demandez au prestataire d'ouvrir uniquement ce "
            "dont il a besoin plutôt que de couper le pare-feu.",
            en='Start menu → "Windows Security" → Firewall & network protection → turn the '
            "firewall on for every network (domain, private, public). If a practice program "
            "stops working afterwards, ask the IT provider to open only what it needs rather "
            "than turning the firewall off.",
        ),
        who=(Who.ASSISTANT, Who.IT_PROVIDER),
        references=(
            refs.ANSSI_17,
            refs.ANS_EQUIPEMENTS,
            Reference(
                "Microsoft : activer le Pare-feu Windows Defender",
                "https://support.microsoft.com/windows/turn-microsoft-defender-firewall-on-or-off-"
                "ec0844f7-aebd-0583-67fe-601ecf5d774f",
            ),
        ),
        rationale="medium: widens what an attacker already on the network can reach; does not "
        "open the computer to the Internet by itself.",
        categories=("firewall", "lateral-movement"),
    )
)
def firewall_off(facts: HostFacts, ctx: CheckContext) -> Hit:
    if facts.firewall is None:
        return None
    off = [p.name for p in facts.firewall if not p.enabled]
    if not off:
        return None
    return (Evidence("firewall off for", ", ".join(off)),)


def _third_party_on(facts: HostFacts) -> list[str]:
    return [
        p.name for p in facts.antivirus or () if p.enabled and "defender" not in p.name.casefold()
    ]


@host_check(
    CheckMeta(
        id="HOST-AV-OFF",
        severity=Severity.HIGH,
        title=Text(
            fr="Aucun antivirus actif sur cet ordinateur",
            en="No active antivirus on this computer",
        ),
        risk=Text(
            fr="Sans protection en temps réel, une pièce jointe piégée ou un programme malveillant "
            "s'exécute sans aucun obstacle. L'antivirus arrête la plupart des rançongiciels "
            "connus avant qu'ils ne chiffrent quoi que ce soit.",
            en="Without real-time protection, a booby-trapped attachment or malicious program "
            "runs unhindered. The antivirus stops most known ransomware before it encrypts "
            "anything.",
        ),
        remediation=Text(
            fr="Menu Démarrer → « Sécurité Windows » → Protection contre les virus et menaces → "
            "Gérer les paramètres → activez « Protection en temps réel ». Si un autre antivirus "
            "est censé protéger l'ordinateur, vérifiez avec le prestataire qu'il est installé, "
            "activé et sous licence.",
            en='Start menu → "Windows Security" → Virus & threat protection → Manage settings → '
            'turn on "Real-time protection". If another antivirus is supposed to protect the '
            "computer, check with the IT provider that it is installed, turned on and licensed.",
        ),
        who=(Who.ASSISTANT, Who.IT_PROVIDER),
        references=(
            refs.ANSSI_14,
            refs.ANS_EQUIPEMENTS,
            Reference(
                "Microsoft : protection en temps réel de l'Antivirus Microsoft Defender",
                "https://learn.microsoft.com/defender-endpoint/"
                "configure-real-time-protection-microsoft-defender-antivirus",
            ),
        ),
        rationale="high: the last barrier against known malware is missing; not critical as "
        "the malware still has to reach the computer.",
        categories=("antivirus",),
    )
)
def av_off(facts: HostFacts, ctx: CheckContext) -> Hit:
    if facts.av_realtime or _third_party_on(facts):
        return None
    products = facts.antivirus or ()
    if facts.av_realtime is False:
        return (
            Evidence("Microsoft Defender real-time protection", "off"),
            Evidence("other antivirus active", "none"),
        )
    if products and all(p.enabled is False for p in products):
        return (Evidence("antivirus registered but off", ", ".join(p.name for p in products)),)
    return None


@host_check(
    CheckMeta(
        id="HOST-AV-SIGNATURES-OLD",
        severity=Severity.MEDIUM,
        title=Text(
            fr="L'antivirus n'a pas été mis à jour depuis plus d'une semaine",
            en="The antivirus has not been updated for more than a week",
        ),
        risk=Text(
            fr="Un antivirus reconnaît les menaces grâce à des signatures publiées plusieurs fois "
            "par jour. Avec des signatures vieilles de plus d'une semaine, il ignore les "
            "rançongiciels récents.",
            en="An antivirus recognises threats through signatures published several times a "
            "day. With signatures over a week old, it misses recent ransomware.",
        ),
        remediation=Text(
            fr="Menu Démarrer → « Sécurité Windows » → Protection contre les virus et menaces → "
            "Mises à jour de la protection → « Rechercher des mises à jour ». Si la date ne "
            "change pas, demandez au prestataire de vérifier Windows Update et l'accès Internet.",
            en='Start menu → "Windows Security" → Virus & threat protection → Protection '
            'updates → "Check for updates". If the date does not change, ask the IT provider to '
            "check Windows Update and Internet access.",
        ),
        who=(Who.ASSISTANT, Who.IT_PROVIDER),
        references=(
            refs.ANSSI_14,
            refs.ANS_EQUIPEMENTS,
            Reference(
                "Microsoft : mises à jour de la protection de l'Antivirus Microsoft Defender",
                "https://learn.microsoft.com/defender-endpoint/"
                "microsoft-defender-antivirus-updates",
            ),
        ),
        rationale="medium: protection against older threats remains; new ones pass.",
        categories=("antivirus", "updates"),
    )
)
def av_signatures_old(facts: HostFacts, ctx: CheckContext) -> Hit:
    if facts.av_realtime is not True or facts.av_signatures_updated is None:
        return None
    age = ctx.now.date() - facts.av_signatures_updated
    if age <= timedelta(days=OLD_SIGNATURES_DAYS):
        return None
    return (
        Evidence("signatures dated", facts.av_signatures_updated.isoformat()),
        Evidence("days old", str(age.days)),
    )


@host_check(
    CheckMeta(
        id="HOST-DISK-UNENCRYPTED",
        severity=Severity.MEDIUM,
        title=Text(
            fr="Le disque de cet ordinateur n'est pas chiffré",
            en="This computer's disk is not encrypted",
        ),
        risk=Text(
            fr="Si l'ordinateur ou son disque est volé (cambriolage, réparation, mise au rebut), "
            "toutes les données, y compris les dossiers des patients, se lisent sans mot de "
            "passe en branchant le disque sur un autre ordinateur.",
            en="If the computer or its disk is stolen (burglary, repair, disposal), all data, "
            "patient records included, can be read without any password by plugging the disk "
            "into another computer.",
        ),
        remediation=Text(
            fr="Demandez au prestataire informatique d'activer BitLocker (Panneau de "
            "configuration → Chiffrement de lecteur BitLocker → Activer BitLocker) et de "
            "conserver la clé de récupération hors de l'ordinateur, dans un endroit sûr. Sur "
            "Mac : Réglages système → Confidentialité et sécurité → FileVault.",
            en="Ask the IT provider to turn on BitLocker (Control Panel → BitLocker Drive "
            "Encryption → Turn on BitLocker) and to keep the recovery key away from the "
            "computer, somewhere safe. On a Mac: System Settings → Privacy & Security → "
            "FileVault.",
        ),
        who=(Who.IT_PROVIDER,),
        references=(
            hrefs.ANSSI_31,
            refs.ANS_EQUIPEMENTS,
            Reference(
                "Microsoft : chiffrement BitLocker",
                "https://learn.microsoft.com/windows/security/operating-system-security/"
                "data-protection/bitlocker/",
            ),
        ),
        rationale="medium: exposes health data on theft; plays no part in a ransomware attack.",
        categories=("encryption", "data-protection"),
    )
)
def disk_unencrypted(facts: HostFacts, ctx: CheckContext) -> Hit:
    if facts.volumes is None:
        return None
    plain = [v.mount for v in facts.volumes if not v.encrypted]
    if not plain:
        return None
    return (Evidence("unencrypted volumes", ", ".join(plain)),)

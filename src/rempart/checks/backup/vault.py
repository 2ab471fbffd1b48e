"""The vault's own evidence: backups too old, restores never tried, a snapshot that looks
like ransomware's work.

Thresholds: a practice works every day and its practice-management database changes every
day, so a backup older than :data:`BACKUP_MAX_AGE` (24 h) leaves a day of care records at the
attacker's mercy; a restore not tried for :data:`DRILL_MAX_AGE` (30 days, the monthly drill
Rempart proposes) may have stopped working unnoticed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from rempart.checks.backup import backup_check
from rempart.checks.base import CheckContext, CheckMeta, Hit, Text, Who
from rempart.checks.org._rules import ANS_SAUVEGARDE, ANSSI12_4, ANSSI_37, CYBER_RANCONGICIEL
from rempart.core.model import Evidence, Severity
from rempart.core.protection import BackupStatus

BACKUP_MAX_AGE = timedelta(hours=24)
DRILL_MAX_AGE = timedelta(days=30)


def _when(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")


def _age(now: datetime, then: datetime) -> tuple[str, str]:
    """("52 h ago", "il y a 52 h") or in days beyond three days."""
    hours = int((now - then).total_seconds() // 3600)
    if hours < 72:
        return f"{hours} h ago", f"il y a {hours} h"
    days = hours // 24
    return f"{days} days ago", f"il y a {days} jours"


def _repository(status: BackupStatus) -> Evidence:
    return Evidence("repository", status.repository or "-")


@backup_check(
    CheckMeta(
        id="BACKUP-STALE",
        severity=Severity.HIGH,
        title=Text(
            fr="Aucune sauvegarde Rempart réussie depuis plus de 24 heures",
            en="No successful Rempart backup for more than 24 hours",
        ),
        risk=Text(
            fr="Tout ce qui a été saisi depuis la dernière sauvegarde (rendez-vous, soins, "
            "feuilles de soins, radios) serait perdu après une attaque ou une panne ; une "
            "sauvegarde qui s'est arrêtée sans que personne ne le voie est souvent découverte "
            "le jour où on en a besoin.",
            en="Everything entered since the last backup (appointments, treatments, claims, "
            "X-rays) would be lost after an attack or a failure; a backup that stopped "
            "without anyone noticing is often found out on the day it is needed.",
        ),
        remediation=Text(
            fr="Vérifiez que l'ordinateur qui sauvegarde est allumé le soir et que la tâche "
            "planifiée « rempart backup run » tourne chaque jour ; lancez-la maintenant et "
            "lisez son message. Si elle échoue (disque débranché, réseau, mot de passe), "
            "montrez le message au prestataire informatique.",
            en="Check that the computer that backs up is on in the evening and that the "
            "scheduled task 'rempart backup run' runs every day; run it now and read its "
            "message. If it fails (disk unplugged, network, passphrase), show the message to "
            "the IT provider.",
        ),
        who=(Who.ASSISTANT, Who.IT_PROVIDER),
        references=(ANS_SAUVEGARDE, ANSSI12_4, ANSSI_37),
        rationale=(
            "high: the practice's database changes every day; with no backup for a day or "
            "more, an attack now costs that work (and a stopped backup is usually noticed "
            "too late). Silent when Rempart's vault was never used: the survey judges."
        ),
        categories=("backup",),
    )
)
def backup_stale(status: BackupStatus, ctx: CheckContext) -> Hit:
    if not status.configured:
        return None
    if status.last_backup_at is None:
        return (
            _repository(status),
            Evidence(
                "last successful backup",
                "none: every Rempart backup so far has failed",
                "aucune : toutes les sauvegardes Rempart ont échoué jusqu'ici",
            ),
        )
    if ctx.now - status.last_backup_at <= BACKUP_MAX_AGE:
        return None
    age_en, age_fr = _age(ctx.now, status.last_backup_at)
    found = [
        _repository(status),
        Evidence(
            "last successful backup",
            f"{_when(status.last_backup_at)} ({age_en})",
            f"{_when(status.last_backup_at)} ({age_fr})",
        ),
    ]
    if status.last_backup_ok is False:
        found.append(
            Evidence("last run", "failed", "en échec"),
        )
    return tuple(found)


@backup_check(
    CheckMeta(
        id="BACKUP-NO-DRILL",
        severity=Severity.HIGH,
        title=Text(
            fr="Aucun exercice de restauration réussi depuis 30 jours",
            en="No successful restore drill in the last 30 days",
        ),
        risk=Text(
            fr="Une sauvegarde qu'on n'a pas essayé de restaurer peut être incomplète ou "
            "illisible (disque abîmé, mot de passe perdu, dossier oublié) : on ne le découvre "
            "que le jour où il faut repartir après une attaque.",
            en="A backup nobody has tried to restore may be incomplete or unreadable (a "
            "damaged disk, a lost passphrase, a folder left out): you only find out on the "
            "day you must start again after an attack.",
        ),
        remediation=Text(
            fr="Lancez « rempart drill restore » (ou le bouton « Exercice de restauration » du "
            "tableau de bord) : Rempart restaure un échantillon des fichiers dans un dossier "
            "temporaire et les compare bit à bit à la sauvegarde. Une fois par mois, "
            "l'exercice restaure tout. Programmez-le chaque semaine.",
            en="Run 'rempart drill restore' (or the dashboard's 'Restore drill' button): "
            "Rempart restores a sample of the files into a scratch folder and compares them "
            "bit for bit with the backup. Once a month the drill restores everything. "
            "Schedule it every week.",
        ),
        who=(Who.ASSISTANT, Who.IT_PROVIDER),
        references=(ANS_SAUVEGARDE, ANSSI_37),
        rationale=(
            "high, as ORG-BACKUP-NOT-TESTED: an untried backup often fails when needed; "
            "30 days is the monthly drill Rempart proposes. Silent when Rempart's vault was "
            "never used."
        ),
        categories=("backup",),
    )
)
def no_recent_drill(status: BackupStatus, ctx: CheckContext) -> Hit:
    if not status.configured:
        return None
    good = status.last_good_drill_at
    if good is not None and ctx.now - good <= DRILL_MAX_AGE:
        return None
    found = [_repository(status)]
    if good is None:
        found.append(Evidence("last successful drill", "never", "jamais"))
    else:
        age_en, age_fr = _age(ctx.now, good)
        found.append(
            Evidence(
                "last successful drill",
                f"{_when(good)} ({age_en})",
                f"{_when(good)} ({age_fr})",
            )
        )
    if status.last_drill_ok is False and status.last_drill_at is not None:
        found.append(
            Evidence(
                "last drill",
                f"failed on {_when(status.last_drill_at)}",
                f"en échec le {_when(status.last_drill_at)}",
            )
        )
    return tuple(found)


@backup_check(
    CheckMeta(
        id="BACKUP-ANOMALOUS",
        severity=Severity.CRITICAL,
        title=Text(
            fr="La dernière sauvegarde ressemble à l'œuvre d'un rançongiciel",
            en="The last backup looks like ransomware's work",
        ),
        risk=Text(
            fr="Rempart a vu dans la dernière sauvegarde des signes de chiffrement (note de "
            "rançon, fichiers renommés, contenu devenu aléatoire) : un rançongiciel est "
            "peut-être en train de chiffrer les fichiers du cabinet. Restaurer cette sauvegarde "
            "restaurerait les fichiers chiffrés.",
            en="Rempart saw signs of encryption in the last backup (a ransom note, renamed "
            "files, content turned random): ransomware may be encrypting the practice's "
            "files. Restoring this backup would restore the encrypted files.",
        ),
        remediation=Text(
            fr="Appelez tout de suite le prestataire informatique ; s'il s'agit d'une attaque, "
            "débranchez le câble réseau des ordinateurs touchés sans les éteindre. La "
            "sauvegarde signalée est gardée mais n'est jamais proposée pour une restauration : "
            "« rempart backup list » la montre, « rempart backup restore latest » prend la "
            "dernière saine.",
            en="Call the IT provider now; if it is an attack, unplug the network cable of the "
            "affected computers without switching them off. The flagged backup is kept but "
            "never offered for a restore: 'rempart backup list' shows it, 'rempart backup "
            "restore latest' takes the last clean one.",
        ),
        who=(Who.DENTIST, Who.IT_PROVIDER),
        references=(CYBER_RANCONGICIEL, ANS_SAUVEGARDE),
        rationale=(
            "critical: the signs of an encryption in progress; every hour counts, and the "
            "flagged snapshot must not be restored."
        ),
        categories=("backup", "ransomware"),
    )
)
def last_backup_anomalous(status: BackupStatus, ctx: CheckContext) -> Hit:
    if not status.configured or not status.last_backup_anomalous:
        return None
    when = _when(status.last_backup_at) if status.last_backup_at else "-"
    return (_repository(status), Evidence("flagged backup", when))

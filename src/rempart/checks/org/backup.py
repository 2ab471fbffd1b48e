"""Backups: none at all, too rare, not 3-2-1, no offline copy, never restored, not encrypted.

In healthcare, attackers went after the backups in 95% of ransomware attacks and
succeeded in two thirds of those (Sophos, 2024): the questions on backups weigh most.
"""

from __future__ import annotations

from rempart.checks.base import CheckContext, CheckMeta, Hit, Text, Who, org_check
from rempart.checks.org._rules import (
    ANS_SAUVEGARDE,
    ANSSI12_4,
    ANSSI_37,
    CNIL_SECURITE,
    CYBER_RANCONGICIEL,
    evidence,
    rule,
)
from rempart.core.model import Severity
from rempart.core.survey import DONT_KNOW, NO, Answers

org_check(
    CheckMeta(
        id="ORG-NO-BACKUP",
        severity=Severity.CRITICAL,
        title=Text(
            fr="Les données du cabinet ne sont pas sauvegardées",
            en="The practice's data is not backed up",
        ),
        risk=Text(
            fr="Sans sauvegarde, un rançongiciel, une panne de disque ou un vol fait perdre "
            "définitivement les dossiers des patients, l'imagerie et la comptabilité ; la seule "
            "issue est alors de payer la rançon, sans garantie de rien récupérer.",
            en="Without a backup, ransomware, a disk failure or a theft loses the patients' "
            "records, imaging and accounts for good; the only way out is then to pay the "
            "ransom, with no guarantee of getting anything back.",
        ),
        remediation=Text(
            fr="Demandez cette semaine au prestataire informatique ou à l'éditeur du logiciel "
            "de mettre en place une sauvegarde quotidienne automatique du logiciel métier, de "
            "l'imagerie et des documents, avec une copie débranchée ou hors du cabinet. En "
            "attendant, copiez les données sur un disque externe que vous débranchez ensuite.",
            en="This week, ask the IT provider or the software vendor to set up an automatic "
            "daily backup of the practice software, imaging and documents, with one copy "
            "unplugged or away from the practice. Meanwhile, copy the data to an external "
            "disk and unplug it afterwards.",
        ),
        who=(Who.DENTIST, Who.IT_PROVIDER),
        references=(ANS_SAUVEGARDE, ANSSI_37, ANSSI12_4, CYBER_RANCONGICIEL),
        rationale="critical: with no backup, any ransomware attack or disk failure is final.",
        categories=("backup",),
    )
)(rule("backup.exists", NO))

org_check(
    CheckMeta(
        id="ORG-BACKUP-UNKNOWN",
        severity=Severity.HIGH,
        title=Text(
            fr="Personne au cabinet ne sait si les données sont sauvegardées",
            en="Nobody at the practice knows whether the data is backed up",
        ),
        risk=Text(
            fr="Une sauvegarde dont personne ne connaît l'existence n'est ni surveillée ni "
            "essayée : le jour d'une attaque, on découvre souvent qu'elle n'existe pas ou "
            "qu'elle s'est arrêtée depuis des mois.",
            en="A backup nobody knows about is neither watched nor tried: on the day of an "
            "attack, it often turns out not to exist or to have stopped months ago.",
        ),
        remediation=Text(
            fr="Demandez au prestataire informatique et à l'éditeur du logiciel, par écrit, ce "
            "qui est sauvegardé, où, à quelle fréquence, et comment vérifier la dernière "
            "sauvegarde ; notez la réponse, puis répondez de nouveau au questionnaire.",
            en="Ask the IT provider and the software vendor, in writing, what is backed up, "
            "where, how often, and how to check the last backup; note the answer, then answer "
            "the survey again.",
        ),
        who=(Who.DENTIST, Who.IT_PROVIDER, Who.SOFTWARE_VENDOR),
        references=(ANS_SAUVEGARDE, ANSSI_37),
        rationale="high, below ORG-NO-BACKUP: a backup may exist, but nobody checks it.",
        categories=("backup",),
    )
)(rule("backup.exists", DONT_KNOW))

org_check(
    CheckMeta(
        id="ORG-BACKUP-INFREQUENT",
        severity=Severity.MEDIUM,
        title=Text(
            fr="Les sauvegardes sont trop espacées",
            en="Backups are too far apart",
        ),
        risk=Text(
            fr="Après une attaque, tout ce qui a été saisi depuis la dernière sauvegarde est "
            "perdu : avec une sauvegarde mensuelle, jusqu'à un mois de rendez-vous, de soins et "
            "de feuilles de soins.",
            en="After an attack, everything entered since the last backup is lost: with a "
            "monthly backup, up to a month of appointments, treatments and claims.",
        ),
        remediation=Text(
            fr="Demandez au prestataire informatique de programmer une sauvegarde automatique "
            "chaque jour ouvré, le soir, et de vous montrer où voir qu'elle a réussi.",
            en="Ask the IT provider to schedule an automatic backup every working day, in the "
            "evening, and to show you where to see that it succeeded.",
        ),
        who=(Who.IT_PROVIDER,),
        references=(ANS_SAUVEGARDE, ANSSI12_4),
        rationale="medium: backups exist, but an attack would cost weeks of work.",
        categories=("backup",),
    )
)(rule("backup.frequency", "monthly", "rarely"))


@org_check(
    CheckMeta(
        id="ORG-BACKUP-NOT-321",
        severity=Severity.MEDIUM,
        title=Text(
            fr="Les sauvegardes ne suivent pas la règle 3-2-1",
            en="Backups do not follow the 3-2-1 rule",
        ),
        risk=Text(
            fr="Avec une seule copie, ou toutes les copies dans le cabinet, un même événement "
            "(rançongiciel, incendie, cambriolage, dégât des eaux) détruit à la fois les "
            "données et leurs sauvegardes.",
            en="With a single copy, or every copy inside the practice, one event (ransomware, "
            "fire, burglary, flood) destroys both the data and its backups.",
        ),
        remediation=Text(
            fr="Gardez 3 exemplaires des données (l'original et 2 copies), sur 2 supports "
            "différents (par exemple un NAS et un disque externe), dont 1 hors du cabinet "
            "(disque emporté chaque semaine, ou sauvegarde en ligne chez un hébergeur HDS). "
            "Le prestataire informatique peut le mettre en place.",
            en="Keep 3 copies of the data (the original and 2 backups), on 2 different media "
            "(a NAS and an external disk, for example), 1 of them away from the practice (a "
            "disk taken home every week, or an online backup with an HDS-certified host). The "
            "IT provider can set it up.",
        ),
        who=(Who.IT_PROVIDER, Who.DENTIST),
        references=(ANS_SAUVEGARDE, ANSSI_37, CNIL_SECURITE),
        rationale=(
            "medium: backups exist, but one event can take them with the data; fires on "
            "fewer than 2 copies or on no (or unknown) copy away from the practice."
        ),
        categories=("backup",),
    )
)
def backup_not_321(answers: Answers, ctx: CheckContext) -> Hit:
    copies = answers.value("backup.copies")
    offsite = answers.value("backup.offsite")
    found = []
    if isinstance(copies, int) and copies < 2:
        found.append(evidence(answers, "backup.copies"))
    if offsite in (NO, DONT_KNOW):
        found.append(evidence(answers, "backup.offsite"))
    return tuple(found) or None


org_check(
    CheckMeta(
        id="ORG-BACKUP-NO-OFFLINE-COPY",
        severity=Severity.HIGH,
        title=Text(
            fr="Aucune sauvegarde n'est hors de portée d'un rançongiciel",
            en="No backup is out of ransomware's reach",
        ),
        risk=Text(
            fr="Un rançongiciel chiffre tout ce que l'ordinateur atteint : un disque de "
            "sauvegarde resté branché, un NAS ou un partage réseau sont chiffrés en même temps "
            "que les données.",
            en="Ransomware encrypts everything the computer can reach: a backup disk left "
            "plugged in, a NAS or a network share are encrypted along with the data.",
        ),
        remediation=Text(
            fr="Ayez au moins une copie déconnectée : un disque externe branché le temps de la "
            "sauvegarde puis débranché et rangé (deux disques en alternance, l'un hors du "
            "cabinet), ou une sauvegarde en ligne non effaçable (immuable) ; demandez au "
            "prestataire informatique de la mettre en place.",
            en="Keep at least one disconnected copy: an external disk plugged in for the "
            "backup, then unplugged and put away (two disks in turn, one away from the "
            "practice), or an online backup that cannot be erased (immutable); ask the IT "
            "provider to set it up.",
        ),
        who=(Who.DENTIST, Who.IT_PROVIDER),
        references=(ANS_SAUVEGARDE, ANSSI_37, CYBER_RANCONGICIEL),
        rationale=(
            "high: attackers seek out and encrypt reachable backups first; an offline copy is "
            "what makes paying unnecessary."
        ),
        categories=("backup", "ransomware"),
    )
)(rule("backup.offline_copy", NO))

org_check(
    CheckMeta(
        id="ORG-BACKUP-OFFLINE-UNKNOWN",
        severity=Severity.MEDIUM,
        title=Text(
            fr="On ne sait pas si une sauvegarde est hors de portée d'un rançongiciel",
            en="Nobody knows whether a backup is out of ransomware's reach",
        ),
        risk=Text(
            fr="Si toutes les sauvegardes restent branchées ou accessibles par le réseau, un "
            "rançongiciel les chiffre avec les données ; ne pas le savoir, c'est le découvrir "
            "le jour de l'attaque.",
            en="If every backup stays plugged in or reachable over the network, ransomware "
            "encrypts it with the data; not knowing means finding out on the day of the attack.",
        ),
        remediation=Text(
            fr="Demandez au prestataire informatique si une copie est débranchée ou non "
            "effaçable, et laquelle ; sinon, faites-la mettre en place.",
            en="Ask the IT provider whether one copy is unplugged or cannot be erased, and "
            "which; if not, have one set up.",
        ),
        who=(Who.DENTIST, Who.IT_PROVIDER),
        references=(ANS_SAUVEGARDE, ANSSI_37),
        rationale="medium, below ORG-BACKUP-NO-OFFLINE-COPY: such a copy may exist.",
        categories=("backup", "ransomware"),
    )
)(rule("backup.offline_copy", DONT_KNOW))

org_check(
    CheckMeta(
        id="ORG-BACKUP-NOT-TESTED",
        severity=Severity.HIGH,
        title=Text(
            fr="Aucune restauration n'a été essayée depuis un an",
            en="No restore has been tried for a year",
        ),
        risk=Text(
            fr="Une sauvegarde jamais restaurée peut être vide, incomplète (base de données "
            "copiée pendant son utilisation, imagerie oubliée) ou illisible : on ne le découvre "
            "que le jour où on en a besoin.",
            en="A backup never restored may be empty, incomplete (a database copied while in "
            "use, imaging left out) or unreadable: you only find out on the day you need it.",
        ),
        remediation=Text(
            fr="Demandez au prestataire informatique de restaurer, devant vous, le logiciel "
            "métier et quelques images sur un autre ordinateur, et vérifiez qu'un dossier "
            "patient récent s'ouvre ; refaites-le chaque année et après tout changement.",
            en="Ask the IT provider to restore, in front of you, the practice software and a "
            "few images on another computer, and check that a recent patient record opens; do "
            "it again every year and after any change.",
        ),
        who=(Who.IT_PROVIDER, Who.DENTIST),
        references=(ANS_SAUVEGARDE, ANSSI_37),
        rationale="high: an untested backup often fails when needed, the practice then stops.",
        categories=("backup",),
    )
)(rule("backup.restore_tested", NO))

org_check(
    CheckMeta(
        id="ORG-BACKUP-TEST-UNKNOWN",
        severity=Severity.MEDIUM,
        title=Text(
            fr="On ne sait pas si les sauvegardes ont déjà été restaurées",
            en="Nobody knows whether the backups were ever restored",
        ),
        risk=Text(
            fr="Si personne ne sait qu'une restauration a réussi, rien ne prouve que les "
            "sauvegardes permettraient de repartir après une attaque.",
            en="If nobody knows that a restore succeeded, nothing proves the backups would get "
            "the practice going again after an attack.",
        ),
        remediation=Text(
            fr="Demandez au prestataire informatique la date du dernier essai de restauration "
            "et son résultat, par écrit ; s'il n'y en a pas, demandez-en un.",
            en="Ask the IT provider for the date and result of the last restore test, in "
            "writing; if there was none, ask for one.",
        ),
        who=(Who.DENTIST, Who.IT_PROVIDER),
        references=(ANS_SAUVEGARDE, ANSSI_37),
        rationale="medium, below ORG-BACKUP-NOT-TESTED: a test may have been done elsewhere.",
        categories=("backup",),
    )
)(rule("backup.restore_tested", DONT_KNOW))

org_check(
    CheckMeta(
        id="ORG-BACKUP-NOT-ENCRYPTED",
        severity=Severity.MEDIUM,
        title=Text(
            fr="La sauvegarde emportée hors du cabinet n'est pas chiffrée",
            en="The backup taken away from the practice is not encrypted",
        ),
        risk=Text(
            fr="Un disque de sauvegarde perdu ou volé donne accès à tous les dossiers des "
            "patients : c'est une violation de données à notifier à la CNIL.",
            en="A lost or stolen backup disk gives access to every patient's records: a data "
            "breach to be notified to the CNIL.",
        ),
        remediation=Text(
            fr="Demandez au prestataire informatique d'activer le chiffrement de la sauvegarde "
            "(BitLocker To Go pour un disque externe, option de chiffrement du logiciel de "
            "sauvegarde) et gardez le mot de passe de déchiffrement à part, sur papier.",
            en="Ask the IT provider to turn on backup encryption (BitLocker To Go for an "
            "external disk, the backup software's encryption option) and keep the decryption "
            "password apart, on paper.",
        ),
        who=(Who.IT_PROVIDER,),
        references=(CNIL_SECURITE, ANS_SAUVEGARDE),
        rationale=(
            "medium: a confidentiality risk on loss or theft, not a ransomware entry; "
            "'don't know' fires too (an encryption nobody set up is usually absent)."
        ),
        categories=("backup", "confidentiality"),
    )
)(rule("backup.encrypted", NO, DONT_KNOW))

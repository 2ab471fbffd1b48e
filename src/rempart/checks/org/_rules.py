"""What the ORG- checks share: the references they cite and the rule that reads one answer."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rempart.checks.base import CheckContext, Hit, Reference
from rempart.checks.refs import anssi
from rempart.core.model import Evidence
from rempart.core.survey import Answers, Value

_ANS_MEMENTO = "https://esante.gouv.fr/produits-services/pgssi-s"
_ANSSI_12 = "https://cyber.gouv.fr/publications/guide-des-bonnes-pratiques-de-linformatique"


def ans(rule: str) -> Reference:
    """A rule of the ANS mémento for health professionals in private practice."""
    return Reference(
        "ANS, mémento de sécurité informatique pour les professionnels de santé en exercice "
        f"libéral : {rule}",
        _ANS_MEMENTO,
    )


def anssi12(number: int, title: str) -> Reference:
    """One of ANSSI's 12 essential rules (guide des bonnes pratiques de l'informatique)."""
    return Reference(f"ANSSI, les 12 règles essentielles, règle {number} : {title}", _ANSSI_12)


ANS_SAUVEGARDE = ans("sauvegarder les données")
ANS_POSTE = ans("protéger le poste de travail et l'accès aux applications")
ANS_MOTS_DE_PASSE = ans("mots de passe robustes et gestionnaire de mots de passe")
ANS_CPS = ans("règles d'utilisation des cartes CPx et e-CPS")
ANS_MISES_A_JOUR = ans("veiller à la mise à niveau du système et des logiciels")
ANS_MESSAGERIE = ans("utiliser une messagerie sécurisée de santé")
ANS_PRESTATAIRES = ans("questionnaires pour vos fournisseurs de services")
ANS_RGPD = ans("respecter les principes du RGPD")
ANS_FICHE_REFLEXE = ans("fiche réflexe en cas d'attaque")
ANS_ECPS = Reference("ANS, e-CPS", "https://esante.gouv.fr/produits-services/e-cps")
ANS_MSSANTE = Reference("ANS, MSSanté", "https://esante.gouv.fr/produits-services/mssante")
ANS_HDS = Reference(
    "ANS, hébergeurs de données de santé (HDS)", "https://esante.gouv.fr/produits-services/hds"
)

ANSSI_2 = anssi(2, "sensibiliser les utilisateurs aux bonnes pratiques")
ANSSI_3 = anssi(3, "maîtriser les risques de l'infogérance")
ANSSI_8 = anssi(8, "identifier nommément chaque personne accédant au système")
ANSSI_10 = anssi(10, "règles de choix des mots de passe")
ANSSI_11 = anssi(11, "protéger les mots de passe stockés")
ANSSI_13 = anssi(13, "privilégier lorsque c'est possible une authentification forte")
ANSSI_14 = anssi(14, "un niveau de sécurité minimal sur l'ensemble du parc")
ANSSI_20 = anssi(20, "sécuriser les réseaux Wi-Fi et séparer les usages")
ANSSI_29 = anssi(29, "limiter au strict besoin les droits d'administration sur les postes")
ANSSI_34 = anssi(34, "définir une politique de mise à jour")
ANSSI_35 = anssi(35, "anticiper la fin de la maintenance des logiciels et systèmes")
ANSSI_37 = anssi(37, "définir et appliquer une politique de sauvegarde")
ANSSI_40 = anssi(40, "définir une procédure de gestion des incidents de sécurité")

ANSSI12_1 = anssi12(1, "choisir avec soin ses mots de passe")
ANSSI12_2 = anssi12(2, "mettre à jour régulièrement ses logiciels")
ANSSI12_3 = anssi12(3, "bien connaître ses utilisateurs et ses prestataires")
ANSSI12_4 = anssi12(4, "effectuer des sauvegardes régulières")
ANSSI12_5 = anssi12(5, "sécuriser l'accès Wi-Fi")
ANSSI12_8 = anssi12(8, "être prudent avec sa messagerie")
ANSSI12_11 = anssi12(11, "séparer les usages personnels et professionnels")

CNIL_SECURITE = Reference(
    "CNIL, guide de la sécurité des données personnelles",
    "https://www.cnil.fr/fr/guide-de-la-securite-des-donnees-personnelles",
)
CNIL_SANTE = Reference(
    "CNIL, professionnels de santé : la protection des données de vos patients",
    "https://www.cnil.fr/fr/sante",
)
CNIL_REGISTRE = Reference(
    "CNIL, le registre des activités de traitement",
    "https://www.cnil.fr/fr/RGDP-le-registre-des-activites-de-traitement",
)
CNIL_VIOLATION = Reference(
    "CNIL, notifier une violation de données personnelles",
    "https://www.cnil.fr/fr/notifier-une-violation-de-donnees-personnelles",
)
CYBER_RANCONGICIEL = Reference(
    "cybermalveillance.gouv.fr : les rançongiciels",
    "https://www.cybermalveillance.gouv.fr/tous-nos-contenus/fiches-reflexes/"
    "rancongiciels-ransomwares",
)


def evidence(answers: Answers, question_id: str) -> Evidence:
    """``Evidence("survey backup.offline_copy", "no (answered 2026-11-28)")``."""
    answer = answers.get(question_id)
    if answer is None:
        return Evidence(f"survey {question_id}", "-")
    when = answer.answered_at.date().isoformat()
    return Evidence(f"survey {question_id}", f"{answer.value} (answered {when})")


def answered_with(answers: Answers, question_id: str, values: Iterable[Value]) -> Hit:
    """Fire when ``question_id`` was answered with one of ``values``; never when unanswered."""
    if answers.value(question_id) in tuple(values):
        return (evidence(answers, question_id),)
    return None


def rule(question_id: str, *values: Value) -> Callable[[Answers, CheckContext], Hit]:
    """A check function firing when ``question_id`` holds one of ``values``."""

    def judge(answers: Answers, ctx: CheckContext) -> Hit:
        return answered_with(answers, question_id, values)

    judge.__name__ = judge.__qualname__ = "judge_" + question_id.replace(".", "_")
    judge.__doc__ = f"Fires when {question_id} is {' or '.join(str(v) for v in values)}."
    return judge

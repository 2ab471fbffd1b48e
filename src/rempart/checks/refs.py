"""References shared by several checks: one spelling, one address for each document.

ANSSI's *Guide d'hygiène informatique* (42 measures, 2017) is cited by measure number;
the ANS *Mémento de sécurité informatique pour les professionnels de santé en exercice
libéral* (PGSSI-S) by theme.
"""

from __future__ import annotations

from rempart.checks.base import Reference

_ANSSI_HYGIENE = "https://cyber.gouv.fr/publications/guide-dhygiene-informatique"
_ANS_MEMENTO = "https://esante.gouv.fr/produits-services/pgssi-s"


def anssi(measure: int, title: str) -> Reference:
    """A measure of ANSSI's hygiene guide."""
    label = f"ANSSI, guide d'hygiène informatique, mesure {measure} : {title}"
    return Reference(label, _ANSSI_HYGIENE)


ANSSI_3 = anssi(3, "maîtriser les risques de l'infogérance")
ANSSI_10 = anssi(
    10,
    "définir et vérifier des règles de choix et de dimensionnement des mots de passe",
)
ANSSI_12 = anssi(
    12,
    "changer les éléments d'authentification par défaut sur les équipements et services",
)
ANSSI_13 = anssi(13, "privilégier lorsque c'est possible une authentification forte")
ANSSI_14 = anssi(
    14,
    "mettre en place un niveau de sécurité minimal sur l'ensemble du parc informatique",
)
ANSSI_17 = anssi(17, "activer et configurer le pare-feu local des postes de travail")
ANSSI_19 = anssi(19, "segmenter le réseau et mettre en place un cloisonnement entre ces zones")
ANSSI_21 = anssi(21, "utiliser des protocoles réseaux sécurisés dès qu'ils existent")
ANSSI_28 = anssi(
    28,
    "utiliser un réseau dédié et cloisonné pour l'administration du système d'information",
)
ANSSI_34 = anssi(34, "définir une politique de mise à jour des composants du système d'information")
ANSSI_35 = anssi(
    35,
    "anticiper la fin de la maintenance des logiciels et systèmes "
    "et limiter les adhérences logicielles",
)

ANS_EQUIPEMENTS = Reference(
    "ANS, mémento de sécurité informatique pour les professionnels de santé en exercice libéral, "
    "thème 4 : protéger vos équipements informatiques",
    _ANS_MEMENTO,
)
ANS_ACCES = Reference(
    "ANS, mémento de sécurité informatique pour les professionnels de santé en exercice libéral, "
    "thème 5 : maîtriser les accès aux informations",
    _ANS_MEMENTO,
)

CYBER_MOTS_DE_PASSE = Reference(
    "cybermalveillance.gouv.fr : les mots de passe",
    "https://www.cybermalveillance.gouv.fr/tous-nos-contenus/bonnes-pratiques/mots-de-passe",
)
CYBER_MISES_A_JOUR = Reference(
    "cybermalveillance.gouv.fr : les mises à jour",
    "https://www.cybermalveillance.gouv.fr/tous-nos-contenus/bonnes-pratiques/mises-a-jour",
)
ANSSI_TLS = Reference(
    "ANSSI, recommandations de sécurité relatives à TLS",
    "https://cyber.gouv.fr/publications/recommandations-de-securite-relatives-tls",
)
ANSSI_SSH = Reference(
    "ANSSI, recommandations pour un usage sécurisé d'(Open)SSH",
    "https://cyber.gouv.fr/publications/usage-securise-dopenssh",
)

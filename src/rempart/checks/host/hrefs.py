"""References used by the HOST- checks only (shared ones live in :mod:`rempart.checks.refs`)."""

from __future__ import annotations

from rempart.checks.base import Reference
from rempart.checks.refs import anssi

ANSSI_7 = anssi(
    7,
    "identifier nominativement chaque personne accédant au système "
    "et distinguer les rôles utilisateur/administrateur",
)
ANSSI_15 = anssi(15, "se protéger des menaces relatives à l'utilisation de supports amovibles")
ANSSI_29 = anssi(
    29,
    "limiter au strict besoin opérationnel les droits d'administration sur les postes de travail",
)
ANSSI_31 = anssi(
    31, "chiffrer les données sensibles, en particulier sur le matériel potentiellement perdable"
)
ANSSI_37 = anssi(37, "définir et appliquer une politique de sauvegarde des composants critiques")

CYBER_SAUVEGARDES = Reference(
    "cybermalveillance.gouv.fr : les sauvegardes",
    "https://www.cybermalveillance.gouv.fr/tous-nos-contenus/bonnes-pratiques/sauvegardes",
)
CNIL_MOTS_DE_PASSE = Reference(
    "CNIL : recommandation relative aux mots de passe (2022)",
    "https://www.cnil.fr/fr/mots-de-passe-une-nouvelle-recommandation-pour-maitriser-sa-securite",
)

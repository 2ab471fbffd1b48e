"""Databases reachable from the whole LAN (the practice-management software's data)."""

from __future__ import annotations

from rempart.checks import refs
from rempart.checks.base import CheckContext, CheckMeta, Hit, Text, Who, check
from rempart.core.model import Evidence, Service, Severity
from rempart.core.observations import DatabaseObservation


@check(
    CheckMeta(
        id="NET-DB-EXPOSED",
        severity=Severity.MEDIUM,
        title=Text(
            fr="Base de données du cabinet joignable depuis tout le réseau",
            en="Practice database reachable from the whole network",
        ),
        risk=Text(
            fr="La base de données qui contient les dossiers patients et l'agenda répond à tous "
            "les appareils du réseau. Un poste infecté peut y essayer des mots de passe (souvent "
            "laissés par défaut par les logiciels) puis copier ou chiffrer les données.",
            en="The database holding patient records and the agenda answers every device on the "
            "network. An infected computer can try passwords on it (software often leaves the "
            "default ones) then copy or encrypt the data.",
        ),
        remediation=Text(
            fr="Demandez à l'éditeur du logiciel de gestion du cabinet et au prestataire "
            "informatique de limiter, dans le pare-feu du serveur, l'accès à ce port aux seuls "
            "postes qui utilisent le logiciel, et de vérifier que les comptes de la base n'ont "
            "pas de mot de passe par défaut.",
            en="Ask the practice-management software vendor and the IT provider to restrict this "
            "port in the server's firewall to the computers that use the software, and to check "
            "that the database accounts have no default password.",
        ),
        who=(Who.SOFTWARE_VENDOR, Who.IT_PROVIDER),
        references=(refs.ANSSI_17, refs.ANSSI_19, refs.ANSSI_12, refs.ANS_ACCES),
        rationale="medium: reachable, still protected by its own passwords (checked elsewhere).",
        categories=("exposure", "patient-data"),
    )
)
def db_exposed(service: Service, ctx: CheckContext) -> Hit:
    obs = service.observation(DatabaseObservation)
    if not isinstance(obs, DatabaseObservation) or not obs.engine:
        return None
    evidence = [Evidence("engine", obs.engine)]
    if obs.version:
        evidence.append(Evidence("version", obs.version))
    if obs.detail:
        evidence.append(Evidence("detail", obs.detail))
    return tuple(evidence)

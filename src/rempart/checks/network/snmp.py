"""SNMP: a well-known community name ("public", "private"…) answers."""

from __future__ import annotations

from rempart.checks import refs
from rempart.checks.base import CheckContext, CheckMeta, Hit, Text, Who, check
from rempart.core.model import Evidence, Service, Severity
from rempart.core.observations import SnmpObservation

DEFAULT_COMMUNITIES = frozenset(
    {"public", "private", "community", "admin", "manager", "default", "snmp", "cisco", "internal"}
)


@check(
    CheckMeta(
        id="NET-SNMP-DEFAULT-COMMUNITY",
        severity=Severity.MEDIUM,
        title=Text(
            fr="Supervision SNMP accessible avec le mot de passe d'usine",
            en="SNMP monitoring reachable with the factory password",
        ),
        risk=Text(
            fr="L'appareil répond à quiconque utilise le nom de communauté d'usine (« public », "
            "« private »). Il livre ainsi sa configuration et la carte du réseau, et parfois "
            "permet de la modifier.",
            en='The device answers anyone using the factory community name ("public", '
            '"private"). It thus gives away its configuration and a map of the network, and '
            "sometimes lets it be changed.",
        ),
        remediation=Text(
            fr="Dans l'interface d'administration de l'appareil (pour une imprimante : serveur web "
            "intégré → Réseau → SNMP), désactivez SNMP s'il ne sert pas, sinon passez en SNMPv3 "
            "ou remplacez le nom de communauté par une valeur longue et secrète.",
            en="In the device's admin interface (for a printer: embedded web server → Networking → "
            "SNMP), turn SNMP off if it is not used, otherwise switch to SNMPv3 or replace the "
            "community name with a long secret value.",
        ),
        who=(Who.IT_PROVIDER,),
        references=(refs.ANSSI_12, refs.ANSSI_21, refs.ANS_EQUIPEMENTS),
        rationale="medium: leaks configuration and network map; write access only with 'private'.",
        categories=("credentials", "legacy-protocol"),
    )
)
def snmp_default_community(service: Service, ctx: CheckContext) -> Hit:
    obs = service.observation(SnmpObservation)
    if not isinstance(obs, SnmpObservation):
        return None
    found = [c for c in obs.communities if c.casefold() in DEFAULT_COMMUNITIES]
    if not found:
        return None
    evidence = [Evidence("communities answering", ", ".join(found))]
    if obs.sysdescr:
        evidence.append(Evidence("sysDescr", obs.sysdescr))
    return tuple(evidence)

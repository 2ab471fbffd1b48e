"""SSH: algorithms broken or deprecated still offered by the server.

The check keeps its own list of weak algorithms (the verdict is the check's job) and
also trusts the ``weak_*`` fields a probe may have filled.
"""

from __future__ import annotations

from rempart.checks import refs
from rempart.checks.base import CheckContext, CheckMeta, Hit, Text, Who, check
from rempart.core.model import Evidence, Service, Severity
from rempart.core.observations import SshObservation

WEAK_KEX = frozenset(
    {
        "diffie-hellman-group1-sha1",
        "diffie-hellman-group-exchange-sha1",
        "rsa1024-sha1",
        "gss-group1-sha1-toWM5Slw5Ew8Mqkay+al2g==",
    }
)
WEAK_CIPHERS = frozenset(
    {
        "3des-cbc",
        "des-cbc",
        "des",
        "arcfour",
        "arcfour128",
        "arcfour256",
        "blowfish-cbc",
        "cast128-cbc",
        "none",
        "rijndael-cbc@lysator.liu.se",
    }
)
WEAK_MACS = frozenset(
    {
        "hmac-md5",
        "hmac-md5-96",
        "hmac-md5-etm@openssh.com",
        "hmac-md5-96-etm@openssh.com",
        "hmac-sha1-96",
        "hmac-sha1-96-etm@openssh.com",
        "none",
    }
)
WEAK_HOST_KEYS = frozenset({"ssh-dss", "ssh-dss-cert-v01@openssh.com"})


def _weak(offered: tuple[str, ...], flagged: tuple[str, ...], known: frozenset[str]) -> list[str]:
    seen = [a for a in offered if a in known]
    seen += [a for a in flagged if a not in seen]
    return seen


@check(
    CheckMeta(
        id="NET-SSH-WEAK-ALGOS",
        severity=Severity.MEDIUM,
        title=Text(
            fr="Accès SSH acceptant des algorithmes de chiffrement cassés",
            en="SSH access accepts broken encryption algorithms",
        ),
        risk=Text(
            fr="Cet appareil propose encore des méthodes de chiffrement anciennes (3DES, RC4, MD5, "
            "Diffie-Hellman 1024 bits…). C'est le signe d'un système qui n'est plus mis à jour, "
            "et ces méthodes affaiblissent la protection des mots de passe et des fichiers "
            "transférés.",
            en="This device still offers old encryption methods (3DES, RC4, MD5, 1024-bit "
            "Diffie-Hellman…). It is the sign of a system that is no longer updated, and these "
            "methods weaken the protection of passwords and transferred files.",
        ),
        remediation=Text(
            fr="Mettez à jour le système de l'appareil (pour un NAS : interface "
            "d'administration → mise à jour du micrologiciel). Si SSH ne sert pas, désactivez-le "
            "(NAS QNAP : Panneau de configuration → Services réseau et fichiers → Telnet/SSH ; "
            "Synology : Panneau de configuration → Terminal et SNMP). Sinon, le prestataire "
            "informatique retire les algorithmes listés de la configuration SSH.",
            en="Update the device's system (for a NAS: admin interface → firmware update). If SSH "
            "is not used, turn it off (QNAP NAS: Control Panel → Network & File Services → "
            "Telnet/SSH; Synology: Control Panel → Terminal & SNMP). Otherwise the IT provider "
            "removes the listed algorithms from the SSH configuration.",
        ),
        who=(Who.IT_PROVIDER,),
        references=(refs.ANSSI_SSH, refs.ANSSI_21, refs.ANSSI_34),
        rationale=(
            "medium: weakens the encryption of an administration channel and signals an "
            "unmaintained system."
        ),
        categories=("encryption", "patching"),
    )
)
def ssh_weak_algos(service: Service, ctx: CheckContext) -> Hit:
    obs = service.observation(SshObservation)
    if not isinstance(obs, SshObservation):
        return None
    groups = (
        ("weak key exchange", _weak(obs.kex_algorithms, obs.weak_kex, WEAK_KEX)),
        ("weak ciphers", _weak(obs.ciphers, obs.weak_ciphers, WEAK_CIPHERS)),
        ("weak MACs", _weak(obs.macs, obs.weak_macs, WEAK_MACS)),
        (
            "weak host keys",
            _weak(obs.host_key_algorithms, obs.weak_host_keys, WEAK_HOST_KEYS),
        ),
    )
    evidence = [Evidence(label, ", ".join(algos)) for label, algos in groups if algos]
    if not evidence:
        return None
    if obs.software:
        evidence.insert(0, Evidence("software", obs.software))
    return tuple(evidence)

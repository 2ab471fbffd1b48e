"""TLS: old protocol versions, expired or self-signed certificates.

Not applied to RDP: Windows' Remote Desktop always uses a self-signed certificate and its
security is judged by the RDP checks. A self-signed certificate that has also expired
gets NET-TLS-CERT-SELF-SIGNED only (its date protects nothing): one finding per hole.
"""

from __future__ import annotations

from datetime import UTC, datetime

from rempart.checks import refs
from rempart.checks.base import CheckContext, CheckMeta, Hit, Text, Who, check
from rempart.core.model import Evidence, Service, Severity
from rempart.core.observations import RdpObservation, TlsObservation

OLD_VERSIONS = ("SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1")


def _tls(service: Service) -> TlsObservation | None:
    if service.name == "rdp" or service.observation(RdpObservation) is not None:
        return None
    obs = service.observation(TlsObservation)
    return obs if isinstance(obs, TlsObservation) else None


def parse_utc(text: str | None) -> datetime | None:
    """An ISO 8601 date from a certificate, as an aware UTC datetime; ``None`` if unreadable."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@check(
    CheckMeta(
        id="NET-TLS-OLD",
        severity=Severity.LOW,
        title=Text(
            fr="Chiffrement HTTPS dans une version dépassée (TLS 1.0/1.1)",
            en="HTTPS encryption in an outdated version (TLS 1.0/1.1)",
        ),
        risk=Text(
            fr="L'appareil accepte encore TLS 1.0 ou 1.1, abandonnés par les navigateurs depuis "
            "2020. C'est le signe d'un logiciel qui n'est plus tenu à jour, et ces versions "
            "protègent moins bien les mots de passe saisis sur la page.",
            en="The device still accepts TLS 1.0 or 1.1, dropped by browsers since 2020. It is "
            "the sign of software that is no longer kept up to date, and these versions protect "
            "the passwords typed on the page less well.",
        ),
        remediation=Text(
            fr="Faites mettre à jour le micrologiciel de l'appareil, puis, dans ses réglages "
            "HTTPS ou de sécurité (sur un NAS, dans le Panneau de configuration), choisissez "
            "TLS 1.2 comme version minimale. Si le réglage n'existe pas, demandez au prestataire "
            "informatique si l'appareil est encore maintenu.",
            en="Have the device's firmware updated, then, in its HTTPS or security settings (on "
            "a NAS, in the Control Panel), choose TLS 1.2 as the minimum version. If there is no "
            "such setting, ask the IT provider whether the device is still maintained.",
        ),
        who=(Who.IT_PROVIDER,),
        references=(refs.ANSSI_TLS, refs.ANSSI_21, refs.ANSSI_34),
        rationale="low: weak but not broken in practice on a LAN; a sign of missing updates.",
        categories=("encryption", "patching"),
    )
)
def tls_old(service: Service, ctx: CheckContext) -> Hit:
    obs = _tls(service)
    if obs is None:
        return None
    old = [v for v in obs.versions if v in OLD_VERSIONS]
    if not old:
        return None
    return (
        Evidence("old versions accepted", ", ".join(old)),
        Evidence("all versions accepted", ", ".join(obs.versions)),
    )


@check(
    CheckMeta(
        id="NET-TLS-CERT-EXPIRED",
        severity=Severity.LOW,
        title=Text(
            fr="Certificat HTTPS expiré",
            en="Expired HTTPS certificate",
        ),
        risk=Text(
            fr="Le navigateur affiche un avertissement à chaque visite ; à force de cliquer "
            "« continuer », on ne remarque plus une vraie usurpation de la page (et du mot de "
            "passe qu'on y saisit).",
            en='The browser shows a warning at every visit; after clicking "continue" a few '
            "times, nobody notices a real impersonation of the page (and of the password typed "
            "into it).",
        ),
        remediation=Text(
            fr="Demandez au prestataire informatique de renouveler le certificat de l'appareil "
            "(sur un NAS, dans le Panneau de configuration, rubrique Sécurité ou Certificat) et "
            "de programmer son renouvellement automatique.",
            en="Ask the IT provider to renew the device's certificate (on a NAS, in the Control "
            "Panel, under Security or Certificate) and to schedule its automatic renewal.",
        ),
        who=(Who.IT_PROVIDER,),
        references=(refs.ANSSI_TLS, refs.ANSSI_21),
        rationale="low: trains users to click through warnings; no direct compromise.",
        categories=("encryption",),
    )
)
def tls_cert_expired(service: Service, ctx: CheckContext) -> Hit:
    obs = _tls(service)
    if obs is None or obs.self_signed is True:
        return None
    not_after = parse_utc(obs.not_after)
    if not_after is None or not_after >= ctx.now:
        return None
    return (
        Evidence("valid until", not_after.isoformat()),
        Evidence("subject", obs.subject or "-"),
        Evidence("issuer", obs.issuer or "-"),
    )


@check(
    CheckMeta(
        id="NET-TLS-CERT-SELF-SIGNED",
        severity=Severity.LOW,
        title=Text(
            fr="Certificat HTTPS auto-signé",
            en="Self-signed HTTPS certificate",
        ),
        risk=Text(
            fr="Le certificat n'est garanti par personne : le navigateur avertit à chaque visite, "
            "et l'on ne peut pas distinguer la vraie page d'une fausse qui volerait le mot de "
            "passe d'administration.",
            en="Nobody vouches for the certificate: the browser warns at every visit, and the "
            "real page cannot be told from a fake one stealing the admin password.",
        ),
        remediation=Text(
            fr="Demandez au prestataire informatique d'installer sur l'appareil un certificat "
            "reconnu (Let's Encrypt, proposé par la plupart des NAS) ou un certificat d'une "
            "autorité interne installée sur les postes du cabinet.",
            en="Ask the IT provider to install a trusted certificate on the device (Let's "
            "Encrypt, offered by most NAS) or one from an internal authority installed on the "
            "practice's computers.",
        ),
        who=(Who.IT_PROVIDER,),
        references=(refs.ANSSI_TLS, refs.ANSSI_21),
        rationale="low: same as an expired certificate; usual on appliances.",
        categories=("encryption",),
    )
)
def tls_cert_self_signed(service: Service, ctx: CheckContext) -> Hit:
    obs = _tls(service)
    if obs is None or obs.self_signed is not True:
        return None
    return (
        Evidence("subject", obs.subject or "-"),
        Evidence("issuer", obs.issuer or "-"),
    )

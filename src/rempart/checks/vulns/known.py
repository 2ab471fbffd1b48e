"""Known vulnerabilities of a service, one finding per urgency tier.

The matcher in ``ctx.vulns`` (``rempart.vulns.matching.VulnMatcher``) lists a service's CVEs,
each ``confirmed`` or ``probable`` with its reason. They are split into four tiers, each a
check with its own severity, so that the most urgent work shows first:

* ``NET-VULN-RANSOMWARE`` (critical): in CISA's KEV catalogue with known ransomware use;
* ``NET-VULN-KEV`` (high): in KEV (exploited in the wild), no ransomware use recorded;
* ``NET-VULN-LIKELY`` (medium): not in KEV, but EPSS ≥ 0.1 (likely to be exploited soon);
* ``NET-VULN-CVE`` (low): a published flaw with no sign of exploitation.

A service with CVEs in several tiers gets one finding per tier, each listing only its own
CVEs: a NAS with a ransomware CVE and an old OpenSSH-level flaw shows both, the first as
critical. The finding carries every CVE ID of its tier (``Finding.cves``); the evidence
details the first few (confidence and reason, what the flaw does, the fixed version).

These checks only read ``ctx.vulns``: no I/O of their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from rempart.checks import refs
from rempart.checks.base import (
    CheckContext,
    CheckMeta,
    Hit,
    Reference,
    Text,
    Verdict,
    Who,
    check,
)
from rempart.core.model import Asset, Evidence, Service, Severity

MAX_LISTED = 6  # CVEs detailed in the evidence of one finding; the rest are named only
CONFIDENCE_FR = {"confirmed": "confirmée", "probable": "probable"}

TIER_RANSOMWARE, TIER_KEV, TIER_LIKELY, TIER_OTHER = 0, 1, 2, 3


class _Words(Protocol):
    @property
    def en(self) -> str: ...

    @property
    def fr(self) -> str: ...


class _Match(Protocol):
    @property
    def cve_id(self) -> str: ...
    @property
    def confidence(self) -> str: ...
    @property
    def reason(self) -> _Words: ...
    @property
    def explanation(self) -> _Words: ...
    @property
    def fixed_version(self) -> _Words | None: ...
    @property
    def cvss(self) -> float | None: ...
    @property
    def epss(self) -> float | None: ...
    @property
    def tier(self) -> int: ...


class _Matcher(Protocol):
    def match(self, service: Service, asset: Asset | None = None) -> Sequence[_Match]: ...


def _tier_hit(service: Service, ctx: CheckContext, tier: int) -> Hit:
    matcher: _Matcher | None = ctx.vulns
    if matcher is None:
        return None
    matches = [m for m in matcher.match(service, ctx.asset) if m.tier == tier]
    if not matches:
        return None
    evidence: list[Evidence] = []
    for m in matches[:MAX_LISTED]:
        scores = []
        if m.cvss is not None:
            scores.append(f"CVSS {m.cvss:.1f}")
        if m.epss is not None:
            scores.append(f"EPSS {m.epss:.2f}")
        head = m.confidence + (f" ({', '.join(scores)})" if scores else "")
        head_fr = CONFIDENCE_FR.get(m.confidence, m.confidence) + head[len(m.confidence) :]
        evidence.append(Evidence(m.cve_id, f"{head}: {m.reason.en}", f"{head_fr} : {m.reason.fr}"))
        evidence.append(Evidence(f"{m.cve_id} impact", m.explanation.en, m.explanation.fr))
        fixed = m.fixed_version
        evidence.append(
            Evidence(
                f"{m.cve_id} fixed in",
                fixed.en if fixed is not None else "see the NVD entry",
                fixed.fr if fixed is not None else "voir la fiche du NVD",
            )
        )
    rest = [m.cve_id for m in matches[MAX_LISTED:]]
    if rest:
        evidence.append(Evidence("other CVEs", ", ".join(rest)))
    return Verdict(evidence=tuple(evidence), cves=tuple(m.cve_id for m in matches))


_CISA_KEV = Reference(
    "CISA, Known Exploited Vulnerabilities Catalog",
    "https://www.cisa.gov/known-exploited-vulnerabilities-catalog",
)
_CERT_FR = Reference("CERT-FR, avis et alertes de sécurité", "https://www.cert.ssi.gouv.fr/")
_EPSS = Reference("FIRST, Exploit Prediction Scoring System (EPSS)", "https://www.first.org/epss/")
_NVD = Reference("NVD, National Vulnerability Database", "https://nvd.nist.gov/")

_REMEDIATION = Text(
    fr="Pour chaque CVE listée, appliquez la mise à jour indiquée (« fixed in ») : firmware de "
    "l'appareil depuis son interface d'administration, mises à jour Windows, ou nouvelle "
    "version du logiciel. Si l'appareil n'est plus mis à jour par son fabricant, remplacez-le. "
    "En attendant, ne l'exposez pas sur Internet et vérifiez que les sauvegardes sont "
    "déconnectées du réseau.",
    en='For each CVE listed, apply the update shown ("fixed in"): the device\'s firmware '
    "from its admin interface, Windows updates, or a new version of the software. If the "
    "maker no longer updates the device, replace it. Meanwhile keep it off the Internet and "
    "make sure backups are disconnected from the network.",
)


@check(
    CheckMeta(
        id="NET-VULN-RANSOMWARE",
        severity=Severity.CRITICAL,
        title=Text(
            fr="Faille connue utilisée par des rançongiciels",
            en="Known flaw used by ransomware",
        ),
        risk=Text(
            fr="Cet appareil a une faille que des rançongiciels ont déjà utilisée pour "
            "chiffrer des données (Qlocker et DeadBolt sur les NAS, WannaCry par SMBv1...). Les "
            "attaquants la recherchent automatiquement : le cabinet peut perdre ses dossiers "
            "patients et ses sauvegardes.",
            en="This device has a flaw that ransomware has already used to encrypt data "
            "(Qlocker and DeadBolt on NAS devices, WannaCry through SMBv1...). Attackers scan for "
            "it automatically: the practice can lose its patient records and its backups.",
        ),
        remediation=_REMEDIATION,
        who=(Who.IT_PROVIDER,),
        references=(refs.ANSSI_34, refs.CYBER_MISES_A_JOUR, _CISA_KEV, _CERT_FR),
        rationale=(
            "critical: listed in CISA KEV with known ransomware use; exploited at scale "
            "against small organisations, and the outcome is the loss of patient data."
        ),
        categories=("vulnerability", "ransomware", "patching"),
    )
)
def vuln_ransomware(service: Service, ctx: CheckContext) -> Hit:
    return _tier_hit(service, ctx, TIER_RANSOMWARE)


@check(
    CheckMeta(
        id="NET-VULN-KEV",
        severity=Severity.HIGH,
        title=Text(
            fr="Faille connue activement exploitée par des attaquants",
            en="Known flaw actively exploited by attackers",
        ),
        risk=Text(
            fr="Cet appareil a une faille que des attaquants exploitent réellement (catalogue "
            "KEV de l'agence américaine CISA). Elle peut leur ouvrir le réseau du cabinet.",
            en="This device has a flaw that attackers really exploit (the US agency CISA's "
            "KEV catalogue). It can open the practice network to them.",
        ),
        remediation=_REMEDIATION,
        who=(Who.IT_PROVIDER,),
        references=(refs.ANSSI_34, refs.CYBER_MISES_A_JOUR, _CISA_KEV, _CERT_FR),
        rationale=(
            "high: exploited in the wild (CISA KEV) but no ransomware campaign recorded; "
            "fix within days."
        ),
        categories=("vulnerability", "patching"),
    )
)
def vuln_kev(service: Service, ctx: CheckContext) -> Hit:
    return _tier_hit(service, ctx, TIER_KEV)


@check(
    CheckMeta(
        id="NET-VULN-LIKELY",
        severity=Severity.MEDIUM,
        title=Text(
            fr="Faille connue probablement bientôt exploitée",
            en="Known flaw likely to be exploited soon",
        ),
        risk=Text(
            fr="Cet appareil a une faille publiée que le score EPSS juge probable d'être "
            "exploitée dans les prochaines semaines.",
            en="This device has a published flaw that the EPSS score rates as likely to be "
            "exploited in the coming weeks.",
        ),
        remediation=_REMEDIATION,
        who=(Who.IT_PROVIDER,),
        references=(refs.ANSSI_34, refs.CYBER_MISES_A_JOUR, _EPSS),
        rationale=(
            "medium: not known exploited yet, but EPSS >= 0.1 (a 10% or higher chance of "
            "exploitation within 30 days); only reported when the EPSS feed was imported."
        ),
        categories=("vulnerability", "patching"),
    )
)
def vuln_likely(service: Service, ctx: CheckContext) -> Hit:
    return _tier_hit(service, ctx, TIER_LIKELY)


@check(
    CheckMeta(
        id="NET-VULN-CVE",
        severity=Severity.LOW,
        title=Text(
            fr="Version avec des failles connues (non exploitées à ce jour)",
            en="Version with known flaws (not exploited so far)",
        ),
        risk=Text(
            fr="Le logiciel de cet appareil est une version avec des failles publiées. Aucune "
            "exploitation n'est connue, mais un appareil qui n'est pas mis à jour accumule les "
            "failles.",
            en="This device runs a version with published flaws. No exploitation is known, but "
            "a device that is not updated piles up flaws.",
        ),
        remediation=_REMEDIATION,
        who=(Who.IT_PROVIDER,),
        references=(refs.ANSSI_34, refs.CYBER_MISES_A_JOUR, _NVD),
        rationale=(
            "low: published CVEs without known exploitation (not in KEV, EPSS below 0.1 or "
            "unknown); their CVSS is shown in the evidence; fix at the next maintenance."
        ),
        categories=("vulnerability", "patching"),
    )
)
def vuln_cve(service: Service, ctx: CheckContext) -> Hit:
    return _tier_hit(service, ctx, TIER_OTHER)

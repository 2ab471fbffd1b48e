"""Which known vulnerabilities a service has, how sure we are, and which come first.

A :class:`~rempart.core.model.Service` is matched on what discovery learnt: its CPE (2.2 or
2.3, from fingerprints or a recognised console), its product and version strings, the HTTP
``Server`` header, banners (FTP greeting, SSH identification) and protocol facts (SMBv1
accepted, the Windows version announced over SMB). Each match says how sure it is:

* ``confirmed``: the exact version was seen and it lies in an affected range;
* ``probable``: the flaw is likely but cannot be proven from the network, and the match
  says why: a Linux distribution may have backported the fix without changing the version
  (``OpenSSH_9.2p1 Debian-2+deb12u3``), the version seen is incomplete (QTS ``4.5.1``
  without its build), the flaw is in an app matched on the firmware that shipped it, or it
  is a protocol-level fact whose patch level is invisible (SMBv1 → MS17-010).

A fact never fires on "unknown": no version, no match (except protocol-level facts that
do not depend on one).

Matches are sorted by :func:`priority_key`: CISA KEV with known ransomware use first, then
KEV, then EPSS ≥ 0.1, then CVSS. The curated base (:mod:`rempart.vulns.curated`) gives the
facts a dentist can act on; the imported feeds (``rempart.vulns.store.KnowledgeBase``), when
present, add CVEs the base does not know, EPSS scores and fresher KEV flags.

Matching is pure computation except the optional knowledge-base queries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from rempart.core.model import Asset, Service
from rempart.core.observations import (
    FtpObservation,
    HttpObservation,
    RdpObservation,
    SmbObservation,
    SshObservation,
)
from rempart.vulns.curated import (
    AffectedRange,
    Bilingual,
    CuratedBase,
    CuratedCve,
    Product,
    builtin_curated,
)

Confidence = Literal["confirmed", "probable"]
CONFIRMED: Confidence = "confirmed"
PROBABLE: Confidence = "probable"

EPSS_LIKELY = 0.1  # EPSS at or above this: "likely to be exploited" tier
TIER_RANSOMWARE, TIER_KEV, TIER_LIKELY, TIER_OTHER = 0, 1, 2, 3

MAX_VERSION = 64  # characters of a version string considered
MAX_PARTS = 8  # digit groups compared
MAX_DIGITS = 12  # digits per group (a longer group is not a version)
MAX_CACHE = 4096  # distinct (product, version) identities cached by a VulnMatcher

# Markers of a distribution build that may carry backported fixes.
_DISTRO = re.compile(
    r"debian|ubuntu|raspbian|\bdeb\d+u\d+|\+deb\d|~deb\d|\bel\d|centos|red ?hat|rhel|"
    r"fedora|suse|alpine|amzn|freebsd|netbsd|mageia|rocky|almalinux|gentoo",
    re.IGNORECASE,
)
_SERVER_COMMENT = re.compile(r"\(([^)]{1,60})\)")
_UPSTREAM = re.compile(r"^\s*v?(\d+(?:\.\d+){0,7}(?:p\d+)?)")
_DIGITS = re.compile(r"\d+")
_CPE23 = re.compile(r"(?<!\\):")
_BUILD = re.compile(r"^build[_ ]?(\d{6,8})$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class VulnMatch:
    """One known vulnerability of one service, with how sure we are and what to do.

    ``reason`` says why the match holds and, for ``probable``, why it is not certain.
    ``explanation``/``remediation``/``fixed_version`` come from the curated base, or are
    generic sentences for a CVE only the imported feeds know.
    """

    cve_id: str
    confidence: Confidence
    reason: Bilingual
    kev: bool
    ransomware: bool
    epss: float | None
    cvss: float | None
    explanation: Bilingual
    remediation: Bilingual
    fixed_version: Bilingual | None
    sources: tuple[str, ...]
    product: str  # "QNAP QTS 4.5.1.1495 build 20201015", as matched
    curated: bool = True
    reason_code: str = (
        "in-range"  # in-range, incomplete-version, backport, inferred, smb1, windows-os
    )

    @property
    def tier(self) -> int:
        """0: KEV with known ransomware use; 1: KEV; 2: EPSS ≥ 0.1; 3: the rest."""
        if self.kev and self.ransomware:
            return TIER_RANSOMWARE
        if self.kev:
            return TIER_KEV
        if self.epss is not None and self.epss >= EPSS_LIKELY:
            return TIER_LIKELY
        return TIER_OTHER


def priority_key(match: VulnMatch) -> tuple[int, float, float, int, str]:
    """Sort key, most urgent first: tier, then (EPSS tier) EPSS, then CVSS, confirmed first."""
    return (
        match.tier,
        -(match.epss or 0.0) if match.tier == TIER_LIKELY else 0.0,
        -(match.cvss or 0.0),
        0 if match.confidence == CONFIRMED else 1,
        match.cve_id,
    )


@dataclass(frozen=True, slots=True)
class Identity:
    """A product as a service shows it: key, the version text seen, build, distribution."""

    key: str  # "vendor:product"
    version: str | None
    build: str | None = None
    distro: str | None = None  # "Debian-2+deb12u3": a backport is possible

    @property
    def shown(self) -> str:
        text = self.version or "?"
        if self.build:
            text += f" build {self.build}"
        if self.distro:
            text += f" {self.distro}"
        return text


@dataclass(frozen=True, slots=True)
class _Facts:
    """What matching depends on, hashable: the cache key of a VulnMatcher."""

    identities: tuple[Identity, ...]
    smb1: bool
    windows: str | None  # Windows version announced over SMB (native OS)
    protocol: str | None  # "smb", "rdp": protocol-level facts apply


# --- versions -----------------------------------------------------------------------------


def version_key(
    text: str | None, scheme: str = "numeric", build: str | None = None
) -> tuple[int, ...] | None:
    """Comparable digit groups of a version, or ``None`` when it is not one we can compare.

    ``numeric``: the digit groups ("7.4p1" → 7, 4, 1). ``qts``: the firmware's groups then
    the build date. ``dsm``: "7.1-42661-1" → 7, 1, 0, 42661, 1 (three release groups, so
    that 7.1-42661 and 7.1.1-42962 compare right).
    """
    if not text or len(text) > MAX_VERSION:
        return None
    text = text.strip()
    if not text[:1].isdigit() and not (text[:1] in "vV" and text[1:2].isdigit()):
        return None
    if scheme == "dsm":
        release, _, rest = text.partition("-")
        head = [int(d) for d in _DIGITS.findall(release)][:3]
        head += [0] * (3 - len(head))
        parts = head + [int(d) for d in _DIGITS.findall(rest)]
    else:
        parts = [int(d) for d in _DIGITS.findall(text)]
        if scheme == "qts" and build and build.isdigit():
            parts.append(int(build))
    if not parts or len(parts) > MAX_PARTS or any(p >= 10**MAX_DIGITS for p in parts):
        return None
    return tuple(parts)


@lru_cache(maxsize=2048)
def _bound_key(text: str, scheme: str) -> tuple[int, ...] | None:
    """A curated bound's key: the same few hundred strings for every service."""
    return version_key(text, scheme)


def _compare(seen: tuple[int, ...], bound: tuple[int, ...]) -> tuple[int, bool]:
    """(sign of seen − bound, ambiguous): ambiguous when ``seen`` is a shorter prefix of
    ``bound`` (``4.5.1`` against ``4.5.1.1495.20201123``: the build decides)."""
    if len(seen) < len(bound) and bound[: len(seen)] == seen and any(bound[len(seen) :]):
        return -1, True
    width = max(len(seen), len(bound))
    a = seen + (0,) * (width - len(seen))
    b = bound + (0,) * (width - len(bound))
    return (a > b) - (a < b), False


def in_range(
    seen: tuple[int, ...], rng: AffectedRange, scheme: str
) -> Literal["yes", "maybe", "no"]:
    """Whether a version lies in a range: ``maybe`` when only a fuller version could tell."""
    maybe = False
    # (bound, the signs of seen − bound that satisfy it)
    checks = (
        (rng.start_including, (0, 1)),
        (rng.start_excluding, (1,)),
        (rng.end_including, (-1, 0)),
        (rng.end_excluding, (-1,)),
    )
    for text, allowed in checks:
        if text is None:
            continue
        bound = _bound_key(text, scheme)
        if bound is None:
            return "no"
        sign, ambiguous = _compare(seen, bound)
        if ambiguous:
            maybe = True
        elif sign not in allowed:
            return "no"
    return "maybe" if maybe else "yes"


# --- what the service shows ---------------------------------------------------------------


def parse_cpe(cpe: str | None) -> tuple[str, str, str | None, str | None] | None:
    """(vendor, product, version, update) of a CPE 2.2 URI or 2.3 string; ``None`` if neither.

    ``*``, ``-`` and empty components are ``None``. Bounded: a CPE longer than 512
    characters is refused.
    """
    if not cpe or len(cpe) > 512:
        return None
    if cpe.startswith("cpe:2.3:"):
        parts = _CPE23.split(cpe)[3:]
    elif cpe.startswith("cpe:/"):
        parts = cpe[5:].split(":")[1:]
    else:
        return None
    parts = [p.replace("\\", "").lower() for p in parts] + [""] * 4
    vendor, product, version, update = parts[:4]
    if not vendor or not product or vendor in ("*", "-") or product in ("*", "-"):
        return None

    def value(v: str) -> str | None:
        return None if v in ("", "*", "-") else v

    return vendor, product, value(version), value(update)


def _split_version(text: str | None) -> tuple[str | None, str | None]:
    """("9.2p1", "Debian 2+deb12u3") from "9.2p1 Debian 2+deb12u3"; distro only if named."""
    if not text or len(text) > MAX_VERSION:
        return None, None  # not a version: a version and its distribution suffix are short
    found = _UPSTREAM.match(text)
    if not found or re.match(r"\.?\d", text[found.end() :]):
        return None, None  # no version, or more digit groups than any vendor uses
    rest = text[found.end() :].strip(" -_()")
    return found.group(1), (rest if rest and _DISTRO.search(rest) else None)


def _distro_of(*texts: str | None) -> str | None:
    for text in texts:
        if text and _DISTRO.search(text):
            return text.strip()[:MAX_VERSION]
    return None


def identities(service: Service, base: CuratedBase) -> tuple[Identity, ...]:
    """Every product the service shows, with the most detailed version seen for each."""
    found: dict[str, Identity] = {}
    ssh = service.observation(SshObservation)
    ssh_comments = ssh.comments if isinstance(ssh, SshObservation) else None

    def add(key: str | None, version: str | None, build: str | None, distro: str | None) -> None:
        if key is None:
            return
        upstream, suffix = _split_version(version)
        ident = Identity(key, upstream, build, distro or suffix)
        old = found.get(key)
        if old is None or _detail(ident) > _detail(old):
            if old is not None and old.distro and not ident.distro:
                ident = replace(ident, distro=old.distro)
            found[key] = ident
        elif ident.distro and not old.distro:
            found[key] = replace(old, distro=ident.distro)

    http = [o for o in service.observations if isinstance(o, HttpObservation)]
    for cpe in (service.cpe, *(o.console_cpe for o in http)):
        parsed = parse_cpe(cpe)
        if parsed is None:
            continue
        vendor, cpe_product, version, update = parsed
        build_match = _BUILD.match(update or "")
        add(
            f"{vendor}:{cpe_product}",
            version,
            build_match.group(1) if build_match else None,
            _distro_of(update, ssh_comments),
        )
    names = [(service.product, service.version)]
    names += [(o.console, o.console_version) for o in http]
    for name, version in names:
        known = _by_alias(base, name)
        if known is not None:
            add(known.key, version, None, _distro_of(ssh_comments))
    for obs in http:
        server = (obs.server or "")[:200]
        comment = _SERVER_COMMENT.search(server)
        for product in base.products:
            for pattern in product.server:
                hit = pattern.search(server)
                if hit:
                    distro = _distro_of(comment.group(1) if comment else None)
                    add(product.key, hit.group("version"), None, distro)
    banners = [service.banner]
    banners += [
        o.banner for o in service.observations if isinstance(o, (SshObservation, FtpObservation))
    ]
    for banner in banners:
        if not banner:
            continue
        banner = banner[:300]
        for product in base.products:
            for pattern in product.banner:
                hit = pattern.search(banner)
                if hit:
                    add(
                        product.key,
                        hit.group("version"),
                        None,
                        _distro_of(banner[hit.end() :], ssh_comments),
                    )
    return tuple(sorted(found.values(), key=lambda i: i.key))


def _detail(ident: Identity) -> int:
    return len(_DIGITS.findall(ident.version or "")) + (1 if ident.build else 0)


def _by_alias(base: CuratedBase, name: str | None) -> Product | None:
    if not name:
        return None
    lowered = name.strip().lower()[:120]
    for alias, product in base.aliases:  # longest first: the most specific name wins
        if lowered == alias or lowered.startswith((alias + " ", alias + "/")):
            return product
    return None


def _facts(service: Service, asset: Asset | None, base: CuratedBase) -> _Facts:
    smb = service.observation(SmbObservation)
    smb1 = isinstance(smb, SmbObservation) and (smb.smb1 or "NT LM 0.12" in smb.dialects)
    windows = None
    sources = [service] + (list(asset.services) if asset is not None else [])
    for svc in sources:
        obs = svc.observation(SmbObservation)
        if isinstance(obs, SmbObservation) and obs.native_os and "windows" in obs.native_os.lower():
            windows = obs.native_os[:120]
            break
    protocol = None
    if isinstance(smb, SmbObservation) or service.name == "smb":
        protocol = "smb"
    elif service.observation(RdpObservation) is not None or service.name == "rdp":
        protocol = "rdp"
    return _Facts(identities(service, base), smb1, windows, protocol)


# --- matching -----------------------------------------------------------------------------


def match_service(
    service: Service,
    kb: Any = None,
    curated: CuratedBase | None = None,
    *,
    asset: Asset | None = None,
) -> tuple[VulnMatch, ...]:
    """The known vulnerabilities of ``service``, most urgent first (see :func:`priority_key`).

    ``kb``: a ``rempart.vulns.store.KnowledgeBase`` or ``None`` (nothing imported: the
    curated base alone). ``asset``: the service's host, for facts that depend on it (the
    Windows version announced over SMB, for BlueKeep on its RDP port).
    """
    base = curated if curated is not None else builtin_curated()
    return _match(_facts(service, asset, base), kb, base)


def _match(facts: _Facts, kb: Any, base: CuratedBase) -> tuple[VulnMatch, ...]:
    found: dict[str, VulnMatch] = {}
    for match in _curated_matches(facts, base):
        old = found.get(match.cve_id)
        if old is None or (old.confidence == PROBABLE and match.confidence == CONFIRMED):
            found[match.cve_id] = match
    if kb is not None:
        # The curated facts, with what the feeds add (EPSS, KEV flags, CVSS); the feed-only
        # matches come with it already.
        if hasattr(kb, "prefetch"):
            kb.prefetch(found)
        found = {cve_id: _enrich(m, kb) for cve_id, m in found.items()}
        for match in _kb_matches(facts, kb, base):
            found.setdefault(match.cve_id, match)
    return tuple(sorted(found.values(), key=priority_key))


# Windows releases whose SMBv1 already carries the MS17-010 fix (March 2017): Windows 10
# from 1703 (build 15063), Windows 11, Windows Server 2019 and later. Source: Microsoft
# Security Bulletin MS17-010 (affected software list) and the Windows 10 release history.
_SMB1_FIXED_BUILD = 15063
_NEWER_WINDOWS = re.compile(r"Windows (?:11|Server 20(?:19|22|25))", re.IGNORECASE)
_WINDOWS_10_BUILD = re.compile(r"Windows 10\b\D*?(\d{5})", re.IGNORECASE)


def smb1_fixed_by_release(windows: str | None) -> bool:
    """True when the Windows named by SMB shipped after MS17-010 (its SMBv1 is fixed)."""
    if not windows:
        return False
    if _NEWER_WINDOWS.search(windows):
        return True
    build = _WINDOWS_10_BUILD.search(windows)
    return build is not None and int(build.group(1)) >= _SMB1_FIXED_BUILD


def _curated_matches(facts: _Facts, base: CuratedBase) -> Iterator[VulnMatch]:
    if facts.protocol == "smb" and facts.smb1 and not smb1_fixed_by_release(facts.windows):
        for cve in base.by_match("smb1"):
            if cve.service == "smb":
                yield _from_curated(cve, PROBABLE, _SMB1_REASON, "smb1", "SMBv1")
    if facts.windows and facts.protocol is not None:
        for cve in base.by_match("windows-os"):
            if cve.service == facts.protocol and any(p.search(facts.windows) for p in cve.os):
                reason = Bilingual(
                    fr=f"Windows annoncé : {facts.windows} ; le niveau de correctifs ne se voit "
                    "pas depuis le réseau",
                    en=f"Windows announced: {facts.windows}; the patch level cannot be seen "
                    "from the network",
                )
                yield _from_curated(cve, PROBABLE, reason, "windows-os", facts.windows)
    for ident in facts.identities:
        product = base.product(ident.key)
        if product is None:
            continue
        if product.version is not None and not product.version.search(ident.version or ""):
            continue
        seen = version_key(ident.version, product.scheme, ident.build)
        if seen is None:
            continue
        for cve in base.for_product(ident.key):
            if cve.match != "version":
                continue
            verdict = _best_range(seen, product, cve.affected)
            if verdict is None:
                continue
            yield _version_match(cve, product, ident, *verdict)


def _best_range(
    seen: tuple[int, ...], product: Product, ranges: Iterable[AffectedRange]
) -> tuple[str, AffectedRange] | None:
    best: tuple[str, AffectedRange] | None = None
    for rng in ranges:
        if rng.product != product.key:
            continue
        result = in_range(seen, rng, product.scheme)
        if result == "no":
            continue
        rank = (result == "yes", rng.inferred is None)
        if best is None or rank > (best[0] == "yes", best[1].inferred is None):
            best = (result, rng)
    return best


def _version_match(
    cve: CuratedCve, product: Product, ident: Identity, result: str, rng: AffectedRange
) -> VulnMatch:
    shown = f"{product.name} {ident.shown}"
    if rng.inferred is not None:
        reason = Bilingual(fr=f"{shown} : {rng.inferred.fr}", en=f"{shown}: {rng.inferred.en}")
        return _from_curated(cve, PROBABLE, reason, "inferred", shown)
    if ident.distro:
        reason = Bilingual(
            fr=f"{shown} : version touchée, mais la distribution a pu reporter le correctif "
            "sans changer le numéro de version",
            en=f"{shown}: affected version, but the distribution may have backported the fix "
            "without changing the version number",
        )
        return _from_curated(cve, PROBABLE, reason, "backport", shown)
    if result == "maybe":
        reason = Bilingual(
            fr=f"{shown} : version vue incomplète (sans numéro de build) ; certains builds de "
            "cette version sont corrigés",
            en=f"{shown}: incomplete version seen (no build number); some builds of this "
            "version are fixed",
        )
        return _from_curated(cve, PROBABLE, reason, "incomplete-version", shown)
    reason = Bilingual(
        fr=f"{shown} : version exacte, dans la plage touchée et non corrigée",
        en=f"{shown}: exact version, in the affected range and unpatched",
    )
    return _from_curated(cve, CONFIRMED, reason, "in-range", shown)


_SMB1_REASON = Bilingual(
    fr="SMBv1 accepté : MS17-010 ne touche que SMBv1, et le niveau de correctifs de Windows ne "
    "se voit pas depuis le réseau",
    en="SMBv1 accepted: MS17-010 only affects SMBv1, and the Windows patch level cannot be "
    "seen from the network",
)


def _from_curated(
    cve: CuratedCve, confidence: Confidence, reason: Bilingual, code: str, shown: str
) -> VulnMatch:
    return VulnMatch(
        cve_id=cve.id,
        confidence=confidence,
        reason=reason,
        kev=cve.kev,
        ransomware=cve.ransomware,
        epss=None,
        cvss=cve.cvss,
        explanation=cve.explanation,
        remediation=cve.remediation,
        fixed_version=cve.fixed,
        sources=cve.sources,
        product=shown,
        curated=True,
        reason_code=code,
    )


# --- the imported feeds (optional) --------------------------------------------------------


def _kb_matches(facts: _Facts, kb: Any, base: CuratedBase) -> Iterator[VulnMatch]:
    """CVEs the imported NVD feed lists for the product and version seen."""
    for ident in facts.identities:
        if not ident.version:
            continue
        vendor, _, product = ident.key.partition(":")
        # NVD spells QNAP builds as the CPE update "build_20201015"; the comparator knows it.
        version = ident.version + (f" build_{ident.build}" if ident.build else "")
        # What depends on the product only, once: a product may have hundreds of CVEs.
        known = base.product(ident.key)
        name = known.name if known is not None else ident.key
        shown = f"{name} {ident.shown}"
        if ident.distro:
            confidence, code = PROBABLE, "backport"
            reason = Bilingual(
                fr=f"{shown} : version listée par le NVD, mais la distribution a pu reporter "
                "le correctif",
                en=f"{shown}: version listed by NVD, but the distribution may have "
                "backported the fix",
            )
        else:
            confidence, code = CONFIRMED, "in-range"
            reason = Bilingual(
                fr=f"{shown} : version listée comme vulnérable par le NVD",
                en=f"{shown}: version listed as vulnerable by NVD",
            )
        remediation = Bilingual(
            fr=f"Mettre à jour {name} vers une version corrigée (voir la fiche NVD).",
            en=f"Update {name} to a fixed version (see the NVD entry).",
        )
        # applicable_ids(): the CVEs of the rows whose version or range holds ``version`` (the
        # store leaves out, in SQL, the ranges that end before it: 1,000 services in under a
        # second).
        if hasattr(kb, "applicable_ids"):
            ids: list[str | None] = list(kb.applicable_ids(vendor, product, version))
        else:
            ids = [_row_cve(row) for row in kb.applicable(vendor, product, version)]
        # The curated facts (and their own ranges) decide for the CVEs they know.
        new_ids = [c for c in dict.fromkeys(ids) if c is not None and base.get(c) is None]
        if hasattr(kb, "prefetch"):
            kb.prefetch(new_ids)
        for cve_id in new_ids:
            kev, ransomware, epss, cvss = _kb_facts(cve_id, kb, False, False, None)
            yield VulnMatch(
                cve_id=cve_id,
                confidence=confidence,
                reason=reason,
                kev=kev,
                ransomware=ransomware,
                epss=epss,
                cvss=cvss,
                explanation=Bilingual(
                    fr=f"Vulnérabilité publiée {cve_id} touchant {name}.",
                    en=f"Published vulnerability {cve_id} affecting {name}.",
                ),
                remediation=remediation,
                fixed_version=None,
                sources=(f"https://nvd.nist.gov/vuln/detail/{cve_id}",),
                product=shown,
                curated=False,
                reason_code=code,
            )


def _row_cve(row: Any) -> str | None:
    for name in ("cve_id", "cve"):
        value = getattr(row, name, None)
        if isinstance(value, str) and value.upper().startswith("CVE-"):
            return value.upper()[:32]
    return None


def _kb_facts(
    cve_id: str, kb: Any, kev: bool, ransomware: bool, cvss: float | None
) -> tuple[bool, bool, float | None, float | None]:
    """(kev, ransomware, epss, cvss) once the feeds are heard: KEV flags and CVSS from them
    when they know the CVE, EPSS from its feed."""
    epss = kb.epss(cve_id)
    kev_row = kb.kev(cve_id)
    if kev_row is not None:
        kev = True
        ransomware = bool(getattr(kev_row, "known_ransomware", False)) or ransomware
    if cvss is None:
        value = kb.cvss(cve_id)
        cvss = float(value) if isinstance(value, (int, float)) else None
    return kev, ransomware, float(epss) if isinstance(epss, (int, float)) else None, cvss


def _enrich(match: VulnMatch, kb: Any) -> VulnMatch:
    """EPSS from the feed; KEV flags and CVSS from it when it knows the CVE."""
    kev, ransomware, epss, cvss = _kb_facts(
        match.cve_id, kb, match.kev, match.ransomware, match.cvss
    )
    epss = epss if epss is not None else match.epss
    if (kev, ransomware, epss, cvss) == (match.kev, match.ransomware, match.epss, match.cvss):
        return match  # nothing new: no copy
    return replace(match, epss=epss, kev=kev, ransomware=ransomware, cvss=cvss)


# --- the matcher the service layer hands to the checks ------------------------------------


class VulnMatcher:
    """The curated base and the optional knowledge base, with a cache per identity.

    The service layer builds one per audit and puts it in ``CheckContext.vulns``; the four
    vulnerability checks then call :meth:`match` for every service, so each (product,
    version) is matched once.
    """

    def __init__(self, curated: CuratedBase | None = None, kb: Any = None) -> None:
        self.curated = curated if curated is not None else builtin_curated()
        self.kb = kb
        self._cache: dict[_Facts, tuple[VulnMatch, ...]] = {}

    def close(self) -> None:
        """Close the knowledge base, if any (the curated base needs nothing)."""
        if self.kb is not None:
            self.kb.close()

    def match(self, service: Service, asset: Asset | None = None) -> tuple[VulnMatch, ...]:
        facts = _facts(service, asset, self.curated)
        cached = self._cache.get(facts)
        if cached is None:
            cached = _match(facts, self.kb, self.curated)
            if len(self._cache) >= MAX_CACHE:
                self._cache.clear()
            self._cache[facts] = cached
        return cached


def default_matcher(path: Path | None = None) -> VulnMatcher:
    """The matcher an audit uses: the curated base plus the knowledge store imported by
    ``rempart data update``/``import`` (``path``: default, the data dir), if any.

    Raises :class:`~rempart.core.errors.DataError` when the store exists but cannot be read
    (its message says to import again).
    """
    from rempart.vulns.store import KnowledgeBase

    return VulnMatcher(kb=KnowledgeBase.open(path))


__all__ = [
    "CONFIRMED",
    "EPSS_LIKELY",
    "PROBABLE",
    "Confidence",
    "Identity",
    "VulnMatch",
    "VulnMatcher",
    "default_matcher",
    "identities",
    "in_range",
    "match_service",
    "parse_cpe",
    "priority_key",
    "version_key",
]

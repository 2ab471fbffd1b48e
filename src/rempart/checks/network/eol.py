"""Products past their end of support: no more security updates from the vendor.

Matched on the fingerprinted product and version, and on the versions probes read
themselves (the SQL Server PRELOGIN version, a NAS firmware version, the ``Server`` and
``X-Powered-By`` HTTP headers, the Windows release an SMB1 server names). One finding
per service, listing every product found.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rempart.checks import refs
from rempart.checks.base import CheckContext, CheckMeta, Hit, Text, Who, check
from rempart.core.model import Evidence, Service, Severity
from rempart.core.observations import DatabaseObservation, HttpObservation, SmbObservation

# Database engines as probes name them → the product name used in eol.toml.
ENGINE_PRODUCTS = {
    "mssql": "Microsoft SQL Server",
    "mysql": "MySQL",
    "postgresql": "PostgreSQL",
}

# "Microsoft-IIS/7.5", "Apache/2.2.34 (Unix)", "PHP/5.6.40"
_PRODUCT_TOKEN = re.compile(r"([A-Za-z][A-Za-z0-9_.-]{0,40})/(\d[\w.]{0,30})")
_HEADER_PRODUCTS = {"microsoft-iis": "Microsoft IIS", "apache": "Apache httpd", "php": "PHP"}


def _candidates(service: Service) -> Iterator[tuple[str, str | None]]:
    if service.product:
        yield service.product, service.version
    for obs in service.observations:
        if isinstance(obs, SmbObservation) and obs.native_os:
            yield obs.native_os, None  # "Windows 7 Professional 7601 Service Pack 1" (SMB1)
        elif isinstance(obs, DatabaseObservation) and obs.engine in ENGINE_PRODUCTS:
            yield ENGINE_PRODUCTS[obs.engine], obs.version
        elif isinstance(obs, HttpObservation):
            if obs.console and obs.console_version:
                yield obs.console, obs.console_version
            for header in (obs.server, obs.powered_by):
                for name, version in _PRODUCT_TOKEN.findall(header or "")[:4]:
                    product = _HEADER_PRODUCTS.get(name.casefold())
                    if product:
                        yield product, version


@check(
    CheckMeta(
        id="NET-EOL-VERSION",
        severity=Severity.HIGH,
        title=Text(
            fr="Logiciel qui ne reçoit plus de mises à jour de sécurité",
            en="Software that no longer gets security updates",
        ),
        risk=Text(
            fr="Cette version n'est plus corrigée par son éditeur : chaque nouvelle faille y reste "
            "ouverte pour toujours, et les rançongiciels exploitent justement ces failles connues.",
            en="This version is no longer fixed by its vendor: every new flaw stays open in it "
            "forever, and ransomware exploits exactly such known flaws.",
        ),
        remediation=Text(
            fr="Prévoyez avec le prestataire informatique et l'éditeur du logiciel de gestion du "
            "cabinet la migration vers une version maintenue (par exemple SQL Server 2022 ou "
            "Express, Windows Server récent). D'ici là, limitez l'accès à cet appareil aux seuls "
            "postes qui en ont besoin.",
            en="Plan with the IT provider and the practice-management software vendor the move to "
            "a supported version (for example SQL Server 2022 or Express, a recent Windows "
            "Server). Until then, restrict access to this device to the computers that need it.",
        ),
        who=(Who.IT_PROVIDER, Who.SOFTWARE_VENDOR, Who.DENTIST),
        references=(refs.ANSSI_35, refs.ANSSI_34, refs.ANS_EQUIPEMENTS, refs.CYBER_MISES_A_JOUR),
        rationale="high: every future flaw stays open; known-exploited vulnerabilities accumulate.",
        categories=("patching", "end-of-life"),
    )
)
def eol_version(service: Service, ctx: CheckContext) -> Hit:
    table = ctx.eol_table
    today = ctx.now.date()
    evidence: list[Evidence] = []
    seen: set[str] = set()
    for product, version in _candidates(service):
        entry = table.match(product, version)
        if entry is None or entry.end >= today or entry.name in seen:
            continue
        seen.add(entry.name)
        shown = f"{product} {version}" if version else product
        evidence.append(Evidence("product seen", shown))
        evidence.append(Evidence("release", entry.name))
        evidence.append(Evidence("security updates ended", entry.end.isoformat()))
        evidence.append(Evidence("source", entry.source))
    return tuple(evidence) or None

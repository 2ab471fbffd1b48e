"""A large synthetic practice for the report benchmark: N hosts, M findings, real check IDs.

Deterministic (seeded): the same audit every run, so that two runs time the same work.
Addresses are on the lab's range (127.42.x.y); names, banners and evidence are made up;
no patient data, nothing from the network.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from rempart.checks import all_checks
from rempart.core.model import Asset, Audit, Evidence, Finding, Service

PORTS = (
    21,
    22,
    23,
    80,
    104,
    135,
    139,
    161,
    443,
    445,
    1433,
    3050,
    3306,
    3389,
    4900,
    5432,
    5900,
    5938,
    5985,
    7070,
    8080,
    8443,
    11112,
    6568,
)
NAMES = (
    "accueil",
    "fauteuil",
    "bureau",
    "radio",
    "serveur",
    "nas",
    "imprimante",
    "box",
    "cbct",
    "panoramique",
    "secretariat",
    "sterilisation",
)
KINDS = (
    "workstation",
    "workstation",
    "workstation",
    "imaging",
    "server",
    "nas",
    "printer",
    "router",
    "imaging",
    "imaging",
    "workstation",
    "workstation",
)
PRODUCTS = (
    ("Microsoft SQL Server", "2012"),
    ("OpenSSH", "7.4"),
    ("QNAP QTS", "4.3.3"),
    ("vsftpd", "2.3.4"),
    ("Microsoft Windows RPC", ""),
    ("lighttpd", "1.4.35"),
    ("dcmtk storescp", "3.6.2"),
    ("TeamViewer", "15.2"),
    ("Samba", "4.9.5"),
)
CVES = (
    "CVE-2017-0144",
    "CVE-2019-0708",
    "CVE-2020-0796",
    "CVE-2021-28799",
    "CVE-2022-27596",
    "CVE-2021-44228",
    "CVE-2023-27997",
    "CVE-2018-13379",
    "CVE-2024-3400",
    "CVE-2020-1472",
    "CVE-2019-11510",
    "CVE-2021-34527",
    "CVE-2022-26134",
    "CVE-2023-4966",
)
LABELS = (
    "version",
    "banner",
    "product seen",
    "dialects accepted",
    "security protocols",
    "page title",
    "issuer",
    "valid until",
    "weak ciphers",
    "source",
)


def _evidence(rng: random.Random, check_id: str, cves: tuple[str, ...]) -> tuple[Evidence, ...]:
    picked = rng.sample(LABELS, rng.randint(1, 3))
    out = [Evidence(label, f"{label} seen on the wire #{rng.randint(1, 9999)}") for label in picked]
    for cve in cves[:2]:
        out.append(
            Evidence(
                f"{cve} impact",
                "remote code execution without authentication",
                "exécution de code à distance sans authentification",
            )
        )
    return tuple(out)


def generate_audit(
    hosts: int = 50,
    findings: int = 1000,
    *,
    seed: int = 6,
    audit_id: str = "bench-audit-0002",
    started_at: datetime | None = None,
) -> Audit:
    """An audit of ``hosts`` devices and exactly ``findings`` findings (each key unique)."""
    rng = random.Random(seed)
    checks = all_checks()
    service_ids = [c.meta.id for c in checks if c.subject == "service"]
    host_ids = [c.meta.id for c in checks if c.subject == "host"]
    org = [c for c in checks if c.subject == "org"]
    severities = {c.meta.id: c.meta.severity for c in checks}
    org_count = min(len(org), max(findings // 30, 0))
    per_host = (findings - org_count) // hosts
    extra = (findings - org_count) - per_host * hosts

    assets: list[Asset] = []
    out: list[Finding] = []
    for h in range(hosts):
        address = f"127.42.{h // 200}.{10 + h % 200}"
        name = f"{NAMES[h % len(NAMES)]}-{h + 1}"
        ports = sorted(rng.sample(PORTS, 12))
        services = []
        for port in ports:
            product, version = PRODUCTS[rng.randrange(len(PRODUCTS))]
            services.append(
                Service(
                    address,
                    port,
                    "tcp",
                    name=f"svc{port}",
                    product=product,
                    version=version or None,
                    banner=f"{product} {version} ready",
                )
            )
        assets.append(Asset(address, name, KINDS[h % len(KINDS)], tuple(services)))
        want = per_host + (1 if h < extra else 0)
        pairs = [(c, p) for c in service_ids for p in ports]
        rng.shuffle(pairs)
        host_part = rng.sample(host_ids, min(3, want))
        for check_id in host_part:
            out.append(
                Finding(
                    check_id,
                    severities[check_id],
                    address,
                    None,
                    None,
                    _evidence(rng, check_id, ()),
                )
            )
        for check_id, port in pairs[: want - len(host_part)]:
            cves: tuple[str, ...] = ()
            if check_id.startswith("NET-VULN-"):
                cves = tuple(rng.sample(CVES, rng.randint(1, 3)))
            out.append(
                Finding(
                    check_id,
                    severities[check_id],
                    address,
                    port,
                    "tcp",
                    _evidence(rng, check_id, cves),
                    cves,
                )
            )
    for c in org[:org_count]:
        out.append(
            Finding(
                c.meta.id, c.meta.severity, None, None, None, (Evidence("source", "survey answer"),)
            )
        )
    begin = started_at or datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    return Audit(
        id=audit_id,
        started_at=begin,
        finished_at=begin + timedelta(minutes=4),
        targets=("127.42.0.0/24",),
        ports="default",
        assets=tuple(assets),
        findings=tuple(out),
        rempart_version="bench",
    )


def previous_of(audit: Audit, *, keep: float = 0.9, seed: int = 7) -> Audit:
    """The audit a month before: most of the same findings, a few others since fixed."""
    rng = random.Random(seed)
    kept = tuple(f for f in audit.findings if rng.random() < keep)
    gone = tuple(
        Finding("NET-TELNET", f.severity, f.address, 2300 + i, "tcp", f.evidence)
        for i, f in enumerate(audit.findings[:40])
    )
    return Audit(
        id="bench-audit-0001",
        started_at=audit.started_at - timedelta(days=30),
        finished_at=audit.finished_at - timedelta(days=30),
        targets=audit.targets,
        ports=audit.ports,
        assets=audit.assets,
        findings=kept + gone,
        rempart_version="bench",
    )

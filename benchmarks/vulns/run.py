"""Import of the vulnerability feeds and matching of services, timed, with peak memory.

    uv run python benchmarks/vulns/run.py [--cves 250000] [--services 1000] [--keep DIR]

1. generates, in a temporary folder (never committed), an NVD-shaped feed
   (``nvdcve-2.0-bench.json.gz``, the NVD API 2.0 / 2.0 feed shape) of ``--cves`` records
   with realistic content: English and Spanish descriptions, CVSS v3.1 (and v2 for older
   years), weaknesses, 2-10 references, 1-2 configurations of 1-8 ``cpeMatch`` with version
   ranges on most of them and platform rows that are not vulnerable;
2. in a child process each (so that the peak memory is that step's own):
   * ``ijson`` alone over the same file (the parse without the store: the floor),
   * ``import_path`` of the generated feed into a new store,
   * ``import_path`` of the CISA KEV snapshot (``../shared/data/kev-2025-08-25.json``),
   * matching ``--services`` services (vendor, product, version) three ways:
     ``KnowledgeBase.candidates`` + ``cpe_match_applies`` on every row,
     ``KnowledgeBase.applicable`` (the same rows, bisected by upper bound), and
     ``rempart.vulns.matching.match_service`` when it exists;
3. prints seconds, peak RSS and the ratios to the targets (import < 60 s and < 500 MB,
   matching 1,000 services < 1 s) and to the parse-only floor.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
KEV = ROOT.parent / "shared" / "data" / "kev-2025-08-25.json"
TARGET_IMPORT_S = 60.0
TARGET_IMPORT_MB = 500.0
TARGET_MATCH_S = 1.0

WORDS = (
    "buffer overflow in the request parser allows remote attackers to execute arbitrary code "
    "via a crafted packet improper authentication bypass path traversal directory listing "
    "cross-site scripting SQL injection in the login form denial of service memory "
    "corruption use-after-free heap integer signedness race condition privilege escalation"
).split()


# --------------------------------------------------------------------------- generation


def _products(rng: random.Random, count: int) -> list[tuple[str, str]]:
    real = [
        ("openbsd", "openssh"),
        ("apache", "http_server"),
        ("microsoft", "windows_10"),
        ("microsoft", "exchange_server"),
        ("fortinet", "fortios"),
        ("qnap", "qts"),
        ("synology", "diskstation_manager"),
        ("samba", "samba"),
        ("openssl", "openssl"),
        ("linux", "linux_kernel"),
    ]
    made = {(f"vendor{rng.randrange(count // 3):05d}", f"product_{n:05d}") for n in range(count)}
    return real + sorted(made)


def _cpe(part: str, vendor: str, product: str, version: str = "*") -> str:
    return f"cpe:2.3:{part}:{vendor}:{product}:{version}:*:*:*:*:*:*:*"


def _timeline_version(k: int, patch: int) -> str:
    """The version fixing a product's ``k``-th CVE: products move on as CVEs are found."""
    return f"{1 + k // 40}.{k // 4 % 10}.{patch}"


def _record(
    rng: random.Random, n: int, products: list[tuple[str, str]], seen: list[int]
) -> dict[str, Any]:
    year = 1999 + n * 27 // 250_000 % 27
    cve_id = f"CVE-{year}-{n + 1000:05d}"
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(20, 70)))
    # Popular products appear far more often (Zipf-like), as in the real NVD.
    pick = int(len(products) * rng.random() ** 2)
    vendor, product = products[pick]
    k = seen[pick]
    seen[pick] += 1
    fixed = _timeline_version(k, rng.randrange(1, 10))
    matches = []
    for branch in range(rng.randrange(1, 9)):
        match: dict[str, Any] = {"vulnerable": True, "matchCriteriaId": f"{rng.getrandbits(64):X}"}
        roll = rng.random()
        if roll < 0.3:  # listed releases just before the fix
            exact = _timeline_version(max(k - branch, 0), rng.randrange(0, 10))
            match["criteria"] = _cpe("a", vendor, product, exact)
        else:  # a range ending at the fix (per branch), sometimes starting at a major
            match["criteria"] = _cpe("a", vendor, product)
            end = _timeline_version(max(k - 40 * branch, 0), rng.randrange(1, 10))
            if roll < 0.5:
                match["versionStartIncluding"] = end.split(".")[0] + ".0"
            match["versionEndExcluding" if roll < 0.9 else "versionEndIncluding"] = end
        matches.append(match)
    del fixed
    configurations = [{"nodes": [{"operator": "OR", "negate": False, "cpeMatch": matches}]}]
    if rng.random() < 0.3:
        configurations.append(
            {
                "operator": "AND",
                "nodes": [
                    {
                        "operator": "OR",
                        "negate": False,
                        "cpeMatch": [
                            {
                                "vulnerable": True,
                                "criteria": _cpe("o", vendor, product + "_firmware"),
                                "versionEndExcluding": _timeline_version(k, 1),
                                "matchCriteriaId": f"{rng.getrandbits(64):X}",
                            }
                        ],
                    },
                    {
                        "operator": "OR",
                        "negate": False,
                        "cpeMatch": [
                            {
                                "vulnerable": False,
                                "criteria": _cpe("h", vendor, product + "_appliance"),
                                "matchCriteriaId": f"{rng.getrandbits(64):X}",
                            }
                        ],
                    },
                ],
            }
        )
    score = round(rng.uniform(2.0, 10.0), 1)
    metrics: dict[str, Any] = {
        "cvssMetricV31": [
            {
                "source": "nvd@nist.gov",
                "type": "Primary",
                "cvssData": {
                    "version": "3.1",
                    "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                    "baseScore": score,
                    "baseSeverity": "CRITICAL" if score >= 9 else "HIGH",
                    "attackVector": "NETWORK",
                    "attackComplexity": "LOW",
                    "privilegesRequired": "NONE",
                    "userInteraction": "NONE",
                    "scope": "UNCHANGED",
                    "confidentialityImpact": "HIGH",
                    "integrityImpact": "HIGH",
                    "availabilityImpact": "HIGH",
                },
                "exploitabilityScore": 3.9,
                "impactScore": 5.9,
            }
        ]
    }
    if year < 2016:
        metrics["cvssMetricV2"] = [
            {
                "source": "nvd@nist.gov",
                "type": "Primary",
                "cvssData": {
                    "version": "2.0",
                    "vectorString": "AV:N/AC:L/Au:N/C:P/I:P/A:P",
                    "baseScore": 7.5,
                },
                "baseSeverity": "HIGH",
                "exploitabilityScore": 10.0,
                "impactScore": 6.4,
                "acInsufInfo": False,
            }
        ]
    return {
        "id": cve_id,
        "sourceIdentifier": "cve@mitre.org",
        "published": f"{year}-03-{rng.randrange(1, 29):02d}T10:15:00.000",
        "lastModified": f"2025-0{rng.randrange(1, 10)}-{rng.randrange(1, 29):02d}T08:00:00.000",
        "vulnStatus": "Analyzed",
        "cveTags": [],
        "descriptions": [
            {"lang": "en", "value": f"{product} {words}."},
            {"lang": "es", "value": f"{product} {words[::-1]}."},
        ],
        "metrics": metrics,
        "weaknesses": [
            {
                "source": "nvd@nist.gov",
                "type": "Primary",
                "description": [{"lang": "en", "value": f"CWE-{rng.randrange(20, 1000)}"}],
            }
        ],
        "configurations": configurations,
        "references": [
            {
                "url": f"https://example.invalid/{vendor}/advisories/{n}-{i}",
                "source": "cve@mitre.org",
                "tags": ["Vendor Advisory"] if i == 0 else ["Third Party Advisory"],
            }
            for i in range(rng.randrange(2, 11))
        ],
    }


def generate(path: Path, count: int, seed: int = 1) -> tuple[list[tuple[str, str]], list[int]]:
    """Write the feed; return the products and how many CVEs each got (its timeline)."""
    rng = random.Random(seed)
    products = _products(rng, 20_000)
    seen = [0] * len(products)
    head = {
        "resultsPerPage": count,
        "startIndex": 0,
        "totalResults": count,
        "format": "NVD_CVE",
        "version": "2.0",
        "timestamp": "2026-11-28T00:00:00.000",
    }
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as out:
        out.write(json.dumps(head)[:-1] + ', "vulnerabilities": [\n')
        for n in range(count):
            if n:
                out.write(",\n")
            out.write(json.dumps({"cve": _record(rng, n, products, seen)}))
        out.write("\n]}\n")
    return products, seen


# --------------------------------------------------------------------------- steps (children)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def step_parse(feed: Path) -> dict[str, Any]:
    import ijson

    start = time.perf_counter()
    with gzip.open(feed, "rb") as stream:
        count = sum(1 for _ in ijson.items(stream, "vulnerabilities.item", use_float=True))
    return {"seconds": time.perf_counter() - start, "records": count}


def step_import(feed: Path, db: Path) -> dict[str, Any]:
    from rempart.vulns.importing import import_path

    start = time.perf_counter()
    report = import_path(feed, db_path=db)
    return {
        "seconds": time.perf_counter() - start,
        "records": sum(f.records for f in report.files),
        "stats": report.stats,
        "db_mb": db.stat().st_size / 1024**2,
    }


def step_match(db: Path, services_file: Path, via: str) -> dict[str, Any]:
    """Match every service once, through the matcher (``via="matcher"``) or the store's
    primitives (``candidates`` + ``cpe_match_applies``)."""
    from rempart.vulns.feeds.cpe import cpe_match_applies
    from rempart.vulns.store import KnowledgeBase

    services = json.loads(services_file.read_text())
    kb = KnowledgeBase.open(db)
    assert kb is not None
    match_service = None
    if via == "matcher":
        try:
            from rempart.vulns import matching  # another part; used when present

            match_service = getattr(matching, "match_service", None)
        except ImportError:
            match_service = None
        if match_service is None:
            return {"seconds": 0.0, "services": 0, "findings": 0, "via": "no matcher"}
    start = time.perf_counter()
    hits = 0
    for vendor, product, version in services:
        if match_service is not None:
            hits += len(_call_matcher(match_service, kb, vendor, product, version))
        elif via == "applicable":
            hits += len({r.cve_id for r in kb.applicable(vendor, product, version)})
        else:
            rows = kb.candidates(vendor, product)
            hits += len({r.cve_id for r in rows if cpe_match_applies(r, version)})
    seconds = time.perf_counter() - start
    kb.close()
    return {"seconds": seconds, "services": len(services), "findings": hits, "via": via}


def _call_matcher(match_service: Any, kb: Any, vendor: str, product: str, version: str) -> Any:
    """A service as discovery gives it (a Recog CPE 2.2 URI), through the real matcher."""
    from rempart.core.model import Service

    service = Service(
        address="127.0.0.1",
        port=443,
        name="https",
        product=product,
        version=version,
        cpe=f"cpe:/a:{vendor}:{product}:{version}",
    )
    return match_service(service, kb)


def child(argv: list[str]) -> None:
    name, *args = argv
    paths = [Path(a) for a in args]
    if name == "parse":
        result = step_parse(*paths)
    elif name == "import":
        result = step_import(*paths)
    elif name == "match":
        result = step_match(paths[0], paths[1], args[2])
    else:
        raise SystemExit(f"unknown step {name}")
    result["peak_mb"] = _peak_mb()
    result["cpu_s"] = _cpu_s()  # the whole child, imports included: fair on a busy machine
    print(json.dumps(result))


def run_child(*args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if out.returncode != 0:
        raise SystemExit(f"step {args[0]} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cves", type=int, default=250_000)
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--keep", type=Path, help="keep the generated files in this folder")
    parser.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    work = Path(tempfile.mkdtemp(prefix="rempart-bench-vulns-"))
    failed = True
    try:
        feed = work / "nvdcve-2.0-bench.json.gz"
        start = time.perf_counter()
        products, seen = generate(feed, args.cves)
        print(
            f"generated {args.cves:,} CVEs in {time.perf_counter() - start:.1f} s: "
            f"{feed.stat().st_size / 1024**2:.0f} MB gzipped"
        )
        rng = random.Random(2)
        services = [
            ["openbsd", "openssh", "7.4"],
            ["apache", "http_server", "2.4.49"],
            ["samba", "samba", "4.13.5"],
        ]
        while len(services) < args.services:
            # A practice runs what is common, a few releases behind the newest.
            pick = int(len(products) * rng.random() ** 2)
            vendor, product = products[pick]
            behind = max(seen[pick] - rng.randrange(0, 30), 0)
            services.append([vendor, product, _timeline_version(behind, rng.randrange(0, 10))])
        services_file = work / "services.json"
        services_file.write_text(json.dumps(services[: args.services]))
        db = work / "vulns.db"

        parse = run_child("parse", str(feed))
        nvd = run_child("import", str(feed), str(db))
        kev = run_child("import", str(KEV), str(db))
        prim = run_child("match", str(db), str(services_file), "primitives")
        fast = run_child("match", str(db), str(services_file), "applicable")
        match = run_child("match", str(db), str(services_file), "matcher")

        rows = [
            (
                "ijson parse only (a streaming parser's floor)",
                parse["seconds"],
                parse["peak_mb"],
                "",
                "",
            ),
            (
                f"import NVD feed ({nvd['records']:,} CVEs)",
                nvd["seconds"],
                nvd["peak_mb"],
                f"{nvd['seconds'] / TARGET_IMPORT_S:.2f} of 60 s, "
                f"{nvd['peak_mb'] / TARGET_IMPORT_MB:.2f} of 500 MB",
                f"x{nvd['seconds'] / parse['seconds']:.1f} the parse",
            ),
            (
                f"import KEV snapshot ({kev['records']:,})",
                kev["seconds"],
                kev["peak_mb"],
                f"{kev['seconds'] / TARGET_IMPORT_S:.2f} of 60 s",
                "",
            ),
            (
                f"match {prim['services']:,} services (candidates + cpe_match_applies)",
                prim["seconds"],
                prim["peak_mb"],
                f"{prim['seconds'] / TARGET_MATCH_S:.2f} of 1 s",
                f"{prim['findings']:,} findings",
            ),
            (
                f"match {fast['services']:,} services (KnowledgeBase.applicable)",
                fast["seconds"],
                fast["peak_mb"],
                f"{fast['seconds'] / TARGET_MATCH_S:.2f} of 1 s",
                f"{fast['findings']:,} findings, "
                f"x{prim['seconds'] / max(fast['seconds'], 1e-9):.1f} faster than every row",
            ),
            (
                f"match {match['services']:,} services (matching.match_service)",
                match["seconds"],
                match["peak_mb"],
                f"{match['seconds'] / TARGET_MATCH_S:.2f} of 1 s",
                f"{match['findings']:,} findings, "
                f"x{match['seconds'] / max(prim['seconds'], 1e-9):.1f} the primitives",
            ),
        ]
        cpu = [parse["cpu_s"], nvd["cpu_s"], kev["cpu_s"], prim["cpu_s"], fast["cpu_s"]]
        cpu.append(match["cpu_s"])
        print(f"\n{'step':<62} {'seconds':>8} {'CPU s':>7} {'peak MB':>8}  vs target / notes")
        for (name, seconds, peak, target, note), cpu_s in zip(rows, cpu, strict=True):
            print(f"{name:<62} {seconds:>8.2f} {cpu_s:>7.1f} {peak:>8.0f}  {target} {note}")
        print(
            f"\nstore: {nvd['stats']['cves']:,} CVEs, {nvd['stats']['cpe_matches']:,} CPE match "
            f"rows, {nvd['db_mb']:.0f} MB on disk"
        )
        verdicts = [
            (f"import < {TARGET_IMPORT_S:.0f} s", nvd["seconds"] < TARGET_IMPORT_S),
            (f"import peak < {TARGET_IMPORT_MB:.0f} MB", nvd["peak_mb"] < TARGET_IMPORT_MB),
            (f"match 1,000 services < {TARGET_MATCH_S:.0f} s", match["seconds"] < TARGET_MATCH_S),
        ]
        print()
        for name, met in verdicts:
            print(f"  {name:<34} {'met' if met else 'NOT MET'}")
        print(f"load average at end: {tuple(round(x, 2) for x in os.getloadavg())}")
        failed = not all(met for _, met in verdicts)
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for path in (feed, services_file, db):
                shutil.copy2(path, args.keep / path.name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()

"""The known-vulnerability checks on the demo practice: findings that carry CVE IDs, one per
urgency tier, silent without a matcher."""

from __future__ import annotations

import gzip
from pathlib import Path

from rempart.checks import get_meta
from rempart.checks.base import CheckContext, run_checks
from rempart.core.model import Asset, Finding, Service, Severity, to_jsonable
from rempart.vulns.importing import import_path
from rempart.vulns.matching import VulnMatcher
from rempart.vulns.store import KnowledgeBase
from tests.checks.practice import EXPECTED, NOW, demo_assets
from tests.support import shared_data

MS17_010 = {f"CVE-2017-014{n}" for n in range(3, 9)}

# The findings the vulnerability checks add to the demo practice (curated base only).
EXPECTED_VULNS = {
    ("NET-VULN-RANSOMWARE", "127.42.0.10", 445),
    ("NET-VULN-RANSOMWARE", "127.42.0.30", 8080),
    ("NET-VULN-RANSOMWARE", "127.42.0.30", 443),
    ("NET-VULN-KEV", "127.42.0.30", 8080),
    ("NET-VULN-KEV", "127.42.0.30", 443),
    ("NET-VULN-CVE", "127.42.0.30", 8080),
    ("NET-VULN-CVE", "127.42.0.30", 443),
    ("NET-VULN-CVE", "127.42.0.30", 22),
}


def _audit(vulns: object = None) -> tuple[Finding, ...]:
    return run_checks(demo_assets(), CheckContext(now=NOW, vulns=vulns))


def _vuln_findings(findings: tuple[Finding, ...]) -> dict[tuple[str, str, int], Finding]:
    return {
        (f.check_id, f.address or "", f.port or 0): f
        for f in findings
        if f.check_id.startswith("NET-VULN-")
    }


def test_demo_practice_gets_exactly_the_expected_vulnerability_findings() -> None:
    findings = _audit(VulnMatcher())
    assert set(_vuln_findings(findings)) == EXPECTED_VULNS
    others = {(f.check_id, f.address, f.port) for f in findings} - EXPECTED_VULNS
    assert others == EXPECTED  # the network checks are unchanged


def test_findings_carry_the_cves_with_qlocker_old_openssh_and_ms17_010() -> None:
    found = _vuln_findings(_audit(VulnMatcher()))
    nas = found[("NET-VULN-RANSOMWARE", "127.42.0.30", 8080)]
    assert nas.severity is Severity.CRITICAL
    assert set(nas.cves) == {"CVE-2021-28799", "CVE-2022-27593"}
    qlocker = {e.label: e.value for e in nas.evidence}
    assert qlocker["CVE-2021-28799"].startswith("probable (CVSS 10.0): QNAP QTS 4.5.1")
    assert "Qlocker" in qlocker["CVE-2021-28799 impact"]
    assert "16.0.0415" in qlocker["CVE-2021-28799 fixed in"]
    assert found[("NET-VULN-KEV", "127.42.0.30", 8080)].cves == ("CVE-2020-2509",)
    ssh = found[("NET-VULN-CVE", "127.42.0.30", 22)]
    assert ssh.severity is Severity.LOW
    assert "CVE-2018-15473" in ssh.cves
    assert all(e.value.startswith("confirmed") for e in ssh.evidence if e.label in ssh.cves)
    smb = found[("NET-VULN-RANSOMWARE", "127.42.0.10", 445)]
    assert set(smb.cves) == MS17_010
    assert {e.value.split(" ")[0] for e in smb.evidence if e.label in MS17_010} == {"probable"}


def test_a_tier_never_repeats_the_cves_of_another() -> None:
    found = _vuln_findings(_audit(VulnMatcher()))
    by_service: dict[tuple[str, int], list[str]] = {}
    for (_, address, port), finding in found.items():
        by_service.setdefault((address, port), []).extend(finding.cves)
    for cves in by_service.values():
        assert len(cves) == len(set(cves))


def test_checks_are_silent_without_a_matcher() -> None:
    assert _vuln_findings(_audit(None)) == {}


def test_cves_reach_the_json_of_a_finding() -> None:
    found = _vuln_findings(_audit(VulnMatcher()))
    data = to_jsonable(found[("NET-VULN-KEV", "127.42.0.30", 443)])
    assert data["cves"] == ["CVE-2020-2509"]
    assert data["severity"] == "high"


def test_long_lists_are_named_after_the_first_few() -> None:
    class Many:
        """A matcher stand-in returning many ransomware matches for any service."""

        def match(self, service: Service, asset: Asset | None = None) -> list[object]:
            base = VulnMatcher().match(demo_assets()[1].services[1])  # MS17-010: six CVEs
            return list(base) * 2

    findings = _audit(Many())
    finding = next(f for f in findings if f.check_id == "NET-VULN-RANSOMWARE")
    labels = [e.label for e in finding.evidence]
    assert labels[-1] == "other CVEs"
    assert len(finding.cves) == 12
    assert all(len(e.value) <= 200 for e in finding.evidence)


def test_epss_from_the_feed_raises_a_flaw_to_the_likely_tier(tmp_path: Path) -> None:
    db = tmp_path / "vulns.db"
    import_path(shared_data("nvd", "nvdcve-2.0-sample.json"), db_path=db)
    epss = tmp_path / "epss_scores-2025-08-25.csv.gz"
    text = (
        "#model_version:v2025.03.14,score_date:2025-08-25T12:55:00Z\n"
        "cve,epss,percentile\nCVE-2016-6530,0.31,0.97\n"
    )
    epss.write_bytes(gzip.compress(text.encode()))
    import_path(epss, db_path=db)
    kb = KnowledgeBase.open(db)
    assert kb is not None
    radio = Service("127.42.0.40", 104, name="dicom", cpe="cpe:/a:dentsply_sirona:cdr_dicom:5.0")
    with kb:
        findings = run_checks(
            (Asset("127.42.0.40", services=(radio,)),),
            CheckContext(now=NOW, vulns=VulnMatcher(kb=kb)),
        )
    assert [(f.check_id, f.cves) for f in findings] == [("NET-VULN-LIKELY", ("CVE-2016-6530",))]
    assert findings[0].severity is Severity.MEDIUM
    assert "EPSS 0.31" in findings[0].evidence[0].value


def test_severities_follow_the_tiers() -> None:
    severities = {
        "NET-VULN-RANSOMWARE": Severity.CRITICAL,
        "NET-VULN-KEV": Severity.HIGH,
        "NET-VULN-LIKELY": Severity.MEDIUM,
        "NET-VULN-CVE": Severity.LOW,
    }
    for check_id, severity in severities.items():
        meta = get_meta(check_id)
        assert meta is not None and meta.severity is severity


def test_a_feed_only_cve_with_ransomware_use_is_critical(tmp_path: Path) -> None:
    db = tmp_path / "vulns.db"
    import_path(shared_data("nvd", "nvdcve-2.0-sample.json"), db_path=db)
    import_path(shared_data("kev-2025-08-25.json"), db_path=db)
    kb = KnowledgeBase.open(db)
    assert kb is not None
    gateway = Service(
        "127.0.0.9",
        443,
        name="https",
        cpe="cpe:2.3:o:citrix:application_delivery_controller_firmware:13.0:*:*:*:*:*:*:*",
    )
    with kb:
        findings = run_checks(
            (Asset("127.0.0.9", services=(gateway,)),),
            CheckContext(now=NOW, vulns=VulnMatcher(kb=kb)),
        )
    critical = [f for f in findings if f.check_id == "NET-VULN-RANSOMWARE"]
    assert [f.cves for f in critical] == [("CVE-2019-19781",)]  # not curated: NVD + KEV
    evidence = {e.label: e.value for e in critical[0].evidence}
    assert evidence["CVE-2019-19781"].startswith("confirmed (CVSS 9.8)")
    assert evidence["CVE-2019-19781 fixed in"] == "see the NVD entry"

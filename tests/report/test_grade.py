"""The grade A–G: documented weights, ransomware paths, exposure, tested immutable backups,
accepted risks, and the same answer from run to run."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rempart.checks import CheckContext, all_checks, run_checks
from rempart.core.model import Finding, Severity
from rempart.core.protection import NO_BACKUP, BackupStatus
from rempart.core.scoring import (
    BACKUP_FINDINGS,
    GRADES,
    RANSOMWARE_PATH,
    SEVERITY_POINTS,
    THRESHOLDS,
    finding_key,
    grade_for,
    matches,
    score,
)
from tests.checks.practice import NOW, demo_audit

DOC = Path(__file__).resolve().parents[2] / "docs" / "grade.md"


def finding(
    check_id: str,
    severity: Severity,
    address: str | None = "192.168.1.20",
    port: int | None = 445,
    cves: tuple[str, ...] = (),
) -> Finding:
    return Finding(
        check_id, severity, address, port, "tcp" if port is not None else None, cves=cves
    )


def drilled_backups(days_ago: float, immutable: bool = True) -> BackupStatus:
    drill = NOW - timedelta(days=days_ago)
    return replace(
        NO_BACKUP,
        last_backup_at=drill,
        last_backup_ok=True,
        immutable=immutable,
        last_drill_at=drill,
        last_drill_ok=True,
        last_good_drill_at=drill,
        repository="s3://127.0.0.1:9000/cabinet",
    )


def test_no_finding_is_grade_a() -> None:
    result = score([], now=NOW)
    assert (result.grade, result.points, result.breakdown) == ("A", 0.0, ())


def test_one_high_finding_gives_c_and_one_critical_gives_d() -> None:
    high = score([finding("NET-FTP-ANONYMOUS", Severity.HIGH, port=21)], now=NOW)
    critical = score([finding("NET-DB-DEFAULT", Severity.CRITICAL, port=1433)], now=NOW)
    assert (high.points, high.grade) == (8.0, "C")
    assert (critical.points, critical.grade) == (20.0, "D")


def test_a_flaw_used_by_ransomware_weighs_half_as_much_again() -> None:
    nas = finding("NET-VULN-RANSOMWARE", Severity.CRITICAL, port=443, cves=("CVE-2021-28799",))
    other = finding("NET-VULN-KEV", Severity.CRITICAL, port=443, cves=("CVE-2020-2509",))
    assert score([nas], now=NOW).points == 30.0
    assert score([nas], now=NOW).grade == "E"
    assert score([other], now=NOW).points == 20.0
    assert score([nas], now=NOW).breakdown[0].factors == (("ransomware", 1.5),)


def test_an_internet_facing_service_counts_double() -> None:
    lan = finding("NET-TELNET", Severity.HIGH, address="192.168.1.1", port=23)
    internet = finding("NET-TELNET", Severity.HIGH, address="80.12.34.56", port=23)
    assert score([lan], now=NOW).points == 8.0
    assert score([internet], now=NOW).points == 16.0
    assert score([internet], now=NOW).grade == "D"


def test_tested_immutable_backups_lower_the_ransomware_paths_only() -> None:
    rdp = finding("NET-RDP-NO-NLA", Severity.HIGH, port=3389)  # 8 x 1.5 = 12
    telnet = finding("NET-TELNET", Severity.HIGH, port=23)  # not a ransomware path: 8
    no_offline = finding("ORG-BACKUP-NO-OFFLINE-COPY", Severity.HIGH, None, None)  # 8
    plain = score([rdp, telnet, no_offline], now=NOW)
    covered = score([rdp, telnet, no_offline], protection=drilled_backups(3), now=NOW)
    assert plain.points == 28.0
    assert covered.compensated
    # rdp 12 x 0.5 = 6, telnet 8, the backup finding 8 x 0.2 = 1.6
    assert covered.points == 15.6
    assert (plain.grade, covered.grade) == ("D", "C")


def test_backups_count_only_when_immutable_and_drilled_within_30_days() -> None:
    rdp = [finding("NET-RDP-NO-NLA", Severity.HIGH, port=3389)]
    assert not score(rdp, protection=drilled_backups(31), now=NOW).compensated
    assert not score(rdp, protection=drilled_backups(3, immutable=False), now=NOW).compensated
    assert not score(rdp, protection=NO_BACKUP, now=NOW).compensated
    assert score(rdp, protection=drilled_backups(29.9), now=NOW).compensated


def test_an_accepted_risk_counts_a_quarter() -> None:
    smb = finding("NET-SMB-V1", Severity.HIGH)  # 8 x 1.5 = 12
    assert score([smb], now=NOW).points == 12.0
    assert score([smb], accepted=frozenset({finding_key(smb)}), now=NOW).points == 3.0


def test_the_grade_is_the_same_whatever_the_order_and_duplicates() -> None:
    base = demo_audit()
    findings = list(run_checks(base.assets, CheckContext(now=NOW)))
    first = score(findings, now=NOW)
    for seed in range(5):
        shuffled = findings + findings[:3]
        random.Random(seed).shuffle(shuffled)
        assert score(shuffled, now=NOW) == first


def test_the_demo_practice_is_graded_g() -> None:
    base = demo_audit()
    result = score(run_checks(base.assets, CheckContext(now=NOW)), now=NOW)
    assert result.grade == "G"
    assert result.breakdown[0].check_id in {"NET-DEFAULT-CREDENTIALS", "NET-VNC-NO-AUTH"}


@pytest.mark.parametrize(
    ("points", "grade"),
    [
        (0, "A"),
        (2.9, "A"),
        (3, "B"),
        (7.9, "B"),
        (8, "C"),
        (16, "D"),
        (30, "E"),
        (50, "F"),
        (79.9, "F"),
        (80, "G"),
        (1000, "G"),
    ],
)
def test_thresholds(points: float, grade: str) -> None:
    assert grade_for(points) == grade


def test_finding_key_names_check_address_port_and_transport() -> None:
    assert finding_key(finding("NET-SMB-V1", Severity.HIGH)) == "NET-SMB-V1|192.168.1.20|445|tcp"
    assert finding_key(finding("ORG-NO-BACKUP", Severity.CRITICAL, None, None)) == (
        "ORG-NO-BACKUP|||"
    )


def test_every_pattern_of_the_weights_names_real_checks() -> None:
    ids = [c.meta.id for c in all_checks()]
    for pattern in (*RANSOMWARE_PATH, *BACKUP_FINDINGS):
        assert any(matches(i, (pattern,)) for i in ids), pattern
    # the check that says "known ransomware use" is on the path
    assert matches("NET-VULN-RANSOMWARE", RANSOMWARE_PATH)


def test_docs_give_the_weights_and_thresholds_used() -> None:
    text = DOC.read_text(encoding="utf-8")
    for severity, points in SEVERITY_POINTS.items():
        if points:
            assert re.search(rf"{severity.value}\W.*\b{points:g}\b", text, re.I), severity
    for grade, bound in THRESHOLDS:
        assert re.search(rf"\b{grade}\b.*\b{bound:g}\b", text), grade
    assert set(GRADES) <= set(re.findall(r"\b([A-G])\b", text))


def test_worked_example_of_the_docs() -> None:
    """The example of docs/grade.md, computed: a NAS with a ransomware CVE, SMBv1 on the
    reception PC, a self-signed certificate; then the same with tested immutable backups."""
    nas = finding("NET-VULN-RANSOMWARE", Severity.CRITICAL, "192.168.1.30", 443)
    smb = finding("NET-SMB-V1", Severity.HIGH, "192.168.1.10", 445)
    cert = finding("NET-TLS-CERT-SELF-SIGNED", Severity.LOW, "192.168.1.30", 443)
    plain = score([nas, smb, cert], now=NOW)
    assert (plain.points, plain.grade) == (43.0, "E")
    covered = score([nas, smb, cert], protection=drilled_backups(3), now=NOW)
    assert (covered.points, covered.grade) == (22.0, "D")
    text = DOC.read_text(encoding="utf-8")
    assert "43" in text and "22" in text


def test_naive_dates_of_a_drill_read_as_utc() -> None:
    naive = replace(
        drilled_backups(1), last_good_drill_at=(NOW - timedelta(days=1)).replace(tzinfo=None)
    )
    rdp = [finding("NET-RDP-NO-NLA", Severity.HIGH, port=3389)]
    assert score(rdp, protection=naive, now=NOW).compensated
    assert score(rdp, protection=naive, now=datetime(2027, 1, 1, tzinfo=UTC)).compensated is False


CHECK_IDS = ("NET-SMB-V1", "NET-TELNET", "NET-VULN-RANSOMWARE", "ORG-NO-BACKUP", "NET-WINRM")
FINDINGS = st.builds(
    finding,
    st.sampled_from(CHECK_IDS),
    st.sampled_from(list(Severity)),
    st.sampled_from(["192.168.1.10", "192.168.1.11", "80.12.34.56", None]),
    st.sampled_from([445, 23, None]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(FINDINGS, max_size=12), FINDINGS, st.randoms())
def test_more_findings_never_improve_the_grade_and_order_never_matters(
    findings: list[Finding], extra: Finding, rng: random.Random
) -> None:
    base = score(findings, now=NOW)
    shuffled = list(findings)
    rng.shuffle(shuffled)
    assert score(shuffled, now=NOW) == base
    more = score([*findings, extra], now=NOW)
    assert more.points >= base.points
    assert GRADES.index(more.grade) >= GRADES.index(base.grade)
    assert base.points == round(sum(c.points for c in base.breakdown), 1)

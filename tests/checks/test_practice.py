"""The demo practice (docs/lab-practice.md) gives exactly the expected findings, no more."""

from __future__ import annotations

from rempart.checks import CheckContext, run_checks
from rempart.core.model import Severity
from tests.checks.practice import EXPECTED, NOW, demo_assets


def test_demo_practice_gives_exactly_the_expected_findings() -> None:
    findings = run_checks(demo_assets(), CheckContext(now=NOW))
    got = {(f.check_id, f.address, f.port) for f in findings}
    assert got == EXPECTED
    assert len(findings) == len(EXPECTED)  # no duplicate finding for one hole


def test_findings_come_most_severe_first_with_evidence() -> None:
    findings = run_checks(demo_assets(), CheckContext(now=NOW))
    ranks = [f.severity.rank for f in findings]
    assert ranks == sorted(ranks, reverse=True)
    assert findings[0].severity is Severity.CRITICAL
    assert all(f.evidence for f in findings)


def test_sql_server_2012_is_end_of_life_with_its_date() -> None:
    findings = run_checks(demo_assets(), CheckContext(now=NOW))
    eol = next(f for f in findings if f.check_id == "NET-EOL-VERSION")
    values = {e.label: e.value for e in eol.evidence}
    assert values["release"] == "SQL Server 2012"
    assert values["security updates ended"] == "2022-07-12"
    assert values["product seen"] == "Microsoft SQL Server 11.0.7001"

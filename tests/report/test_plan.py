"""The action plan: every check has an action, one action fixes several findings, each says
who, how long and what it wins, sorted by gain then effort, in plain French (or English)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rempart import i18n
from rempart.checks import CheckContext, all_checks, run_checks
from rempart.core.errors import DataError
from rempart.core.model import Finding, Severity
from rempart.core.scoring import finding_key, grade_for, matches, score
from rempart.report import plan
from rempart.report.plan import EFFORTS, WHO, action_specs, build_plan, spec_for
from tests.checks.practice import NOW, demo_audit

SPEC_IDS = {s.id for s in action_specs()}


def f(check_id: str, severity: Severity, address: str | None, port: int | None) -> Finding:
    return Finding(check_id, severity, address, port, "tcp" if port else None)


def test_every_check_has_exactly_one_action() -> None:
    missing, doubled = [], []
    for check in all_checks():
        owners = [s.id for s in action_specs() if matches(check.meta.id, s.checks)]
        if not owners:
            missing.append(check.meta.id)
        elif len(owners) > 1:
            doubled.append((check.meta.id, owners))
    assert not missing, f"checks without an action in actions.toml: {missing}"
    assert not doubled, f"checks claimed by several actions: {doubled}"


def test_every_action_fixes_a_real_check_and_is_worded_in_both_languages() -> None:
    ids = [c.meta.id for c in all_checks()]
    for spec in action_specs():
        for pattern in spec.checks:
            assert any(matches(i, (pattern,)) for i in ids), (spec.id, pattern)
        assert spec.who in WHO and spec.effort in EFFORTS
        for lang in ("fr", "en"):
            assert spec.title[lang].strip() and spec.detail[lang].strip()


def test_smb1_on_several_pcs_is_one_action() -> None:
    findings = [
        f("NET-SMB-V1", Severity.HIGH, "192.168.1.10", 445),
        f("NET-SMB-V1", Severity.HIGH, "192.168.1.9", 445),
        f("HOST-WIN-SMB1", Severity.HIGH, "FAUTEUIL-2", None),
    ]
    plan = build_plan(findings, lang="fr", names={"192.168.1.10": "accueil"}, now=NOW)
    assert len(plan) == 1
    (action,) = plan
    assert action.title == "Désactiver SMBv1"
    assert len(action.findings) == 3
    assert action.targets == ("192.168.1.9", "accueil (192.168.1.10)", "FAUTEUIL-2")
    assert action.who == "it_provider" and action.who_label == "Le prestataire informatique"
    assert action.effort == "minutes"


def test_updating_the_nas_fixes_all_its_flaws_and_is_per_device() -> None:
    findings = [
        f("NET-VULN-RANSOMWARE", Severity.CRITICAL, "192.168.1.30", 443),
        f("NET-VULN-KEV", Severity.HIGH, "192.168.1.30", 443),
        f("NET-VULN-CVE", Severity.LOW, "192.168.1.30", 22),
        f("NET-EOL-VERSION", Severity.HIGH, "192.168.1.20", 1433),
    ]
    plan = build_plan(findings, lang="fr", names={"192.168.1.30": "nas"}, now=NOW)
    by_id = {a.id: a for a in plan}
    assert set(by_id) == {"update@192.168.1.30", "update@192.168.1.20"}
    nas = by_id["update@192.168.1.30"]
    assert nas.title == "Mettre à jour nas (192.168.1.30)"
    assert {x.check_id for x in nas.findings} == {
        "NET-VULN-RANSOMWARE",
        "NET-VULN-KEV",
        "NET-VULN-CVE",
    }
    assert plan[0] is nas  # 30 + 8 + 1 points before 8


def test_gain_is_the_score_without_the_findings_fixed() -> None:
    audit = demo_audit()
    findings = run_checks(audit.assets, CheckContext(now=NOW))
    total = score(findings, now=NOW)
    plan = build_plan(findings, lang="fr", now=NOW)
    covered = [x for a in plan for x in a.findings]
    assert sorted(map(finding_key, covered)) == sorted({finding_key(x) for x in findings})
    for action in plan:
        fixed = {finding_key(x) for x in action.findings}
        without = score([x for x in findings if finding_key(x) not in fixed], now=NOW)
        assert action.gain_points == round(total.points - without.points, 1), action.id
        assert action.grade_after == without.grade
    assert plan[-1].cumulative_points == 0.0 and plan[-1].cumulative_grade == "A"


def test_sorted_by_gain_then_effort() -> None:
    findings = [
        # same gain (3 points each), different efforts
        f("NET-DB-EXPOSED", Severity.MEDIUM, "192.168.1.20", 1433),  # hours
        f("NET-SNMP-DEFAULT-COMMUNITY", Severity.MEDIUM, "192.168.1.50", 161),  # minutes
        f("NET-TELNET", Severity.HIGH, "192.168.1.1", 23),  # 8 points
    ]
    plan = build_plan(findings, lang="fr", now=NOW)
    assert [a.id for a in plan] == ["telnet-off", "snmp-community", "database-access"]
    gains = [a.gain_points for a in plan]
    assert gains == sorted(gains, reverse=True)
    assert build_plan(list(reversed(findings)), lang="fr", now=NOW) == plan


def test_accepted_risks_leave_the_plan() -> None:
    telnet = f("NET-TELNET", Severity.HIGH, "192.168.1.1", 23)
    ftp = f("NET-FTP-ANONYMOUS", Severity.HIGH, "192.168.1.30", 21)
    plan = build_plan([telnet, ftp], accepted=frozenset({finding_key(telnet)}), now=NOW)
    assert [a.id for a in plan] == ["ftp-anonymous-off"]
    # the accepted one still weighs a quarter: doing the plan leaves 2 points, grade A
    assert plan[0].cumulative_points == 2.0


def test_the_plan_speaks_english_when_asked_and_restores_the_language() -> None:
    findings = [f("NET-SMB-V1", Severity.HIGH, "192.168.1.10", 445)]
    (action,) = build_plan(findings, lang="en", now=NOW)
    assert action.title == "Turn SMBv1 off"
    assert action.who_label == "The IT provider"
    assert action.effort_label == "A few minutes"
    assert i18n.current_language() == "fr"


def test_a_check_of_another_version_still_gets_an_action() -> None:
    spec = spec_for("NET-FROM-THE-FUTURE")
    assert spec.id not in SPEC_IDS
    (action,) = build_plan([f("NET-FROM-THE-FUTURE", Severity.HIGH, "10.0.0.1", 80)], now=NOW)
    assert action.title == "NET-FROM-THE-FUTURE" and action.gain_points == 8.0
    assert action.grade_after == grade_for(0)


@pytest.mark.parametrize(
    "text",
    [
        '[[action]]\nid = "x"\nchecks = ["NET-TELNET"]\n',  # no who, effort, words
        '[[action]]\nid = "x"\nchecks = ["NET-TELNET"]\nwho = "nurse"\neffort = "hours"\n'
        'title = {fr = "a", en = "b"}\ndetail = {fr = "a", en = "b"}\n',
        "[[action]\n",  # not TOML
    ],
)
def test_a_broken_actions_file_is_a_clear_data_error(
    text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "actions.toml"
    broken.write_text(text, encoding="utf-8")
    monkeypatch.setattr(plan, "ACTIONS_FILE", broken)
    action_specs.cache_clear()
    try:
        with pytest.raises(DataError) as caught:
            action_specs()
        assert str(broken) in str(caught.value) and "\n" not in str(caught.value)
    finally:
        monkeypatch.undo()
        action_specs.cache_clear()

"""ORG- checks: each fires on the answer that reveals its gap, with lower-severity twins for
"I don't know" where that is telling, and never on an unanswered question."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rempart.checks import all_checks, get_meta
from rempart.checks.base import CheckContext, run_org_checks
from rempart.core.model import Severity
from rempart.core.survey import Answer, Answers, Value
from rempart.survey.loader import load_questionnaire

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
CTX = CheckContext(now=NOW)


def answers(**values: Value) -> Answers:
    """``answers(backup__exists="no")`` → the answer to ``backup.exists``."""
    return Answers.of(Answer(k.replace("__", "."), v, NOW) for k, v in values.items())


def fired(a: Answers) -> set[str]:
    return {f.check_id for f in run_org_checks(a, CTX)}


# check ID → (answers that fire it, answers to the same question(s) that do not)
CASES: dict[str, tuple[dict[str, Value], dict[str, Value]]] = {
    "ORG-NO-BACKUP": ({"backup__exists": "no"}, {"backup__exists": "yes"}),
    "ORG-BACKUP-UNKNOWN": ({"backup__exists": "dont_know"}, {"backup__exists": "no"}),
    "ORG-BACKUP-INFREQUENT": ({"backup__frequency": "monthly"}, {"backup__frequency": "daily"}),
    "ORG-BACKUP-NOT-321": (
        {"backup__copies": 1, "backup__offsite": "yes"},
        {"backup__copies": 2, "backup__offsite": "yes"},
    ),
    "ORG-BACKUP-NO-OFFLINE-COPY": ({"backup__offline_copy": "no"}, {"backup__offline_copy": "yes"}),
    "ORG-BACKUP-OFFLINE-UNKNOWN": (
        {"backup__offline_copy": "dont_know"},
        {"backup__offline_copy": "no"},
    ),
    "ORG-BACKUP-NOT-TESTED": ({"backup__restore_tested": "no"}, {"backup__restore_tested": "yes"}),
    "ORG-BACKUP-TEST-UNKNOWN": (
        {"backup__restore_tested": "dont_know"},
        {"backup__restore_tested": "yes"},
    ),
    "ORG-BACKUP-NOT-ENCRYPTED": ({"backup__encrypted": "no"}, {"backup__encrypted": "yes"}),
    "ORG-PASSWORDS-SHARED": (
        {"passwords__individual_accounts": "no"},
        {"passwords__individual_accounts": "yes"},
    ),
    "ORG-NO-PASSWORD-MANAGER": ({"passwords__manager": "no"}, {"passwords__manager": "yes"}),
    "ORG-PASSWORDS-REUSED": ({"passwords__reused": "yes"}, {"passwords__reused": "no"}),
    "ORG-PASSWORDS-WRITTEN": (
        {"passwords__written_down": "yes"},
        {"passwords__written_down": "no"},
    ),
    "ORG-NO-SCREEN-LOCK": ({"passwords__screen_lock": "no"}, {"passwords__screen_lock": "yes"}),
    "ORG-ADMIN-DAILY-USE": ({"admin__daily_use": "dont_know"}, {"admin__daily_use": "no"}),
    "ORG-NO-MFA-EMAIL": ({"mfa__email": "no"}, {"mfa__email": "yes"}),
    "ORG-NO-MFA-REMOTE": ({"mfa__remote_access": "dont_know"}, {"mfa__remote_access": "yes"}),
    "ORG-NO-ECPS": ({"cps__ecps": "no"}, {"cps__ecps": "yes"}),
    "ORG-CPS-SHARED": ({"cps__card_shared": "yes"}, {"cps__card_shared": "no"}),
    "ORG-NO-SECURE-MESSAGING": ({"cps__mssante": "no"}, {"cps__mssante": "yes"}),
    "ORG-UPDATES-NOT-AUTOMATIC": ({"updates__automatic": "no"}, {"updates__automatic": "yes"}),
    "ORG-UNSUPPORTED-SYSTEMS": (
        {"updates__unsupported_systems": "yes"},
        {"updates__unsupported_systems": "dont_know"},
    ),
    "ORG-NO-ANTIVIRUS": ({"updates__antivirus": "no"}, {"updates__antivirus": "yes"}),
    "ORG-NO-AWARENESS": (
        {"awareness__training": "this_year", "awareness__report_suspicious": "no"},
        {"awareness__training": "this_year", "awareness__report_suspicious": "yes"},
    ),
    "ORG-AWARENESS-OLD": (
        {"awareness__training": "longer_ago"},
        {"awareness__training": "this_year"},
    ),
    "ORG-PERSONAL-USE": ({"usage__personal_use": "yes"}, {"usage__personal_use": "no"}),
    "ORG-IT-PROVIDER-NO-CONTRACT": ({"provider__contract": "no"}, {"provider__contract": "yes"}),
    "ORG-REMOTE-ACCESS-UNCONTROLLED": (
        {"remote__vendor_access": "permanent"},
        {"remote__vendor_access": "on_request"},
    ),
    "ORG-VENDOR-NOT-HDS": ({"vendor__hds": "no"}, {"vendor__hds": "yes"}),
    "ORG-VENDOR-HDS-UNKNOWN": ({"vendor__hds": "dont_know"}, {"vendor__hds": "yes"}),
    "ORG-WIFI-NOT-SEPARATED": ({"wifi__separated": "no"}, {"wifi__separated": "yes"}),
    "ORG-NO-INCIDENT-PLAN": (
        {"incident__plan": "yes", "incident__contacts": "no"},
        {"incident__plan": "yes", "incident__contacts": "yes"},
    ),
    "ORG-NO-RGPD-REGISTER": ({"rgpd__register": "no"}, {"rgpd__register": "yes"}),
    "ORG-BREACH-NOTIFICATION-UNKNOWN": ({"rgpd__breach_72h": "no"}, {"rgpd__breach_72h": "yes"}),
}


def org_ids() -> set[str]:
    return {c.meta.id for c in all_checks() if c.subject == "org"}


def test_every_org_check_has_a_case_and_the_issue_examples_exist() -> None:
    assert org_ids() == set(CASES)
    for example in (
        "ORG-BACKUP-NO-OFFLINE-COPY",
        "ORG-BACKUP-NOT-TESTED",
        "ORG-BACKUP-NOT-321",
        "ORG-PASSWORDS-SHARED",
        "ORG-NO-PASSWORD-MANAGER",
        "ORG-NO-MFA-EMAIL",
        "ORG-NO-MFA-REMOTE",
        "ORG-NO-ECPS",
        "ORG-UPDATES-NOT-AUTOMATIC",
        "ORG-ADMIN-DAILY-USE",
        "ORG-NO-AWARENESS",
        "ORG-IT-PROVIDER-NO-CONTRACT",
        "ORG-REMOTE-ACCESS-UNCONTROLLED",
        "ORG-VENDOR-NOT-HDS",
        "ORG-WIFI-NOT-SEPARATED",
        "ORG-NO-INCIDENT-PLAN",
        "ORG-NO-RGPD-REGISTER",
        "ORG-BREACH-NOTIFICATION-UNKNOWN",
    ):
        assert example in CASES


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_fires_on_the_gap_and_not_on_the_good_answer(check_id: str) -> None:
    bad, good = CASES[check_id]
    findings = [f for f in run_org_checks(answers(**bad), CTX) if f.check_id == check_id]
    assert len(findings) == 1
    finding = findings[0]
    meta = get_meta(check_id)
    assert meta is not None and finding.severity is meta.severity
    assert finding.address is None  # about the practice, not a host
    labels = {e.label for e in finding.evidence}
    assert any(f"survey {k.replace('__', '.')}" in labels for k in bad)
    assert all("answered 2026-11-28" in e.value for e in finding.evidence)
    assert check_id not in fired(answers(**good))


def test_no_answer_no_finding() -> None:
    assert run_org_checks(Answers(), CTX) == ()


def test_every_question_a_check_reads_exists() -> None:
    ids = {q.id for q in load_questionnaire().questions}
    for bad, good in CASES.values():
        for key in (*bad, *good):
            assert key.replace("__", ".") in ids


def test_dont_know_is_milder_than_no_where_it_has_its_own_check() -> None:
    pairs = [
        ("ORG-NO-BACKUP", "ORG-BACKUP-UNKNOWN"),
        ("ORG-BACKUP-NO-OFFLINE-COPY", "ORG-BACKUP-OFFLINE-UNKNOWN"),
        ("ORG-BACKUP-NOT-TESTED", "ORG-BACKUP-TEST-UNKNOWN"),
        ("ORG-VENDOR-NOT-HDS", "ORG-VENDOR-HDS-UNKNOWN"),
    ]
    for no_id, unknown_id in pairs:
        no, unknown = get_meta(no_id), get_meta(unknown_id)
        assert no is not None and unknown is not None
        assert unknown.severity < no.severity


def test_the_worst_practice_is_led_by_the_missing_backup() -> None:
    worst = answers(backup__exists="no", mfa__remote_access="no", wifi__separated="dont_know")
    findings = run_org_checks(worst, CTX)
    assert findings[0].check_id == "ORG-NO-BACKUP"
    assert findings[0].severity is Severity.CRITICAL
    assert [f.check_id for f in findings] == [
        "ORG-NO-BACKUP",
        "ORG-NO-MFA-REMOTE",
        "ORG-WIFI-NOT-SEPARATED",
    ]


def test_metadata_cites_the_ans_anssi_or_cnil_and_speaks_both_languages() -> None:
    for check_id in org_ids():
        meta = get_meta(check_id)
        assert meta is not None
        labels = " ".join(r.label for r in meta.references)
        assert "ANS" in labels or "CNIL" in labels, check_id
        assert meta.title.fr != meta.title.en and meta.remediation.fr != meta.remediation.en
        assert meta.categories and meta.rationale, check_id

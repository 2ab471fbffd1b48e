"""The practice report model and its JSON: the plan and grade beside the findings, valid
against the documented schema, devices with their findings, statuses from the store."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, timedelta
from pathlib import Path

from rempart.checks import CheckContext, run_checks
from rempart.core.host import HostFacts
from rempart.core.model import Audit, Finding, Severity
from rempart.core.scoring import finding_key
from rempart.report.practice import build_report, report_to_json
from rempart.store import Store, accept_risk
from tests.checks.practice import NOW, demo_audit
from tests.report.minischema import validate

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "findings.schema.json").read_text("utf-8")
)


def demo() -> Audit:
    base = demo_audit()
    return dataclasses.replace(base, findings=run_checks(base.assets, CheckContext(now=NOW)))


def two_audits(store: Store) -> tuple[Audit, Audit]:
    second = demo()
    first = dataclasses.replace(
        second,
        id="before",
        started_at=second.started_at - timedelta(days=30),
        finished_at=second.finished_at - timedelta(days=30),
        findings=(*second.findings, Finding("NET-TELNET", Severity.HIGH, "127.42.0.50", 23, "tcp")),
    )
    second = dataclasses.replace(
        second, findings=tuple(f for f in second.findings if f.check_id != "NET-WINRM")
    )
    store.save_audit(first)
    store.save_audit(second)
    return first, second


def test_practice_json_is_valid_against_the_documented_schema() -> None:
    with Store.open() as store:
        _, audit = two_audits(store)
        accept_risk(
            store,
            "NET-TLS-OLD|127.42.0.30|443|tcp",
            "NAS replaced in March",
            date(2027, 3, 1),
            now=NOW,
        )
        data = report_to_json(build_report(audit, store=store, lang="fr", now=NOW))
    errors = validate(data, SCHEMA)
    assert errors == []
    assert data["grade"]["grade"] == "G"
    assert data["change"]["fixed"] == [
        "NET-TELNET|127.42.0.50|23|tcp",
        "NET-WINRM|127.42.0.20|5985|tcp",
    ]
    assert [p["audit_id"] for p in data["history"]] == ["before", audit.id]
    statuses = {f["key"]: f["status"] for f in data["findings"]}
    assert statuses["NET-TLS-OLD|127.42.0.30|443|tcp"] == "accepted"
    assert set(statuses.values()) == {"open", "accepted"}
    planned = {k for a in data["plan"] for k in a["findings"]}
    assert "NET-TLS-OLD|127.42.0.30|443|tcp" not in planned


def test_findings_come_weightiest_first_and_devices_hold_theirs() -> None:
    facts = HostFacts(platform="windows", hostname="accueil")
    audit = dataclasses.replace(
        demo(),
        hosts=(facts, HostFacts(platform="linux", hostname="portable")),
        findings=(
            *demo().findings,
            Finding("HOST-FIREWALL-OFF", Severity.MEDIUM, "accueil"),
            Finding("HOST-GUEST-ENABLED", Severity.MEDIUM, "portable"),
            Finding("ORG-NO-MFA-EMAIL", Severity.HIGH),
        ),
    )
    report = build_report(audit, lang="en", now=NOW)
    points = [v.points for v in report.findings]
    assert points == sorted(points, reverse=True)
    assert report.findings[0].check_id in {"NET-DEFAULT-CREDENTIALS", "NET-VNC-NO-AUTH"}
    by_label = {a.label: a for a in report.assets}
    reception = by_label["accueil (127.42.0.10)"]
    assert reception.host is facts  # the scanned PC and its own facts, joined by name
    assert {v.check_id for v in reception.findings} >= {"NET-SMB-V1", "HOST-FIREWALL-OFF"}
    assert [v.check_id for v in by_label["portable"].findings] == ["HOST-GUEST-ENABLED"]
    assert [v.check_id for v in report.practice_findings] == ["ORG-NO-MFA-EMAIL"]
    assert report.findings[0].title.startswith(("Factory", "Remote control"))
    assert report.references and all(r.url.startswith("https://") for r in report.references)
    assert report.grade_after_top(5) == report.plan[4].cumulative_grade


def test_hostile_names_reach_the_model_as_data_not_markup() -> None:
    evil = '<img src=x onerror="alert(1)">'
    base = demo()
    assets = tuple(
        dataclasses.replace(a, hostname=evil) if a.address == "127.42.0.30" else a
        for a in base.assets
    )
    report = build_report(dataclasses.replace(base, assets=assets), lang="fr", now=NOW)
    nas = next(a for a in report.assets if a.address == "127.42.0.30")
    assert nas.label == f"{evil} (127.42.0.30)"  # kept whole: renderers escape it
    update = next(a for a in report.plan if a.id.startswith("encryption@127.42.0.30"))
    assert evil in update.title
    json.dumps(report_to_json(report))


def test_without_a_store_everything_is_new_and_nothing_is_compared() -> None:
    report = build_report(demo(), lang="fr", now=NOW)
    assert {v.status for v in report.findings} == {"new"}
    assert (report.change, report.backup, report.sentinel, report.history) == (None, None, None, ())
    data = report_to_json(report)
    assert "change" not in data and data["history"] == []
    assert validate(data, SCHEMA) == []
    keys = {finding_key(f) for f in demo().findings}
    assert {f["key"] for f in data["findings"]} == keys

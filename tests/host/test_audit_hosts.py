"""audit_hosts: what `rempart audit --host --export/--import` does, in one call."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from rempart.core.errors import UsageError
from rempart.host import HostImportError, audit_hosts, collect_host_facts, export_host
from rempart.host.runner import RecordedRunner
from tests.host.recorded import linux_runner, windows_runner

NOW = datetime(2024, 4, 25, 9, 0, tzinfo=UTC)


def test_imports_from_two_pcs_are_judged_together(tmp_path) -> None:
    files = []
    for version in ("windows10", "windows11"):
        facts = collect_host_facts(windows_runner(version), "windows", NOW)
        files.append(export_host(facts, tmp_path / f"{version}.json"))
    result = audit_hosts(collect=False, imports=files, now=NOW)
    assert [h.hostname for h in result.hosts] == ["PC-ACCUEIL", "CABINET-DR"]
    targets = {f.address for f in result.findings}
    assert targets == {"PC-ACCUEIL"}  # the well-kept Windows 11 has nothing to report
    ranks = [f.severity.rank for f in result.findings]
    assert ranks == sorted(ranks, reverse=True)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="collects as Linux")
def test_collect_and_export_then_the_file_imports_elsewhere(tmp_path) -> None:
    out = tmp_path / "host.json"
    here = audit_hosts(collect=True, export=out, now=NOW, runner=linux_runner())
    assert here.hosts[0].hostname == "poste-radio"
    there = audit_hosts(collect=False, imports=[out], now=NOW)
    assert there.hosts == here.hosts and there.findings == here.findings


def test_unknown_facts_are_listed_in_the_notes(tmp_path) -> None:
    facts = collect_host_facts(RecordedRunner(), "windows", NOW)
    facts = replace(facts, hostname="PC-SOINS")
    result = audit_hosts(collect=False, imports=[export_host(facts, tmp_path / "h.json")], now=NOW)
    assert result.findings == ()
    assert any(n.startswith("PC-SOINS: not checked: disk encryption") for n in result.notes)


def test_the_same_computer_twice_keeps_the_latest(tmp_path) -> None:
    old = collect_host_facts(windows_runner("windows10"), "windows", NOW - timedelta(days=30))
    new = collect_host_facts(windows_runner("windows10"), "windows", NOW)
    files = [export_host(new, tmp_path / "a.json"), export_host(old, tmp_path / "b.json")]
    result = audit_hosts(collect=False, imports=files, now=NOW)
    assert result.hosts == (new,)
    assert any("facts given twice" in n for n in result.notes)


def test_export_without_collecting_is_refused() -> None:
    with pytest.raises(UsageError, match="--export needs --host"):
        audit_hosts(collect=False, export="x.json", now=NOW)


def test_a_malformed_import_stops_before_anything_is_collected(tmp_path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "rempart-host/1", "pending_updates": "many"}', encoding="utf-8")
    runner = RecordedRunner()
    with pytest.raises(HostImportError, match="'pending_updates'"):
        audit_hosts(collect=True, imports=[bad], now=NOW, runner=runner)
    assert runner.calls == []


def test_every_fact_has_a_label_for_the_report() -> None:
    from rempart.core.host import FACT_NAMES
    from rempart.host import fact_labels

    labels = fact_labels()
    assert set(FACT_NAMES) <= set(labels)
    assert all(label.strip() for label in labels.values())

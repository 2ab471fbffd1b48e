"""The Linux collector for real on this computer: it finishes, never raises, and every fact
it could not learn carries a reason."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import pytest

from rempart.core.host import FACT_NAMES, HostFacts
from rempart.host import collect_host_facts, host_findings, unknown_notes
from rempart.host.runner import SystemRunner

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")


def test_real_linux_collector_finishes_with_facts_or_reasons(tmp_path) -> None:
    now = datetime.now(UTC)
    facts = collect_host_facts(SystemRunner(), "linux", now)
    assert facts.platform == "linux"
    assert facts.os_name  # /etc/os-release exists on every systemd-era distribution
    assert facts.current_user
    for name in facts.unknown:
        assert name in FACT_NAMES and getattr(facts, name) is None
        assert facts.unknown[name].strip()
    # the report can list what could not be checked, one line each
    assert len(unknown_notes(facts)) == len(facts.unknown)
    host_findings(facts, now)
    # and the facts survive the trip to another computer
    assert HostFacts.from_json(facts.to_json()) == facts


def test_missing_commands_become_reasons(monkeypatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    facts = collect_host_facts(SystemRunner(), "linux", datetime.now(UTC))
    assert facts.reason("pending_updates") == "command not found: apt-get"
    assert facts.reason("volumes") == "command not found: lsblk"
    assert facts.os_name  # files are still read

"""BACKUP- checks: judged on the vault's BackupStatus (pure), and wired into the audit from
the store (what ``rempart backup run`` and ``rempart drill restore`` recorded)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from rempart.checks import CheckContext, get_meta
from rempart.checks.backup import run_backup_checks
from rempart.core.protection import NO_BACKUP, BackupStatus

NOW = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
CTX = CheckContext(now=NOW)
HEALTHY = BackupStatus(
    last_backup_at=NOW - timedelta(hours=3),
    last_backup_ok=True,
    last_backup_anomalous=False,
    immutable=True,
    last_drill_at=NOW - timedelta(days=6),
    last_drill_ok=True,
    last_good_drill_at=NOW - timedelta(days=6),
    repository="s3://cabinet/rempart?endpoint=https://s3.example.fr",
)


def ids(status: BackupStatus) -> list[str]:
    return [f.check_id for f in run_backup_checks(status, CTX)]


def test_a_practice_without_rempart_backups_is_left_to_the_survey() -> None:
    assert ids(NO_BACKUP) == []


def test_a_healthy_vault_raises_nothing() -> None:
    assert ids(HEALTHY) == []


def test_a_backup_older_than_a_day_is_reported_with_its_age() -> None:
    status = replace(HEALTHY, last_backup_at=NOW - timedelta(hours=52), last_backup_ok=False)
    findings = run_backup_checks(status, CTX)
    assert [f.check_id for f in findings] == ["BACKUP-STALE"]
    values = {e.label: e for e in findings[0].evidence}
    assert values["last successful backup"].value == "2026-11-26 16:00 UTC (52 h ago)"
    assert values["last successful backup"].value_in("fr").endswith("(il y a 52 h)")
    assert values["last run"].value == "failed"
    assert values["repository"].value == HEALTHY.repository


def test_a_backup_of_23_hours_is_fine() -> None:
    assert ids(replace(HEALTHY, last_backup_at=NOW - timedelta(hours=23))) == []


def test_backups_that_always_failed_are_stale() -> None:
    status = replace(HEALTHY, last_backup_at=None, last_backup_ok=False)
    assert "BACKUP-STALE" in ids(status)


def test_no_good_drill_in_30_days_is_reported_even_after_a_failed_one() -> None:
    status = replace(
        HEALTHY,
        last_drill_at=NOW - timedelta(days=1),
        last_drill_ok=False,
        last_good_drill_at=NOW - timedelta(days=45),
    )
    findings = run_backup_checks(status, CTX)
    assert [f.check_id for f in findings] == ["BACKUP-NO-DRILL"]
    labels = {e.label: e.value for e in findings[0].evidence}
    assert labels["last successful drill"] == "2026-10-14 20:00 UTC (45 days ago)"
    assert labels["last drill"].startswith("failed on 2026-11-27")


def test_never_drilled_is_reported() -> None:
    status = replace(HEALTHY, last_drill_at=None, last_drill_ok=None, last_good_drill_at=None)
    assert ids(status) == ["BACKUP-NO-DRILL"]


def test_an_anomalous_last_backup_is_critical_and_first() -> None:
    status = replace(HEALTHY, last_backup_anomalous=True, last_good_drill_at=None)
    assert ids(status) == ["BACKUP-ANOMALOUS", "BACKUP-NO-DRILL"]
    meta = get_meta("BACKUP-ANOMALOUS")
    assert meta is not None and meta.severity.value == "critical"


def test_the_audit_reads_the_vault_from_the_store() -> None:
    """``run_audit`` with survey answers: the store's backup runs and drills are judged."""
    from rempart.app.audit import run_audit
    from rempart.core.survey import Answers
    from rempart.store import Store
    from rempart.store.backups import finish_run, start_run
    from rempart.store.drills import record_drill

    now = datetime.now(UTC)
    with Store.open() as store:
        run_id = start_run(store, "/media/usb/rempart", immutable=False, at=now - timedelta(days=3))
        finish_run(store, run_id, status="ok", snapshot_id="ab" * 32, at=now - timedelta(days=3))
        record_drill(
            store,
            repository="/media/usb/rempart",
            snapshot_id="ab" * 32,
            kind="sample",
            files=24,
            nbytes=1000,
            ok=True,
            detail="ok",
            at=now - timedelta(days=2),
        )
    audit = run_audit(None, answers=Answers(()), now=lambda: now)
    found = {f.check_id for f in audit.findings if f.check_id.startswith("BACKUP-")}
    assert found == {"BACKUP-STALE"}


def test_the_network_only_audit_does_not_judge_backups() -> None:
    from rempart.app.audit import run_audit
    from rempart.store import Store
    from rempart.store.backups import start_run

    with Store.open() as store:
        start_run(store, "/x", immutable=False)  # a run that never finished
    audit = run_audit(None)
    assert not [f for f in audit.findings if f.check_id.startswith("BACKUP-")]


@pytest.mark.parametrize("check_id", ["BACKUP-STALE", "BACKUP-NO-DRILL", "BACKUP-ANOMALOUS"])
def test_the_checks_are_in_the_catalogue(check_id: str) -> None:
    from rempart.report.catalogue import render_catalogue

    assert f"### {check_id}" in render_catalogue()

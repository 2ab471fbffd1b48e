"""The protection summaries the audit, report and dashboard read from the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from rempart.store import Store
from rempart.store.models import BackupRunRow, IncidentRow, RestoreDrillRow, SentinelRunRow
from rempart.store.status import backup_status, sentinel_status

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _run(status: str, at: datetime, immutable: bool = False) -> BackupRunRow:
    return BackupRunRow(
        repository="s3://cabinet/sauvegardes",
        snapshot_id="abcd",
        started_at=at,
        finished_at=at + timedelta(minutes=5),
        status=status,
        files=10,
        bytes_read=100,
        bytes_added=10,
        immutable=immutable,
        anomalies=[],
        message="",
    )


def test_no_vault_means_nothing_known() -> None:
    with Store.open() as store:
        status = backup_status(store)
    assert status.last_backup_ok is None and not status.configured
    assert status.last_backup_at is None and status.last_good_drill_at is None


def test_a_failed_run_after_a_good_one_keeps_the_good_ones_date() -> None:
    with Store.open() as store:
        with store._session() as session:
            session.add(_run("ok", NOW - timedelta(days=2), immutable=True))
            session.add(_run("failed", NOW - timedelta(hours=1)))
            session.add(
                RestoreDrillRow(
                    repository="s3://cabinet/sauvegardes",
                    snapshot_id="abcd",
                    at=NOW - timedelta(days=10),
                    kind="sample",
                    files=5,
                    bytes=50,
                    ok=True,
                    detail="",
                )
            )
            session.add(
                RestoreDrillRow(
                    repository="s3://cabinet/sauvegardes",
                    snapshot_id="abcd",
                    at=NOW - timedelta(days=1),
                    kind="sample",
                    files=5,
                    bytes=50,
                    ok=False,
                    detail="pack manquant",
                )
            )
        status = backup_status(store)
    assert status.last_backup_ok is False
    assert status.last_backup_at == NOW - timedelta(days=2) + timedelta(minutes=5)
    assert status.immutable
    assert status.last_drill_ok is False
    assert status.last_good_drill_at == NOW - timedelta(days=10)


def test_the_sentinel_is_running_only_with_a_fresh_heartbeat() -> None:
    with Store.open() as store:
        with store._session() as session:
            session.add(
                SentinelRunRow(
                    started_at=NOW - timedelta(hours=3),
                    heartbeat_at=NOW - timedelta(seconds=20),
                    pid=1234,
                    host="accueil",
                    folders=["/srv/patients"],
                    mode="fanotify",
                    drill=False,
                )
            )
            session.add(
                IncidentRow(
                    started_at=NOW,
                    detected_at=NOW,
                    folder="/tmp/bac",
                    score=10.0,
                    reason="canari",
                    action="killed",
                    files_affected=1,
                    drill=True,
                    status="open",
                    timeline=[],
                )
            )
        fresh = sentinel_status(store, now=NOW)
        stale = sentinel_status(store, now=NOW + timedelta(minutes=10))
    assert fresh.running and fresh.folders == ("/srv/patients",) and fresh.mode == "fanotify"
    assert not stale.running
    assert fresh.open_incidents == 0  # a drill's incident is not an attack


def test_the_newest_migration_file_is_alembics_head() -> None:
    """Store.open skips Alembic when the store is at the newest numbered migration: that
    number must be the head Alembic itself sees, with one line of revisions."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from rempart.store import MIGRATIONS, head_revision

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(cfg)
    assert script.get_heads() == [head_revision()]
    revisions = list(script.walk_revisions())
    assert [r.revision for r in revisions] == sorted((r.revision for r in revisions), reverse=True)


def test_a_store_at_an_older_revision_is_upgraded(tmp_path: Path) -> None:
    import sqlite3

    from rempart.store import head_revision

    url = f"sqlite:///{tmp_path / 'old.db'}"
    Store.open(url).close()
    db = sqlite3.connect(tmp_path / "old.db")
    db.execute("DROP TABLE restore_drills")
    db.execute("DROP TABLE backup_runs")
    db.execute("UPDATE alembic_version SET version_num = '0004'")
    db.commit()
    db.close()
    with Store.open(url) as store:
        assert backup_status(store).last_backup_ok is None  # the vault's tables are back
    db = sqlite3.connect(tmp_path / "old.db")
    assert db.execute("SELECT version_num FROM alembic_version").fetchone()[0] == head_revision()

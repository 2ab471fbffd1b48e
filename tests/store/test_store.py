"""The store keeps every audit, whole, and can tell what changed since the last one."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect

from rempart import i18n
from rempart.core.errors import StoreError
from rempart.core.model import Asset, Audit, Evidence, Finding, Service, Severity
from rempart.core.observations import RdpObservation, SmbObservation
from rempart.store import Store, diff_audits


@pytest.fixture(autouse=True)
def english() -> None:
    """These tests read the English messages (the French ones are checked in tests/i18n)."""
    i18n.set_language("en")


def make_audit(audit_id: str, when: datetime, findings: tuple[Finding, ...]) -> Audit:
    smb = Service(
        address="127.42.0.10",
        port=445,
        name="smb",
        product="Windows",
        banner="<script>x</script>",
        observations=(
            SmbObservation(dialects=("NT LM 0.12", "2.1"), smb1=True, signing_required=False),
        ),
    )
    rdp = Service(
        address="127.42.0.10",
        port=3389,
        name="rdp",
        observations=(RdpObservation(protocols=("rdp", "ssl")),),
    )
    return Audit(
        id=audit_id,
        started_at=when,
        finished_at=when + timedelta(seconds=12),
        targets=("127.42.0.0/24",),
        ports="default",
        assets=(
            Asset(
                address="127.42.0.10", hostname="accueil", kind="workstation", services=(smb, rdp)
            ),
        ),
        findings=findings,
        notes=("snmp: no answer",),
        rempart_version="0.1.0",
    )


SMB1 = Finding(
    "NET-SMB-V1", Severity.HIGH, "127.42.0.10", 445, "tcp", (Evidence("dialects", "NT LM 0.12"),)
)
NLA = Finding("NET-RDP-NO-NLA", Severity.HIGH, "127.42.0.10", 3389, "tcp")


def test_an_audit_comes_back_whole_with_typed_observations() -> None:
    t0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    audit = make_audit("a" * 8 + "-0000-0000-0000-000000000001", t0, (SMB1, NLA))
    with Store.open() as store:
        store.save_audit(audit)
        back = store.get_audit(audit.id)
    assert back == audit
    assert isinstance(back.assets[0].services[0].observations[0], SmbObservation)


def test_audits_are_listed_newest_first_and_diffed_with_the_previous_one() -> None:
    t0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    first = make_audit("00000000-0000-0000-0000-000000000001", t0, (SMB1, NLA))
    second = make_audit("00000000-0000-0000-0000-000000000002", t0 + timedelta(days=30), (NLA,))
    with Store.open() as store:
        store.save_audit(first)
        store.save_audit(second)
        listed = store.list_audits()
        assert [a.id for a in listed] == [second.id, first.id]
        assert listed[1].by_severity == {"high": 2}
        diff = store.diff_with_previous(store.get_audit(second.id))
    assert diff is not None
    assert [f.check_id for f in diff.fixed] == ["NET-SMB-V1"]
    assert [f.check_id for f in diff.still_open] == ["NET-RDP-NO-NLA"]
    assert diff.new == ()
    assert diff_audits(second, first).new == (SMB1,)


def test_the_schema_is_made_by_the_migrations(rempart_home) -> None:
    with Store.open() as store:
        tables = set(inspect(store.engine).get_table_names())
    assert {"audits", "assets", "services", "findings", "alembic_version"} <= tables
    assert (rempart_home / "data" / "rempart.db").exists()


def test_an_unknown_audit_gets_a_clear_error() -> None:
    with Store.open() as store, pytest.raises(StoreError, match="No audit 'nope'"):
        store.get_audit("nope")


def test_an_unwritable_store_gets_a_clear_error(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="Cannot open the store"):
        Store.open(f"sqlite:///{blocker}/sub/rempart.db")


def test_host_facts_are_kept_with_their_audit() -> None:
    from rempart.core.host import HostFacts

    facts = HostFacts(
        platform="windows",
        hostname="ACCUEIL",
        os_name="Windows 10 Pro",
        smb1_enabled=True,
        unknown={"last_backup": "no backup software found"},
    )
    t0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    audit = replace(make_audit("00000000-0000-0000-0000-0000000000aa", t0, (SMB1,)), hosts=(facts,))
    with Store.open() as store:
        store.save_audit(audit)
        back = store.get_audit(audit.id)
    assert back.hosts == (facts,)

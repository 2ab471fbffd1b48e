"""Each finding's life across audits (new → open → fixed → back), accepted risks with their
end date, and the grade's history — all in the real store (SQLite through Alembic)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from rempart import i18n
from rempart.core.errors import StoreError, UsageError
from rempart.core.host import HostFacts
from rempart.core.model import Audit, Finding, Severity
from rempart.core.scoring import finding_key
from rempart.store import (
    Store,
    accept_risk,
    acceptances,
    accepted_keys,
    finding_life,
    grade_history,
    revoke,
)
from rempart.store.models import FindingLifeRow

T0 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
SMB1 = Finding("NET-SMB-V1", Severity.HIGH, "127.42.0.10", 445, "tcp")
TELNET = Finding("NET-TELNET", Severity.HIGH, "127.42.0.1", 23, "tcp")
SURVEY = Finding("ORG-NO-MFA-EMAIL", Severity.HIGH)
BACKUP = Finding("BACKUP-STALE", Severity.HIGH)
HOST = Finding("HOST-FIREWALL-OFF", Severity.MEDIUM, "ACCUEIL")


@pytest.fixture(autouse=True)
def english() -> None:
    i18n.set_language("en")


@pytest.fixture
def store() -> Store:
    return Store.open()


def audit(
    n: int,
    findings: tuple[Finding, ...],
    *,
    targets: tuple[str, ...] = ("127.42.0.0/24",),
    hosts: tuple[HostFacts, ...] = (),
) -> Audit:
    when = T0 + timedelta(days=7 * n)
    return Audit(
        id=f"audit-{n}",
        started_at=when,
        finished_at=when + timedelta(minutes=3),
        targets=targets,
        ports="default",
        findings=findings,
        hosts=hosts,
    )


def test_new_then_open_then_fixed_then_back(store: Store) -> None:
    store.save_audit(audit(1, (SMB1, TELNET)))
    store.save_audit(audit(2, (SMB1, TELNET)))
    store.save_audit(audit(3, (TELNET,)))
    life = finding_life(store)
    smb, telnet = life[finding_key(SMB1)], life[finding_key(TELNET)]
    assert (smb.first_audit, smb.last_audit, smb.fixed_audit) == ("audit-1", "audit-2", "audit-3")
    assert smb.fixed and smb.fixed_at == T0 + timedelta(days=21)
    assert (telnet.first_audit, telnet.last_audit, telnet.fixed) == ("audit-1", "audit-3", False)

    store.save_audit(audit(4, (SMB1, TELNET)))  # SMBv1 is back: reopened, first sighting kept
    smb = finding_life(store, [finding_key(SMB1)])[finding_key(SMB1)]
    assert (smb.first_audit, smb.last_audit, smb.fixed_at) == ("audit-1", "audit-4", None)


def test_the_report_sees_new_then_open(store: Store) -> None:
    from rempart.report.practice import build_report

    first = audit(1, (SMB1,))
    store.save_audit(first)
    assert [v.status for v in build_report(first, store=store).findings] == ["new"]
    second = audit(2, (SMB1, TELNET))
    store.save_audit(second)
    status = {v.check_id: v.status for v in build_report(second, store=store).findings}
    assert status == {"NET-SMB-V1": "open", "NET-TELNET": "new"}


def test_an_audit_only_fixes_what_it_looked_at(store: Store) -> None:
    facts = HostFacts(platform="windows", hostname="ACCUEIL")
    store.save_audit(audit(1, (SMB1, SURVEY, BACKUP, HOST), hosts=(facts,)))
    # a scan of another network, without the survey nor this computer: nothing is fixed
    store.save_audit(audit(2, (), targets=("10.0.0.0/24",)))
    assert not any(x.fixed for x in finding_life(store).values())
    # a full audit (computer facts, hence the survey) of the same network: all fixed
    store.save_audit(audit(3, (), hosts=(facts,)))
    assert all(x.fixed for x in finding_life(store).values())


def test_a_late_import_of_an_older_audit_does_not_rewrite_the_present(store: Store) -> None:
    store.save_audit(audit(5, (SMB1,)))
    store.save_audit(audit(2, ()))  # older, stored afterwards
    smb = finding_life(store)[finding_key(SMB1)]
    assert (smb.last_audit, smb.fixed) == ("audit-5", False)


def test_life_is_written_with_the_audit_or_not_at_all(store: Store) -> None:
    store.save_audit(audit(1, (SMB1,)))
    with pytest.raises(StoreError):
        store.save_audit(audit(1, (TELNET,)))  # same id: the audit insert fails
    with store._session() as session:
        keys = session.scalars(select(FindingLifeRow.key)).all()
    assert keys == [finding_key(SMB1)]


def test_accepting_a_risk_until_a_date(store: Store) -> None:
    store.save_audit(audit(1, (SMB1, TELNET)))
    now = T0 + timedelta(days=8)
    key = finding_key(SMB1)
    accepted = accept_risk(
        store, key, "  the old X-ray PC needs it ", date(2027, 1, 31), "Dr M.", now=now
    )
    assert accepted.reason == "the old X-ray PC needs it"
    assert accepted.until == datetime(2027, 2, 1, tzinfo=UTC)  # through the whole last day
    assert accepted_keys(store, now) == frozenset({key})
    assert accepted_keys(store, datetime(2027, 1, 31, 23, 59, tzinfo=UTC)) == frozenset({key})
    assert accepted_keys(store, datetime(2027, 2, 1, tzinfo=UTC)) == frozenset()
    # accepting again replaces the acceptance in force
    accept_risk(store, key, "new reason", date(2026, 12, 31), now=now + timedelta(hours=1))
    assert acceptances(store, now + timedelta(hours=2))[key].reason == "new reason"
    assert revoke(store, key, now=now + timedelta(hours=3))
    assert accepted_keys(store, now + timedelta(hours=4)) == frozenset()
    assert not revoke(store, key, now=now + timedelta(hours=5))


@pytest.mark.parametrize(
    ("until", "reason", "needle"),
    [
        (date(2026, 9, 1), "why", "has passed"),
        (date(2027, 12, 31), "why", "more than a year"),
        (date(2027, 1, 1), "   ", "--reason"),
    ],
)
def test_a_bad_acceptance_is_refused_with_one_clear_line(
    store: Store, until: date, reason: str, needle: str
) -> None:
    store.save_audit(audit(1, (SMB1,)))
    with pytest.raises(UsageError) as caught:
        accept_risk(store, finding_key(SMB1), reason, until, now=T0 + timedelta(days=8))
    assert needle in str(caught.value) and "\n" not in str(caught.value)
    assert accepted_keys(store, T0 + timedelta(days=8)) == frozenset()


def test_an_unknown_finding_cannot_be_accepted(store: Store) -> None:
    with pytest.raises(UsageError, match="No finding 'NET-NOPE"):
        accept_risk(store, "NET-NOPE|1.2.3.4|1|tcp", "why", date(2027, 1, 1), now=T0)
    with store._session() as session:
        assert session.scalar(select(func.count()).select_from(FindingLifeRow)) == 0


def test_grade_history_rescored_oldest_first(store: Store) -> None:
    store.save_audit(audit(1, (SMB1, TELNET)))  # 12 + 8 = 20 → D
    store.save_audit(audit(2, (SMB1,)))  # 12 → C
    store.save_audit(audit(3, ()))  # A
    now = T0 + timedelta(days=30)
    points = grade_history(store, now=now)
    assert [(p.audit_id, p.grade, p.points, p.findings) for p in points] == [
        ("audit-1", "D", 20.0, 2),
        ("audit-2", "C", 12.0, 1),
        ("audit-3", "A", 0.0, 0),
    ]
    assert [p.audit_id for p in grade_history(store, limit=2, now=now)] == ["audit-2", "audit-3"]
    older = grade_history(store, now=now, until=audit(2, ()))
    assert [p.audit_id for p in older] == ["audit-1", "audit-2"]
    accept_risk(store, finding_key(SMB1), "why", date(2026, 12, 1), now=now)
    assert grade_history(store, now=now)[1].points == 3.0  # rescored with today's acceptances

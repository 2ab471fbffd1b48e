"""HOST- checks on plain HostFacts: each fires on its bad case, stays silent on the good
case, and never fires on unknown."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from rempart.checks.base import CheckContext, all_checks, get_meta, run_host_checks
from rempart.checks.host import os_end_of_support
from rempart.core.host import FirewallProfile, HostFacts, Software, Volume
from rempart.core.model import Severity

NOW = datetime(2025, 12, 1, 12, 0, tzinfo=UTC)
WIN = {"platform": "windows"}


def ids(facts: HostFacts, now: datetime = NOW) -> set[str]:
    return {f.check_id for f in run_host_checks(facts, CheckContext(now=now), "PC-1")}


CASES = [
    # (check ID, facts that fire it, facts that do not)
    ("HOST-OS-EOL",
     {**WIN, "os_name": "Windows 10 Pro", "os_build": "19045.6456", "os_edition": "Professional"},
     {**WIN, "os_name": "Windows 11 Pro", "os_build": "26100.4061", "os_edition": "Professional"}),
    ("HOST-UPDATES-PENDING", {"pending_updates": 4}, {"pending_updates": 0}),
    ("HOST-UPDATES-STALE", {"last_update": date(2025, 9, 1)}, {"last_update": date(2025, 11, 12)}),
    ("HOST-AUTO-UPDATES-OFF", {"auto_updates": False}, {"auto_updates": True}),
    ("HOST-FIREWALL-OFF",
     {"firewall": (FirewallProfile("Domain", True), FirewallProfile("Public", False))},
     {"firewall": (FirewallProfile("Domain", True), FirewallProfile("Public", True))}),
    ("HOST-AV-OFF", {"av_realtime": False}, {"av_realtime": True}),
    ("HOST-AV-SIGNATURES-OLD",
     {"av_realtime": True, "av_signatures_updated": date(2025, 11, 20)},
     {"av_realtime": True, "av_signatures_updated": date(2025, 11, 29)}),
    ("HOST-DISK-UNENCRYPTED",
     {"volumes": (Volume("C:", True, "BitLocker"), Volume("D:", False, "BitLocker"))},
     {"volumes": (Volume("C:", True, "BitLocker"),)}),
    ("HOST-RDP-NO-NLA", {"rdp_enabled": True, "rdp_nla": False},
     {"rdp_enabled": True, "rdp_nla": True}),
    ("HOST-WIN-SMB1", {"smb1_enabled": True}, {"smb1_enabled": False}),
    ("HOST-SMB-SIGNING-OFF", {"smb_signing_required": False}, {"smb_signing_required": True}),
    ("HOST-POWERSHELL2", {"powershell2": True}, {"powershell2": False}),
    ("HOST-LLMNR-NETBIOS", {"llmnr_enabled": True, "netbios_enabled": False},
     {"llmnr_enabled": False, "netbios_enabled": False}),
    ("HOST-OFFICE-MACROS", {"office_macros_enabled": True}, {"office_macros_enabled": False}),
    ("HOST-USB-AUTORUN", {"usb_autorun": True}, {"usb_autorun": False}),
    ("HOST-USER-IS-ADMIN", {"user_is_admin": True, "current_user": "PC\\accueil"},
     {"user_is_admin": False}),
    ("HOST-GUEST-ENABLED", {"guest_enabled": True}, {"guest_enabled": False}),
    ("HOST-PASSWORD-POLICY-WEAK", {"password_min_length": 8, "lockout_threshold": 10},
     {"password_min_length": 12, "lockout_threshold": 10}),
    ("HOST-SCREEN-LOCK", {"screen_lock_seconds": 1800}, {"screen_lock_seconds": 300}),
    ("HOST-AUTOLOGON", {"autologon": True}, {"autologon": False}),
    ("HOST-REMOTE-TOOL", {"remote_tools": (Software("AnyDesk", "8.0.9"),)}, {"remote_tools": ()}),
    ("HOST-NO-BACKUP", {"backup_software": ()},
     {"backup_software": (Software("Veeam Agent", "6.1"),)}),
    ("HOST-BACKUP-OLD", {"last_backup": datetime(2025, 11, 20, tzinfo=UTC)},
     {"last_backup": datetime(2025, 11, 30, 21, tzinfo=UTC)}),
    ("HOST-NO-SHADOW-COPIES", {"shadow_copies": 0}, {"shadow_copies": 3}),
    ("HOST-SSH-ROOT-LOGIN", {"ssh_root_login": "yes", "ssh_password_auth": True},
     {"ssh_root_login": "prohibit-password", "ssh_password_auth": True}),
    ("HOST-SUDO-NOPASSWD", {"sudo_nopasswd": ("it ALL=(ALL) NOPASSWD: ALL",)},
     {"sudo_nopasswd": ()}),
]  # fmt: skip


def test_every_host_check_has_a_case_here() -> None:
    registered = {c.meta.id for c in all_checks() if c.subject == "host"}
    assert registered == {case[0] for case in CASES}
    assert len(registered) >= 20


@pytest.mark.parametrize(("check_id", "bad", "good"), CASES, ids=[c[0] for c in CASES])
def test_check_fires_on_bad_and_not_on_good(check_id: str, bad: dict, good: dict) -> None:
    assert check_id in ids(HostFacts(**bad))
    assert check_id not in ids(HostFacts(**good))


def test_nothing_fires_on_unknown_facts() -> None:
    everything_unknown = HostFacts(
        platform="windows",
        unknown={name: "access denied" for name in ("volumes", "firewall", "last_backup")},
    )
    assert ids(everything_unknown) == set()


def test_no_backup_is_silent_when_the_last_backup_could_not_be_read() -> None:
    facts = HostFacts(backup_software=(), unknown={"last_backup": "wbadmin refused"})
    assert "HOST-NO-BACKUP" not in ids(facts)


def test_defender_passive_beside_another_active_antivirus_is_fine() -> None:
    facts = HostFacts(
        av_realtime=False,
        antivirus=(Software("Windows Defender", "", False), Software("ESET Security", "", True)),
    )
    assert "HOST-AV-OFF" not in ids(facts)
    off = HostFacts(antivirus=(Software("ESET Security", "", False),))
    assert "HOST-AV-OFF" in ids(off)


def test_stale_defender_signatures_do_not_matter_when_defender_is_passive() -> None:
    facts = HostFacts(av_realtime=False, av_signatures_updated=date(2024, 1, 1),
                      antivirus=(Software("ESET Security", "", True),))  # fmt: skip
    assert "HOST-AV-SIGNATURES-OLD" not in ids(facts)


def test_findings_carry_the_computer_name_and_evidence() -> None:
    facts = HostFacts(remote_tools=(Software("TeamViewer", "15.52.3"), Software("AnyDesk", "")))
    (finding,) = run_host_checks(facts, CheckContext(now=NOW), "PC-ACCUEIL")
    assert finding.address == "PC-ACCUEIL" and finding.port is None
    assert [(e.label, e.value) for e in finding.evidence] == [
        ("TeamViewer", "15.52.3"),
        ("AnyDesk", "version unknown"),
    ]
    assert finding.severity == Severity.MEDIUM


def test_screen_lock_never_is_reported() -> None:
    (finding,) = run_host_checks(HostFacts(screen_lock_seconds=0), CheckContext(now=NOW))
    assert finding.evidence[0].value == "never"


@pytest.mark.parametrize(
    ("facts", "release", "end"),
    [
        ({**WIN, "os_build": "19045.4291", "os_edition": "Professional"},
         "Windows 10 22H2", date(2025, 10, 14)),
        ({**WIN, "os_build": "22631.3447", "os_edition": "Core"},
         "Windows 11 23H2", date(2025, 11, 11)),
        ({**WIN, "os_build": "22631.3447", "os_edition": "Enterprise"},
         "Windows 11 23H2", date(2026, 11, 10)),
        ({**WIN, "os_build": "22631", "os_name": "Windows 11 Éducation"},
         "Windows 11 23H2", date(2026, 11, 10)),
        ({**WIN, "os_build": "19044.1", "os_edition": "EnterpriseS"},
         "Windows 10 LTSC 2021", date(2027, 1, 12)),
        ({**WIN, "os_build": "9600", "os_name": "Windows Server 2012 R2 Standard",
          "os_edition": "ServerStandard"}, "Windows Server 2012 R2", date(2023, 10, 10)),
        ({**WIN, "os_build": "7601", "os_name": "Windows 7 Professionnel"},
         "Windows 7", date(2020, 1, 14)),
        ({"platform": "linux", "os_edition": "debian", "os_version": "10"},
         "Debian 10", date(2024, 6, 30)),
        ({"platform": "linux", "os_edition": "ubuntu", "os_version": "20.04"},
         "Ubuntu 20.04 LTS", date(2025, 5, 31)),
    ],
)  # fmt: skip
def test_os_end_of_support_table(facts: dict, release: str, end: date) -> None:
    found = os_end_of_support(HostFacts(**facts))
    assert found is not None and (found.name, found.end) == (release, end)
    assert found.source.startswith("https://")


def test_unknown_release_has_no_end_of_support_and_no_finding() -> None:
    for facts in (
        HostFacts(platform="windows", os_build="99999.1"),
        HostFacts(platform="windows"),
        HostFacts(platform="macos", os_name="macOS", os_version="11.7"),
        HostFacts(platform="linux", os_edition="arch", os_version="rolling"),
    ):
        assert os_end_of_support(facts) is None
        assert "HOST-OS-EOL" not in ids(facts)


def test_os_eol_is_judged_against_the_context_clock() -> None:
    facts = HostFacts(platform="windows", os_build="19045.4291", os_edition="Professional")
    assert "HOST-OS-EOL" not in ids(facts, datetime(2025, 10, 14, 23, tzinfo=UTC))
    assert "HOST-OS-EOL" in ids(facts, datetime(2025, 10, 15, 0, 1, tzinfo=UTC))


def test_host_check_metadata_is_bilingual_and_cites_anssi_or_ans() -> None:
    for case in CASES:
        meta = get_meta(case[0])
        assert meta is not None
        assert meta.title.fr != meta.title.en and meta.remediation.fr != meta.remediation.en
        assert any("ANSSI" in r.label or "ANS," in r.label for r in meta.references)
        assert meta.categories and meta.rationale

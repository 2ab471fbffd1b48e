"""The Windows collector read from recorded outputs of Windows 10 (French) and 11 (English)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from rempart.core.host import FACT_NAMES, FirewallProfile, Software, Volume
from rempart.host import collect_host_facts, host_findings, unknown_notes
from rempart.host import windows as win
from rempart.host.common import ParseError, Unknown
from rempart.host.runner import RecordedRunner, Result
from tests.host.recorded import RECORDED, windows_runner

NOW = datetime(2024, 4, 25, 9, 0, tzinfo=UTC)


def _text(version: str, name: str) -> str:
    for suffix in (".json", ".txt"):
        path = RECORDED / version / (name + suffix)
        if path.exists():
            return path.read_bytes().decode("utf-8")
    raise FileNotFoundError(name)


@pytest.fixture(scope="module")
def win10():
    return collect_host_facts(windows_runner("windows10"), "windows", NOW)


@pytest.fixture(scope="module")
def win11():
    return collect_host_facts(windows_runner("windows11"), "windows", NOW)


def test_windows10_french_reception_pc_is_read_completely(win10) -> None:
    assert win10.platform == "windows"
    assert win10.hostname == "PC-ACCUEIL"
    assert (win10.os_name, win10.os_version, win10.os_build) == (
        "Windows 10 Professionnel",
        "22H2",
        "19045.4291",
    )
    assert win10.last_update == date(2024, 4, 10)  # the newest date, null dates skipped
    assert win10.pending_updates == 2
    assert win10.firewall == (
        FirewallProfile("Domain", True),
        FirewallProfile("Private", True),
        FirewallProfile("Public", False),
    )
    assert win10.av_realtime is True and win10.av_signatures_updated == date(2024, 4, 20)
    assert win10.volumes == (Volume("C:", False, "BitLocker"),)
    assert (win10.rdp_enabled, win10.rdp_nla) == (True, False)
    assert (win10.smb1_enabled, win10.smb_signing_required) == (True, False)
    assert win10.user_is_admin is True  # member of Administrateurs, even not elevated
    assert win10.guest_enabled is False  # "Invité", found by SID
    assert (win10.password_min_length, win10.lockout_threshold) == (0, 0)  # "Jamais"
    assert win10.screen_lock_seconds == 0 and win10.autologon is True
    assert win10.office_macros_enabled is True and win10.usb_autorun is True
    assert win10.llmnr_enabled is True and win10.netbios_enabled is True
    assert win10.powershell2 is True
    assert win10.shadow_copies == 0  # French vssadmin "Aucun élément"
    assert win10.remote_tools == (
        Software("AnyDesk", "ad 8.0.9"),
        Software("TeamViewer", "15.52.3"),
    )
    assert win10.backup_software == ()
    assert win10.last_backup is None
    assert dict(win10.unknown) == {}


def test_windows11_english_well_kept_pc_has_no_finding(win11) -> None:
    assert win11.os_name == "Windows 11 Pro" and win11.os_build == "22631.3447"
    # From a {value: /Date(ms)/} object. /Date()/ is UTC: midnight in Paris reads as the
    # evening before, a day that does not matter against a 60-day threshold.
    assert win11.last_update == date(2024, 4, 9)
    assert win11.av_signatures_updated == date(2024, 4, 22)  # /Date(ms)/
    assert win11.volumes == (Volume("C:", True, "BitLocker"), Volume("D:", True, "BitLocker"))
    assert win11.user_is_admin is False
    assert (win11.password_min_length, win11.lockout_threshold) == (14, 10)
    assert win11.screen_lock_seconds == 300
    assert win11.shadow_copies == 2
    assert win11.backup_software == (Software("Veeam Agent", "6.1.0.349"),)
    assert win11.last_backup == datetime(2024, 4, 21, 21, 0, tzinfo=UTC)  # 4/21/2024 9:00 PM
    assert win11.usb_autorun is False and win11.llmnr_enabled is False
    assert win11.netbios_enabled is False and win11.office_macros_enabled is False
    assert dict(win11.unknown) == {}
    assert host_findings(win11, NOW) == ()


def test_windows10_reception_pc_findings(win10) -> None:
    ids = {f.check_id for f in host_findings(win10, NOW)}
    assert {
        "HOST-RDP-NO-NLA",
        "HOST-WIN-SMB1",
        "HOST-FIREWALL-OFF",
        "HOST-DISK-UNENCRYPTED",
        "HOST-AUTOLOGON",
        "HOST-OFFICE-MACROS",
        "HOST-REMOTE-TOOL",
        "HOST-NO-BACKUP",
        "HOST-NO-SHADOW-COPIES",
        "HOST-PASSWORD-POLICY-WEAK",
        "HOST-USER-IS-ADMIN",
    } <= ids
    assert "HOST-OS-EOL" not in ids  # 22H2 was supported in April 2024
    later = {f.check_id for f in host_findings(win10, datetime(2025, 10, 15, tzinfo=UTC))}
    assert "HOST-OS-EOL" in later


@pytest.mark.parametrize("version", ["windows10", "windows11"])
def test_every_command_has_a_recording(version: str) -> None:
    names = set(win.SCRIPTS) | set(win.TOOLS)
    for name in names:
        assert _text(version, name)


def test_collector_runs_powershell_without_profile_and_converts_to_json() -> None:
    runner = RecordedRunner()
    seen: list[list[str]] = []

    class Spy(RecordedRunner):
        def run(self, name, argv, timeout=60.0):
            seen.append(list(argv))
            return super().run(name, argv, timeout)

    collect_host_facts(Spy(), "windows", NOW)
    ps = [a for a in seen if a[0] == "powershell.exe"]
    assert len(ps) == len(win.SCRIPTS)
    for argv in ps:
        assert argv[1:3] == ["-NoProfile", "-NonInteractive"]
        assert "ConvertTo-Json" in argv[-1]
        assert "DefaultPassword'" not in argv[-1] or "[bool]" in argv[-1]  # never its value
    assert ["net.exe", "accounts"] in seen
    del runner


def test_nothing_available_gives_unknowns_with_reasons_never_an_exception() -> None:
    facts = collect_host_facts(RecordedRunner(), "windows", NOW)
    assert facts.platform == "windows"
    assert facts.reason("volumes") == "command not found: powershell.exe"
    assert facts.reason("password_min_length") == "command not found: net.exe"
    assert host_findings(facts, NOW) == ()
    notes = unknown_notes(facts)
    assert any("disk encryption" in n and "powershell.exe" in n for n in notes)


def test_access_denied_is_recorded_with_powershell_message() -> None:
    outputs = {
        "bitlocker": Result(
            error="powershell.exe failed (exit status 1): Get-BitLockerVolume : Accès refusé.",
            returncode=1,
        )
    }
    facts = win.facts_from_outputs(outputs, NOW)
    assert "Accès refusé" in (facts.reason("volumes") or "")


GARBAGE = [
    "",
    "   ",
    "{",
    '{"Caption": ',
    "Get-HotFix : Access is denied.",
    "[1, 2, 3]",
    '"text"',
    "null",
    "\x00\x01\x02",
    "[" * 5000,
    '{"Members": "not a list", "Enabled": "maybe", "Count": -4, "State": 7}',
    '[{"Name": null, "Enabled": "sometimes"}]',
]


@pytest.mark.parametrize("name", sorted(win.PARSERS))
@pytest.mark.parametrize("garbage", GARBAGE)
def test_malformed_or_truncated_output_is_unknown_with_a_reason(name: str, garbage: str) -> None:
    facts = win.facts_from_outputs({name: Result(text=garbage)}, NOW)
    for fact in set(win._FACTS[name]) & set(FACT_NAMES):  # "power" feeds screen_lock_seconds
        value = getattr(facts, fact)
        assert value is None or facts.reason(fact) is None  # never both
        if value is None and name not in ("registry", "software", "guest", "wbadmin"):
            assert facts.reason(fact), (name, fact)


@pytest.mark.parametrize("version", ["windows10", "windows11"])
@pytest.mark.parametrize("name", sorted(win.PARSERS))
def test_truncated_recordings_never_raise(version: str, name: str) -> None:
    text = _text(version, name)
    for cut in (1, len(text) // 3, len(text) // 2, len(text) - 2):
        facts = win.facts_from_outputs({name: Result(text=text[:cut])}, NOW)
        for fact in set(win._FACTS[name]) & set(FACT_NAMES):
            if getattr(facts, fact) is None and name not in ("registry", "wbadmin"):
                assert facts.reason(fact), (name, fact, cut)


def test_net_accounts_english_and_french() -> None:
    assert win.parse_net_accounts(_text("windows11", "net_accounts")) == {
        "password_min_length": 14,
        "lockout_threshold": 10,
    }
    assert win.parse_net_accounts(_text("windows10", "net_accounts")) == {
        "password_min_length": 0,
        "lockout_threshold": 0,
    }
    with pytest.raises(ParseError):
        win.parse_net_accounts("Erreur système 5.\n\nL'accès est refusé.\n")


def test_net_accounts_in_the_oem_code_page_still_reads() -> None:
    from rempart.host.runner import decode

    raw = _text("windows10", "net_accounts").encode("cp850")
    assert win.parse_net_accounts(decode(raw))["password_min_length"] == 0


def test_vssadmin_counts_copies_and_reports_refusal() -> None:
    assert win.parse_shadows(_text("windows11", "shadows")) == {"shadow_copies": 2}
    assert win.parse_shadows(_text("windows10", "shadows")) == {"shadow_copies": 0}
    denied = (
        "vssadmin 1.1 - Volume Shadow Copy Service administrative command-line tool\n"
        "(C) Copyright 2001-2013 Microsoft Corp.\n\n"
        "Error: You don't have the correct permissions to run this command.  Please run this "
        "utility from a command window that has elevated administrator privileges.\n"
    )
    facts = win.facts_from_outputs({"shadows": Result(text=denied, error="exit 2")}, NOW)
    assert facts.shadow_copies is None
    assert "permissions" in (facts.reason("shadow_copies") or "")


def test_vssadmin_nothing_found_with_nonzero_exit_is_zero_copies() -> None:
    text = _text("windows10", "shadows")
    facts = win.facts_from_outputs({"shadows": Result(text=text, error="exit 1")}, NOW)
    assert facts.shadow_copies == 0


def test_wbadmin_french_day_first_and_no_backup() -> None:
    french = (
        "Heure de la sauvegarde : 14/05/2024 21:00\nHeure de la sauvegarde : 02/05/2024 21:00\n"
    )
    assert win.parse_wbadmin(french) == {"last_backup": datetime(2024, 5, 14, 21, 0, tzinfo=UTC)}
    assert win.parse_wbadmin(_text("windows10", "wbadmin")) == {"last_backup": None}
    with pytest.raises(ParseError):
        win.parse_wbadmin("ERROR - Access is denied.")


def test_third_party_antivirus_state_from_security_center() -> None:
    text = (
        '[{"displayName":"Windows Defender","productState":393472},'
        '{"displayName":"ESET Security","productState":266240}]'
    )
    assert win.parse_av_products(text) == {
        "antivirus": (Software("Windows Defender", "", False), Software("ESET Security", "", True))
    }


def test_firewall_enabled_as_strings_and_not_configured() -> None:
    text = '[{"Name":"Domain","Enabled":"True"},{"Name":"Public","Enabled":2}]'
    assert win.parse_firewall(text)["firewall"] == (
        FirewallProfile("Domain", True),
        FirewallProfile("Public", True),
    )


def test_screen_lock_policy_overrides_user_setting() -> None:
    policy = (
        '{"ScreenSaveActive":"0","PolicyScreenSaveActive":"1","PolicyScreenSaverIsSecure":"1",'
        '"PolicyScreenSaveTimeOut":"600","fDenyTSConnections":1}'
    )
    assert win.parse_registry(policy)["screen_lock_seconds"] == 600
    machine = '{"InactivityTimeoutSecs":300,"fDenyTSConnections":1}'
    assert win.parse_registry(machine)["screen_lock_seconds"] == 300


def test_rdp_state_missing_is_unknown_not_a_guess() -> None:
    got = win.parse_registry('{"UserAuthentication":0}')
    assert isinstance(got["rdp_enabled"], Unknown)


def test_office_macro_policy_wins_over_user_choice() -> None:
    text = (
        '{"fDenyTSConnections":1,"OfficeInstalled":true,"Office":['
        '{"App":"Word","Policy":false,"VBAWarnings":1},{"App":"Word","Policy":true,"VBAWarnings":4}]}'
    )
    assert win.parse_registry(text)["office_macros_enabled"] is False
    no_office = '{"fDenyTSConnections":1,"OfficeInstalled":false,"Office":[]}'
    assert win.parse_registry(no_office)["office_macros_enabled"] is None


def test_bare_member_names_from_the_adsi_fallback_still_match_the_user() -> None:
    text = (
        '{"User":"PC-ACCUEIL\\\\accueil","Elevated":false,'
        '"Members":[{"Name":"Administrateur","ObjectClass":"","SID":""},'
        '{"Name":"accueil","ObjectClass":"","SID":""}]}'
    )
    assert win.parse_admins(text)["user_is_admin"] is True
    other = text.replace('"accueil","ObjectClass"', '"prestataire","ObjectClass"')
    assert win.parse_admins(other)["user_is_admin"] is False


def test_admins_script_falls_back_to_adsi_by_sid() -> None:
    script = win.SCRIPTS["admins"]
    assert "Get-LocalGroupMember -SID 'S-1-5-32-544'" in script
    assert "catch" in script and "[ADSI]" in script and "S-1-5-32-544" in script


def test_sleep_with_password_on_wake_counts_as_a_screen_lock() -> None:
    def power(sleep_ac: int, lock_ac: int) -> Result:
        template = _text("windows11", "power")
        text = template.replace("0x00000708", f"0x{sleep_ac:08x}")
        text = text.replace(
            "Current AC Power Setting Index: 0x00000001",
            f"Current AC Power Setting Index: 0x{lock_ac:08x}",
        )
        return Result(text=text)

    no_saver = Result(text='{"fDenyTSConnections":1,"ScreenSaveActive":"0"}')
    facts = win.facts_from_outputs({"registry": no_saver, "power": power(600, 1)}, NOW)
    assert facts.screen_lock_seconds == 600  # default Windows: sleep after 10 min, locked
    facts = win.facts_from_outputs({"registry": no_saver, "power": power(600, 0)}, NOW)
    assert facts.screen_lock_seconds == 0  # wakes without a password
    facts = win.facts_from_outputs({"registry": no_saver, "power": power(0, 1)}, NOW)
    assert facts.screen_lock_seconds == 0  # never sleeps
    facts = win.facts_from_outputs({"registry": no_saver}, NOW)
    assert facts.screen_lock_seconds is None
    assert "sleep settings unknown" in (facts.reason("screen_lock_seconds") or "")


def test_powercfg_in_french_reads_the_same() -> None:
    assert win.parse_power(_text("windows10", "power")) == {"sleep_lock_seconds": 0}
    assert win.parse_power(_text("windows11", "power")) == {"sleep_lock_seconds": 1800}


def test_pending_updates_leave_antivirus_definitions_out() -> None:
    script = win.SCRIPTS["pending"]
    assert "e0789628-ce08-4437-be74-2495b842f43b" in script  # Definition Updates category
    assert "IsInstalled=0 and IsHidden=0" in script

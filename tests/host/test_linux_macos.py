"""The Linux and macOS collectors read from recorded outputs (Ubuntu 22.04, macOS 14)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from rempart.core.host import FirewallProfile, Software, Volume
from rempart.host import collect_host_facts, host_findings, linux, macos
from rempart.host.common import ParseError
from rempart.host.runner import RecordedRunner, Result
from tests.host.recorded import RECORDED, linux_runner, macos_runner

NOW = datetime(2024, 4, 25, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def ubuntu():
    return collect_host_facts(linux_runner(), "linux", NOW)


def test_ubuntu_workstation_is_read_completely(ubuntu) -> None:
    assert ubuntu.platform == "linux" and ubuntu.hostname == "poste-radio"
    assert (ubuntu.os_name, ubuntu.os_version, ubuntu.os_edition) == (
        "Ubuntu 22.04.4 LTS",
        "22.04",
        "ubuntu",
    )
    assert ubuntu.pending_updates == 3
    assert ubuntu.auto_updates is False
    assert ubuntu.last_update == date(2024, 2, 19)  # the autoremove of March is no update
    assert ubuntu.firewall == (FirewallProfile("ufw", False),)
    assert ubuntu.volumes == (Volume("/", True, "LUKS"), Volume("/srv", False, ""))
    assert (ubuntu.ssh_root_login, ubuntu.ssh_password_auth) == ("yes", True)
    # README has a dot in its name: sudo ignores it, so do we
    assert ubuntu.sudo_nopasswd == ("prestataire ALL=(ALL) NOPASSWD: ALL",)
    assert ubuntu.current_user == "praticien" and ubuntu.user_is_admin is True
    assert ubuntu.local_admins == ("praticien", "prestataire")
    # teamviewer is only "config-files" (removed): not installed
    assert ubuntu.remote_tools == (Software("AnyDesk", "6.3.0"),)
    assert ubuntu.backup_software == (Software("Déjà Dup", "42.9-1ubuntu3"),)
    assert dict(ubuntu.unknown) == {}
    # Windows-only facts do not apply: None without a reason, not "unknown"
    assert ubuntu.smb1_enabled is None and ubuntu.reason("smb1_enabled") is None


def test_ubuntu_findings(ubuntu) -> None:
    ids = {f.check_id for f in host_findings(ubuntu, NOW)}
    assert {
        "HOST-SSH-ROOT-LOGIN",
        "HOST-SUDO-NOPASSWD",
        "HOST-FIREWALL-OFF",
        "HOST-AUTO-UPDATES-OFF",
        "HOST-UPDATES-STALE",
        "HOST-DISK-UNENCRYPTED",
        "HOST-REMOTE-TOOL",
    } <= ids
    assert "HOST-NO-BACKUP" not in ids and "HOST-OS-EOL" not in ids
    assert "HOST-OS-EOL" in {
        f.check_id for f in host_findings(ubuntu, datetime(2027, 7, 1, tzinfo=UTC))
    }


def test_sshd_config_is_read_when_sshd_t_is_refused() -> None:
    runner = linux_runner()
    runner.commands["sshd"] = Result(error="sshd failed (exit status 255): no hostkeys")
    facts = collect_host_facts(runner, "linux", NOW)
    # the config file says PermitRootLogin yes; PasswordAuthentication commented: default yes
    assert (facts.ssh_root_login, facts.ssh_password_auth) == ("yes", True)


def test_no_ssh_server_does_not_apply() -> None:
    runner = linux_runner()
    del runner.commands["sshd"], runner.files["/etc/ssh/sshd_config"]
    facts = collect_host_facts(runner, "linux", NOW)
    assert facts.ssh_root_login is None and facts.reason("ssh_root_login") is None


def test_unreadable_sudoers_is_unknown_with_reason() -> None:
    class NoSudoers(RecordedRunner):
        def read(self, path: str) -> Result:
            if path.startswith("/etc/sudoers"):
                return Result(error=f"no permission to read {path}", returncode=13)
            return super().read(path)

    base = linux_runner()
    runner = NoSudoers(base.commands, base.files, base.folders)
    facts = collect_host_facts(runner, "linux", NOW)
    assert facts.sudo_nopasswd is None
    assert facts.reason("sudo_nopasswd") == "no permission to read /etc/sudoers"


def test_nftables_when_ufw_is_missing() -> None:
    ruleset = (
        "table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; "
        "policy drop;\n\t\tct state established,related accept\n\t}\n}\n"
    )
    assert linux.parse_nft(ruleset) == {"firewall": (FirewallProfile("nftables", True),)}
    empty = (
        "table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; "
        "policy accept;\n\t}\n}\n"
    )
    assert linux.parse_nft(empty) == {"firewall": (FirewallProfile("nftables", False),)}
    runner = linux_runner()
    del runner.commands["ufw"]
    facts = collect_host_facts(runner, "linux", NOW)
    assert facts.reason("firewall") == "command not found: ufw; command not found: nft"


def test_a_container_root_is_unknown_not_unencrypted() -> None:
    text = '{"blockdevices": [{"name":"sda","type":"disk","fstype":null,"mountpoint":null}]}'
    facts = linux.facts_from_outputs({"lsblk": Result(text=text)}, {})
    assert facts.volumes is None and "container" in (facts.reason("volumes") or "")


@pytest.mark.parametrize(
    "parser",
    [linux.parse_lsblk, linux.parse_os_release, linux.parse_apt_upgrade, linux.parse_ufw,
     linux.parse_dpkg],
)  # fmt: skip
@pytest.mark.parametrize("garbage", ["", "{", "null", "[]", '{"blockdevices": 3}', "\x00" * 9])
def test_linux_parsers_refuse_garbage_with_parse_error(parser, garbage: str) -> None:
    try:
        parser(garbage)
    except ParseError as exc:
        assert str(exc)


def test_linux_garbage_everywhere_never_raises() -> None:
    junk = Result(text="\x00{[garbage")
    commands = dict.fromkeys(linux.COMMANDS, junk)
    files = dict.fromkeys(linux.FILES, junk)
    facts = linux.facts_from_outputs(commands, files, {"x": junk}, NOW)
    assert facts.platform == "linux"
    assert facts.reason("volumes") and facts.reason("pending_updates")
    assert host_findings(facts, NOW) is not None


def test_macos_sonoma_is_read_completely() -> None:
    facts = collect_host_facts(macos_runner(), "macos", NOW)
    assert (facts.os_name, facts.os_version, facts.os_build) == ("macOS", "14.4.1", "23E224")
    assert facts.pending_updates == 2
    assert facts.volumes == (Volume("/", False, "FileVault"),)
    assert facts.firewall == (FirewallProfile("Application Firewall", False),)
    assert facts.last_backup == datetime(2024, 3, 30, 18, 45, 12, tzinfo=UTC)
    assert facts.backup_software == (Software("Time Machine"),)
    assert [t.name for t in facts.remote_tools or ()] == ["AnyDesk", "TeamViewer"]
    assert facts.user_is_admin is True
    ids = {f.check_id for f in host_findings(facts, NOW)}
    assert {"HOST-BACKUP-OLD", "HOST-DISK-UNENCRYPTED", "HOST-FIREWALL-OFF"} <= ids


def test_macos_variants() -> None:
    assert macos.parse_softwareupdate("Software Update Tool\n\nNo new software available.\n") == {
        "pending_updates": 0
    }
    assert macos.parse_fdesetup("FileVault is On.\n")["volumes"][0].encrypted is True
    assert macos.parse_socketfilterfw("Firewall is enabled. (State = 1)")["firewall"][0].enabled
    with pytest.raises(ParseError):
        macos.parse_fdesetup("fdesetup: command requires root\n")


def test_macos_nothing_available() -> None:
    facts = collect_host_facts(RecordedRunner(), "macos", NOW)
    assert facts.reason("volumes") == "command not found: fdesetup"
    assert host_findings(facts, NOW) == ()


def test_recordings_readme_names_each_folder() -> None:
    readme = (RECORDED / "README.md").read_text(encoding="utf-8")
    for folder in ("windows10", "windows11", "linux", "macos"):
        assert f"`{folder}/`" in readme

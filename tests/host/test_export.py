"""Host facts travel between computers: export → import round trip, and malformed files
refused with one line naming the field."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from rempart.core.errors import UsageError
from rempart.core.host import SCHEMA, FirewallProfile, HostFacts, Software, Volume
from rempart.host import HostImportError, collect_host_facts, export_host, import_host
from tests.host.recorded import linux_runner, windows_runner

NOW = datetime(2024, 4, 25, 9, 0, tzinfo=UTC)

FULL = HostFacts(
    platform="windows",
    hostname="PC-ACCUEIL",
    collected_at=NOW,
    os_name="Windows 10 Professionnel",
    os_version="22H2",
    os_build="19045.4291",
    os_edition="Professional",
    last_update=date(2024, 4, 10),
    pending_updates=3,
    firewall=(FirewallProfile("Public", False),),
    antivirus=(Software("Windows Defender", "", True),),
    av_realtime=True,
    av_signatures_updated=date(2024, 4, 20),
    volumes=(Volume("C:", False, "BitLocker"),),
    local_admins=("PC-ACCUEIL\\accueil",),
    remote_tools=(Software("TeamViewer", "15.52.3"),),
    last_backup=datetime(2024, 4, 21, 21, 0, tzinfo=UTC),
    unknown={"shadow_copies": "vssadmin refused: not an administrator"},
)


@pytest.mark.parametrize(
    "facts",
    [
        FULL,
        HostFacts(),
        pytest.param("win10", id="recorded-windows10"),
        pytest.param("linux", id="recorded-linux"),
    ],
)
def test_export_then_import_gives_the_same_facts(tmp_path: Path, facts) -> None:
    if facts == "win10":
        facts = collect_host_facts(windows_runner("windows10"), "windows", NOW)
    elif facts == "linux":
        facts = collect_host_facts(linux_runner(), "linux", NOW)
    path = export_host(facts, tmp_path / "host.json")
    assert import_host(path) == facts
    assert json.loads(path.read_text(encoding="utf-8"))["schema"] == SCHEMA


def test_export_replaces_atomically_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "host.json"
    target.write_text("old", encoding="utf-8")
    export_host(FULL, target)
    assert sorted(p.name for p in folder.iterdir()) == ["host.json"]
    assert import_host(target) == FULL


def test_export_into_a_missing_folder_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(Exception) as info:
        export_host(FULL, tmp_path / "nope" / "host.json")
    assert "cannot write" in str(info.value)


def _write(tmp_path: Path, data) -> Path:
    path = tmp_path / "host.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def _good() -> dict:
    return FULL.to_json()


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.update(schema="rempart-host/9"), "'schema'"),
        (lambda d: d.pop("schema"), "'schema'"),
        (lambda d: d.update(pending_updates="three"), "'pending_updates'"),
        (lambda d: d.update(pending_updates=True), "'pending_updates'"),
        (lambda d: d.update(av_realtime="yes"), "'av_realtime'"),
        (lambda d: d.update(last_update="14/05/2024"), "'last_update'"),
        (lambda d: d.update(collected_at=12), "'collected_at'"),
        (lambda d: d.update(firewall={"name": "Public"}), "'firewall'"),
        (lambda d: d.update(firewall=[{"name": "Public"}]), "'firewall': item 0"),
        (lambda d: d.update(firewall=[{"enabled": True}]), "missing 'name'"),
        (lambda d: d.update(volumes=[{"mount": "C:", "encrypted": "no"}]), "'encrypted'"),
        (lambda d: d.update(local_admins=["a", 3]), "'local_admins': item 1"),
        (lambda d: d.update(hostname="x" * 1000), "'hostname'"),
        (lambda d: d.update(platform="amiga"), "'platform'"),
        (lambda d: d.update(unknown=["x"]), "'unknown'"),
        (lambda d: d.update(unknown={"no_such_fact": "?"}), "'unknown'"),
        (lambda d: d.update(remote_tools=[{"version": "1"}]), "'remote_tools'"),
    ],
)
def test_malformed_field_is_named_in_one_line(tmp_path: Path, mutate, expected: str) -> None:
    data = _good()
    mutate(data)
    with pytest.raises(HostImportError) as info:
        import_host(_write(tmp_path, data))
    message = str(info.value)
    assert expected in message and "\n" not in message
    assert isinstance(info.value, UsageError)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "invalid JSON"),
        ("", "invalid JSON"),
        ("[1, 2]", "JSON object"),
        ("[" * 100000, "invalid JSON"),
    ],
)
def test_malformed_file_is_one_clear_error(tmp_path: Path, content: str, expected: str) -> None:
    with pytest.raises(HostImportError) as info:
        import_host(_write(tmp_path, content))
    assert expected in str(info.value) and "\n" not in str(info.value)


def test_missing_binary_and_huge_files(tmp_path: Path) -> None:
    with pytest.raises(HostImportError, match="no such file"):
        import_host(tmp_path / "absent.json")
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(HostImportError, match="invalid JSON"):
        import_host(tmp_path / "bin.json")
    big = tmp_path / "big.json"
    with big.open("wb") as handle:
        handle.truncate(5 * 1024 * 1024)
    with pytest.raises(HostImportError, match="too large"):
        import_host(big)


def test_a_utf8_bom_written_by_notepad_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "host.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(_good()).encode())
    assert import_host(path) == FULL


def test_control_characters_in_reasons_are_cleaned(tmp_path: Path) -> None:
    data = _good()
    data["unknown"] = {"volumes": "denied\x1b[31m\nfake line"}
    facts = import_host(_write(tmp_path, data))
    assert facts.reason("volumes") == "denied [31m fake line"


def test_export_survives_a_killed_writer(tmp_path: Path) -> None:
    """A process killed while exporting leaves the previous file intact (atomic replace)."""
    target = tmp_path / "host.json"
    export_host(FULL, target)
    before = target.read_bytes()
    code = (
        "import os, sys\n"
        "from rempart.host import export as e\n"
        "real = os.replace\n"
        "os.replace = lambda *a: os._exit(9)\n"
        "from rempart.core.host import HostFacts\n"
        f"e.export_host(HostFacts(hostname='other'), {str(target)!r})\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], check=False, env=os.environ.copy())
    assert proc.returncode == 9
    assert target.read_bytes() == before

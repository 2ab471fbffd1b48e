"""`rempart drill ransomware|benign` as a user runs it: the real command (in a subprocess for
the full drills, in this process where only the command's answer matters: starting the CLI
costs seconds on a busy machine), the real sentinel, the simulator in its own process; bad
input gets one clear line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from rempart.lab import ransomware
from rempart.lab.sandbox import create_sandbox


def rempart(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rempart", "--lang", "en", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ),
    )


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def run_here(capsys: pytest.CaptureFixture[str], *args: str) -> Ran:
    """The ``rempart`` entry point in this process (same error handling as the command)."""
    from rempart.cli import main

    capsys.readouterr()
    saved = sys.argv
    sys.argv = ["rempart", "--lang", "en", *args]
    code = 0
    try:
        main.run()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = saved
    out = capsys.readouterr()
    return Ran(code, out.out, out.err)


def assert_one_clear_line(result: Ran | subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_a_drill_detects_stops_and_puts_everything_back(rempart_home: Path) -> None:
    result = rempart("drill", "ransomware", "--family", "overwrite,lockfile", "--files", "60",
                     "--json")  # fmt: skip
    report = json.loads(result.stdout)
    assert [f["family"] for f in report["families"]] == ["overwrite", "lockfile"]
    for family in report["families"]:
        assert family["detected"], family
        assert family["restored"] and family["regenerated"] == 0
        assert family["detection_seconds"] is not None and family["detection_seconds"] < 30
        assert family["files_lost"] <= family["files_touched"] < 60
        if report["mode"] == "fanotify":
            assert family["culprit_stopped"] and family["action"] in ("killed", "suspended")
    assert result.returncode == 0, result.stderr
    assert not Path(report["sandbox"]).exists()  # a sandbox the drill made is removed
    assert rempart_home in Path(report["sandbox"]).parents
    from rempart.store import Store, sentinel_baseline
    from rempart.store.incidents import recent_incidents

    with Store.open() as store:
        incidents = recent_incidents(store, limit=10, include_drills=True)
        assert recent_incidents(store) == []  # a drill is not a real incident
        assert len(incidents) == 2 and all(i.drill for i in incidents)  # kept, marked drills
        assert sentinel_baseline.count(store) == 0  # the sandbox's baseline is forgotten


def test_the_table_names_each_family_and_the_sandbox_can_be_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = tmp_path / "exercice"
    result = run_here(capsys, "drill", "ransomware", "--family", "rename", "--files", "40",
                     "--sandbox", str(where))  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rename" in result.stdout and "Files lost" in result.stdout
    assert "put back bit for bit" in result.stdout
    assert (where / "Cabinet").is_dir() and (where / "rempart-sandbox.json").is_file()


def test_undo_puts_back_a_sandbox_left_encrypted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = create_sandbox(tmp_path / "sb", files=12, seed=31)
    attack = ransomware.start_attack(sandbox, ransomware.family("ransom-note"))
    assert attack.process.wait(timeout=60) == 0
    assert len(sandbox.changed()) == 12
    result = run_here(capsys, "drill", "ransomware", "--sandbox", str(sandbox.root), "--undo",
                      "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["decrypted"] == 12 and report["notes_removed"] >= 1
    assert sandbox.changed() == []


def test_an_existing_folder_that_is_not_a_sandbox_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    real = tmp_path / "Patients"
    real.mkdir()
    (real / "dossier.txt").write_text("vrai dossier")
    result = run_here(capsys, "drill", "ransomware", "--family", "overwrite", "--sandbox",
                      str(real))  # fmt: skip
    assert_one_clear_line(result, "not a Rempart drill sandbox")
    assert (real / "dossier.txt").read_text() == "vrai dossier"
    assert sorted(p.name for p in real.iterdir()) == ["dossier.txt"]


def test_home_and_root_are_refused_for_undo(capsys: pytest.CaptureFixture[str]) -> None:
    for path in ("/", str(Path.home())):
        result = run_here(capsys, "drill", "ransomware", "--sandbox", path, "--undo")
        assert_one_clear_line(result, "not a Rempart drill sandbox")


def test_bad_input_gets_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    # One in a real process (the console script as a user starts it), the rest in this one.
    assert_one_clear_line(rempart("drill", "ransomware", "--family", "wannacry"), "wannacry")
    assert_one_clear_line(run_here(capsys, "drill", "ransomware", "--undo"), "--sandbox")
    assert_one_clear_line(
        run_here(capsys, "drill", "ransomware", "--family", "slow", "--order", "backwards"),
        "backwards",
    )
    assert_one_clear_line(run_here(capsys, "drill", "benign", "--workloads", "bitcoin"), "bitcoin")


def test_a_benign_day_under_the_sentinel_raises_no_alarm() -> None:
    result = rempart("drill", "benign", "--workloads", "zip,7z,office,logs", "--json")
    report = json.loads(result.stdout)
    assert [w["name"] for w in report["workloads"]] == ["zip", "7z", "office", "logs"]
    assert "false alarm" not in result.stderr
    assert all(w["finished"] for w in report["workloads"]), report
    assert report["false_alarms"] == 0, report
    assert result.returncode == 0

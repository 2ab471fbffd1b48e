"""Bad input gets one clear line, a non-zero exit and no traceback — and nothing is scanned.

These run the real ``rempart`` command in a subprocess, as a user would. None of them
reaches the network: every refusal happens while the scope is checked.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def rempart(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "rempart", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=full_env,
    )


def assert_one_clear_line(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_a_public_address_needs_authorized() -> None:
    result = rempart("--lang", "en", "scan", "8.8.8.8")
    assert_one_clear_line(result, "--authorized")


def test_more_than_4096_addresses_needs_large() -> None:
    result = rempart("--lang", "en", "scan", "10.0.0.0/16")
    assert_one_clear_line(result, "--large")


def test_a_malformed_target_is_named() -> None:
    result = rempart("--lang", "en", "scan", "192.168.1.300")
    assert_one_clear_line(result, "192.168.1.300")


def test_a_bad_port_list_is_named() -> None:
    result = rempart("--lang", "en", "scan", "127.0.0.1", "--ports", "22,70000")
    assert_one_clear_line(result, "70000")


def test_audit_without_anything_to_audit_says_what_to_give() -> None:
    result = rempart("--lang", "en", "audit", "--no-host")
    assert_one_clear_line(result, "--network")


def test_an_unknown_language_is_refused() -> None:
    result = rempart("--lang", "xx", "audits")
    assert_one_clear_line(result, "--lang")


def test_a_broken_settings_file_is_named(rempart_home: Path) -> None:
    (rempart_home / "settings.toml").write_text("[scan\ntimeout = ", encoding="utf-8")
    result = rempart("--lang", "en", "scan", "127.0.0.1", "--ports", "1")
    assert_one_clear_line(result, "settings.toml")


def test_a_report_folder_that_is_a_file_is_refused_before_scanning(tmp_path: Path) -> None:
    blocker = tmp_path / "report"
    blocker.write_text("not a folder")
    result = rempart(
        "--lang", "en", "audit", "--network", "127.0.0.1", "--ports", "1", "--out", str(blocker)
    )
    assert_one_clear_line(result, "not a folder")
    assert blocker.read_text() == "not a folder"


@pytest.mark.parametrize("lang,word", [("fr", "Erreur"), ("en", "Error")])
def test_errors_speak_the_chosen_language(lang: str, word: str) -> None:
    result = rempart("--lang", lang, "audit", "--no-host")
    assert result.stderr.startswith(word)

"""Recog's own examples, run the way Recog's ``recog_verify`` runs them.

An example passes when its fingerprint matches it and every attribute not starting with
``_`` equals the extracted param. The coverage (per file and in total) is printed, with
every failing example and why; at least 99.9 % must pass.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from rempart.discover.fingerprints import load_fingerprints, parse_file, verify_example
from tests.support import shared_data

# The Recog files whose databases the probes and the identification dispatcher ask.
PROBE_FILES = (
    "ssh_banners.xml",
    "ftp_banners.xml",
    "telnet_banners.xml",
    "http_servers.xml",
    "http_wwwauth.xml",
    "http_xpoweredby.xml",
    "http_cookies.xml",
    "html_title.xml",
    "mysql_banners.xml",
    "smb_native_os.xml",
    "smb_native_lm.xml",
    "snmp_sysdescr.xml",
    "x509_subjects.xml",
    "x509_issuers.xml",
)
REQUIRED = 0.999


def coverage(paths: list[Path]) -> tuple[int, int, list[str], list[str]]:
    """(examples, passed, per-file lines, failure lines)."""
    total = passed = 0
    lines: list[str] = []
    failures: list[str] = []
    for path in paths:
        parsed = parse_file(path)
        n = ok = 0
        for fingerprint in parsed.fingerprints:
            for example in fingerprint.examples:
                n += 1
                reason = verify_example(fingerprint, example)
                if reason is None:
                    ok += 1
                else:
                    failures.append(f"  FAIL {path.name}: {fingerprint.description}: {reason}")
        total += n
        passed += ok
        share = 100.0 * ok / n if n else 100.0
        lines.append(f"  {path.name:<28} {ok:>5}/{n:<5} {share:7.2f} %")
    return total, passed, lines, failures


def report(title: str, total: int, passed: int, lines: list[str], failures: list[str]) -> str:
    share = 100.0 * passed / total
    body = "\n".join([f"{title}: {passed}/{total} examples pass ({share:.2f} %)", *lines])
    return body + ("\n" + "\n".join(failures) if failures else "\n  (no failing example)")


@pytest.fixture(scope="module")
def recog_dir() -> Path:
    return shared_data("recog")


def test_examples_of_the_files_the_probes_use_pass(
    recog_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = [recog_dir / name for name in PROBE_FILES]
    total, passed, lines, failures = coverage(paths)
    with capsys.disabled():
        print("\n" + report("Recog coverage, probe files", total, passed, lines, failures))
    assert total > 4000  # the files were really read
    assert passed / total >= REQUIRED, "\n".join(failures)


def test_examples_of_every_recog_file_pass(
    recog_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = sorted(recog_dir.glob("*.xml"))
    total, passed, lines, failures = coverage(paths)
    with capsys.disabled():
        print("\n" + report("Recog coverage, all files", total, passed, lines, failures))
    assert total > 7000
    assert passed / total >= REQUIRED, "\n".join(failures)


def test_load_and_first_matches_time_is_printed(
    recog_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Measured and printed, not asserted (a timed assertion would fail on a busy machine).
    start = time.perf_counter()
    db = load_fingerprints(recog_dir)
    loaded = time.perf_counter() - start
    for database, text in (
        ("ssh.banner", "SSH-2.0-OpenSSH_7.4"),
        ("ftp.banner", "220 (vsFTPd 3.0.3)"),
        ("telnet.banner", "login: "),
        ("http_header.server", "Apache/2.4.57 (Debian)"),
        ("html_title", "QNAP Turbo NAS"),
        ("snmp.sys_description", "HP ETHERNET MULTI-ENVIRONMENT"),
        ("smb.native_os", "Windows 5.1"),
        ("smb.native_lm", "Samba 4.17.12-Debian"),
        ("mysql.banners", "5.7.44"),
        ("x509.subject", "CN=AnyDesk Client"),
        ("x509.issuer", "CN=localhost"),
    ):
        db.match(database, text)
    ready = time.perf_counter() - start
    with capsys.disabled():
        print(
            f"\nRecog load (sniff {len(list(recog_dir.glob('*.xml')))} files): {loaded:.3f} s; "
            f"with the probe databases parsed and one match each: {ready:.3f} s"
        )
    assert db.warnings == ()


def test_near_miss_texts_do_not_hang_the_probe_databases(
    recog_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Backtracking blows up on texts that almost match (truncated, one byte changed, one
    # character repeated); each pattern runs on such variants of its own examples. Nothing
    # is timed: a hang fails through pytest's timeout, the slowest search is printed.
    slowest = (0.0, "")
    searches = 0
    for name in PROBE_FILES:
        for fingerprint in parse_file(recog_dir / name).fingerprints:
            for example in fingerprint.examples:
                text = example.text
                step = max(1, len(text) // 12)
                for k in range(1, len(text), step):
                    for variant in (
                        text[:k],
                        text[:k] + "\x00" + text[k + 1 :],
                        text[:k] + text[k] * 40 + text[k:],
                    ):
                        start = time.perf_counter()
                        fingerprint.match(variant)
                        spent = time.perf_counter() - start
                        searches += 1
                        if spent > slowest[0]:
                            slowest = (spent, fingerprint.pattern[:80])
    with capsys.disabled():
        print(
            f"\n{searches} near-miss searches; slowest {slowest[0] * 1000:.1f} ms: {slowest[1]!r}"
        )
    assert searches > 50_000

"""The demo practice audited end to end: every expected finding present, none unexpected.

The lab runs in its own background process, as `rempart lab up` starts it; the audit is
the real one (port scan, probes, fingerprints, checks, store, reports). Ports below 1024
may be offset when the tests do not run as root: the lab's state says where each service
really is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rempart.app.audit import AuditOptions, run_network_audit, save_and_report
from rempart.cli.demo import demo_scope
from rempart.lab import LabState, start_lab, stop_lab

# (check, host, port as in docs/lab-practice.md, transport)
EXPECTED = {
    # the internet box
    ("NET-ADMIN-CONSOLE", "127.42.0.1", 80, "tcp"),
    ("NET-CLEARTEXT-LOGIN", "127.42.0.1", 80, "tcp"),
    ("NET-DEFAULT-CREDENTIALS", "127.42.0.1", 80, "tcp"),
    ("NET-TELNET", "127.42.0.1", 23, "tcp"),
    # the reception PC, still on Windows 7, SMBv1 on
    ("NET-RDP-EXPOSED", "127.42.0.10", 3389, "tcp"),
    ("NET-RDP-NO-NLA", "127.42.0.10", 3389, "tcp"),
    ("NET-SMB-V1", "127.42.0.10", 445, "tcp"),
    ("NET-SMB-SIGNING-OFF", "127.42.0.10", 445, "tcp"),
    ("NET-EOL-VERSION", "127.42.0.10", 445, "tcp"),
    ("NET-VULN-RANSOMWARE", "127.42.0.10", 445, "tcp"),  # MS17-010 (WannaCry), probable
    ("NET-VULN-RANSOMWARE", "127.42.0.10", 3389, "tcp"),  # BlueKeep, probable
    ("NET-VULN-CVE", "127.42.0.10", 3389, "tcp"),  # DejaBlue, probable
    # a chair PC: RDP with NLA, SMB 3 with signing required
    ("NET-RDP-EXPOSED", "127.42.0.11", 3389, "tcp"),
    # the server
    ("NET-DB-EXPOSED", "127.42.0.20", 1433, "tcp"),
    ("NET-EOL-VERSION", "127.42.0.20", 1433, "tcp"),
    ("NET-SMB-SIGNING-OFF", "127.42.0.20", 445, "tcp"),
    ("NET-WINRM", "127.42.0.20", 5985, "tcp"),
    # the NAS
    ("NET-ADMIN-CONSOLE", "127.42.0.30", 8080, "tcp"),
    ("NET-ADMIN-CONSOLE", "127.42.0.30", 443, "tcp"),
    ("NET-CLEARTEXT-LOGIN", "127.42.0.30", 8080, "tcp"),
    ("NET-FTP-ANONYMOUS", "127.42.0.30", 21, "tcp"),
    ("NET-SSH-WEAK-ALGOS", "127.42.0.30", 22, "tcp"),
    ("NET-VULN-RANSOMWARE", "127.42.0.30", 8080, "tcp"),  # Qlocker, DeadBolt
    ("NET-VULN-RANSOMWARE", "127.42.0.30", 443, "tcp"),
    ("NET-VULN-KEV", "127.42.0.30", 8080, "tcp"),
    ("NET-VULN-KEV", "127.42.0.30", 443, "tcp"),
    ("NET-VULN-CVE", "127.42.0.30", 8080, "tcp"),
    ("NET-VULN-CVE", "127.42.0.30", 443, "tcp"),
    ("NET-VULN-CVE", "127.42.0.30", 22, "tcp"),  # the old OpenSSH 7.4
    ("NET-TLS-OLD", "127.42.0.30", 443, "tcp"),
    ("NET-TLS-CERT-SELF-SIGNED", "127.42.0.30", 443, "tcp"),
    # the imaging PC
    ("NET-DICOM-ANY-AE", "127.42.0.40", 104, "tcp"),
    ("NET-VNC-NO-AUTH", "127.42.0.40", 5900, "tcp"),
    ("NET-REMOTE-ACCESS", "127.42.0.40", 5938, "tcp"),
    # the printer
    ("NET-SNMP-DEFAULT-COMMUNITY", "127.42.0.50", 161, "udp"),
}


@pytest.fixture
def lab() -> Iterator[LabState]:
    state = start_lab()
    try:
        yield state
    finally:
        stop_lab()


def expected_for(state: LabState) -> set[tuple[str, str, int, str]]:
    return {
        (check, addr, state.port_of(addr, port, transport), transport)
        for check, addr, port, transport in EXPECTED
    }


def test_the_demo_practice_gives_exactly_the_expected_findings(
    lab: LabState, tmp_path: Path
) -> None:
    audit = run_network_audit(demo_scope(lab), AuditOptions(try_default_credentials=True))
    got = {(f.check_id, f.address, f.port, f.transport) for f in audit.findings}
    expected = expected_for(lab)
    assert got - expected == set(), "unexpected findings"
    assert expected - got == set(), "missing findings"
    cves = {
        c for f in audit.findings if f.address in ("127.42.0.10", "127.42.0.30") for c in f.cves
    }
    assert {"CVE-2017-0144", "CVE-2019-0708", "CVE-2021-28799", "CVE-2018-15473"} <= cves
    saved = save_and_report(audit, tmp_path / "report", "fr")
    doc = json.loads(saved.findings_json.read_text(encoding="utf-8"))
    assert len(doc["findings"]) == len(EXPECTED)
    html = saved.report_html.read_text(encoding="utf-8")
    assert "NET-SMB-V1" in html and "127.42.0.10" in html


def test_rempart_demo_runs_start_to_finish(tmp_path: Path) -> None:
    out = tmp_path / "demo-report"
    result = subprocess.run(
        [sys.executable, "-m", "rempart", "demo", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "NET-SMB-V1" in result.stdout
    assert str(out / "report.html") in result.stdout
    assert (out / "report.html").exists() and (out / "findings.json").exists()
    # the lab is stopped afterwards
    status = subprocess.run(
        [sys.executable, "-m", "rempart", "--lang", "en", "lab", "status"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "not running" in status.stdout.lower()

"""`rempart lab up|down|status`: a real background process, its state file, the port offset,
a busy address, stale state, and garbage that must not bring the lab down."""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rempart import i18n
from rempart.core.errors import LabError
from rempart.lab import PORT_OFFSET, LabState, lab_status, running_lab, start_lab, stop_lab
from rempart.lab.binding import unprivileged_binder
from rempart.lab.control import snmp_get_sysdescr, state_path
from rempart.lab.state import write_state
from tests.support import require_binary


def rempart(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rempart", "--lang", "en", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200"},
    )


def pid_running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")


def answers(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(autouse=True)
def english() -> None:
    """These tests read the English messages (tests/i18n checks the French catalogue)."""
    i18n.set_language("en")


@pytest.fixture
def stopped_at_end() -> Iterator[None]:
    yield
    stop_lab()  # whatever the test did, leave nothing running


def test_up_status_down_with_the_command(rempart_home: Path, stopped_at_end: None) -> None:
    started = time.perf_counter()
    up = rempart("lab", "up")
    elapsed = time.perf_counter() - started
    assert up.returncode == 0, up.stderr
    print(
        f"\n[figure] `rempart lab up` (new process, data, every service answering): {elapsed:.2f} s"
    )
    assert "The demo practice is running." in up.stdout
    assert "127.42.0.30" in up.stdout and "fauteuil-1" in up.stdout

    state = json.loads((rempart_home / "data" / "lab" / "state.json").read_text(encoding="utf-8"))
    pid = state["pid"]
    assert pid_running(pid)
    assert {h["address"] for h in state["hosts"]} == {
        f"127.42.0.{n}" for n in (1, 10, 11, 20, 30, 40, 50)
    }
    for host in state["hosts"]:
        for service in host["services"]:
            if service["transport"] == "tcp":
                assert answers(host["address"], service["port"]), service
    with socket.create_connection(("127.42.0.30", 22), timeout=2) as ssh:
        assert ssh.recv(64).startswith(b"SSH-2.0-OpenSSH_7.4")
    assert snmp_get_sysdescr("127.42.0.50", 161, timeout=1.0) is not None
    assert Path(state["data_dir"], "Logiciel", "cabinet.db").exists()

    again = rempart("lab", "up")
    assert again.returncode == 0 and "already running" in again.stdout
    status = rempart("lab", "status")
    assert status.returncode == 0 and f"pid {pid}" in status.stdout and "5938/tcp" in status.stdout

    down = rempart("lab", "down")
    assert down.returncode == 0 and "stopped" in down.stdout
    assert not pid_running(pid)
    assert not (rempart_home / "data" / "lab" / "state.json").exists()
    assert not answers("127.42.0.30", 22)

    assert "not running" in rempart("lab", "down").stdout
    assert "not running" in rempart("lab", "status").stdout


def test_api_start_is_ready_and_reports_ports(stopped_at_end: None) -> None:
    started = time.perf_counter()
    state = start_lab()
    print(f"\n[figure] start_lab() ready in {time.perf_counter() - started:.2f} s")
    assert lab_status() == state
    assert (445, "tcp") in state.ports_for("127.42.0.10")
    assert state.ports_for("127.42.0.50") == [(80, "tcp"), (161, "udp")]
    assert state.udp_ports() == (161,)
    assert {21, 22, 23, 80, 104, 443, 445, 1433, 3389, 5900, 5938, 5985, 8080} == set(
        state.all_tcp_ports()
    )
    assert start_lab() == state  # already running: the same lab
    assert stop_lab() == state
    assert lab_status() is None and stop_lab() is None


def test_ports_below_1024_move_by_the_offset_when_they_cannot_be_bound(
    stopped_at_end: None,
) -> None:
    state = start_lab(unprivileged=True)
    nas = dict(state.ports_for("127.42.0.30"))
    assert nas == {
        8080: "tcp",
        443 + PORT_OFFSET: "tcp",
        21 + PORT_OFFSET: "tcp",
        22 + PORT_OFFSET: "tcp",
    }
    assert state.port_of("127.42.0.40", 104) == 10104
    assert state.port_of("127.42.0.50", 161, "udp") == 10161
    assert state.port_of("127.42.0.10", 3389) == 3389  # above 1024: unchanged
    assert not answers("127.42.0.30", 21)
    with socket.create_connection(("127.42.0.30", 10021), timeout=2) as ftp:
        assert ftp.recv(64) == b"220 NAS FTP server ready.\r\n"
    assert snmp_get_sysdescr("127.42.0.50", 10161, timeout=1.0) is not None
    service = next(s for s in state.host("nas").services if s.key == "ftp")  # type: ignore[union-attr]
    assert service.offset and service.nominal_port == 21


def test_in_process_lab_uses_the_offset_binder() -> None:
    with running_lab(unprivileged_binder) as state:
        assert state.port_of("127.42.0.1", 23) == 10023
        with socket.create_connection(("127.42.0.1", 10023), timeout=2) as telnet:
            assert telnet.recv(64).endswith(b"Livebox login: ")


def test_busy_addresses_fail_with_one_clear_line(stopped_at_end: None) -> None:
    with running_lab():
        with pytest.raises(LabError, match=r"already in use .*`rempart lab down`"):
            start_lab(timeout=10)
        up = rempart("lab", "up", "--timeout", "10")
    assert up.returncode == 1
    lines = up.stderr.strip().splitlines()
    assert len(lines) == 1 and "already in use" in lines[0] and "Traceback" not in up.stderr
    assert not state_path().exists()


def test_stale_state_is_detected_and_cleaned(rempart_home: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    write_state(
        state_path(),
        LabState(pid=dead.pid, started="2026-11-28T00:00:00+00:00", hosts=(), data_dir=""),
    )
    assert lab_status() is None
    assert not state_path().exists()
    write_state(state_path(), LabState(pid=os.getpid(), started="x", hosts=(), data_dir=""))
    assert lab_status() is None  # a live pid that is not a lab process is stale too


def test_garbage_to_every_service_does_not_bring_the_lab_down(stopped_at_end: None) -> None:
    state = start_lab()
    rng = random.Random(1)
    payloads = [
        b"",
        b"\x00" * 4096,
        bytes(rng.randrange(256) for _ in range(2048)),
        b"\xff" * 70000,
        b"GET / HTTP/1.1\r\n" + b"X" * 20000 + b"\r\n\r\n",
        b"\x03\x00\xff\xff" + b"\xe0" * 100,  # TPKT claiming 64 KiB
        b"\x00\xff\xff\xff\xfeSMB",  # NBSS claiming 16 MiB
        b"\x12\x01\xff\xff" + b"\x00" * 60,  # TDS PRELOGIN, bad lengths
        b"RFB 003.008\n\x07",
        b"SSH-2.0-x\r\n" + b"\xff" * 100,
    ]
    for host in state.hosts:
        for service in host.services:
            for payload in payloads:
                if service.transport == "udp":
                    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                        udp.sendto(payload[:4096] or b"\x30", (host.address, service.port))
                    continue
                with socket.create_connection((host.address, service.port), timeout=2) as sock:
                    try:
                        sock.sendall(payload)
                        sock.shutdown(socket.SHUT_WR)
                        sock.settimeout(2)
                        while sock.recv(65536):
                            pass
                    except OSError:
                        pass  # a reset is a fine answer to garbage
    assert pid_running(state.pid)
    assert lab_status() == state
    for host in state.hosts:
        for service in host.services:
            if service.transport == "tcp":
                assert answers(host.address, service.port), service
    assert snmp_get_sysdescr("127.42.0.50", 161, timeout=1.0) is not None
    with socket.create_connection(("127.42.0.1", 23), timeout=2) as telnet:
        telnet.settimeout(2)
        assert telnet.recv(64).endswith(b"Livebox login: ")


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="as an ordinary user, every other lab test already takes the offset path",
)
def test_the_lab_run_by_an_ordinary_user_moves_privileged_ports() -> None:
    setpriv = require_binary("setpriv")
    workdir = Path(tempfile.mkdtemp(prefix="rempart-lab-nobody-"))
    workdir.chmod(0o777)
    state_file = workdir / "state.json"
    command = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    command += [sys.executable, "-m", "rempart.lab", "--state", str(state_file)]
    lab = subprocess.Popen(command, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while not state_file.exists() and lab.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert state_file.exists(), lab.stdout.read().decode(errors="replace") if lab.stdout else ""
        state = LabState.from_json(json.loads(state_file.read_text(encoding="utf-8")))
        assert state.port_of("127.42.0.30", 21) == 21 + PORT_OFFSET
        assert state.port_of("127.42.0.20", 445) == 445 + PORT_OFFSET
        assert state.port_of("127.42.0.50", 161, "udp") == 161 + PORT_OFFSET
        assert state.port_of("127.42.0.30", 8080) == 8080
        with socket.create_connection(("127.42.0.30", 21 + PORT_OFFSET), timeout=2) as ftp:
            assert ftp.recv(64) == b"220 NAS FTP server ready.\r\n"
    finally:
        lab.terminate()
        lab.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)
    assert lab.returncode == 0  # SIGTERM is a clean stop
    assert not state_file.exists()

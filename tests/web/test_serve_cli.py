"""`rempart serve` as a user runs it: a real uvicorn on loopback, and one clear line when
it cannot or must not listen."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from rempart.app.audit import NoProgress
from rempart.cli.serve import dashboard_audit
from rempart.core.errors import UsageError
from rempart.store import Store


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rempart(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rempart", "--lang", "en", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200"},
    )


def assert_one_clear_line(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


@contextmanager
def serving(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``rempart serve`` in a subprocess; yields it once it has printed its address."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "rempart", "--lang", "en", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # printed once the socket listens
        assert "Rempart dashboard: http://" in line, line + (
            proc.stderr.read() if proc.stderr else ""
        )
        yield proc, line
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)


def get(port: int, path: str, host: str | None = None) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Host": host or f"127.0.0.1:{port}"})
        answer = conn.getresponse()
        return answer.status, answer.read().decode("utf-8", "replace")
    finally:
        conn.close()


def test_serve_listens_on_loopback_and_answers_the_dashboard() -> None:
    port = free_port()
    with serving("--port", str(port)) as (proc, line):
        assert f"http://127.0.0.1:{port}" in line
        status, body = get(port, "/")
        assert status == 200 and "Rempart" in body
        status, body = get(port, "/", host=f"rebind.example:{port}")
        assert status == 421
    assert proc.returncode is not None


def test_a_port_in_use_is_one_clear_line() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = rempart("serve", "--port", str(port))
    assert_one_clear_line(result, f"Port {port}", "already in use", "--port")


def test_listening_beyond_loopback_needs_allow_remote() -> None:
    result = rempart("serve", "--host", "0.0.0.0", "--port", str(free_port()))
    assert result.returncode == 2
    assert_one_clear_line(result, "--allow-remote")


def test_an_impossible_port_is_refused() -> None:
    assert_one_clear_line(rempart("serve", "--port", "70000"), "70000")


def test_the_audit_button_with_no_network_known_says_what_to_do() -> None:
    with Store.open() as store, pytest.raises(UsageError, match="rempart audit --network"):
        dashboard_audit(store, NoProgress())

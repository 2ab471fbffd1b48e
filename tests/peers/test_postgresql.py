"""Real PostgreSQL on loopback: the probe identifies it, says whether it offers TLS and
which authentication it asks for, without logging in."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rempart.discover.probes import postgresql
from tests.peers._servers_b import ctx, free_port, process, wait_tcp
from tests.support import require_binary

pytestmark = pytest.mark.peer

ADDRESS = "127.0.4.12"


def _bin_dirs() -> list[str]:
    return sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)


def _start(hba: str) -> Iterator[int]:
    initdb = require_binary("initdb", *_bin_dirs())
    postgres = require_binary("postgres", *_bin_dirs())
    as_root = os.geteuid() == 0
    user = "postgres" if as_root else None
    base = Path(tempfile.mkdtemp(prefix="rempart-pg-"))
    try:
        data = base / "data"
        if as_root:
            shutil.chown(base, "postgres")
        subprocess.run(
            [initdb, "-D", str(data), "-A", "reject", "-U", "postgres", "--no-sync"],
            check=True,
            capture_output=True,
            user=user,
            cwd=base,
        )
        (data / "pg_hba.conf").write_text(hba)
        port = free_port(ADDRESS)
        args = [
            postgres,
            "-D",
            str(data),
            "-p",
            str(port),
            "-k",
            str(base),
            "-c",
            f"listen_addresses={ADDRESS}",
            "-c",
            "ssl=off",
            "-c",
            "fsync=off",
        ]
        with process(args, user=user, cwd=base) as proc:
            wait_tcp(ADDRESS, port, proc=proc)
            _wait_accepting(port)
            yield port
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _wait_accepting(port: int, deadline_s: float = 60.0) -> None:
    """The port opens before recovery ends ("starting up", 57P03): wait until PostgreSQL
    says it accepts connections (pg_isready counts a refused login as accepting)."""
    pg_isready = require_binary("pg_isready", *_bin_dirs())
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        ready = subprocess.run(
            [pg_isready, "-h", ADDRESS, "-p", str(port), "-t", "2"], capture_output=True
        )
        if ready.returncode == 0:
            return
    pytest.fail(f"PostgreSQL on {ADDRESS}:{port} never accepted connections")


@pytest.fixture
def scram_server() -> Iterator[int]:
    yield from _start("host all all 127.0.0.0/8 scram-sha-256\n")


@pytest.fixture
def closed_server() -> Iterator[int]:
    yield from _start("local all all peer\n")


def test_postgres_asking_for_scram_without_tls(scram_server: int) -> None:
    obs = postgresql.probe(ADDRESS, scram_server, ctx())
    assert obs is not None and obs.engine == "postgresql"
    assert obs.detail is not None and obs.detail.startswith("ssl: no; auth: scram")
    assert "SCRAM-SHA-256" in obs.detail


def test_postgres_without_a_hba_entry_is_still_identified(closed_server: int) -> None:
    obs = postgresql.probe(ADDRESS, closed_server, ctx())
    assert obs is not None and obs.engine == "postgresql"
    assert obs.detail == "ssl: no; error 28000"
    assert obs.banner is not None and "pg_hba.conf" in obs.banner

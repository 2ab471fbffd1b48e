"""Real Net-SNMP snmpd on loopback: the sweep finds a readable ``public`` community,
reads the sysDescr we configured, and reports ``private`` (not configured) as refused."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rempart.discover.probes import snmp
from tests.peers._servers_b import ctx, free_port, process
from tests.support import require_binary

pytestmark = pytest.mark.peer

ADDRESS = "127.0.4.5"
SYSDESCR = "HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD153,EEPROM JSI24090012"


def _start(tmp_path: Path, community: str) -> Iterator[int]:
    binary = require_binary("snmpd")
    port = free_port(ADDRESS, socket.SOCK_DGRAM)
    conf = tmp_path / "snmpd.conf"
    conf.write_text(
        f"rocommunity {community} 127.0.0.0/8\nsysDescr {SYSDESCR}\nsysName imprimante\n"
    )
    env = {**os.environ, "SNMP_PERSISTENT_DIR": str(tmp_path / "persist"), "MIBS": ""}
    args = [binary, "-f", "-Lo", "-C", "-r", "-c", str(conf), f"udp:{ADDRESS}:{port}"]
    with process(args, env=env) as proc:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:  # readiness: poll until the agent answers
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            if snmp.sweep([ADDRESS], port, communities=(community,), timeout=0.2, retries=0):
                break
        else:
            pytest.fail("snmpd never answered")
        yield port


@pytest.fixture
def public_agent(tmp_path: Path) -> Iterator[int]:
    yield from _start(tmp_path, "public")


@pytest.fixture
def secret_agent(tmp_path: Path) -> Iterator[int]:
    yield from _start(tmp_path, "Cab1net-R34d")


def test_sweep_of_a_whole_range_finds_public_readable_and_private_refused(
    public_agent: int,
) -> None:
    scope = [f"127.0.4.{i}" for i in range(1, 255)]
    started = time.monotonic()
    found = snmp.sweep(scope, public_agent, timeout=0.5, retries=1)
    elapsed = time.monotonic() - started
    assert list(found) == [ADDRESS]
    obs = found[ADDRESS]
    assert obs.communities == ("public",)
    assert obs.sysdescr == SYSDESCR and obs.sysname == "imprimante"
    assert obs.version == "v2c"
    print(f"SNMP sweep of {len(scope)} addresses: {elapsed:.2f}s")


def test_probe_of_one_host_reads_sysdescr(public_agent: int) -> None:
    obs = snmp.probe(ADDRESS, public_agent, ctx(timeout=0.5))
    assert obs is not None and obs.communities == ("public",) and obs.sysdescr == SYSDESCR


def test_agent_with_a_made_up_community_answers_neither_public_nor_private(
    secret_agent: int,
) -> None:
    assert snmp.sweep([ADDRESS], secret_agent, timeout=0.3, retries=1) == {}
    assert snmp.probe(ADDRESS, secret_agent, ctx(timeout=0.3)) is None

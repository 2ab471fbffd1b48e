"""The SSH probe against a real OpenSSH sshd on 127.0.3.2.

Proves that the product and version read from the banner are the installed OpenSSH, that a
default modern sshd shows no weak algorithm, and that enabling legacy ones shows them.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from rempart.core.observations import SshObservation
from rempart.discover.probes import ssh
from tests.peers._servers_a import context, free_port, running
from tests.support import require_binary

pytestmark = pytest.mark.peer

ADDRESS = "127.0.3.2"

SshdFactory = Callable[..., AbstractContextManager[int]]


@pytest.fixture
def sshd(tmp_path: Path) -> SshdFactory:
    binary = require_binary("sshd")
    keygen = require_binary("ssh-keygen")
    key = tmp_path / "host_ed25519"
    subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    if os.geteuid() == 0:
        # sshd run as root insists on its privilege-separation directory.
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)

    @contextmanager
    def start(*options: str) -> Iterator[int]:
        conf = tmp_path / "sshd_config"
        conf.write_text(
            f"HostKey {key}\nPidFile {tmp_path / 'sshd.pid'}\nUsePAM no\n"
            "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        )
        port = free_port(ADDRESS)
        argv = [binary, "-D", "-e", "-f", str(conf), "-p", str(port)]
        argv += ["-o", f"ListenAddress={ADDRESS}"]
        for option in options:
            argv += ["-o", option]
        with running(argv, ADDRESS, port, tmp_path / "sshd.log"):
            yield port

    return start


def installed_openssh() -> tuple[str, str]:
    """``("OpenSSH_9.2p1", "Debian-2+deb12u10")`` from ``ssh -V`` (the client of the same build)."""
    out = subprocess.run([require_binary("ssh"), "-V"], capture_output=True, text=True, check=True)
    match = re.match(r"(OpenSSH_\S+?)[ ,]+(\S+?),", out.stderr + out.stdout)
    assert match, out
    return match.group(1), match.group(2)


def test_default_sshd_reports_installed_version_and_no_weak_algorithm(sshd: SshdFactory) -> None:
    with sshd() as port:
        seen = ssh.probe(ADDRESS, port, context())
    assert isinstance(seen, SshObservation)
    software, comments = installed_openssh()
    assert seen.protocol_version == "2.0"
    assert seen.software == software
    assert seen.comments == comments
    assert "curve25519-sha256" in seen.kex_algorithms
    assert "ssh-ed25519" in seen.host_key_algorithms
    assert any(c.startswith("chacha20-poly1305") for c in seen.ciphers)
    assert seen.macs
    assert seen.weak_kex == ()
    assert seen.weak_ciphers == ()
    # A stock, up-to-date OpenSSH offers nothing weak (umac-64 is deliberately not flagged).
    assert seen.weak_macs == ()
    assert "hmac-sha2-256-etm@openssh.com" in seen.macs
    assert seen.weak_host_keys == ()


def test_legacy_algorithms_enabled_on_sshd_are_reported_weak(sshd: SshdFactory) -> None:
    options = (
        "KexAlgorithms=+diffie-hellman-group14-sha1,diffie-hellman-group1-sha1",
        "Ciphers=+aes128-cbc,3des-cbc",
        "MACs=+hmac-md5,hmac-sha1-96",
    )
    with sshd(*options) as port:
        seen = ssh.probe(ADDRESS, port, context())
    assert isinstance(seen, SshObservation)
    assert {"diffie-hellman-group14-sha1", "diffie-hellman-group1-sha1"} <= set(seen.weak_kex)
    assert {"aes128-cbc", "3des-cbc"} <= set(seen.weak_ciphers)
    assert {"hmac-md5", "hmac-sha1-96"} <= set(seen.weak_macs)
    # The strong ones are still offered and not called weak.
    assert "curve25519-sha256" in seen.kex_algorithms
    assert "curve25519-sha256" not in seen.weak_kex
    assert "aes256-gcm@openssh.com" not in seen.weak_ciphers


def test_banner_grabbed_from_sshd_is_claimed_by_the_ssh_probe(sshd: SshdFactory) -> None:
    with sshd() as port, socket.create_connection((ADDRESS, port), timeout=5) as sock:
        banner = sock.recv(256)
    assert ssh.claims(banner)

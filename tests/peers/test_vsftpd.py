"""The FTP probe against a real vsftpd on 127.0.3.3: anonymous on and off, TLS on and off."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from rempart.core.observations import FtpObservation
from rempart.discover.probes import ftp
from tests.peers._servers_a import context, free_port, running
from tests.support import require_binary

pytestmark = pytest.mark.peer

ADDRESS = "127.0.3.3"

VsftpdFactory = Callable[..., AbstractContextManager[int]]


@pytest.fixture
def vsftpd(tmp_path: Path) -> VsftpdFactory:
    binary = require_binary("vsftpd")
    anon_root = tmp_path / "anon"
    anon_root.mkdir(mode=0o555)
    (anon_root / "readme.txt").write_text("synthetic file\n")
    empty = tmp_path / "empty"
    empty.mkdir(mode=0o555)

    @contextmanager
    def start(*, anonymous: bool, tls: bool = False) -> Iterator[int]:
        port = free_port(ADDRESS)
        lines = [
            "listen=YES",
            "listen_ipv6=NO",
            f"listen_address={ADDRESS}",
            f"listen_port={port}",
            "background=NO",
            f"anonymous_enable={'YES' if anonymous else 'NO'}",
            f"local_enable={'NO' if anonymous else 'YES'}",  # vsftpd refuses to run with neither
            "write_enable=NO",
            f"anon_root={anon_root}",
            f"secure_chroot_dir={empty}",
            "xferlog_enable=NO",
            "seccomp_sandbox=NO",
            "ftpd_banner=Synthetic practice NAS FTP",
        ]
        if os.geteuid() != 0:
            lines.append("run_as_launching_user=YES")
        if tls:
            cert = tmp_path / "cert.pem"
            openssl = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
            openssl += ["-subj", "/CN=nas.practice.test", "-keyout", str(cert), "-out", str(cert)]
            subprocess.run(openssl, check=True, capture_output=True)
            lines += ["ssl_enable=YES", f"rsa_cert_file={cert}", "allow_anon_ssl=YES"]
            lines += ["force_anon_logins_ssl=NO", "force_anon_data_ssl=NO"]
        conf = tmp_path / "vsftpd.conf"
        conf.write_text("\n".join(lines) + "\n")
        conf.chmod(0o600)
        with running([binary, str(conf)], ADDRESS, port, tmp_path / "vsftpd.log"):
            yield port

    return start


def test_anonymous_login_accepted_by_vsftpd_is_reported(vsftpd: VsftpdFactory) -> None:
    with vsftpd(anonymous=True) as port:
        seen = ftp.probe(ADDRESS, port, context())
    assert isinstance(seen, FtpObservation)
    assert seen.anonymous_login is True
    assert seen.banner == "220 Synthetic practice NAS FTP"
    assert seen.auth_tls is False


def test_vsftpd_without_anonymous_login_is_reported_closed(vsftpd: VsftpdFactory) -> None:
    with vsftpd(anonymous=False) as port:
        seen = ftp.probe(ADDRESS, port, context())
    assert isinstance(seen, FtpObservation)
    assert seen.anonymous_login is False


def test_vsftpd_with_tls_offers_auth_tls(vsftpd: VsftpdFactory) -> None:
    require_binary("openssl")
    with vsftpd(anonymous=False, tls=True) as port:
        seen = ftp.probe(ADDRESS, port, context())
    assert isinstance(seen, FtpObservation)
    assert seen.auth_tls is True
    assert seen.anonymous_login is False


def test_vsftpd_default_greeting_is_claimed_and_names_vsftpd(
    vsftpd: VsftpdFactory, tmp_path: Path
) -> None:
    with (
        vsftpd(anonymous=False) as port,
        socket.create_connection((ADDRESS, port), timeout=5) as sock,
    ):
        banner = sock.recv(256)
    assert ftp.claims(banner)

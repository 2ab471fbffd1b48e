"""The RDP probe against a real xrdp on 127.0.3.5, with each of its security layers.

xrdp does not implement CredSSP, so NLA is never required here: the NLA-required case is
proved on a scripted Windows answer in ``tests/discover/probes/test_rdp.py``.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from rempart.core.observations import RdpObservation
from rempart.discover.probes import rdp
from tests.peers._servers_a import context, free_port, running
from tests.support import require_binary

pytestmark = pytest.mark.peer

ADDRESS = "127.0.3.5"

XrdpFactory = Callable[[str], AbstractContextManager[int]]


@pytest.fixture
def xrdp(tmp_path: Path) -> XrdpFactory:
    binary = require_binary("xrdp")
    openssl = require_binary("openssl")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    command = [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
    command += ["-subj", "/CN=accueil.practice.test", "-keyout", str(key), "-out", str(cert)]
    subprocess.run(command, check=True, capture_output=True)

    @contextmanager
    def start(security_layer: str) -> Iterator[int]:
        port = free_port(ADDRESS)
        conf = tmp_path / f"xrdp-{port}.ini"
        conf.write_text(
            "[Globals]\nini_version=1\nfork=false\n"
            f"port=tcp://{ADDRESS}:{port}\n"
            f"security_layer={security_layer}\ncrypt_level=high\n"
            f"certificate={cert}\nkey_file={key}\nssl_protocols=TLSv1.2, TLSv1.3\n"
            "\n[Logging]\n"
            f"LogFile={tmp_path / 'xrdp.log'}\nLogLevel=INFO\nEnableSyslog=false\n"
            "\n[Channels]\nrdpdr=false\nrdpsnd=false\ndrdynvc=false\ncliprdr=false\n"
        )
        argv = [binary, "--nodaemon", "--config", str(conf)]
        with running(argv, ADDRESS, port, tmp_path / f"xrdp-{port}.out"):
            yield port

    return start


def test_xrdp_negotiate_accepts_standard_rdp_security_and_tls(xrdp: XrdpFactory) -> None:
    with xrdp("negotiate") as port:
        seen = rdp.probe(ADDRESS, port, context())
    assert seen == RdpObservation(protocols=("rdp", "ssl"), nla_required=False, failure_codes=())


def test_xrdp_tls_only_refuses_standard_rdp_security(xrdp: XrdpFactory) -> None:
    with xrdp("tls") as port:
        seen = rdp.probe(ADDRESS, port, context())
    assert isinstance(seen, RdpObservation)
    assert seen.protocols == ("ssl",)
    assert seen.failure_codes == (rdp.SSL_REQUIRED_BY_SERVER,)
    assert seen.nla_required is False


def test_xrdp_rdp_only_is_reported_with_standard_rdp_security_only(xrdp: XrdpFactory) -> None:
    # xrdp answers a request for TLS or CredSSP by selecting standard RDP security (an
    # RDP_NEG_RSP, not a failure): only "rdp" is accepted.
    with xrdp("rdp") as port:
        seen = rdp.probe(ADDRESS, port, context())
    assert seen == RdpObservation(protocols=("rdp",), nla_required=False, failure_codes=())

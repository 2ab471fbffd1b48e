"""The SMB probe against a real Samba smbd on 127.0.3.4.

Proves that SMBv1 is seen exactly when Samba allows it (``server min protocol = NT1``),
that the dialect range follows ``server min/max protocol``, and that ``server signing =
mandatory`` is told apart from the default.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from rempart.core.observations import SmbObservation
from rempart.discover.probes import smb
from tests.peers._servers_a import context, free_port, running
from tests.support import require_binary

pytestmark = pytest.mark.peer

ADDRESS = "127.0.3.4"

SmbdFactory = Callable[..., AbstractContextManager[int]]


@pytest.fixture
def smbd(tmp_path: Path) -> SmbdFactory:
    binary = require_binary("smbd")
    share = tmp_path / "share"
    share.mkdir()

    @contextmanager
    def start(**options: str) -> Iterator[int]:
        port = free_port(ADDRESS)
        state = tmp_path / f"state-{port}"
        dirs = {
            "lock directory": state / "lock",
            "state directory": state / "state",
            "cache directory": state / "cache",
            "private dir": state / "private",
            "pid directory": state / "pid",
            "ncalrpc dir": state / "ncalrpc",
            "binddns dir": state / "binddns",
        }
        for path in dirs.values():
            path.mkdir(parents=True, exist_ok=True)
        settings = {
            "workgroup": "CABINET",
            "netbios name": "SERVEUR",
            "server role": "standalone server",
            "smb ports": str(port),
            # An address with a mask: Samba binds it even though no interface carries it.
            "interfaces": f"{ADDRESS}/8",
            "bind interfaces only": "yes",
            "disable spoolss": "yes",
            "load printers": "no",
            "printing": "bsd",
            "printcap name": "/dev/null",
            "log file": str(state / "log.smbd"),
            "log level": "1",
            "map to guest": "Bad User",
            **{key: str(value) for key, value in dirs.items()},
            **{key.replace("_", " "): value for key, value in options.items()},
        }
        conf = tmp_path / f"smb-{port}.conf"
        body = "\n".join(f"   {key} = {value}" for key, value in settings.items())
        conf.write_text(f"[global]\n{body}\n\n[partage]\n   path = {share}\n   read only = yes\n")
        argv = [binary, "--foreground", "--no-process-group", "--debug-stdout", "-s", str(conf)]
        with running(argv, ADDRESS, port, tmp_path / f"smbd-{port}.log"):
            yield port

    return start


def test_samba_allowing_nt1_is_reported_with_smb1(smbd: SmbdFactory) -> None:
    with smbd(server_min_protocol="NT1") as port:
        seen = smb.probe(ADDRESS, port, context())
    assert isinstance(seen, SmbObservation)
    assert seen.smb1 is True
    assert seen.dialects == ("NT LM 0.12", "2.0.2", "2.1", "3.0", "3.0.2", "3.1.1")
    assert seen.signing_required is False
    assert seen.server_guid
    # The null session of SMBv1 names the product and version, as smbd --version does.
    version = subprocess.run([require_binary("smbd"), "--version"], capture_output=True, text=True)
    assert seen.native_lm == "Samba " + version.stdout.split()[-1]


def test_samba_with_smb2_minimum_is_reported_without_smb1(smbd: SmbdFactory) -> None:
    with smbd(server_min_protocol="SMB2_02") as port:
        seen = smb.probe(ADDRESS, port, context())
    assert isinstance(seen, SmbObservation)
    assert seen.smb1 is False
    assert seen.dialects == ("2.0.2", "2.1", "3.0", "3.0.2", "3.1.1")


def test_samba_dialect_range_follows_min_and_max_protocol(smbd: SmbdFactory) -> None:
    with smbd(server_min_protocol="SMB3_00", server_max_protocol="SMB3_02") as port:
        seen = smb.probe(ADDRESS, port, context())
    assert isinstance(seen, SmbObservation)
    assert seen.dialects == ("3.0", "3.0.2")


def test_samba_with_mandatory_signing_is_reported_signing_required(smbd: SmbdFactory) -> None:
    with smbd(server_min_protocol="SMB2_02", server_signing="mandatory") as port:
        seen = smb.probe(ADDRESS, port, context())
    assert isinstance(seen, SmbObservation)
    assert seen.signing_required is True
    assert seen.signing_enabled is True


def test_samba_smb1_with_mandatory_signing_is_reported_signing_required(smbd: SmbdFactory) -> None:
    with smbd(server_min_protocol="NT1", server_signing="mandatory") as port:
        seen = smb.probe(ADDRESS, port, context())
    assert isinstance(seen, SmbObservation)
    assert seen.smb1 is True
    assert seen.signing_required is True


def test_samba_behind_a_netbios_session_request_is_probed_alike(
    smbd: SmbdFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Port 139 speaks SMB after a NetBIOS session request; Samba accepts one on any port,
    # so the same dialogue is proved on a free port instead of the privileged 139.
    with smbd(server_min_protocol="NT1") as port:
        monkeypatch.setattr(smb, "NETBIOS_SESSION_PORT", port)
        seen = smb.probe(ADDRESS, port, context())
    assert isinstance(seen, SmbObservation)
    assert seen.smb1 is True
    assert seen.dialects[-1] == "3.1.1"

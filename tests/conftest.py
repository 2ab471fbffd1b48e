"""Shared test fixtures.

* Every test runs with ``REMPART_HOME`` in its own temporary folder: no test touches the
  user's real data dir or settings.
* :func:`require_binary` finds a real peer (smbd, sshd, vsftpd, snmpd, storescp, nmap).
  Outside CI a missing binary skips the test; in CI (``CI=true``, where ``.ci/run``
  installs every peer) it fails, so that a missing install step cannot hide.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from rempart import i18n

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(autouse=True)
def rempart_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "rempart-home"
    home.mkdir()
    monkeypatch.setenv("REMPART_HOME", str(home))
    monkeypatch.delenv("REMPART_CONFIG", raising=False)
    monkeypatch.delenv("REMPART_LANG", raising=False)
    i18n.set_language("fr")
    return home


def require_binary(name: str, *extra_dirs: str) -> str:
    """The path of a real peer's binary, or skip (fail in CI) when it is missing."""
    path = shutil.which(name, path=os.pathsep.join([*extra_dirs, "/usr/sbin", "/usr/bin", os.environ.get("PATH", "")]))
    if path is None:
        message = f"{name} is not installed (.ci/run installs it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


def shared_data(*parts: str) -> Path:
    """A file of ../shared/data, or skip (fail in CI) when the folder is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        message = f"shared reference data missing: {path}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path

"""Helpers for tests (import as ``from tests.support import require_binary``).

:func:`require_binary` finds a real peer (smbd, sshd, vsftpd, snmpd, storescp, nmap).
Outside CI a missing binary skips the test; in CI (``CI=true``, where ``.ci/run``
installs every peer) it fails, so that a missing install step cannot hide.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_binary(name: str, *extra_dirs: str) -> str:
    """The path of a real peer's binary, or skip (fail in CI) when it is missing."""
    path = shutil.which(
        name,
        path=os.pathsep.join([*extra_dirs, "/usr/sbin", "/usr/bin", os.environ.get("PATH", "")]),
    )
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

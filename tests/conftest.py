"""Shared fixtures. Every test runs with ``REMPART_HOME`` in its own temporary folder:
no test touches the user's real data dir or settings. Helpers live in ``tests/support.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rempart import i18n


@pytest.fixture(autouse=True)
def rempart_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "rempart-home"
    home.mkdir()
    monkeypatch.setenv("REMPART_HOME", str(home))
    monkeypatch.delenv("REMPART_CONFIG", raising=False)
    monkeypatch.delenv("REMPART_LANG", raising=False)
    i18n.set_language("fr")
    return home

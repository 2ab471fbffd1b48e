"""The host tests read the English messages and fact labels (tests/i18n checks the French)."""

from __future__ import annotations

import pytest

from rempart import i18n


@pytest.fixture(autouse=True)
def english() -> None:
    i18n.set_language("en")

"""The lab's services running in this process, shared by the protocol tests of a module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rempart.lab import LabState, running_lab


@pytest.fixture(scope="module")
def lab() -> Iterator[LabState]:
    with running_lab() as state:
        yield state

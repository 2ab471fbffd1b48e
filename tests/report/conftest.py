"""Fixtures for the report tests: the demo practice audited, with its findings."""

from __future__ import annotations

import dataclasses

import pytest

from rempart.checks import CheckContext, run_checks
from rempart.core.model import Audit
from tests.checks.practice import NOW, demo_audit


@pytest.fixture
def audit() -> Audit:
    base = demo_audit()
    return dataclasses.replace(base, findings=run_checks(base.assets, CheckContext(now=NOW)))

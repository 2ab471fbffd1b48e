"""Judgement: observations in, findings out. Pure functions, no I/O.

Each check lives beside its words (:class:`CheckMeta`: severity, title, risk and
remediation in French and English, who must act, references) under a stable ID such as
``NET-SMB-V1``. The catalogue is generated into docs/checks.md by
``python -m rempart.report.catalogue``.
"""

from rempart.checks.base import (
    Check,
    CheckContext,
    CheckMeta,
    Hit,
    Reference,
    Text,
    Verdict,
    Who,
    all_checks,
    check,
    get_meta,
    host_check,
    org_check,
    run_checks,
    run_host_checks,
    run_org_checks,
)
from rempart.checks.eol import EolEntry, EolTable, builtin_eol, parse_eol

__all__ = [
    "Check",
    "CheckContext",
    "CheckMeta",
    "EolEntry",
    "EolTable",
    "Hit",
    "Reference",
    "Text",
    "Verdict",
    "Who",
    "all_checks",
    "builtin_eol",
    "check",
    "get_meta",
    "host_check",
    "org_check",
    "parse_eol",
    "run_checks",
    "run_host_checks",
    "run_org_checks",
]

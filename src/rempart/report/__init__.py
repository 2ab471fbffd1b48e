"""Renderers: what a person reads (report.html), what a program reads (findings.json),
the rows of the CLI's summary table, and the generated check catalogue.

Renderers never decide: findings come from :mod:`rempart.checks`; the words of each
finding come from its check's metadata, the fixed words through gettext.
"""

from rempart.report.files import ReportError, write_text_atomic
from rempart.report.html import render_html, write_report_html
from rempart.report.json import (
    SCHEMA_VERSION,
    audit_to_json,
    severity_counts,
    write_findings_json,
)
from rempart.report.summary import SummaryRow, summary_rows

__all__ = [
    "SCHEMA_VERSION",
    "ReportError",
    "SummaryRow",
    "audit_to_json",
    "render_html",
    "severity_counts",
    "summary_rows",
    "write_findings_json",
    "write_report_html",
    "write_text_atomic",
]

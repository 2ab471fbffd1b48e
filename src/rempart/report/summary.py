"""Rows for the CLI's summary table (Rich): one per finding, most severe first.

The CLI only lays them out; the words (localised titles, severity labels) come from here
so that the terminal and the HTML report say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

from rempart.checks import get_meta
from rempart.core.model import Audit, Severity
from rempart.report.text import clip
from rempart.report.words import evidence_label, evidence_words, language, severity_label


@dataclass(frozen=True, slots=True)
class SummaryRow:
    severity: Severity
    severity_label: str
    check_id: str
    title: str
    target: str
    hostname: str
    evidence: str  # the first fact seen, bounded: "dialects accepted: NT LM 0.12"


def summary_rows(audit: Audit, lang: str = "fr") -> list[SummaryRow]:
    """One row per finding, most severe first, words in ``lang``."""
    names = {a.address: a.hostname or "" for a in audit.assets}
    rows = []
    with language(lang) as code:
        ew = evidence_words()
        for f in sorted(audit.findings, key=lambda f: (*f.sort_key, f.transport or "")):
            meta = get_meta(f.check_id)
            first = ""
            if f.evidence:
                label, value = f.evidence[0].label, f.evidence[0].value_in(code)
                first = f"{evidence_label(label, ew)}: {ew.get(value, value)}"
            rows.append(
                SummaryRow(
                    severity=f.severity,
                    severity_label=severity_label(f.severity),
                    check_id=f.check_id,
                    title=meta.title.get(code) if meta else f.check_id,
                    target=clip(f.target, 60),
                    hostname=clip(names.get(f.address or "", ""), 40),
                    evidence=clip(first, 80),
                )
            )
    return rows

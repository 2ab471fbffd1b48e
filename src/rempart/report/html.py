"""``report.html``: one self-contained page a person can read, findings by severity.

Jinja2 with autoescape on; every string that came from the network also goes through
:func:`rempart.report.text.clip` (the ``clip`` filter) to drop control characters and
bound its length. No JavaScript, no external resource: the page opens offline and can be
mailed as is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import jinja2

from rempart.checks import get_meta
from rempart.core.model import Asset, Audit, Finding, Severity
from rempart.report.files import write_text_atomic
from rempart.report.json import severity_counts
from rempart.report.text import clip
from rempart.report.words import (
    evidence_label,
    evidence_words,
    language,
    report_words,
    severity_label,
)


@dataclass(frozen=True, slots=True)
class FindingView:
    """A finding with the words a person reads, in one language."""

    finding: Finding
    title: str
    risk: str
    remediation: str
    who: tuple[str, ...]
    references: tuple[tuple[str, str], ...]
    hostname: str
    known: bool


@dataclass(frozen=True, slots=True)
class SeverityGroup:
    severity: Severity
    label: str
    findings: tuple[FindingView, ...]


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("rempart.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["clip"] = clip
    return env


def render_html(audit: Audit, lang: str = "fr", generated_at: datetime | None = None) -> str:
    """The report page as text, words in ``lang`` ("fr" by default, or "en")."""
    with language(lang) as code:
        groups = _groups(audit, code)
        counts = severity_counts(audit.findings)
        template = _environment().get_template("report.html.j2")
        return template.render(
            lang=code,
            w=report_words(),
            ew=evidence_words(),
            evidence_label=evidence_label,
            audit=audit,
            groups=groups,
            counts=[
                (s, severity_label(s), counts[s.value]) for s in sorted(Severity, reverse=True)
            ],
            total=counts["total"],
            assets=sorted(audit.assets, key=_asset_order),
            generated_at=(generated_at or datetime.now(UTC)).isoformat(timespec="seconds"),
        )


def write_report_html(
    audit: Audit, path: Path, lang: str = "fr", generated_at: datetime | None = None
) -> Path:
    """Write ``report.html`` atomically."""
    return write_text_atomic(Path(path), render_html(audit, lang, generated_at))


def _groups(audit: Audit, lang: str) -> list[SeverityGroup]:
    names = {a.address: a.hostname or "" for a in audit.assets}
    ordered = sorted(audit.findings, key=lambda f: (*f.sort_key, f.transport or ""))
    groups = []
    for severity in sorted(Severity, reverse=True):
        views = tuple(_view(f, lang, names) for f in ordered if f.severity is severity)
        if views:
            groups.append(SeverityGroup(severity, severity_label(severity), views))
    return groups


def _view(finding: Finding, lang: str, names: dict[str, str]) -> FindingView:
    meta = get_meta(finding.check_id)
    hostname = names.get(finding.address or "", "")
    if meta is None:
        words = report_words()
        return FindingView(
            finding, finding.check_id, words["unknown_check"], "", (), (), hostname, False
        )
    return FindingView(
        finding=finding,
        title=meta.title.get(lang),
        risk=meta.risk.get(lang),
        remediation=meta.remediation.get(lang),
        who=tuple(w.label.get(lang) for w in meta.who),
        references=tuple((r.label, r.url) for r in meta.references),
        hostname=hostname,
        known=True,
    )


def _asset_order(asset: Asset) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in asset.address.split("."))
    except ValueError:
        return (1 << 16,)

"""``findings.json``: the audit as data, for scripts, the store and other tools.

The format is documented field by field in docs/findings-json.md (and as a JSON Schema
in docs/findings.schema.json). Bump :data:`SCHEMA_VERSION` on any incompatible change.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rempart.checks import get_meta
from rempart.core.model import Audit, Finding, Service, Severity, to_jsonable
from rempart.report.files import write_text_atomic
from rempart.report.words import language

SCHEMA = "rempart.findings"
SCHEMA_VERSION = 1

# Every string in the file comes from the model; network text was bounded by the probes,
# this is a second fence so that one absurd value cannot bloat the file.
MAX_STRING = 4096


def audit_to_json(
    audit: Audit, lang: str = "fr", generated_at: datetime | None = None
) -> dict[str, Any]:
    """The audit as a JSON-ready dict in the documented format, words in ``lang``."""
    with language(lang) as code:
        data = {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "generated_at": (generated_at or datetime.now(UTC)).isoformat(),
            "lang": code,
            "rempart_version": audit.rempart_version,
            "audit_id": audit.id,
            "started_at": audit.started_at.isoformat(),
            "finished_at": audit.finished_at.isoformat(),
            "targets": list(audit.targets),
            "ports": audit.ports,
            "authorized": audit.authorized,
            "notes": list(audit.notes),
            "summary": severity_counts(audit.findings),
            "assets": [
                {
                    "address": asset.address,
                    "hostname": asset.hostname,
                    "kind": asset.kind,
                    "services": [_service(s) for s in asset.services],
                }
                for asset in audit.assets
            ],
            "findings": [_finding(f, code) for f in sorted(audit.findings, key=_order)],
        }
    cleaned: dict[str, Any] = _clean(data)
    return cleaned


def write_findings_json(
    audit: Audit, path: Path, lang: str = "fr", generated_at: datetime | None = None
) -> Path:
    """Write ``findings.json`` atomically (UTF-8, indented, keys in a stable order)."""
    text = json.dumps(audit_to_json(audit, lang, generated_at), ensure_ascii=False, indent=2)
    return write_text_atomic(Path(path), text + "\n")


def severity_counts(findings: tuple[Finding, ...]) -> dict[str, int]:
    """``{"critical": 1, "high": 0, ..., "total": 1}``, every severity present."""
    counts = {s.value: 0 for s in sorted(Severity, reverse=True)}
    for f in findings:
        counts[f.severity.value] += 1
    counts["total"] = len(findings)
    return counts


def _order(f: Finding) -> tuple[int, str, str, int, str]:
    return (*f.sort_key, f.transport or "")


def _service(service: Service) -> dict[str, Any]:
    return {
        "address": service.address,
        "port": service.port,
        "transport": service.transport,
        "name": service.name,
        "product": service.product,
        "version": service.version,
        "cpe": service.cpe,
        "banner": service.banner,
        "observations": [to_jsonable(o) for o in service.observations],
    }


def _finding(finding: Finding, lang: str) -> dict[str, Any]:
    meta = get_meta(finding.check_id)
    out: dict[str, Any] = {
        "check_id": finding.check_id,
        "severity": finding.severity.value,
        "target": finding.target,
        "address": finding.address,
        "port": finding.port,
        "transport": finding.transport,
        "evidence": [{"label": e.label, "value": e.value_in(lang)} for e in finding.evidence],
        "cves": list(finding.cves),
    }
    if meta is None:
        out.update(title=finding.check_id, risk="", remediation="", who=[], references=[])
        out["categories"] = []
        return out
    out.update(
        title=meta.title.get(lang),
        risk=meta.risk.get(lang),
        remediation=meta.remediation.get(lang),
        who=[w.value for w in meta.who],
        references=[{"label": r.label, "url": r.url} for r in meta.references],
        categories=list(meta.categories),
    )
    return out


def _clean(value: Any) -> Any:
    """Bound strings and make them encodable (a lone surrogate becomes U+FFFD)."""
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            value = value[: MAX_STRING - 1] + "…"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            value = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in value)
        return value
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value

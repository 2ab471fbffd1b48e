"""SARIF 2.1.0 (OASIS): the audit's findings for the IT provider's tools.

One run, the tool ``Rempart`` with one rule per check that fired (its words from the check's
metadata, in the report's language), one result per finding:

* ``level`` from the severity: critical and high → ``error``, medium → ``warning``, low and
  info → ``note``; the rule's ``properties.security-severity`` (9.5, 8.0, 5.5, 3.0, 0.0) lets
  code-scanning tools sort them as they sort CVEs;
* the location is the service, ``address:port``: a logical location (``kind: "resource"``)
  named ``127.42.0.30:443`` and an artifact URI ``tcp://127.42.0.30:443``; a computer's
  finding names the computer (``host://NAME``), a survey finding the practice
  (``practice:survey``);
* ``partialFingerprints["rempartFindingKey/v1"]`` is the finding's key
  (``check|address|port|transport``) so that a tool follows it from one audit to the next;
  ``baselineState`` is ``new`` or ``unchanged`` (the store's finding life);
* an accepted risk carries an external ``suppression`` (status ``accepted``, the reason);
* ``properties``: the CVEs, the severity, the risk points and the evidence.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from rempart import __version__
from rempart.core.model import Severity
from rempart.report.files import write_text_atomic
from rempart.report.json import _clean
from rempart.report.practice import FindingView, PracticeReport

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT = "rempartFindingKey/v1"

LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}


def _location(view: FindingView) -> dict[str, Any]:
    f = view.finding
    if f.address is None:
        name, uri, kind = "practice", "practice:survey", "module"
    elif f.port is None:
        name, uri, kind = f.address, f"host://{f.address}", "resource"
    else:
        transport = f.transport or "tcp"
        host = f"[{f.address}]" if ":" in f.address else f.address
        name = f"{host}:{f.port}"
        uri, kind = f"{transport}://{host}:{f.port}", "resource"
    return {
        "physicalLocation": {"artifactLocation": {"uri": _uri_safe(uri)}},
        "logicalLocations": [
            {
                "name": name,
                "fullyQualifiedName": f.target if f.address else name,
                "kind": kind,
            }
        ],
    }


def _uri_safe(uri: str) -> str:
    """A host name from a collector may hold anything: percent-encode what a URI cannot."""
    return quote(uri, safe=":/[]@!$&'()*+,;=-._~")


def _rule(view: FindingView) -> dict[str, Any]:
    meta_refs = view.references
    rule: dict[str, Any] = {
        "id": view.check_id,
        "name": "".join(part.capitalize() for part in view.check_id.split("-")),
        "shortDescription": {"text": view.title},
        "fullDescription": {"text": view.risk or view.title},
        "help": {"text": view.remediation or view.title},
        "defaultConfiguration": {"level": LEVELS[view.severity]},
        "properties": {
            "security-severity": SECURITY_SEVERITY[view.severity],
            "severity": view.severity.value,
            "precision": "high",
            "tags": ["security", "rempart"],
            "references": [{"label": r.label, "url": r.url} for r in meta_refs],
        },
    }
    if meta_refs:
        rule["helpUri"] = meta_refs[0].url
    return rule


def _result(view: FindingView, rule_index: int) -> dict[str, Any]:
    f = view.finding
    message = view.title if not view.target else f"{view.title} ({view.target})"
    result: dict[str, Any] = {
        "ruleId": view.check_id,
        "ruleIndex": rule_index,
        "level": LEVELS[view.severity],
        "kind": "fail",
        "message": {"text": message},
        "locations": [_location(view)],
        "partialFingerprints": {FINGERPRINT: view.key},
        "baselineState": "new" if view.status == "new" else "unchanged",
        "properties": {
            "severity": view.severity.value,
            "cves": list(f.cves),
            "points": view.points,
            "status": view.status,
            "evidence": [{"label": label, "value": value} for label, value in view.evidence],
        },
    }
    if view.status == "accepted":
        suppression: dict[str, Any] = {
            "kind": "external",
            "status": "accepted",
            "justification": view.accepted_reason or "",
        }
        if view.accepted_until is not None:
            suppression["properties"] = {"until": view.accepted_until.isoformat()}
        result["suppressions"] = [suppression]
    return result


def report_to_sarif(report: PracticeReport) -> dict[str, Any]:
    """The SARIF log of a practice report (see the module's docstring)."""
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    results = []
    for view in sorted(report.findings, key=lambda v: (*v.finding.sort_key, v.key)):
        if view.check_id not in index:
            index[view.check_id] = len(rules)
            rules.append(_rule(view))
        results.append(_result(view, index[view.check_id]))
    audit = report.audit
    log = {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "Rempart",
                        "version": audit.rempart_version or __version__,
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": f"rempart/audit/{audit.id}"},
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "startTimeUtc": _utc(audit.started_at),
                        "endTimeUtc": _utc(audit.finished_at),
                    }
                ],
                "language": report.lang,
                "results": results,
                "properties": {
                    "grade": report.score.grade,
                    "points": report.score.points,
                    "targets": list(audit.targets),
                },
            }
        ],
    }
    cleaned: dict[str, Any] = _clean(log)
    return cleaned


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_sarif(report: PracticeReport, path: Path) -> Path:
    """Write the SARIF log atomically (UTF-8, indented)."""
    text = json.dumps(report_to_sarif(report), ensure_ascii=False, indent=2)
    return write_text_atomic(Path(path), text + "\n")


__all__ = ["FINGERPRINT", "LEVELS", "SARIF_VERSION", "report_to_sarif", "write_sarif"]

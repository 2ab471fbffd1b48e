"""SARIF 2.1.0 for the IT provider's tools: valid against the structure the OASIS schema
requires, one rule per check, results at ``address:port``, levels from severity, CVEs in
properties, accepted risks suppressed, hostile text kept as data."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from rempart import i18n
from rempart.checks import CheckContext, run_checks
from rempart.core.model import Audit, Evidence, Finding, Severity
from rempart.core.scoring import finding_key
from rempart.report.practice import build_report
from rempart.report.sarif import report_to_sarif, write_sarif
from rempart.store import Store, accept_risk
from tests.checks.practice import NOW, demo_audit
from tests.report.minischema import validate

PROPERTY_BAG = {"$ref": "#/$defs/propertyBag"}
LEVEL = {"type": "string", "enum": ["none", "note", "warning", "error"]}


def _obj(props: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    """An object of the SARIF schema: its properties, nothing else (additionalProperties
    false, as in the schema), ``properties`` being a property bag."""
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {**props, "properties": PROPERTY_BAG},
        "required": required or [],
    }


ANY: dict[str, Any] = {}
STRING = {"type": "string"}
ARRAY = {"type": "array"}

# The part of the OASIS SARIF 2.1.0 schema (Schemata/sarif-schema-2.1.0.json) that Rempart
# writes: property names, required members and enumerations as the schema gives them.
SARIF_SUBSET: dict[str, Any] = {
    **_obj(
        {
            "$schema": STRING,
            "version": {"type": "string", "enum": ["2.1.0"]},
            "runs": {"type": ["array", "null"], "items": {"$ref": "#/$defs/run"}},
            "inlineExternalProperties": ARRAY,
        },
        ["version", "runs"],
    ),
    "$defs": {
        "propertyBag": {
            "type": "object",
            "properties": {"tags": {"type": "array", "items": STRING}},
        },
        "run": _obj(
            {
                "tool": {"$ref": "#/$defs/tool"},
                "invocations": {"type": "array", "items": {"$ref": "#/$defs/invocation"}},
                "conversion": ANY,
                "language": {"type": "string", "pattern": "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$"},
                "versionControlProvenance": ARRAY,
                "originalUriBaseIds": ANY,
                "artifacts": ARRAY,
                "logicalLocations": ARRAY,
                "graphs": ARRAY,
                "results": {"type": ["array", "null"], "items": {"$ref": "#/$defs/result"}},
                "automationDetails": _obj(
                    {"description": ANY, "id": STRING, "guid": STRING, "correlationGuid": STRING}
                ),
                "runAggregates": ARRAY,
                "baselineGuid": STRING,
                "redactionTokens": ARRAY,
                "defaultEncoding": STRING,
                "defaultSourceLanguage": STRING,
                "newlineSequences": ARRAY,
                "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
                "externalPropertyFileReferences": ANY,
                "threadFlowLocations": ARRAY,
                "taxonomies": ARRAY,
                "addresses": ARRAY,
                "translations": ARRAY,
                "policies": ARRAY,
                "webRequests": ARRAY,
                "webResponses": ARRAY,
                "specialLocations": ANY,
            },
            ["tool"],
        ),
        "tool": _obj(
            {
                "driver": {"$ref": "#/$defs/toolComponent"},
                "extensions": ARRAY,
            },
            ["driver"],
        ),
        "toolComponent": _obj(
            {
                "guid": STRING,
                "name": STRING,
                "organization": STRING,
                "product": STRING,
                "productSuite": STRING,
                "shortDescription": {"$ref": "#/$defs/multiformatMessageString"},
                "fullDescription": {"$ref": "#/$defs/multiformatMessageString"},
                "fullName": STRING,
                "version": STRING,
                "semanticVersion": STRING,
                "dottedQuadFileVersion": STRING,
                "releaseDateUtc": STRING,
                "downloadUri": STRING,
                "informationUri": STRING,
                "globalMessageStrings": ANY,
                "notifications": ARRAY,
                "rules": {"type": "array", "items": {"$ref": "#/$defs/reportingDescriptor"}},
                "taxa": ARRAY,
                "locations": ARRAY,
                "language": STRING,
                "contents": ARRAY,
                "isComprehensive": {"type": "boolean"},
                "localizedDataSemanticVersion": STRING,
                "minimumRequiredLocalizedDataSemanticVersion": STRING,
                "associatedComponent": ANY,
                "translationMetadata": ANY,
                "supportedTaxonomies": ARRAY,
            },
            ["name"],
        ),
        "reportingDescriptor": _obj(
            {
                "id": STRING,
                "deprecatedIds": ARRAY,
                "guid": STRING,
                "deprecatedGuids": ARRAY,
                "name": STRING,
                "deprecatedNames": ARRAY,
                "shortDescription": {"$ref": "#/$defs/multiformatMessageString"},
                "fullDescription": {"$ref": "#/$defs/multiformatMessageString"},
                "messageStrings": ANY,
                "defaultConfiguration": _obj(
                    {
                        "enabled": {"type": "boolean"},
                        "level": LEVEL,
                        "rank": {"type": "number", "minimum": -1.0, "maximum": 100.0},
                        "parameters": PROPERTY_BAG,
                    }
                ),
                "helpUri": {"type": "string", "pattern": "^https?://"},
                "help": {"$ref": "#/$defs/multiformatMessageString"},
                "relationships": ARRAY,
            },
            ["id"],
        ),
        "multiformatMessageString": _obj({"text": STRING, "markdown": STRING}, ["text"]),
        "message": _obj({"text": STRING, "markdown": STRING, "id": STRING, "arguments": ARRAY}),
        "invocation": _obj(
            {
                "commandLine": STRING,
                "arguments": ARRAY,
                "startTimeUtc": {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"},
                "endTimeUtc": {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"},
                "exitCode": {"type": "integer"},
                "executionSuccessful": {"type": "boolean"},
                "machine": STRING,
                "account": STRING,
                "processId": {"type": "integer"},
            },
            ["executionSuccessful"],
        ),
        "result": _obj(
            {
                "ruleId": STRING,
                "ruleIndex": {"type": "integer", "minimum": -1},
                "rule": ANY,
                "kind": {
                    "enum": ["notApplicable", "pass", "fail", "review", "open", "informational"]
                },
                "level": LEVEL,
                "message": {"$ref": "#/$defs/message"},
                "analysisTarget": ANY,
                "locations": {"type": "array", "items": {"$ref": "#/$defs/location"}},
                "guid": STRING,
                "correlationGuid": STRING,
                "occurrenceCount": {"type": "integer", "minimum": 1},
                "partialFingerprints": {"type": "object"},
                "fingerprints": {"type": "object"},
                "stacks": ARRAY,
                "codeFlows": ARRAY,
                "graphs": ARRAY,
                "graphTraversals": ARRAY,
                "relatedLocations": ARRAY,
                "suppressions": {"type": "array", "items": {"$ref": "#/$defs/suppression"}},
                "baselineState": {"enum": ["new", "unchanged", "updated", "absent"]},
                "rank": {"type": "number"},
                "attachments": ARRAY,
                "hostedViewerUri": STRING,
                "workItemUris": ARRAY,
                "provenance": ANY,
                "fixes": ARRAY,
                "taxa": ARRAY,
                "webRequest": ANY,
                "webResponse": ANY,
            },
            ["message"],
        ),
        "location": _obj(
            {
                "id": {"type": "integer"},
                "physicalLocation": _obj(
                    {
                        "address": ANY,
                        "artifactLocation": _obj(
                            {
                                "uri": {"type": "string", "pattern": r"^[a-z]+:[^\s<>\"]+$"},
                                "uriBaseId": STRING,
                                "index": {"type": "integer"},
                                "description": {"$ref": "#/$defs/message"},
                            }
                        ),
                        "region": ANY,
                        "contextRegion": ANY,
                    }
                ),
                "logicalLocations": {
                    "type": "array",
                    "items": _obj(
                        {
                            "name": STRING,
                            "index": {"type": "integer"},
                            "fullyQualifiedName": STRING,
                            "decoratedName": STRING,
                            "parentIndex": {"type": "integer"},
                            "kind": STRING,
                        }
                    ),
                },
                "message": {"$ref": "#/$defs/message"},
                "annotations": ARRAY,
                "relationships": ARRAY,
            }
        ),
        "suppression": _obj(
            {
                "guid": STRING,
                "kind": {"enum": ["inSource", "external"]},
                "status": {"enum": ["accepted", "underReview", "rejected"]},
                "justification": STRING,
                "location": {"$ref": "#/$defs/location"},
            },
            ["kind"],
        ),
    },
}


def check_sarif(log: dict[str, Any]) -> None:
    """The subset schema, plus the schema's anyOf rules (message: text or id; physical
    location: address or artifactLocation) and the rule indexes."""
    errors = validate(log, SARIF_SUBSET)
    assert not errors, errors[:10]
    for run in log["runs"]:
        rules = run["tool"]["driver"]["rules"]
        for result in run["results"]:
            assert "text" in result["message"] or "id" in result["message"]
            assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
            for loc in result["locations"]:
                phys = loc["physicalLocation"]
                assert "address" in phys or "artifactLocation" in phys


def demo() -> Audit:
    base = demo_audit()
    return dataclasses.replace(base, findings=run_checks(base.assets, CheckContext(now=NOW)))


def test_the_demo_practice_gives_valid_sarif() -> None:
    log = report_to_sarif(build_report(demo(), lang="fr", now=NOW))
    check_sarif(log)
    run = log["runs"][0]
    assert run["tool"]["driver"]["name"] == "Rempart"
    assert len(run["results"]) == len(demo().findings)
    assert len({r["id"] for r in run["tool"]["driver"]["rules"]}) == len(
        run["tool"]["driver"]["rules"]
    )
    assert run["properties"]["grade"] == "G"


def test_results_are_located_at_address_port_with_levels_from_severity() -> None:
    log = report_to_sarif(build_report(demo(), lang="en", now=NOW))
    results = {
        (r["ruleId"], r["locations"][0]["logicalLocations"][0]["name"]): r
        for r in log["runs"][0]["results"]
    }
    vnc = results[("NET-VNC-NO-AUTH", "127.42.0.40:5900")]
    assert vnc["level"] == "error"
    assert vnc["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "tcp://127.42.0.40:5900"
    )
    assert (
        vnc["partialFingerprints"]["rempartFindingKey/v1"] == "NET-VNC-NO-AUTH|127.42.0.40|5900|tcp"
    )
    assert results[("NET-DB-EXPOSED", "127.42.0.20:1433")]["level"] == "warning"
    assert results[("NET-WINRM", "127.42.0.20:5985")]["level"] == "note"
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["NET-VNC-NO-AUTH"]["properties"]["security-severity"] == "9.5"
    assert rules["NET-VNC-NO-AUTH"]["shortDescription"]["text"].startswith("Remote control")


def test_cves_go_in_properties_and_survey_findings_name_the_practice() -> None:
    nas = Finding(
        "NET-VULN-RANSOMWARE",
        Severity.CRITICAL,
        "127.42.0.30",
        443,
        "tcp",
        evidence=(Evidence("CVE-2021-28799", "confirmed: QTS 4.5.1"),),
        cves=("CVE-2021-28799", "CVE-2020-36195"),
    )
    survey = Finding("ORG-NO-BACKUP", Severity.CRITICAL)
    audit = dataclasses.replace(demo(), findings=(nas, survey))
    log = report_to_sarif(build_report(audit, lang="fr", now=NOW))
    check_sarif(log)
    by_rule = {r["ruleId"]: r for r in log["runs"][0]["results"]}
    assert by_rule["NET-VULN-RANSOMWARE"]["properties"]["cves"] == [
        "CVE-2021-28799",
        "CVE-2020-36195",
    ]
    location = by_rule["ORG-NO-BACKUP"]["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "practice:survey"


def test_an_accepted_risk_is_an_external_suppression_and_new_ones_are_new() -> None:
    audit = demo()
    first = dataclasses.replace(audit, id="first", started_at=audit.started_at - timedelta(days=7))
    with Store.open() as store:
        store.save_audit(first)
        store.save_audit(audit)
        key = "NET-WINRM|127.42.0.20|5985|tcp"
        accept_risk(store, key, "the vendor's backup agent", date(2027, 1, 15), now=NOW)
        log = report_to_sarif(build_report(audit, store=store, lang="fr", now=NOW))
    check_sarif(log)
    by_key = {
        r["partialFingerprints"]["rempartFindingKey/v1"]: r for r in log["runs"][0]["results"]
    }
    (suppression,) = by_key[key]["suppressions"]
    assert suppression == {
        "kind": "external",
        "status": "accepted",
        "justification": "the vendor's backup agent",
        "properties": {"until": "2027-01-16T00:00:00+00:00"},
    }
    assert {r["baselineState"] for r in by_key.values()} == {"unchanged"}
    assert all("suppressions" not in r for k, r in by_key.items() if k != key)


def test_hostile_host_names_stay_data_and_the_file_is_valid_json(tmp_path: Path) -> None:
    evil = 'PC"<script>alert(1)</script>\u202e\x00'
    finding = Finding(
        "HOST-FIREWALL-OFF", Severity.MEDIUM, evil, evidence=(Evidence("profile", evil),)
    )
    audit = dataclasses.replace(demo(), findings=(finding,))
    path = write_sarif(build_report(audit, lang="fr", now=NOW), tmp_path / "audit.sarif")
    log = json.loads(path.read_text(encoding="utf-8"))
    check_sarif(log)
    (result,) = log["runs"][0]["results"]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.startswith("host://PC%22%3Cscript%3E") and " " not in uri
    assert result["locations"][0]["logicalLocations"][0]["name"] == evil
    assert i18n.current_language() == "fr"
    assert finding_key(finding).startswith("HOST-FIREWALL-OFF|PC")

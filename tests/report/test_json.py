"""findings.json: valid against the documented schema, in the chosen language, atomic."""

from __future__ import annotations

import dataclasses
import json
import os
import re
from pathlib import Path

import pytest

from rempart.core.model import Asset, Audit, Evidence, Finding, Service, Severity
from rempart.core.observations import ALL_OBSERVATIONS, FtpObservation
from rempart.report import ReportError, audit_to_json, write_findings_json
from tests.checks.practice import EXPECTED, NOW
from tests.report.minischema import validate

DOCS = Path(__file__).resolve().parents[2] / "docs"
SCHEMA = json.loads((DOCS / "findings.schema.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_written_file_is_valid_against_the_documented_schema(
    audit: Audit, tmp_path: Path, lang: str
) -> None:
    path = write_findings_json(audit, tmp_path / "out" / "findings.json", lang, generated_at=NOW)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert validate(data, SCHEMA) == []
    assert data["lang"] == lang
    assert data["audit_id"] == "demo-0001"
    assert data["summary"]["total"] == len(EXPECTED) == len(data["findings"])
    assert {(f["check_id"], f["address"], f["port"]) for f in data["findings"]} == EXPECTED


def test_the_validator_rejects_what_the_schema_forbids(audit: Audit) -> None:
    data = audit_to_json(audit, "fr", generated_at=NOW)
    broken = json.loads(json.dumps(data))
    del broken["findings"][0]["severity"]
    broken["assets"][0]["services"][0]["port"] = 70000
    broken["extra"] = 1
    broken["findings"][1]["check_id"] = "lower-case"
    errors = validate(broken, SCHEMA)
    assert any("missing severity" in e for e in errors)
    assert any("above 65535" in e for e in errors)
    assert any("unexpected field extra" in e for e in errors)
    assert any("lower-case" in e for e in errors)


def test_words_follow_the_language_and_facts_do_not(audit: Audit) -> None:
    fr = audit_to_json(audit, "fr", generated_at=NOW)
    en = audit_to_json(audit, "en", generated_at=NOW)
    smb_fr = next(f for f in fr["findings"] if f["check_id"] == "NET-SMB-V1")
    smb_en = next(f for f in en["findings"] if f["check_id"] == "NET-SMB-V1")
    assert "SMBv1" in smb_fr["title"] and smb_fr["title"] != smb_en["title"]
    assert "Activer ou désactiver des fonctionnalités Windows" in smb_fr["remediation"]
    assert "Turn Windows features on or off" in smb_en["remediation"]
    assert smb_fr["evidence"] == smb_en["evidence"]
    assert smb_fr["references"] and smb_fr["who"] == ["it_provider", "assistant"]


def test_findings_are_most_severe_first(audit: Audit) -> None:
    ranks = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}
    order = [ranks[f["severity"]] for f in audit_to_json(audit, "fr", NOW)["findings"]]
    assert order == sorted(order, reverse=True)


def test_observations_carry_their_type(audit: Audit) -> None:
    data = audit_to_json(audit, "en", generated_at=NOW)
    nas = next(a for a in data["assets"] if a["hostname"] == "nas")
    ftp = next(s for s in nas["services"] if s["port"] == 21)
    assert ftp["observations"] == [
        {
            "type": "ftp",
            "banner": "220 NAS FTP server ready.",
            "anonymous_login": True,
            "auth_tls": None,
        }
    ]


def test_schema_and_doc_know_every_observation_type() -> None:
    kinds = {k.kind for k in ALL_OBSERVATIONS}
    assert set(SCHEMA["$defs"]["observation"]["properties"]["type"]["enum"]) == kinds
    doc = (DOCS / "findings-json.md").read_text(encoding="utf-8")
    for kind in ALL_OBSERVATIONS:
        assert f"| `{kind.kind}` |" in doc
        for field in dataclasses.fields(kind):
            assert f"`{field.name}`" in doc, (kind.kind, field.name)


def test_doc_describes_every_schema_field() -> None:
    doc = (DOCS / "findings-json.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`([a-z_]+)`", doc))

    def names(schema: dict) -> set[str]:  # type: ignore[type-arg]
        found = set(schema.get("properties", {}))
        for sub in schema.get("properties", {}).values():
            found |= names(sub)
        for sub in schema.get("$defs", {}).values():
            found |= names(sub)
        return found

    missing = names(SCHEMA) - documented - {"critical", "high", "medium", "low", "info"}
    assert missing == set()


def test_unknown_check_id_keeps_its_facts(audit: Audit) -> None:
    odd = Finding(
        "NET-FROM-THE-FUTURE", Severity.INFO, "127.42.0.1", 80, "tcp", (Evidence("x", "y"),)
    )
    data = audit_to_json(dataclasses.replace(audit, findings=(odd,)), "fr", NOW)
    assert data["findings"][0]["title"] == "NET-FROM-THE-FUTURE"
    assert validate(data, SCHEMA) == []


def test_hostile_strings_stay_valid_json_and_bounded(tmp_path: Path) -> None:
    nasty = "<script>alert(1)</script>\x00\x1b[2J\ud800" + "A" * 20000
    service = Service(
        "127.42.0.9", 21, name="ftp", banner=nasty, observations=(FtpObservation(banner=nasty),)
    )
    audit = Audit(
        "x", NOW, NOW, ("127.42.0.9",), "21", assets=(Asset("127.42.0.9", nasty, None, (service,)),)
    )
    path = write_findings_json(audit, tmp_path / "findings.json", "en", NOW)
    raw = path.read_bytes()
    raw.decode("utf-8")  # strict: the lone surrogate was replaced
    data = json.loads(raw)
    banner = data["assets"][0]["services"][0]["banner"]
    assert banner.startswith("<script>alert(1)</script>\x00")  # kept as data, escaped by readers
    assert "\ufffd" in banner and len(banner) <= 4096
    assert validate(data, SCHEMA) == []


def test_write_is_atomic_and_leaves_the_old_file_on_failure(
    audit: Audit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    path = folder / "findings.json"
    path.write_text("old", encoding="utf-8")

    def refuse(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(ReportError, match="No space left on device"):
        write_findings_json(audit, path, "fr", NOW)
    assert path.read_text(encoding="utf-8") == "old"
    assert os.listdir(folder) == ["findings.json"]  # no temporary file left behind
    monkeypatch.undo()
    write_findings_json(audit, path, "fr", NOW)
    assert json.loads(path.read_text(encoding="utf-8"))["schema_version"] == 1
    assert os.listdir(folder) == ["findings.json"]


def test_unwritable_folder_is_a_readable_error(audit: Audit, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(ReportError, match="Cannot write"):
        write_findings_json(audit, blocker / "findings.json", "fr", NOW)

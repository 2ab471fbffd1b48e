"""One audit for every computer: export this PC's facts, import them where the report is made."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_bad_input import assert_one_clear_line, rempart


def test_exported_facts_are_judged_where_they_are_imported(tmp_path: Path) -> None:
    export = tmp_path / "accueil.json"
    done = rempart("--lang", "en", "audit", "--export", str(export))
    assert done.returncode == 0, done.stderr
    facts = json.loads(export.read_text(encoding="utf-8"))
    facts["hostname"] = "ACCUEIL"
    facts["smb1_enabled"] = True  # as a Windows PC with SMBv1 would report it
    export.write_text(json.dumps(facts), encoding="utf-8")

    out = tmp_path / "report"
    result = rempart(
        "--lang", "en", "audit", "--no-host", "--import", str(export), "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    ids = {(f["check_id"], f.get("address")) for f in doc["findings"]}
    assert ("HOST-WIN-SMB1", "ACCUEIL") in ids


def test_a_malformed_export_is_refused_naming_the_field(tmp_path: Path) -> None:
    export = tmp_path / "bad.json"
    done = rempart("--lang", "en", "audit", "--export", str(export))
    assert done.returncode == 0, done.stderr
    facts = json.loads(export.read_text(encoding="utf-8"))
    facts["smb1_enabled"] = "perhaps"
    export.write_text(json.dumps(facts), encoding="utf-8")
    result = rempart("--lang", "en", "audit", "--no-host", "--import", str(export))
    assert_one_clear_line(result, "smb1_enabled")

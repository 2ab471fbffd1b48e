"""Every check's metadata is complete in both languages, and docs/checks.md is in step."""

from __future__ import annotations

from pathlib import Path

from rempart.checks import all_checks, get_meta
from rempart.checks.base import ID_PATTERN, CheckMeta, Text, check
from rempart.core.model import Severity
from rempart.i18n import SUPPORTED
from rempart.report.catalogue import render_catalogue

REQUIRED_IDS = {
    "NET-SMB-V1",
    "NET-SMB-SIGNING-OFF",
    "NET-RDP-EXPOSED",
    "NET-RDP-NO-NLA",
    "NET-TELNET",
    "NET-FTP-ANONYMOUS",
    "NET-CLEARTEXT-LOGIN",
    "NET-VNC-NO-AUTH",
    "NET-SNMP-DEFAULT-COMMUNITY",
    "NET-DICOM-ANY-AE",
    "NET-DB-EXPOSED",
    "NET-ADMIN-CONSOLE",
    "NET-DEFAULT-CREDENTIALS",
    "NET-TLS-OLD",
    "NET-TLS-CERT-EXPIRED",
    "NET-TLS-CERT-SELF-SIGNED",
    "NET-REMOTE-ACCESS",
    "NET-WINRM",
    "NET-SSH-WEAK-ALGOS",
    "NET-EOL-VERSION",
}

DOC = Path(__file__).resolve().parents[2] / "docs" / "checks.md"


def test_every_required_check_is_registered() -> None:
    ids = [c.meta.id for c in all_checks()]
    assert REQUIRED_IDS <= set(ids)
    assert len(ids) == len(set(ids))


def test_ids_are_stable_upper_case_with_dashes() -> None:
    for registered in all_checks():
        assert ID_PATTERN.match(registered.meta.id), registered.meta.id


def test_metadata_has_no_empty_field_in_either_language() -> None:
    for registered in all_checks():
        meta = registered.meta
        for name in ("title", "risk", "remediation"):
            text: Text = getattr(meta, name)
            for lang in SUPPORTED:
                assert text[lang].strip(), f"{meta.id} {name} {lang}"
            assert text.fr != text.en, f"{meta.id} {name} is not translated"
        assert meta.who and meta.references and meta.categories, meta.id
        for ref in meta.references:
            assert ref.label.strip() and ref.url.startswith("https://"), (meta.id, ref)


def test_every_check_cites_anssi_or_ans() -> None:
    for registered in all_checks():
        labels = " ".join(r.label for r in registered.meta.references)
        assert "ANSSI" in labels or "ANS," in labels, registered.meta.id


def test_a_duplicate_or_malformed_id_is_refused() -> None:
    meta = get_meta("NET-TELNET")
    assert meta is not None
    try:
        check(meta)(lambda service, ctx: None)
    except ValueError as exc:
        assert "duplicate" in str(exc)
    else:
        raise AssertionError("a duplicate ID was accepted")
    bad = CheckMeta(
        id="net-lower",
        severity=Severity.LOW,
        title=meta.title,
        risk=meta.risk,
        remediation=meta.remediation,
        who=meta.who,
        references=meta.references,
    )
    try:
        check(bad)
    except ValueError as exc:
        assert "does not match" in str(exc)
    else:
        raise AssertionError("a malformed ID was accepted")


def test_empty_english_text_is_refused() -> None:
    meta = get_meta("NET-TELNET")
    assert meta is not None
    hollow = CheckMeta(
        id="NET-HOLLOW",
        severity=Severity.LOW,
        title=Text(fr="Titre", en=" "),
        risk=meta.risk,
        remediation=meta.remediation,
        who=meta.who,
        references=meta.references,
    )
    try:
        check(hollow)
    except ValueError as exc:
        assert "empty title in en" in str(exc)
    else:
        raise AssertionError("an empty English title was accepted")
    assert get_meta("NET-HOLLOW") is None


def test_unknown_id_has_no_metadata() -> None:
    assert get_meta("NET-DOES-NOT-EXIST") is None


def test_catalogue_doc_is_in_step_with_the_code() -> None:
    expected = render_catalogue()
    assert DOC.read_text(encoding="utf-8") == expected, (
        "docs/checks.md is stale: run `uv run python -m rempart.report.catalogue`"
    )


def test_catalogue_lists_every_check_with_its_severity() -> None:
    text = render_catalogue()
    for registered in all_checks():
        assert f"`{registered.meta.id}`" in text
        assert registered.meta.remediation.fr.split(" ")[0] in text

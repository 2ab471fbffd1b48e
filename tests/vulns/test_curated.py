"""The curated base: complete, bilingual, sourced, in step with CISA KEV and NVD, and strict
about what it loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rempart.core.errors import DataError
from rempart.vulns.curated import builtin_curated, load_curated, parse_files
from tests.support import shared_data

CURATED_DIR = Path(__file__).resolve().parents[2] / "src" / "rempart" / "vulns" / "curated"


def _kev() -> dict[str, bool]:
    """CVE ID → known ransomware use, from the KEV snapshot."""
    doc = json.loads(shared_data("kev-2025-08-25.json").read_text(encoding="utf-8"))
    return {
        v["cveID"]: v.get("knownRansomwareCampaignUse") == "Known" for v in doc["vulnerabilities"]
    }


def test_base_holds_at_least_sixty_distinct_cves() -> None:
    base = builtin_curated()
    ids = [c.id for c in base.cves]
    assert len(ids) >= 60
    assert len(ids) == len(set(ids))


def test_base_covers_every_product_family_practices_run() -> None:
    base = builtin_curated()
    keys = {r.product for c in base.cves for r in c.affected}
    protocol = {c.id for c in base.cves if c.match in ("smb1", "windows-os")}
    assert {"CVE-2017-0143", "CVE-2017-0144", "CVE-2019-0708"} <= protocol  # SMB, RDP
    for key in (
        "qnap:qts",
        "qnap:photo_station",
        "qnap:hybrid_backup_sync",
        "synology:diskstation_manager",
        "fortinet:fortios",
        "sonicwall:sma_100_firmware",
        "openbsd:openssh",
        "vsftpd_project:vsftpd",
        "apache:http_server",
        "f5:nginx",
        "microsoft:internet_information_services",
        "teamviewer:teamviewer",
        "anydesk:anydesk",
        "connectwise:screenconnect",
        "simple-help:simplehelp",
        "microsoft:sql_server",
        "draytek:vigor_firmware",
        "mikrotik:routeros",
    ):
        assert key in keys, key
    assert any(c.vendor == "HP" for c in base.cves)  # printers


def test_every_entry_speaks_both_languages_and_is_translated() -> None:
    for cve in builtin_curated().cves:
        for words in (cve.explanation, cve.remediation, cve.fixed):
            assert words.fr.strip() and words.en.strip(), cve.id
            assert words.fr != words.en, f"{cve.id} is not translated"
        for rng in cve.affected:
            if rng.inferred is not None:
                assert rng.inferred.fr != rng.inferred.en, cve.id


def test_every_entry_cites_its_nvd_page() -> None:
    for cve in builtin_curated().cves:
        assert f"https://nvd.nist.gov/vuln/detail/{cve.id}" in cve.sources, cve.id
        assert all(s.startswith("https://") for s in cve.sources)


def test_kev_and_ransomware_flags_agree_with_the_kev_snapshot() -> None:
    kev = _kev()
    wrong = [
        (c.id, c.kev, c.ransomware)
        for c in builtin_curated().cves
        if c.kev != (c.id in kev) or c.ransomware != kev.get(c.id, False)
    ]
    assert wrong == []


def test_cvss_agrees_with_the_nvd_records_we_hold() -> None:
    checked = 0
    for cve in builtin_curated().cves:
        path = shared_data("nvd", "records") / f"{cve.id}.json"
        if not path.is_file():
            continue
        metrics = json.loads(path.read_text(encoding="utf-8")).get("metrics", {})
        scores = {
            m["cvssData"]["baseScore"]
            for key in ("cvssMetricV31", "cvssMetricV30")
            for m in metrics.get(key, [])
        }
        assert cve.cvss in scores, (cve.id, cve.cvss, scores)
        checked += 1
    assert checked >= 15


def test_the_qlocker_and_deadbolt_flaws_reach_the_qts_firmware() -> None:
    base = builtin_curated()
    for cve_id in ("CVE-2021-28799", "CVE-2022-27593"):
        cve = base.get(cve_id)
        assert cve is not None and cve.ransomware
        on_firmware = [r for r in cve.affected if r.product == "qnap:qts"]
        assert on_firmware and all(r.inferred is not None for r in on_firmware)


def test_a_copy_of_the_shipped_files_loads_the_same(tmp_path: Path) -> None:
    for path in CURATED_DIR.glob("*.toml"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    assert load_curated(tmp_path) == builtin_curated()


_PRODUCTS = '[[product]]\nkey = "openbsd:openssh"\nname = "OpenSSH"\naliases = ["OpenSSH"]\n'
_GOOD = """
[[cve]]
id = "CVE-2018-15473"
vendor = "OpenBSD"
product = "OpenSSH"
cvss = 5.3
kev = false
ransomware = false
sources = ["https://nvd.nist.gov/vuln/detail/CVE-2018-15473"]
explanation = { fr = "Les noms d'utilisateur se devinent.", en = "User names can be guessed." }
remediation = { fr = "Mettre à jour.", en = "Update." }
fixed = { fr = "7.8 ou plus récent", en = "7.8 or later" }
[[cve.affected]]
product = "openbsd:openssh"
end_excluding = "7.8"
"""


def test_a_minimal_base_parses() -> None:
    base = parse_files({"products.toml": _PRODUCTS, "ssh.toml": _GOOD})
    assert [c.id for c in base.cves] == ["CVE-2018-15473"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('id = "CVE-2018-15473"', 'id = "CVE-18-1"'), "is not a CVE ID"),
        (('en = "User names can be guessed." ', 'en = "" '), "needs non-empty fr and en"),
        (('product = "openbsd:openssh"', 'product = "openbsd:openssl"'), "not in products.toml"),
        (("ransomware = false", "ransomware = true"), "kev must be true"),
        (('sources = ["https://', 'sources = ["http://'), "sources must be https://"),
        (("cvss = 5.3", "cvss = 15"), "cvss must be a number from 0 to 10"),
        (('end_excluding = "7.8"', ""), "at least one bound"),
        (("kev = false", 'kev = "no"'), "kev must be true or false"),
        (("[[cve.affected]]", "[[cve.affected"), "not valid TOML"),
    ],
)
def test_a_wrong_entry_is_one_clear_error_naming_file_and_cve(
    change: tuple[str, str], message: str
) -> None:
    bad = _GOOD.replace(*change)
    assert bad != _GOOD
    with pytest.raises(DataError, match=message) as caught:
        parse_files({"products.toml": _PRODUCTS, "ssh.toml": bad})
    assert str(caught.value).startswith("ssh.toml")


def test_a_cve_listed_twice_is_refused() -> None:
    with pytest.raises(DataError, match="already in the curated base"):
        parse_files({"products.toml": _PRODUCTS, "a.toml": _GOOD, "b.toml": _GOOD})


def test_missing_products_file_is_refused() -> None:
    with pytest.raises(DataError, match=r"products\.toml is missing"):
        parse_files({"ssh.toml": _GOOD})


def test_unreadable_files_are_clear_errors(tmp_path: Path) -> None:
    (tmp_path / "products.toml").write_text(_PRODUCTS, encoding="utf-8")
    (tmp_path / "ssh.toml").write_bytes(b"\xff\xfe garbage")
    with pytest.raises(DataError, match="not UTF-8"):
        load_curated(tmp_path)
    (tmp_path / "ssh.toml").write_bytes(b"#" * (3 * 1024 * 1024))
    with pytest.raises(DataError, match="larger than"):
        load_curated(tmp_path)

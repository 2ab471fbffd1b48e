"""Rempart's own rules (``rules/*.xml``): every example passes, and what the practice meets
(SQL Server, DICOM toolkits, AnyDesk, WinRM's HTTPAPI) is named with version and CPE."""

from __future__ import annotations

from importlib import resources

import pynetdicom
import pytest

from rempart.discover.fingerprints import FingerprintDB, load_own_rules, parse_file, verify_example
from tests.support import shared_data


@pytest.fixture(scope="module")
def own_only() -> FingerprintDB:
    return FingerprintDB(own=load_own_rules())


def test_every_example_of_our_own_rules_passes() -> None:
    files = load_own_rules()
    results = [
        (file.name, fp.description, verify_example(fp, example))
        for file in files
        for fp in file.fingerprints
        for example in fp.examples
    ]
    failures = [r for r in results if r[2] is not None]
    assert len(results) >= 40
    assert failures == []


def test_every_fingerprint_of_our_own_rules_has_an_example() -> None:
    for file in load_own_rules():
        for fp in file.fingerprints:
            assert fp.examples, f"{file.name}: {fp.description} has no example"


def test_each_rule_file_says_where_its_examples_come_from() -> None:
    folder = resources.files("rempart.discover.fingerprints").joinpath("rules")
    xml_files = [e for e in folder.iterdir() if e.name.endswith(".xml")]
    assert len(xml_files) >= 4
    for entry in xml_files:
        text = entry.read_text(encoding="utf-8")
        assert "<!--" in text and "Where the example" in text, entry.name


@pytest.mark.parametrize(
    ("version", "description", "cpe"),
    [
        ("11.0.7001", "Microsoft SQL Server 2012 SP4", "cpe:/a:microsoft:sql_server:2012:sp4"),
        ("11.0.2100", "Microsoft SQL Server 2012", "cpe:/a:microsoft:sql_server:2012"),
        ("12.0.6024", "Microsoft SQL Server 2014 SP3", "cpe:/a:microsoft:sql_server:2014:sp3"),
        ("13.0.5026", "Microsoft SQL Server 2016 SP2", "cpe:/a:microsoft:sql_server:2016:sp2"),
        ("14.0.3456.2", "Microsoft SQL Server 2017", "cpe:/a:microsoft:sql_server:2017"),
        ("15.0.2000", "Microsoft SQL Server 2019", "cpe:/a:microsoft:sql_server:2019"),
        ("16.0.1000", "Microsoft SQL Server 2022", "cpe:/a:microsoft:sql_server:2022"),
        (
            "10.50.6000",
            "Microsoft SQL Server 2008 R2 SP3",
            "cpe:/a:microsoft:sql_server:2008_r2:sp3",
        ),
    ],
)
def test_sql_server_tds_version_gives_release_service_pack_and_cpe(
    own_only: FingerprintDB, version: str, description: str, cpe: str
) -> None:
    found = own_only.match("mssql.version", version)
    assert found is not None
    assert found.description == description
    assert (found.vendor, found.product) == ("Microsoft", "SQL Server")
    assert found.version == ".".join(version.split(".")[:3])
    assert found.cpe == cpe
    assert found.source == "rempart"


def test_unknown_sql_server_versions_are_not_guessed(own_only: FingerprintDB) -> None:
    assert own_only.match("mssql.version", "17.0.100") is None
    assert own_only.match("mssql.version", "11.0") is None
    assert own_only.match("mssql.version", "banner 11.0.7001") is None


def test_dicom_implementation_version_names(own_only: FingerprintDB) -> None:
    dcmtk = own_only.match("dicom.implementation_version", "OFFIS_DCMTK_368")
    assert dcmtk is not None
    assert (dcmtk.product, dcmtk.version, dcmtk.cpe) == (
        "DCMTK",
        "3.6.8",
        "cpe:/a:offis:dcmtk:3.6.8",
    )
    ours = own_only.match("dicom.implementation_version", "PYNETDICOM_304")
    assert ours is not None and (ours.product, ours.version) == ("pynetdicom", "3.0.4")
    dcm4che = own_only.match("dicom.implementation_version", "dcm4che-5.31.0")
    assert dcm4che is not None and dcm4che.version == "5.31.0"
    assert own_only.match("dicom.implementation_version", "SOMETHING_ELSE") is None


def test_the_installed_pynetdicom_is_recognised_from_its_own_constant(
    own_only: FingerprintDB,
) -> None:
    # The lab's DICOM host runs pynetdicom: the name it really sends must be understood.
    found = own_only.match(
        "dicom.implementation_version", pynetdicom.PYNETDICOM_IMPLEMENTATION_VERSION
    )
    assert found is not None and found.product == "pynetdicom"
    assert found.version == ".".join(pynetdicom.__version__.split(".")[:3])


def test_anydesk_certificate_subject(own_only: FingerprintDB) -> None:
    found = own_only.match("x509.subject", "CN=AnyDesk Client")
    assert found is not None and found.product == "AnyDesk"
    assert own_only.match("x509.subject", "CN=AnyDesk Client Fake,O=Other") is None


def test_winrm_httpapi_server_header(own_only: FingerprintDB) -> None:
    found = own_only.match("http_header.server", "Microsoft-HTTPAPI/2.0")
    assert found is not None
    assert (found.vendor, found.product, found.version) == ("Microsoft", "HTTPAPI", "2.0")
    assert found.params["os.product"] == "Windows"


def test_our_rules_do_not_copy_recog_patterns() -> None:
    recog_patterns = {
        fp.pattern
        for path in shared_data("recog").glob("*.xml")
        for fp in parse_file(path).fingerprints
    }
    ours = {fp.pattern for file in load_own_rules() for fp in file.fingerprints}
    assert ours.isdisjoint(recog_patterns)

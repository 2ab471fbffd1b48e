"""FingerprintDB: what the service identification gets back for real banners, the order of
sources, Recog's param semantics, and hostile or malformed input."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest
from defusedxml import ElementTree as SafeET

from rempart.core.errors import DataError
from rempart.discover.fingerprints import (
    MAX_MATCH_BREAKS,
    MAX_MATCH_CHARS,
    FingerprintDB,
    FingerprintMatch,
    load_fingerprints,
    load_own_rules,
    parse_file,
    parse_xml,
    verify_example,
)
from rempart.discover.fingerprints.db import default_recog_dir
from tests.support import shared_data

PROBE_FILES = (
    "ssh_banners.xml",
    "ftp_banners.xml",
    "telnet_banners.xml",
    "http_servers.xml",
    "snmp_sysdescr.xml",
    "x509_subjects.xml",
)


@pytest.fixture(scope="module")
def db() -> FingerprintDB:
    return load_fingerprints(shared_data("recog"))


def write(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(body, encoding="utf-8")
    return path


def fingerprints_xml(database: str, *fingerprints: str, protocol: str = "test") -> str:
    inner = "\n".join(fingerprints)
    return (
        f'<?xml version="1.0"?>\n<fingerprints matches="{database}" protocol="{protocol}">'
        f"\n{inner}\n</fingerprints>\n"
    )


def test_raw_ssh_identification_gives_openssh_version_and_cpe(db: FingerprintDB) -> None:
    # The lab's NAS sends exactly this line (docs/lab-practice.md).
    found = db.match("ssh.banner", "SSH-2.0-OpenSSH_7.4\r\n")
    assert found is not None
    assert (found.product, found.version) == ("OpenSSH", "7.4")
    assert found.cpe == "cpe:/a:openbsd:openssh:7.4"
    assert found.source == "recog:ssh_banners.xml"


def test_debian_openssh_banner_gives_the_os_too(db: FingerprintDB) -> None:
    found = db.match("ssh.banner", "SSH-2.0-OpenSSH_7.4p1 Debian-10+deb9u7")
    assert found is not None
    assert (found.product, found.version) == ("OpenSSH", "7.4p1")
    assert found.params["os.family"] == "Linux"


def test_ftp_greeting_with_reply_code(db: FingerprintDB) -> None:
    found = db.match("ftp.banner", "220 (vsFTPd 3.0.3)\r\n")
    assert found is not None and (found.product, found.version) == ("vsFTPd", "3.0.3")


def test_telnet_database_is_reachable_under_its_usual_name(db: FingerprintDB) -> None:
    # telnet_banners.xml has no "matches" attribute: Recog names it after the file.
    assert db.fingerprints("telnet.banner")
    assert db.fingerprints("telnet.banner") == db.fingerprints("telnet_banners")


def test_jetdirect_sysdescr_is_a_print_server(db: FingerprintDB) -> None:
    found = db.match(
        "snmp.sys_description",
        "HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD153,EEPROM JSI23700",
    )
    assert found is not None
    assert found.vendor == "HP" and found.device_type == "Print Server"


def test_own_rules_are_tried_before_recog(db: FingerprintDB) -> None:
    found = db.match("http_header.server", "Microsoft-HTTPAPI/2.0")
    assert found is not None and found.source == "rempart" and found.product == "HTTPAPI"
    # A header our rules do not know still reaches Recog.
    apache = db.match("http_header.server", "Apache/2.4.57 (Debian)")
    assert apache is not None and apache.source == "recog:http_servers.xml"
    assert (apache.product, apache.version) == ("HTTPD", "2.4.57")


def test_identify_tries_databases_in_order(db: FingerprintDB) -> None:
    found = db.identify(
        {"http_header.server": "unknown-server", "x509.subject": "CN=AnyDesk Client"}
    )
    assert found is not None and found.product == "AnyDesk"
    assert db.identify({"ssh.banner": "", "ftp.banner": "no idea"}) is None


def test_unknown_text_and_unknown_database_give_none(db: FingerprintDB) -> None:
    assert db.match("ssh.banner", "SSH-2.0-Totally-Unknown-Thing") is None
    assert db.match("no.such.database", "OpenSSH_7.4") is None
    assert db.match("ssh.banner", "") is None


def test_huge_text_is_bounded_and_still_recognised(db: FingerprintDB) -> None:
    text = "SSH-2.0-OpenSSH_7.4" + "\n" + "A" * (5 * 1024 * 1024)
    found = db.match("ssh.banner", text)
    assert found is not None and found.version == "7.4"
    # Pathological input for backtracking patterns: bounded, so it returns.
    assert db.match("http_header.server", " " * (2 * 1024 * 1024)) is None
    # A telnet pattern is cubic in line breaks: 4 KB of CRLF took 21 s before bounding.
    assert db.match("telnet.banner", "\r\n" * (1024 * 1024)) is None
    assert db.match("telnet.banner", "\r" * (1024 * 1024)) is None


def test_only_the_start_of_a_text_is_read() -> None:
    xml = fingerprints_xml(
        "t.db",
        '<fingerprint pattern="MARK"><description>d</description>'
        '<param pos="0" name="service.product" value="P"/></fingerprint>',
    )
    file = parse_xml(xml.encode(), "t.xml")
    fp = file.fingerprints[0]
    assert fp.match("x" * (MAX_MATCH_CHARS - 4) + "MARK") is not None
    assert fp.match("x" * MAX_MATCH_CHARS + "MARK") is None
    assert fp.match("\n" * MAX_MATCH_BREAKS + "MARK") is not None
    assert fp.match("\n" * (MAX_MATCH_BREAKS + 1) + "MARK") is None


def test_cpe_interpolation_and_missing_version_becomes_dash() -> None:
    xml = fingerprints_xml(
        "t.db",
        '<fingerprint pattern="^Acme(?: v([\\d.]+))?$"><description>Acme</description>'
        '<example service.version="1.2" service.cpe23="cpe:/a:acme:server:1.2">Acme v1.2</example>'
        '<example service.cpe23="cpe:/a:acme:server:-">Acme</example>'
        '<param pos="0" name="service.product" value="Acme"/>'
        '<param pos="1" name="service.version"/>'
        '<param pos="0" name="service.cpe23" value="cpe:/a:acme:server:{service.version}"/>'
        "</fingerprint>",
    )
    file = parse_xml(xml.encode(), "t.xml")
    fp = file.fingerprints[0]
    assert [verify_example(fp, e) for e in fp.examples] == [None, None]
    found = FingerprintDB(own=[file]).match("t.db", "Acme")
    assert found is not None and found.version is None and found.cpe == "cpe:/a:acme:server:-"
    assert found.params["service.protocol"] == "test"  # the file's protocol, as Recog does


def test_example_with_a_wrong_expectation_fails_with_a_reason() -> None:
    xml = fingerprints_xml(
        "t.db",
        '<fingerprint pattern="^Acme ([\\d.]+)$"><description>Acme</description>'
        '<example service.version="9.9">Acme 1.2</example>'
        '<example service.version="1.2">Other 1.2</example>'
        '<param pos="1" name="service.version"/></fingerprint>',
    )
    fp = parse_xml(xml.encode(), "t.xml").fingerprints[0]
    wrong_value, no_match = (verify_example(fp, e) for e in fp.examples)
    assert wrong_value is not None and "9.9" in wrong_value and "1.2" in wrong_value
    assert no_match is not None and "no match" in no_match


def test_base64_and_file_examples(tmp_path: Path) -> None:
    binary = b"\xff\xfeAcme 2.0\x00"
    encoded = base64.b64encode(binary).decode()
    body = fingerprints_xml(
        "t.db",
        '<fingerprint pattern="Acme ([\\d.]+)"><description>Acme</description>'
        f'<example _encoding="base64" service.version="2.0">{encoded}</example>'
        '<example _filename="acme.bin" service.version="3.1"/>'
        '<example _filename="missing.bin" service.version="0"/>'
        '<param pos="1" name="service.version"/></fingerprint>',
    )
    path = write(tmp_path, "acme.xml", body)
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "acme.bin").write_bytes(b"\x00\x01Acme 3.1\r\n")
    file = parse_file(path)
    fp = file.fingerprints[0]
    assert len(fp.examples) == 2  # the missing file is skipped, and said so
    assert file.skipped_examples
    assert [verify_example(fp, e) for e in fp.examples] == [None, None]


def test_example_file_outside_its_folder_is_refused(tmp_path: Path) -> None:
    body = fingerprints_xml(
        "t.db",
        '<fingerprint pattern="x"><description>d</description>'
        '<example _filename="../secret"/><param pos="0" name="a" value="b"/></fingerprint>',
    )
    path = write(tmp_path, "evil.xml", body)
    (tmp_path / "evil").mkdir()
    (tmp_path / "secret").write_text("x")
    with pytest.raises(DataError, match="outside"):
        parse_file(path)


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ("<fingerprints><fingerprint pattern='x'>", "not well-formed"),
        ("<other/>", "not a Recog"),
        ("<fingerprints/>", "no <fingerprint>"),
        (
            '<!DOCTYPE f [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            "<fingerprints><fingerprint pattern='&b;'/></fingerprints>",
            "refused",
        ),
        (
            "<fingerprints><fingerprint pattern='x'><param pos='one' name='a'/>"
            "</fingerprint></fingerprints>",
            "integer pos",
        ),
    ],
)
def test_malformed_files_raise_data_error_naming_the_file(body: str, why: str) -> None:
    with pytest.raises(DataError, match=why) as caught:
        parse_xml(body.encode(), "broken_banners.xml")
    assert "broken_banners.xml" in str(caught.value)


def test_loader_skips_a_malformed_recog_file_with_a_warning(tmp_path: Path) -> None:
    recog = tmp_path / "recog"
    recog.mkdir()
    for name in PROBE_FILES:
        shutil.copyfile(shared_data("recog", name), recog / name)
    write(recog, "broken_banners.xml", "<fingerprints matches='ssh.banner'><fingerprint")
    write(recog, "other.xml", fingerprints_xml("ftp.banner", "<fingerprint pattern='x'>"))
    loaded = load_fingerprints(recog)
    found = loaded.match("ssh.banner", "SSH-2.0-OpenSSH_7.4")
    assert found is not None and found.version == "7.4"
    assert loaded.match("ftp.banner", "220 (vsFTPd 3.0.3)") is not None
    warnings = " ".join(loaded.warnings)
    assert "broken_banners.xml" in warnings and "other.xml" in warnings


def test_untranslatable_pattern_skips_only_its_fingerprint() -> None:
    xml = fingerprints_xml(
        "t.db",
        '<fingerprint pattern="\\Gbad"><description>bad</description>'
        '<param pos="0" name="service.product" value="Bad"/></fingerprint>',
        '<fingerprint pattern="good"><description>good</description>'
        '<param pos="0" name="service.product" value="Good"/></fingerprint>',
    )
    loaded = FingerprintDB(own=[parse_xml(xml.encode(), "t.xml")])
    found = loaded.match("t.db", "good bad")
    assert found is not None and found.product == "Good"
    assert any("bad" in w for w in loaded.warnings)


def test_without_recog_only_our_rules_are_used_and_the_user_is_told() -> None:
    loaded = load_fingerprints()
    assert not default_recog_dir().exists()
    assert loaded.match("ssh.banner", "SSH-2.0-OpenSSH_7.4") is None
    assert loaded.match("mssql.version", "11.0.7001") is not None
    assert "import-fingerprints" in loaded.warnings[0]
    stats = loaded.stats()
    assert stats.recog_files == 0 and stats.own_files == len(load_own_rules())


def test_default_folder_is_the_imported_one() -> None:
    target = default_recog_dir()
    target.mkdir(parents=True)
    shutil.copyfile(shared_data("recog", "ssh_banners.xml"), target / "ssh_banners.xml")
    loaded = load_fingerprints()
    assert loaded.match("ssh.banner", "OpenSSH_7.4") is not None
    assert loaded.stats().recog_files == 1 and loaded.warnings == ()


def test_match_properties_never_mix_product_and_version_of_different_things() -> None:
    found = FingerprintMatch(
        description="d",
        params={
            "os.product": "Windows",
            "os.version": "10",
            "hw.device": "PC",
            "service.version": "1",
        },
    )
    assert (found.product, found.version, found.device_type) == ("Windows", "10", "PC")
    assert found.label == "Windows"
    iis = FingerprintMatch(
        description="d", params={"service.vendor": "Microsoft", "service.product": "IIS"}
    )
    assert iis.label == "Microsoft IIS"
    samba = FingerprintMatch(
        description="d", params={"service.vendor": "Samba", "service.product": "Samba"}
    )
    assert samba.label == "Samba"
    empty = FingerprintMatch(description="d")
    assert (empty.product, empty.vendor, empty.version, empty.cpe, empty.label) == (None,) * 5


def test_example_text_keeps_entities_and_literal_newlines() -> None:
    xml = fingerprints_xml(
        "t.db",
        '<fingerprint pattern="^Box &amp; co\\r\\n(\\w+) login:$"><description>d</description>'
        '<example hw.model="X1">Box &amp; co&#13;&#10;X1 login:</example>'
        '<example hw.model="X2">Box &amp; co&#13;\nX2 login:</example>'
        '<param pos="1" name="hw.model"/></fingerprint>',
    )
    fp = parse_xml(xml.encode(), "t.xml").fingerprints[0]
    assert [e.text for e in fp.examples] == ["Box & co\r\nX1 login:", "Box & co\r\nX2 login:"]
    assert [verify_example(fp, e) for e in fp.examples] == [None, None]


def test_an_error_in_a_fingerprint_names_the_file() -> None:
    xml = fingerprints_xml(
        "t.db", "<fingerprint><description>no pattern</description></fingerprint>"
    )
    with pytest.raises(DataError, match=r"own_rules\.xml"):
        parse_xml(xml.encode(), "own_rules.xml", source="rempart")


def test_bytes_as_received_are_accepted(db: FingerprintDB) -> None:
    # Telnet banners start with IAC negotiation bytes that are not UTF-8.
    found = db.match("ssh.banner", b"SSH-2.0-OpenSSH_7.4\r\n")
    assert found is not None and found.version == "7.4"
    assert db.match("ftp.banner", b"\xff\xfe" * 10_000_000) is None


def test_binary_telnet_examples_are_recognised_from_their_raw_bytes(db: FingerprintDB) -> None:
    # Recog's base64 examples are the bytes a telnet server sent, IAC negotiation included:
    # handed over as bytes, most are recognised with the params the example expects.
    root = SafeET.parse(shared_data("recog", "telnet_banners.xml")).getroot()
    samples = [
        (base64.b64decode(e.text or ""), {k: v for k, v in e.attrib.items() if k[0] != "_"})
        for e in root.iter("example")
        if e.get("_encoding") == "base64"
    ]
    assert len(samples) > 100
    assert any(not raw.isascii() for raw, _ in samples)
    recognised = 0
    for raw, expected in samples:
        found = db.match("telnet.banner", raw)
        if found is not None and all(found.params.get(k) == v for k, v in expected.items()):
            recognised += 1
    assert recognised / len(samples) >= 0.95


@pytest.mark.parametrize(
    ("database", "text", "label", "version"),
    [
        # What the demo practice's hosts say (docs/lab-practice.md).
        ("ssh.banner", "SSH-2.0-OpenSSH_7.4", "OpenBSD OpenSSH", "7.4"),
        ("http_header.server", "Microsoft-HTTPAPI/2.0", "Microsoft HTTPAPI", "2.0"),
        ("mssql.version", "11.0.7001", "Microsoft SQL Server", "11.0.7001"),
        (
            "snmp.sys_description",
            "HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD153,EEPROM JSI23500027,"
            "CIDATE 10/15/2020",
            "HP JD153",
            "none",
        ),
        ("ftp.banner", "220 NAS FTP server ready.\r\n", None, None),
        ("telnet.banner", "Livebox login: ", None, None),
    ],
)
def test_demo_practice_banners(
    db: FingerprintDB, database: str, text: str, label: str | None, version: str | None
) -> None:
    found = db.match(database, text)
    if label is None:
        # A generic banner is not claimed to be a product (Recog may still match it with a
        # "generic" fingerprint that only extracts the host name).
        assert found is None or (found.label, found.version) == (None, None)
    else:
        assert found is not None and (found.label, found.version) == (label, version)

"""CPE names: 2.3 formatted strings (NVD) and 2.2 URIs (Recog), and which versions a match
row covers."""

from __future__ import annotations

import pytest

from rempart import i18n
from rempart.core.errors import DataError
from rempart.vulns.feeds.cpe import Cpe, cpe_match_applies, parse
from rempart.vulns.store import CpeMatchRow


@pytest.fixture(autouse=True)
def english() -> None:
    """Messages are asserted in English (the msgids); French is the catalogue's business."""
    i18n.set_language("en")


def test_cpe23_fields_are_split_and_unescaped() -> None:
    cpe = parse("cpe:2.3:a:openbsd:openssh:8.5:p1:*:*:*:*:*:*")
    assert (cpe.part, cpe.vendor, cpe.product, cpe.version, cpe.update) == (
        "a",
        "openbsd",
        "openssh",
        "8.5",
        "p1",
    )
    escaped = parse(r"cpe:2.3:a:simple-help:simple\:help:5.5\.7:*:*:*:*:*:*:*")
    assert escaped.product == "simple:help"
    assert escaped.version == "5.5.7"


def test_cpe23_keeps_any_and_not_applicable_apart_from_literals() -> None:
    cpe = parse(r"cpe:2.3:o:microsoft:windows_10:-:*:*:*:*:*:x64:\-")
    assert cpe.version == "-"
    assert cpe.update == "*"
    assert cpe.target_hw == "x64"


def test_cpe22_uri_from_recog_gives_the_same_vendor_product_version() -> None:
    cpe = parse("cpe:/a:openbsd:openssh:7.4")
    assert cpe == Cpe("a", "openbsd", "openssh", "7.4")
    assert parse("cpe:/a:Apache:HTTP_Server:2.4.49").product == "http_server"
    assert parse("cpe:/o:microsoft:windows_7::sp1").update == "sp1"
    assert parse("cpe:/a:foo%21:bar").vendor == "foo!"
    packed = parse("cpe:/a:vendor:product:1.0:beta:~~pro~windows~x64~")
    assert (packed.sw_edition, packed.target_sw, packed.target_hw) == ("pro", "windows", "x64")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "openssh 7.4",
        "cpe:2.3:a:openbsd:openssh",  # too few fields
        "cpe:2.3:x:openbsd:openssh:1:*:*:*:*:*:*:*",  # unknown part
        "cpe:/z:vendor:product",  # unknown part in a URI
        "cpe:/a:" + "x:" * 10,
        "cpe:2.3:a:" + "v" * 5000 + ":p:*:*:*:*:*:*:*:*",
    ],
)
def test_malformed_cpe_is_refused_with_a_data_error(text: str) -> None:
    with pytest.raises(DataError, match="CPE"):
        parse(text)


def _row(criteria: str, **bounds: str | None) -> CpeMatchRow:
    cpe = parse(criteria)
    return CpeMatchRow(
        cve_id="CVE-2000-0001",
        criteria=criteria,
        version=cpe.version,
        vulnerable=bool(bounds.pop("vulnerable", True)),
        vendor=cpe.vendor,
        product=cpe.product,
        update=cpe.update,
        **bounds,
    )


def test_exact_version_row_matches_only_that_version() -> None:
    row = _row("cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*")
    assert cpe_match_applies(row, "2.4.49")
    assert not cpe_match_applies(row, "2.4.50")
    assert not cpe_match_applies(row, "")


def test_update_field_is_part_of_the_version() -> None:
    row = _row("cpe:2.3:a:openbsd:openssh:8.5:p1:*:*:*:*:*:*")
    assert cpe_match_applies(row, "8.5p1")
    assert not cpe_match_applies(row, "8.5p2")


def test_any_version_row_matches_every_version_and_na_only_unknown() -> None:
    assert cpe_match_applies(_row("cpe:2.3:a:v:p:*:*:*:*:*:*:*:*"), "1.2")
    assert not cpe_match_applies(_row("cpe:2.3:a:v:p:-:*:*:*:*:*:*:*"), "1.2")
    assert cpe_match_applies(_row("cpe:2.3:a:v:p:-:*:*:*:*:*:*:*"), "")


def test_ranges_respect_including_and_excluding_bounds() -> None:
    row = _row(
        "cpe:2.3:a:openbsd:openssh:*:*:*:*:*:*:*:*",
        version_start_including="8.6",
        version_end_excluding="9.8",
    )
    assert cpe_match_applies(row, "8.6")
    assert cpe_match_applies(row, "9.2p1")
    assert not cpe_match_applies(row, "9.8")
    assert not cpe_match_applies(row, "8.5")
    assert not cpe_match_applies(row, "")  # an unknown version is no evidence
    through = _row("cpe:2.3:a:o:p:*:*:*:*:*:*:*:*", version_end_including="7.7")
    assert cpe_match_applies(through, "7.7")
    assert not cpe_match_applies(through, "7.8")
    after = _row("cpe:2.3:a:o:p:*:*:*:*:*:*:*:*", version_start_excluding="2.0")
    assert not cpe_match_applies(after, "2.0")
    assert cpe_match_applies(after, "2.0.1")


def test_a_platform_row_that_is_not_vulnerable_never_applies() -> None:
    row = _row("cpe:2.3:o:qnap:qts:4.5.2:*:*:*:*:*:*:*", vulnerable=None)
    assert not cpe_match_applies(row, "4.5.2")


def test_range_on_a_criteria_with_an_update_includes_that_update() -> None:
    # NVD writes "OpenSSH through 7.2p2" as openssh:*:p2 with versionEndIncluding 7.2.
    row = _row("cpe:2.3:a:openbsd:openssh:*:p2:*:*:*:*:*:*", version_end_including="7.2")
    assert cpe_match_applies(row, "7.2p2")
    assert cpe_match_applies(row, "6.6")
    assert not cpe_match_applies(row, "7.3")

"""Port lists: the dental-aware default and the port specs a user types."""

from __future__ import annotations

import pytest

from rempart.core.errors import UsageError
from rempart.discover.ports import (
    ALL_TCP_PORTS,
    DEFAULT_TCP_PORTS,
    DEFAULT_UDP_PORTS,
    PRACTICE_PORTS,
    parse_ports,
)

# What the issue asks the default list to cover (practice software, imaging, remote support).
PRACTICE_MUST_HAVE = {
    21, 22, 23, 25, 80, 104, 110, 135, 139, 143, 389, 443, 445, 1433, 1521, 2638, 3050, 3306,
    3389, 4899, 4900, 5000, 5001, 5432, 5631, 5800, 5900, 5901, 5902, 5903, 5938, 5985, 5986,
    6568, 7070, 8000, 8040, 8041, 8080, 8443, 8888, 11112, 19812, 19813, 19814, 21118,
}  # fmt: skip
NMAP_TOP_SAMPLE = {7, 53, 111, 548, 631, 1723, 2049, 3128, 5060, 5357, 9100, 10000, 49152, 49157}


def test_default_list_covers_the_practice_ports_and_nmaps_top_ports() -> None:
    assert PRACTICE_MUST_HAVE <= set(DEFAULT_TCP_PORTS)
    assert NMAP_TOP_SAMPLE <= set(DEFAULT_TCP_PORTS)
    assert list(DEFAULT_TCP_PORTS) == sorted(set(DEFAULT_TCP_PORTS))
    assert DEFAULT_UDP_PORTS == (161,)


def test_every_practice_port_says_what_runs_there() -> None:
    assert PRACTICE_MUST_HAVE <= set(PRACTICE_PORTS)
    assert "DICOM" in PRACTICE_PORTS[104] and "DICOM" in PRACTICE_PORTS[11112]
    assert "HFSQL" in PRACTICE_PORTS[4900]
    assert "TeamViewer" in PRACTICE_PORTS[5938]
    assert all(text.strip() for text in PRACTICE_PORTS.values())


@pytest.mark.parametrize("spec", [None, "", "  ", "default", "DEFAULT"])
def test_no_spec_means_the_default_list(spec: str | None) -> None:
    assert parse_ports(spec) == DEFAULT_TCP_PORTS


def test_all_means_every_tcp_port() -> None:
    assert parse_ports("all") == ALL_TCP_PORTS == tuple(range(1, 65536))


def test_lists_and_ranges_are_merged_sorted_and_deduplicated() -> None:
    assert parse_ports("22,80,8000-8100") == (22, 80, *range(8000, 8101))
    assert parse_ports(" 445 , 139,445, 135-139 ") == (135, 136, 137, 138, 139, 445)
    assert parse_ports("65530-") == tuple(range(65530, 65536))
    assert parse_ports("-3") == (1, 2, 3)
    assert parse_ports("7-7") == (7,)


@pytest.mark.parametrize(
    ("spec", "quoted"),
    [
        ("0", "0"),
        ("65536", "65536"),
        ("http", "http"),
        ("22,,80", "22,,80"),
        ("22-80-90", "22-80-90"),
        ("1e3", "1e3"),
        ("-5-", "-5-"),
        ("+22", "+22"),
        ("80-22", "80-22"),
    ],
)
def test_a_bad_port_list_gets_one_clear_line(spec: str, quoted: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_ports(spec)
    message = str(caught.value)
    assert quoted in message
    assert "\n" not in message


def test_an_enormous_port_list_is_refused_without_echoing_it() -> None:
    spec = ",".join(["80"] * 5000)
    with pytest.raises(UsageError) as caught:
        parse_ports(spec)
    assert len(str(caught.value)) < 200


def test_control_characters_are_not_echoed_back() -> None:
    with pytest.raises(UsageError) as caught:
        parse_ports("22,\x1b[31mred")
    assert "\x1b" not in str(caught.value)

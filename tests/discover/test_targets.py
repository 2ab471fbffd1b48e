"""Targets and scope: what the audit may scan. Pure functions only: nothing is scanned here.

``auto`` is tested on recorded interface listings (``fixtures/``), never on this machine's
own networks (the rule: no traffic outside 127.0.0.0/8).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from rempart.core.errors import ScopeError, UsageError
from rempart.discover import netif
from rempart.discover.netif import InterfaceAddress
from rempart.discover.targets import LARGE_SCAN, is_private, parse_targets

FIXTURES = Path(__file__).parent / "fixtures"


def recorded(name: str, parser: Callable[[str], Sequence[InterfaceAddress]]):
    text = (FIXTURES / name).read_bytes().decode("utf-8", errors="replace")
    return lambda: parser(text)


def no_dns(name: str) -> list[str]:
    raise AssertionError(f"a test must not resolve {name!r} through the network")


def names(table: dict[str, list[str]]) -> Callable[[str], list[str]]:
    return lambda name: table.get(name, [])


# --- reading targets ---------------------------------------------------------------------


def test_a_cidr_includes_network_and_broadcast_like_nmap() -> None:
    targets = parse_targets(["127.42.0.0/30"])
    assert targets.addresses == ("127.42.0.0", "127.42.0.1", "127.42.0.2", "127.42.0.3")
    assert len(targets) == 4


def test_a_cidr_with_host_bits_means_its_network() -> None:
    assert parse_targets(["127.42.0.77/30"]).addresses[0] == "127.42.0.76"


def test_both_range_forms_give_the_same_addresses() -> None:
    short = parse_targets(["127.42.0.1-20"])
    full = parse_targets(["127.42.0.1-127.42.0.20"])
    assert short.addresses == full.addresses
    assert short.addresses[0] == "127.42.0.1" and short.addresses[-1] == "127.42.0.20"
    assert len(short) == 20


def test_a_range_may_cross_an_octet() -> None:
    targets = parse_targets(["127.42.0.254-127.42.1.1"])
    assert targets.addresses == ("127.42.0.254", "127.42.0.255", "127.42.1.0", "127.42.1.1")


def test_addresses_are_deduplicated_and_sorted_numerically() -> None:
    targets = parse_targets(["127.42.0.10", "127.42.0.9-11", "127.42.0.2,127.42.0.10 127.42.0.2"])
    assert targets.addresses == ("127.42.0.2", "127.42.0.9", "127.42.0.10", "127.42.0.11")
    assert targets.specs == ("127.42.0.10", "127.42.0.9-11", "127.42.0.2,127.42.0.10 127.42.0.2")


def test_a_host_name_is_resolved() -> None:
    resolver = names({"serveur.cabinet.lan": ["192.168.1.20", "192.168.1.21"]})
    targets = parse_targets(["serveur.cabinet.lan"], resolver=resolver)
    assert targets.addresses == ("192.168.1.20", "192.168.1.21")


def test_localhost_is_resolved_by_the_system() -> None:
    assert "127.0.0.1" in parse_targets(["localhost"]).addresses


def test_a_name_that_does_not_resolve_says_so() -> None:
    with pytest.raises(UsageError) as caught:
        parse_targets(["radio.cabinet.lan"], resolver=names({}))
    assert "radio.cabinet.lan" in str(caught.value)


@pytest.mark.parametrize(
    "bad",
    [
        "300.1.1.1",
        "127.42.0.0/33",
        "127.42.0.1-300",
        "127.42.0.1-127.42.0",
        "127.42.0",
        "127.42.0.1/24/8",
        "fe80::1",
        "mple!",
        "a" * 300,
        "\x1b[2Jboom",
    ],
)
def test_a_bad_target_gets_one_clear_line(bad: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_targets([bad], resolver=no_dns)
    message = str(caught.value)
    assert "\n" not in message and "\x1b" not in message
    assert len(message) < 400


def test_an_empty_range_says_which_way_round() -> None:
    with pytest.raises(UsageError) as caught:
        parse_targets(["127.42.0.20-5"])
    assert "127.42.0.20-5" in str(caught.value)


def test_no_target_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        parse_targets(["", "  "])


@pytest.mark.parametrize("address", ["0.0.0.0", "224.0.0.251", "255.255.255.255", "240.0.0.1"])
def test_non_host_addresses_are_refused_even_when_authorized(address: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_targets([address], authorized=True)
    assert address in str(caught.value)


# --- scope ---------------------------------------------------------------------------------


PRIVATE_SPECS = [
    "10.1.2.3", "172.16.0.1", "172.31.255.254", "192.168.1.0/24", "169.254.3.4", "127.9.9.9",
]  # fmt: skip


@pytest.mark.parametrize("spec", PRIVATE_SPECS)
def test_private_loopback_and_link_local_need_no_authorisation(spec: str) -> None:
    targets = parse_targets([spec])
    assert targets.public == () and not targets.authorized


@pytest.mark.parametrize(
    ("spec", "public"),
    [
        ("8.8.8.8", "8.8.8.8"),
        ("172.32.0.1", "172.32.0.1"),
        ("192.0.2.0/24", "192.0.2.0"),
        ("100.64.0.1", "100.64.0.1"),
        ("192.168.255.250-192.169.0.3", "192.169.0.0"),
    ],
)
def test_a_public_address_is_refused_without_authorized(spec: str, public: str) -> None:
    with pytest.raises(ScopeError) as caught:
        parse_targets([spec])
    message = str(caught.value)
    assert public in message and "--authorized" in message and "\n" not in message


def test_authorized_public_addresses_are_recorded() -> None:
    targets = parse_targets(["127.42.0.1", "198.51.100.7-8"], authorized=True)
    assert targets.authorized
    assert targets.addresses == ("127.42.0.1", "198.51.100.7", "198.51.100.8")
    assert targets.public == ("198.51.100.7", "198.51.100.8")


def test_a_name_resolving_to_a_public_address_needs_authorized() -> None:
    resolver = names({"nas.example": ["203.0.113.5"]})
    with pytest.raises(ScopeError):
        parse_targets(["nas.example"], resolver=resolver)
    assert parse_targets(["nas.example"], authorized=True, resolver=resolver).public == (
        "203.0.113.5",
    )


def test_up_to_4096_addresses_need_no_flag() -> None:
    assert len(parse_targets(["10.0.0.0/20"])) == LARGE_SCAN == 4096


def test_more_than_4096_addresses_need_large() -> None:
    with pytest.raises(ScopeError) as caught:
        parse_targets(["10.0.0.0/20", "10.0.16.0"])
    assert "--large" in str(caught.value) and "4,097" in str(caught.value)
    assert len(parse_targets(["10.0.0.0/19"], large=True)) == 8192


def test_overlapping_targets_are_counted_once_for_the_limit() -> None:
    assert len(parse_targets(["10.0.0.0/20", "10.0.0.0/21", "10.0.15.255"])) == 4096


def test_a_slash_8_is_refused_even_with_large() -> None:
    with pytest.raises(UsageError) as caught:
        parse_targets(["10.0.0.0/8"], large=True)
    assert "16,777,216" in str(caught.value)


def test_is_private() -> None:
    assert is_private("192.168.0.1") and is_private("127.0.0.1") and is_private("169.254.0.9")
    assert not is_private("192.0.2.1") and not is_private("172.32.0.1")


# --- auto --------------------------------------------------------------------------------


def test_auto_on_a_practice_server_keeps_the_lan_and_its_vlan() -> None:
    for name, parser in [
        ("linux_ip_j_practice_server.json", netif.parse_ip_json),
        ("linux_ip_o_practice_server.txt", netif.parse_ip_oneline),
    ]:
        targets = parse_targets(["auto"], interfaces=recorded(name, parser))
        assert targets.auto_networks == ("192.168.1.0/24", "192.168.20.0/24"), name
        assert len(targets) == 512
        assert "192.168.1.20" in targets.addresses
        # Not Docker, not the VPN, not the unplugged cable, not link-local Wi-Fi.
        elsewhere = ("172.17.", "10.8.", "10.10.", "169.254.")
        assert not any(a.startswith(elsewhere) for a in targets.addresses)


def test_auto_on_windows_keeps_the_connected_ethernet() -> None:
    for name, parser in [
        ("windows_get_netipaddress_reception.json", netif.parse_powershell_json),
        ("windows_ipconfig_fr.txt", netif.parse_ipconfig),
        ("windows_ipconfig_all_en.txt", netif.parse_ipconfig),
    ]:
        targets = parse_targets(["auto"], interfaces=recorded(name, parser))
        assert targets.auto_networks == ("192.168.1.0/24",), name


def test_powershell_gives_one_object_for_one_address() -> None:
    reader = recorded("windows_get_netipaddress_single.json", netif.parse_powershell_json)
    assert parse_targets(["auto"], interfaces=reader).auto_networks == ("192.168.0.0/24",)


def test_auto_on_a_public_subnet_needs_authorized() -> None:
    # The CI container's eth0 is in 192.0.2.0/24 (TEST-NET-1): public. Never scanned here.
    reader = recorded("linux_ip_j_ci_host.json", netif.parse_ip_json)
    with pytest.raises(ScopeError) as caught:
        parse_targets(["auto"], interfaces=reader)
    assert "192.0.2.0" in str(caught.value) and "--authorized" in str(caught.value)
    targets = parse_targets(["auto"], authorized=True, interfaces=reader)
    assert targets.auto_networks == ("192.0.2.0/24",)
    assert len(targets.public) == 256


def test_auto_with_only_loopback_says_what_to_do() -> None:
    only_lo = netif.parse_ip_oneline("1: lo    inet 127.0.0.1/8 scope host lo\\  valid_lft forever")
    with pytest.raises(UsageError) as caught:
        parse_targets(["auto"], interfaces=lambda: only_lo)
    assert "192.168.1.0/24" in str(caught.value)


def test_auto_on_a_big_subnet_needs_large() -> None:
    big = (InterfaceAddress("eth0", netif.IPv4Interface("10.1.2.3/16")),)
    with pytest.raises(ScopeError):
        parse_targets(["auto"], interfaces=lambda: big)
    assert len(parse_targets(["auto"], large=True, interfaces=lambda: big)) == 65536


def test_auto_mixes_with_other_targets() -> None:
    reader = recorded("windows_get_netipaddress_single.json", netif.parse_powershell_json)
    targets = parse_targets(["auto", "127.42.0.1"], interfaces=reader)
    assert len(targets) == 257 and targets.addresses[-1] == "192.168.0.255"


@pytest.mark.parametrize(
    ("parser", "garbage"),
    [
        (netif.parse_ip_json, "{not json"),
        (netif.parse_ip_json, '{"a": 1}'),
        (netif.parse_ip_json, '[{"ifname": 5, "addr_info": [{"local": "9.1.1", "prefixlen": 2}]}]'),
        (netif.parse_ip_json, '[{"addr_info": [{"local": "10.0.0.1", "prefixlen": 99}]}]'),
        (netif.parse_ip_json, "[" * 100000),
        (netif.parse_powershell_json, '[1, "x", {"IPAddress": "10.0.0.1"}]'),
        (netif.parse_powershell_json, '{"IPAddress": "10.0.0.1", "PrefixLength": true}'),
        (netif.parse_ipconfig, "IPv4 Address: 10.0.0.1\nSubnet Mask: 255.0.255.0\n" * 3),
        (netif.parse_ip_oneline, "\x00\xff" * 1000),
    ],
)
def test_malformed_interface_output_gives_nothing_and_never_crashes(parser, garbage: str) -> None:
    assert parser(garbage) == ()


def test_virtual_adapters_are_recognised_by_name() -> None:
    virtual = [
        "docker0", "br-3f2a", "veth12ab", "virbr0", "tun0", "wg0", "tailscale0",
        "vEthernet (WSL)", "Ethernet adapter VirtualBox Host-Only Network",
        "Carte Ethernet vEthernet (Default Switch)", "VMware Network Adapter VMnet8",
    ]  # fmt: skip
    real = [
        "eth0", "enp3s0", "br0", "wlan0", "Ethernet", "Wi-Fi", "Ethernet 2",
        "Carte Ethernet Ethernet", "Carte réseau sans fil Wi-Fi",
    ]  # fmt: skip
    assert [n for n in virtual if not netif.looks_virtual(n)] == []
    assert [n for n in real if netif.looks_virtual(n)] == []

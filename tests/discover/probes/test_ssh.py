"""SSH probe: identification and KEXINIT parsing on recorded bytes, hostile peers."""

from __future__ import annotations

import socket
import struct
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rempart.core.observations import SshObservation
from rempart.discover.probes import ssh
from rempart.discover.probes.base import HostBudget, ProbeContext, ProbeError
from tests.peers._servers_a import read_some, scripted_server, silent

RECORDED = Path(__file__).parent / "recorded"
ADDRESS = "127.0.3.1"


def ctx(timeout: float = 0.5, seconds: float = 5.0, max_bytes: int = 200_000) -> ProbeContext:
    return ProbeContext(budget=HostBudget.start(seconds, max_bytes), timeout=timeout)


def recorded() -> bytes:
    # OpenSSH 9.2p1 (Debian 12) with diffie-hellman-group1-sha1, 3des-cbc and hmac-md5
    # added: identification line then the unencrypted KEXINIT packet.
    return (RECORDED / "ssh_openssh92_legacy.bin").read_bytes()


def kexinit_packet(*lists: bytes, code: int = 20) -> bytes:
    payload = bytes([code]) + b"\x00" * 16
    for names in lists:
        payload += struct.pack(">I", len(names)) + names
    payload += b"\x00" + b"\x00" * 4  # first_kex_packet_follows, reserved
    padding = 8 - (len(payload) + 5) % 8 + 4
    return struct.pack(">IB", len(payload) + padding + 1, padding) + payload + b"\x00" * padding


@pytest.mark.parametrize(
    ("line", "proto", "software", "comments"),
    [
        (b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3", "2.0", "OpenSSH_9.2p1", "Debian-2+deb12u3"),
        (b"SSH-1.99-Cisco-1.25\r", "1.99", "Cisco-1.25", None),
        (b"SSH-2.0-dropbear_2019.78", "2.0", "dropbear_2019.78", None),
        (
            b"SSH-2.0-OpenSSH_7.4p1 Raspbian-10+deb9u7 extra",
            "2.0",
            "OpenSSH_7.4p1",
            "Raspbian-10+deb9u7 extra",
        ),
    ],
)
def test_identification_line_gives_product_version_and_comments(
    line: bytes, proto: str, software: str, comments: str | None
) -> None:
    ident = ssh.parse_identification(line)
    assert ident == ssh.Identification(proto, software, comments)


@pytest.mark.parametrize("line", [b"", b"HTTP/1.1 200 OK", b"SSH-", b"SSH-2.0"])
def test_lines_that_are_not_ssh_identifications_are_refused(line: bytes) -> None:
    assert ssh.parse_identification(line) is None


def test_claims_ssh_greetings_only() -> None:
    assert ssh.claims(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
    assert ssh.claims(b"Welcome to the box\r\nSSH-2.0-foo\r\n")  # RFC 4253 preamble lines
    assert not ssh.claims(b"220 FTP ready\r\n")
    assert not ssh.claims(b"")


def test_recorded_openssh_kexinit_shows_the_legacy_algorithms_as_weak() -> None:
    line, rest = ssh.find_identification(recorded()) or (b"", b"")
    seen = ssh.observation(line, ssh.parse_kexinit(ssh.packet_payload(rest)))
    assert seen.software == "OpenSSH_9.2p1"
    assert seen.comments == "Debian-2+deb12u10"
    assert "diffie-hellman-group1-sha1" in seen.weak_kex
    assert "3des-cbc" in seen.weak_ciphers
    assert "hmac-md5" in seen.weak_macs
    assert "sntrup761x25519-sha512@openssh.com" in seen.kex_algorithms
    assert "sntrup761x25519-sha512@openssh.com" not in seen.weak_kex
    assert "aes256-gcm@openssh.com" in seen.ciphers
    assert "aes256-gcm@openssh.com" not in seen.weak_ciphers
    assert "hmac-sha2-512" not in seen.weak_macs


@pytest.mark.parametrize(
    ("names", "patterns", "expected"),
    [
        (
            ("aes128-cbc", "aes128-ctr", "rijndael-cbc@lysator.liu.se"),
            ssh.WEAK_CIPHERS,
            ("aes128-cbc", "rijndael-cbc@lysator.liu.se"),
        ),
        (
            ("arcfour256", "blowfish-cbc", "chacha20-poly1305@openssh.com"),
            ssh.WEAK_CIPHERS,
            ("arcfour256", "blowfish-cbc"),
        ),
        (
            ("hmac-sha1", "hmac-sha2-256-96", "hmac-md5-96-etm@openssh.com"),
            ssh.WEAK_MACS,
            ("hmac-sha2-256-96", "hmac-md5-96-etm@openssh.com"),
        ),
        (("ssh-rsa", "rsa-sha2-512", "ssh-dss"), ssh.WEAK_HOST_KEYS, ("ssh-rsa", "ssh-dss")),
        (
            ("gss-group14-sha1-toWM5Slw5Ew8Mqkay+al2g==", "curve25519-sha256"),
            ssh.WEAK_KEX,
            ("gss-group14-sha1-toWM5Slw5Ew8Mqkay+al2g==",),
        ),
    ],
)
def test_weak_algorithms_are_matched_by_name_pattern(
    names: tuple[str, ...], patterns: tuple[str, ...], expected: tuple[str, ...]
) -> None:
    assert ssh.weak(names, patterns) == expected


def test_kexinit_with_a_name_list_longer_than_the_packet_is_refused() -> None:
    payload = bytes([20]) + b"\x00" * 16 + struct.pack(">I", 10_000) + b"curve25519-sha256"
    with pytest.raises(ProbeError):
        ssh.parse_kexinit(payload)


@pytest.mark.parametrize(
    "payload", [b"", b"\x15", bytes([20]) + b"\x00" * 10, bytes([20]) + b"\xff" * 40]
)
def test_truncated_or_wrong_kexinit_is_refused(payload: bytes) -> None:
    with pytest.raises(ProbeError):
        ssh.parse_kexinit(payload)


@pytest.mark.parametrize("header", [b"\x00\x00\x00\x00\x00", b"\xff\xff\xff\xff\x04", b"\x00\x01"])
def test_implausible_packet_lengths_are_refused(header: bytes) -> None:
    with pytest.raises(ProbeError):
        ssh.packet_payload(header + b"\x00" * 16)


def test_hostile_names_are_bounded_and_cleaned() -> None:
    evil = b"<script>\x1b[31m" + b"A" * 5000
    packet = kexinit_packet(evil, *([b"x"] * 9))
    kex = ssh.parse_kexinit(ssh.packet_payload(packet))
    assert len(kex.kex_algorithms[0]) <= 64
    assert "\x1b" not in kex.kex_algorithms[0]


def test_probe_reads_a_kexinit_that_arrives_with_the_identification() -> None:
    def server(conn: socket.socket) -> None:
        conn.sendall(recorded())  # identification and KEXINIT in one write
        read_some(conn)

    with scripted_server(server) as port:
        seen = ssh.probe(ADDRESS, port, ctx())
    assert isinstance(seen, SshObservation)
    assert "3des-cbc" in seen.weak_ciphers


def test_probe_sends_a_rempart_identification() -> None:
    received: list[bytes] = []

    def server(conn: socket.socket) -> None:
        line, rest = recorded().split(b"\n", 1)
        conn.sendall(line + b"\n")
        received.append(read_some(conn))
        conn.sendall(rest)

    with scripted_server(server) as port:
        seen = ssh.probe(ADDRESS, port, ctx())
    assert received[0].startswith(b"SSH-2.0-Rempart_")
    assert received[0].endswith(b"\r\n")
    assert isinstance(seen, SshObservation) and seen.kex_algorithms


def test_server_that_never_sends_kexinit_still_gives_the_banner() -> None:
    def server(conn: socket.socket) -> None:
        conn.sendall(b"SSH-2.0-OpenSSH_7.4\r\n")
        read_some(conn)
        read_some(conn)

    with scripted_server(server) as port:
        seen = ssh.probe(ADDRESS, port, ctx(timeout=0.3))
    assert isinstance(seen, SshObservation)
    assert seen.software == "OpenSSH_7.4"
    assert seen.kex_algorithms == ()


def test_ssh1_only_server_is_reported_without_sending_anything() -> None:
    received: list[bytes] = []

    def server(conn: socket.socket) -> None:
        conn.sendall(b"SSH-1.5-OldServer\n")
        conn.settimeout(1)
        received.append(read_some(conn))

    with scripted_server(server) as port:
        seen = ssh.probe(ADDRESS, port, ctx())
    assert isinstance(seen, SshObservation)
    assert seen.protocol_version == "1.5"
    assert received == [b""]


def test_a_silent_service_is_a_probe_error() -> None:
    with scripted_server(silent) as port, pytest.raises(ProbeError):
        ssh.probe(ADDRESS, port, ctx(timeout=0.3))


def test_a_service_that_is_not_ssh_is_not_claimed() -> None:
    def server(conn: socket.socket) -> None:
        conn.sendall(b"220 ready\r\n")

    with scripted_server(server) as port:
        assert ssh.probe(ADDRESS, port, ctx()) is None


def test_an_endless_preamble_stops_at_the_byte_cap() -> None:
    def server(conn: socket.socket) -> None:
        for _ in range(1000):
            conn.sendall(b"junk line without end " * 100)

    with scripted_server(server) as port:
        try:
            seen = ssh.probe(ADDRESS, port, ctx(max_bytes=20_000))
        except ProbeError:
            seen = None
    assert seen is None


@given(st.binary(max_size=4096))
def test_parsers_raise_nothing_but_probe_error_on_random_bytes(data: bytes) -> None:
    ssh.claims(data)
    ssh.parse_identification(data)
    ssh.find_identification(data)
    for parse in (ssh.packet_payload, ssh.parse_kexinit):
        for candidate in (data, bytes([20]) + data):
            try:
                parse(candidate)
            except ProbeError:
                pass

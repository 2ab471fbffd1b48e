"""Service identification: by what the service says, never by the port number alone."""

from __future__ import annotations

import socket
import struct
import time

from rempart.core.observations import HttpObservation, SshObservation
from rempart.discover.identify import Identifier, IdentifyOptions, fingerprint_texts
from rempart.discover.probes.base import HostBudget
from tests.support import tcp_server

ADDR = "127.0.5.1"


def kexinit_packet() -> bytes:
    def namelist(*names: str) -> bytes:
        raw = ",".join(names).encode()
        return struct.pack(">I", len(raw)) + raw

    payload = (
        b"\x14"
        + b"\x00" * 16
        + namelist("curve25519-sha256", "diffie-hellman-group1-sha1")
        + namelist("ssh-ed25519")
        + namelist("aes128-ctr", "3des-cbc") * 2
        + namelist("hmac-sha2-256", "hmac-md5") * 2
        + namelist("none") * 2
        + namelist() * 2
        + b"\x00"
        + b"\x00\x00\x00\x00"
    )
    padding = 8 - ((len(payload) + 5) % 8)
    if padding < 4:
        padding += 8
    return struct.pack(">IB", len(payload) + padding + 1, padding) + payload + b"\x00" * padding


def ssh_server(conn: socket.socket) -> None:
    conn.sendall(b"SSH-2.0-OpenSSH_7.4\r\n")
    conn.settimeout(2)
    try:
        conn.recv(256)
    except TimeoutError:
        return
    conn.sendall(kexinit_packet())
    try:
        conn.recv(4096)
    except TimeoutError:
        pass


def http_server(conn: socket.socket) -> None:
    conn.settimeout(2)
    conn.recv(4096)
    body = b"<html><head><title>Agenda du cabinet</title></head><body>ok</body></html>"
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nServer: nginx/1.18.0\r\nContent-Type: text/html\r\n"
        + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
    )


def silent_server(conn: socket.socket) -> None:
    conn.settimeout(5)
    try:
        while conn.recv(4096):
            pass
    except (TimeoutError, OSError):
        pass


def flood_server(conn: socket.socket) -> None:
    chunk = b"<script>alert(1)</script>" * 400
    for _ in range(2000):
        conn.sendall(chunk)


def identifier(**kw: object) -> Identifier:
    opts = IdentifyOptions(banner_wait=0.5, timeout=1.0, fallback_timeout=0.5, snmp=False)
    for key, value in kw.items():
        setattr(opts, key, value)
    return Identifier(opts)


def test_ssh_on_an_unusual_port_is_identified_by_its_greeting() -> None:
    with tcp_server(ssh_server) as port:
        svc = identifier().identify_port(ADDR, port, HostBudget.start(30, 1 << 20))
    assert svc.name == "ssh"
    obs = svc.observation(SshObservation)
    assert isinstance(obs, SshObservation)
    assert obs.software == "OpenSSH_7.4"
    assert "diffie-hellman-group1-sha1" in obs.weak_kex


def test_http_on_an_unusual_port_is_identified_by_trying() -> None:
    with tcp_server(http_server) as port:
        svc = identifier().identify_port(ADDR, port, HostBudget.start(30, 1 << 20))
    assert svc.name == "http"
    obs = svc.observation(HttpObservation)
    assert isinstance(obs, HttpObservation)
    assert obs.title == "Agenda du cabinet"
    assert obs.server == "nginx/1.18.0"


def test_a_silent_service_stays_unknown_within_the_host_time_cap() -> None:
    with tcp_server(silent_server) as port:
        started = time.monotonic()
        svc = identifier().identify_port(ADDR, port, HostBudget.start(4, 1 << 20))
        elapsed = time.monotonic() - started
    assert svc.name == "unknown"
    assert elapsed < 8  # the 4 s cap, plus one operation timeout of slack


def test_a_flooding_service_is_cut_at_the_byte_cap() -> None:
    budget = HostBudget.start(30, 64 * 1024)
    with tcp_server(flood_server) as port:
        svc = identifier().identify_port(ADDR, port, budget)
    assert budget.bytes_read <= 64 * 1024 + 8192
    assert svc.banner is None or len(svc.banner) <= 1024


def test_identify_groups_services_by_host_and_survives_a_dead_port() -> None:
    with tcp_server(ssh_server) as ssh_port, tcp_server(http_server) as http_port:
        dead = socket.socket()
        dead.bind((ADDR, 0))
        dead_port = dead.getsockname()[1]
        dead.close()  # nothing listens there any more
        result = identifier().identify({ADDR: [ssh_port, http_port, dead_port]})
    (asset,) = result.assets
    names = {s.port: s.name for s in asset.services}
    assert names[ssh_port] == "ssh"
    assert names[http_port] == "http"
    assert names[dead_port] == "unknown"


def test_fingerprint_texts_strip_the_ssh_prefix_for_recog() -> None:
    texts = fingerprint_texts(b"", [SshObservation(banner="SSH-2.0-OpenSSH_7.4")])
    assert ("ssh.banner", "OpenSSH_7.4") in texts

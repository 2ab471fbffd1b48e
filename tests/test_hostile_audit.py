"""A whole audit against hostile services: no crash, bounded time, everything escaped.

The services live on 127.0.6.1: an FTP greeting and an HTTP page carrying HTML and
JavaScript, a binary blurt, a service that drips one byte at a time, and one that never
says anything. The audit must finish, store itself and write a report in which none of
the payloads appears unescaped.
"""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

from rempart import config
from rempart.app.audit import AuditOptions, NetworkScope, run_network_audit, save_and_report
from rempart.store import Store
from tests.support import tcp_server

ADDR = "127.0.6.1"
PAYLOAD = "<script>alert('rempart')</script>"
IMG = '"><img src=x onerror=alert(2)>'


def ftp_hostile(conn: socket.socket) -> None:
    conn.sendall(f"220 {PAYLOAD} FTP ready\r\n".encode())
    conn.settimeout(2)
    while True:
        data = conn.recv(1024)
        if not data:
            return
        if data.upper().startswith(b"USER"):
            conn.sendall(b"331 Password please\r\n")
        elif data.upper().startswith(b"PASS"):
            conn.sendall(f"230 {IMG}\r\n".encode())
        elif data.upper().startswith(b"QUIT"):
            conn.sendall(b"221 bye\r\n")
            return
        else:
            conn.sendall(b"500 ?\r\n")


def http_hostile(conn: socket.socket) -> None:
    conn.settimeout(2)
    conn.recv(4096)
    body = (
        f"<html><head><title>{IMG}{PAYLOAD}</title></head><body>" + "A" * 200_000 + "</body></html>"
    ).encode()
    conn.sendall(
        f"HTTP/1.1 200 OK\r\nServer: {PAYLOAD}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body
    )


def binary_blurt(conn: socket.socket) -> None:
    conn.sendall(bytes(range(256)) * 64 + b"\x00\xff" * 5000)


def drip(conn: socket.socket) -> None:
    conn.settimeout(0.3)
    for ch in b"220 slow " * 50:
        conn.sendall(bytes([ch]))
        try:
            if conn.recv(1) == b"":
                return
        except TimeoutError:
            pass


def silent(conn: socket.socket) -> None:
    conn.settimeout(5)
    try:
        conn.recv(1)
    except (TimeoutError, OSError):
        pass


def test_hostile_services_are_audited_bounded_and_escaped(tmp_path: Path) -> None:
    with (
        tcp_server(ftp_hostile, ADDR) as p1,
        tcp_server(http_hostile, ADDR) as p2,
        tcp_server(binary_blurt, ADDR) as p3,
        tcp_server(drip, ADDR) as p4,
        tcp_server(silent, ADDR) as p5,
    ):
        scope = NetworkScope(
            addresses=(ADDR,), tcp_ports=(p1, p2, p3, p4, p5), specs=(ADDR,), ports_label="test"
        )
        settings = config.Settings(scan=config.ScanSettings(timeout=0.5, host_time_cap=20.0))
        started = time.monotonic()
        audit = run_network_audit(scope, AuditOptions(snmp=False), settings)
        elapsed = time.monotonic() - started
        saved = save_and_report(audit, tmp_path / "out", "fr")
    assert elapsed < 40  # bounded by the 20 s host cap, with slack for a loaded machine
    (asset,) = audit.assets
    assert {s.port for s in asset.services} == {p1, p2, p3, p4, p5}
    names = {s.port: s.name for s in asset.services}
    assert names[p1] == "ftp"
    assert names[p2] == "http"
    html = saved.report_html.read_text(encoding="utf-8")
    assert PAYLOAD not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;" in html  # shown, escaped
    doc = json.loads(saved.findings_json.read_text(encoding="utf-8"))
    assert doc["audit_id"] == audit.id
    banners = [s.get("banner") or "" for a in doc["assets"] for s in a["services"]]
    assert all(len(b) <= 1024 for b in banners)
    with Store.open() as store:
        assert store.get_audit(audit.id).assets == audit.assets

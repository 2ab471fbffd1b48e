"""Rempart's port scan beside nmap's connect scan, on the demo practice, in one run.

    uv run python benchmarks/scan_vs_nmap/run.py [--self-listeners] [--direct] [--no-lab]

1. starts the demo practice (``rempart lab up``) unless it already runs (or ``--no-lab``);
   ``--self-listeners`` also opens listeners of our own on free addresses of the /27
   (network and broadcast addresses, ports 1 and 65535: the edges);
2. scans 127.42.0.0/27, all 65,535 TCP ports, with
   * ``nmap -sT -p- -T4 -n 127.42.0.0/27 -oX -`` (Debian's nmap),
   * ``rempart scan 127.42.0.0/27 --ports all --json --no-snmp`` (port scan + identification),
   * ``scan_ports()`` alone in a child process (``--direct`` runs only this one);
3. checks that every tool found the same open ports (prints the differences, exits 1);
4. times the default-port audit of the /24 (``rempart audit --network 127.42.0.0/24``);
5. prints a table: seconds, ratio to nmap, peak memory of our process;
6. stops the lab if it started it (also on failure).

Only 127.42.0.0/24 is ever scanned. Results are printed, not committed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET  # nmap's own output, not hostile input
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET = "127.42.0.0/27"
AUDIT_TARGET = "127.42.0.0/24"
OpenPorts = dict[str, set[int]]

# Own listeners (--self-listeners): addresses the lab leaves free, edges included.
SELF_LISTENERS = [
    ("127.42.0.0", 1),
    ("127.42.0.2", 22),
    ("127.42.0.3", 3389),
    ("127.42.0.3", 445),
    ("127.42.0.5", 50000),
    ("127.42.0.17", 8080),
    ("127.42.0.31", 65535),
]

# Peak RSS of a command and all it waits for (Linux: kB), measured in a wrapper process so
# that nothing else run by this script counts.
MEASURE = (
    "import json, resource, subprocess, sys, time\n"
    "t = time.monotonic()\n"
    "p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE)\n"
    "sys.stderr.write(json.dumps({'rc': p.returncode, 'seconds': time.monotonic() - t,\n"
    "    'maxrss_kb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}) + '\\n')\n"
    "sys.stdout.buffer.write(p.stdout)\n"
)

DIRECT = (
    "import json, sys\n"
    "from rempart.discover.portscan import scan_ports\n"
    "from rempart.discover.ports import parse_ports\n"
    "from rempart.discover.targets import parse_targets\n"
    "if __name__ == '__main__':\n"
    "    r = scan_ports(parse_targets([sys.argv[1]]).addresses, parse_ports('all'))\n"
    "    print(json.dumps({'open': r.open, 'probes': r.probes_sent, 'elapsed': r.elapsed,\n"
    "                      'timed_out': r.timed_out_hosts}))\n"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--self-listeners", action="store_true", help="open our own listeners too")
    parser.add_argument("--direct", action="store_true", help="only scan_ports(), not the CLI")
    parser.add_argument("--no-lab", action="store_true", help="do not start the demo practice")
    parser.add_argument("--no-audit", action="store_true", help="skip the /24 default-port audit")
    args = parser.parse_args()

    nmap = shutil.which("nmap")
    if nmap is None:
        print("nmap is not installed (apt-get install -y nmap)", file=sys.stderr)
        return 2
    rows: list[tuple[str, float, int | None, str]] = []
    print(f"Load average (1, 5, 15 min) at the start: {os.getloadavg()}", flush=True)
    failures: list[str] = []
    with lab(enabled=not args.no_lab), listeners(SELF_LISTENERS if args.self_listeners else []):
        direct = measured([sys.executable, "-c", DIRECT, TARGET])
        direct_doc = json.loads(direct["stdout"])
        direct_open = {a: set(p) for a, p in direct_doc["open"].items()}
        rows.append(("scan_ports() alone", direct["seconds"], direct["maxrss_kb"], ""))
        if direct_doc["timed_out"]:
            failures.append(
                f"scan_ports() stopped hosts at the time cap: {direct_doc['timed_out']}"
            )

        started = time.monotonic()
        xml = run([nmap, "-sT", "-p-", "-T4", "-n", TARGET, "-oX", "-"])
        nmap_seconds = time.monotonic() - started
        nmap_open = parse_nmap(xml)
        rows.insert(0, ("nmap -sT -p- -T4", nmap_seconds, None, ""))
        failures += compare("scan_ports()", direct_open, nmap_open)

        if not args.direct:
            cli = measured(rempart("scan", TARGET, "--ports", "all", "--json", "--no-snmp"))
            if cli["rc"] != 0:
                failures.append(f"rempart scan exited with {cli['rc']}")
            cli_open = parse_rempart(cli["stdout"]) if cli["rc"] == 0 else {}
            rows.append(("rempart scan (+ identify)", cli["seconds"], cli["maxrss_kb"], ""))
            failures += compare("rempart scan", cli_open, nmap_open)

        if not args.direct and not args.no_audit:
            with tempfile.TemporaryDirectory(prefix="rempart-bench-") as out:
                audit = measured(
                    rempart("audit", "--no-host", "--network", AUDIT_TARGET, "--out", out)
                )
                rows.append(
                    (f"rempart audit {AUDIT_TARGET} (default ports)", audit["seconds"],
                     audit["maxrss_kb"], f"exit {audit['rc']}")
                )  # fmt: skip

    print()
    print(f"Load average (1, 5, 15 min) at the end: {os.getloadavg()}; {os.cpu_count()} CPUs")
    print(f"Targets: {TARGET}, all 65,535 TCP ports; {sum(map(len, nmap_open.values()))} open "
          f"ports on {len(nmap_open)} hosts (nmap)")  # fmt: skip
    print(f"{'run':<44} {'seconds':>8} {'ratio':>7} {'peak MB':>8}  note")
    for name, seconds, rss, note in rows:
        ratio = f"{seconds / nmap_seconds:.2f}" if "audit" not in name else ""
        peak = f"{rss / 1024:.0f}" if rss else ""
        print(f"{name:<44} {seconds:>8.2f} {ratio:>7} {peak:>8}  {note}")
    print(f"probes sent by scan_ports(): {direct_doc['probes']:,}")
    if failures:
        print("\nDIFFERENCES:")
        for line in failures:
            print(f"  {line}")
        return 1
    print("\nSame open ports found by every tool.")
    return 0


# --- running things ----------------------------------------------------------------------


def run(cmd: list[str]) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def measured(cmd: list[str]) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, *cmd], capture_output=True, text=True, check=False, cwd=ROOT
    )
    stats = json.loads(done.stderr.strip().splitlines()[-1])
    if stats["rc"] != 0:
        print(f"warning: {' '.join(cmd[:4])}... exited with {stats['rc']}", file=sys.stderr)
    return {**stats, "stdout": done.stdout}


def rempart(*args: str) -> list[str]:
    exe = Path(sys.executable).with_name("rempart")
    return [str(exe), "--lang", "en", *args]


@contextmanager
def lab(enabled: bool) -> Iterator[None]:
    """The demo practice, up for the benchmark; stopped afterwards if we started it."""
    started = False
    if enabled:
        status = subprocess.run(rempart("lab", "status"), capture_output=True, text=True, cwd=ROOT)
        if "not running" in status.stdout + status.stderr or status.returncode != 0:
            up = subprocess.run(rempart("lab", "up"), capture_output=True, text=True, cwd=ROOT)
            if up.returncode != 0:
                print(
                    f"warning: rempart lab up failed: {up.stderr.strip()[-500:]}", file=sys.stderr
                )
            else:
                started = True
                wait_for_lab()
    try:
        yield
    finally:
        if started:
            subprocess.run(rempart("lab", "down"), capture_output=True, cwd=ROOT, check=False)


def wait_for_lab(deadline_s: float = 20.0) -> None:
    """Poll until the lab's first host answers on TCP (bounded; never sleep-and-hope)."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        status = subprocess.run(rempart("lab", "status"), capture_output=True, text=True, cwd=ROOT)
        for port in (80, 10080, 23, 10023):
            try:
                with socket.create_connection(("127.42.0.1", port), timeout=0.5):
                    return
            except OSError:
                continue
        if "not running" in status.stdout:
            break
    print("warning: the lab did not answer on 127.42.0.1", file=sys.stderr)


@contextmanager
def listeners(where: list[tuple[str, int]]) -> Iterator[None]:
    """Our own listening sockets; a thread accepts and closes what connects."""
    socks = []
    for address, port in where:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, port))
        sock.listen(512)
        sock.setblocking(False)
        socks.append(sock)
    stop = threading.Event()

    def accept_loop() -> None:
        import selectors

        with selectors.DefaultSelector() as sel:
            for sock in socks:
                sel.register(sock, selectors.EVENT_READ)
            while not stop.is_set():
                for key, _mask in sel.select(0.1):
                    try:
                        conn, _addr = key.fileobj.accept()  # type: ignore[union-attr]
                        conn.close()
                    except OSError:
                        pass

    thread = threading.Thread(target=accept_loop, daemon=True)
    if socks:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        if socks:
            thread.join(timeout=2)
        for sock in socks:
            sock.close()


# --- reading results ---------------------------------------------------------------------


def parse_nmap(xml: str) -> OpenPorts:
    found: OpenPorts = {}
    for host in ET.fromstring(xml).iter("host"):
        address = next(
            (a.get("addr") for a in host.iter("address") if a.get("addrtype") == "ipv4"), None
        )
        ports = {
            int(p.get("portid", "0"))
            for p in host.iter("port")
            if p.get("protocol") == "tcp" and p.find("state") is not None
            and p.find("state").get("state") == "open"  # type: ignore[union-attr]
        }  # fmt: skip
        if address and ports:
            found[address] = ports
    return found


def parse_rempart(text: str) -> OpenPorts:
    found: OpenPorts = {}
    for host in json.loads(text).get("hosts", []):
        ports = {s["port"] for s in host.get("services", []) if s.get("transport", "tcp") == "tcp"}
        if ports:
            found[host["address"]] = ports
    return found


def compare(name: str, ours: OpenPorts, theirs: OpenPorts) -> list[str]:
    lines = []
    for address in sorted(set(ours) | set(theirs), key=socket.inet_aton):
        only_ours = sorted(ours.get(address, set()) - theirs.get(address, set()))
        only_nmap = sorted(theirs.get(address, set()) - ours.get(address, set()))
        if only_ours:
            lines.append(f"{address}: {name} only: {only_ours}")
        if only_nmap:
            lines.append(f"{address}: nmap only (missed by {name}): {only_nmap}")
    return lines


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())

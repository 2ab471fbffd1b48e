"""The port scanner against real sockets on loopback (127.77.0.x: nobody else's addresses).

* open: a listening socket;
* closed: a socket bound but not listening (the kernel refuses, and nobody else can take
  the port while the test holds it);
* silent: a listening socket whose accept queue is full: Linux drops further SYNs, so a
  connection attempt never gets an answer, as with a firewall that drops.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from rempart.core.errors import UsageError
from rempart.discover.portscan import ScanResult, scan_ports

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="loopback tricks are Linux's")


class Lab:
    """Sockets opened for one test, closed at the end."""

    def __init__(self, stack: ExitStack) -> None:
        self.stack = stack

    def _socket(self) -> socket.socket:
        return self.stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))

    def open(self, address: str) -> int:
        sock = self._socket()
        sock.bind((address, 0))
        sock.listen(128)
        return int(sock.getsockname()[1])

    def closed(self, address: str, count: int = 1) -> list[int]:
        ports = []
        for _ in range(count):
            sock = self._socket()
            sock.bind((address, 0))
            ports.append(int(sock.getsockname()[1]))
        return ports

    def silent(self, address: str) -> int:
        listener = self._socket()
        listener.bind((address, 0))
        listener.listen(0)  # the queue holds one connection...
        port = int(listener.getsockname()[1])
        filler = self._socket()
        filler.settimeout(5)
        filler.connect((address, port))  # ...this one: further SYNs are dropped
        return port


@pytest.fixture
def lab() -> Iterator[Lab]:
    with ExitStack() as stack:
        yield Lab(stack)


def test_open_ports_are_found_exactly_and_closed_ones_are_not(lab: Lab) -> None:
    a, b, c = "127.77.0.1", "127.77.0.2", "127.77.0.3"
    open_a = sorted(lab.open(a) for _ in range(3))
    open_b = [lab.open(b)]
    closed = [p for address in (a, b, c) for p in lab.closed(address, 10)]
    ports = sorted({*open_a, *open_b, *closed})

    result = scan_ports([a, b, c], ports, timeout=2.0, workers=1)

    assert result.open == {a: tuple(open_a), b: tuple(open_b)}
    assert result.timed_out_hosts == ()
    assert result.probes_sent == 3 * len(ports)
    assert result.elapsed > 0


def test_one_or_two_workers_find_the_same_ports(lab: Lab) -> None:
    hosts = [f"127.77.1.{i}" for i in range(1, 5)]
    expected = {
        hosts[0]: (lab.open(hosts[0]),),
        hosts[2]: tuple(sorted([lab.open(hosts[2]), lab.open(hosts[2])])),
    }
    ports = sorted({p for ports in expected.values() for p in ports} | {*lab.closed(hosts[1], 40)})

    one = scan_ports(hosts, ports, workers=1)
    two = scan_ports(hosts, ports, workers=2)

    assert one.open == two.open == expected
    assert one.probes_sent == two.probes_sent == len(hosts) * len(ports)


def test_progress_counts_up_to_the_total(lab: Lab) -> None:
    address = "127.77.2.1"
    ports = sorted([lab.open(address), *lab.closed(address, 50)])
    for workers in (1, 2):
        calls: list[tuple[int, int]] = []
        scan_ports(
            [address, "127.77.2.2"],
            ports,
            workers=workers,
            progress=lambda d, t, calls=calls: calls.append((d, t)),
        )
        total = 2 * len(ports)
        assert calls[-1] == (total, total)
        assert all(t == total and 0 <= d <= total for d, t in calls)
        assert [d for d, _t in calls] == sorted(d for d, _t in calls)


def test_a_port_that_never_answers_is_retried_once_then_left_out(lab: Lab) -> None:
    address = "127.77.3.1"
    listening = lab.open(address)
    silent = lab.silent(address)
    ports = sorted([listening, silent, *lab.closed(address, 5)])

    result = scan_ports([address], ports, timeout=0.3, workers=1)

    assert result.open == {address: (listening,)}
    assert result.probes_sent == len(ports) + 1  # the silent port, a second time
    assert result.timed_out_hosts == ()


def test_a_host_that_never_answers_is_not_retried(lab: Lab) -> None:
    address = "127.77.3.2"
    ports = sorted(lab.silent(address) for _ in range(3))

    result = scan_ports([address], ports, timeout=0.3, workers=1)

    assert result.open == {}
    assert result.probes_sent == len(ports)


@pytest.mark.timeout(30)  # without the cap, the silent ports would hold the scan 60 s or more
def test_the_time_cap_stops_a_host_and_keeps_what_it_found(lab: Lab) -> None:
    slow, quick = "127.77.4.1", "127.77.4.2"
    found_slow, found_quick = lab.open(slow), lab.open(quick)
    ports = sorted([found_slow, found_quick, *(lab.silent(slow) for _ in range(3))])

    result = scan_ports([slow, quick], ports, timeout=30.0, max_seconds_per_host=0.5, workers=1)

    assert result.timed_out_hosts == (slow,)
    assert result.open == {slow: (found_slow,), quick: (found_quick,)}


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts /proc/self/fd")
def test_sockets_in_flight_never_exceed_the_concurrency(lab: Lab) -> None:
    address = "127.77.5.1"
    ports = sorted(lab.silent(address) for _ in range(12))
    baseline = len(os.listdir("/proc/self/fd"))
    extra: list[int] = []

    scan_ports(
        [address],
        ports,
        timeout=0.4,
        concurrency=4,
        workers=1,
        progress=lambda _d, _t: extra.append(len(os.listdir("/proc/self/fd")) - baseline),
    )

    # 4 sockets in flight at most, plus the scanner's epoll descriptor; and the limit is
    # reached (12 silent ports keep every slot busy), so the test does bound something.
    assert 4 <= max(extra) <= 5


def test_open_file_limit_lowers_concurrency_instead_of_failing(lab: Lab) -> None:
    address = "127.77.6.1"
    listening = lab.open(address)
    ports = sorted([listening, *lab.closed(address, 300)])
    script = (
        "import json, resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (48, 48))\n"
        "from rempart.discover.portscan import scan_ports, usable_concurrency\n"
        "ports = json.loads(sys.argv[1])\n"
        "r = scan_ports(['127.77.6.1'], ports, concurrency=1024, workers=1)\n"
        "print(json.dumps({'open': r.open, 'limit': usable_concurrency(1024)}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, json.dumps(ports)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    answer = json.loads(done.stdout)
    assert answer["open"] == {address: [listening]}
    assert 1 <= answer["limit"] < 48


def test_a_low_soft_limit_is_raised_up_to_the_hard_limit() -> None:
    script = (
        "import resource\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (64, 4096))\n"
        "from rempart.discover.portscan import usable_concurrency\n"
        "print(usable_concurrency(1024), resource.getrlimit(resource.RLIMIT_NOFILE)[0])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    usable, soft = (int(x) for x in done.stdout.split())
    assert usable == 1024
    assert 1024 < soft <= 4096


@pytest.mark.parametrize(
    ("addresses", "ports"),
    [(["not-an-address"], [80]), (["127.77.7.1"], [0]), (["127.77.7.1"], [65536]), (["::1"], [80])],
)
def test_bad_input_is_a_usage_error(addresses: list[str], ports: list[int]) -> None:
    with pytest.raises(UsageError):
        scan_ports(addresses, ports)


def test_nothing_to_scan_is_an_empty_result() -> None:
    calls: list[tuple[int, int]] = []
    result = scan_ports([], [80], progress=lambda d, t: calls.append((d, t)))
    assert result == ScanResult(open={}, probes_sent=0, elapsed=result.elapsed, timed_out_hosts=())
    assert calls == [(0, 0)]

"""TCP connect scan: which ports of which hosts accept a connection.

Why it is built this way (measured on loopback, 65,535 ports of one host): asyncio's
``open_connection`` per port took 14.5 s, plain non-blocking sockets on epoll 1.4 s,
nmap ``-sT`` 1.7 s. So the scanner is a small event loop over non-blocking sockets
(``select.epoll`` on Linux, :mod:`selectors` elsewhere) that only connects and closes:
it never reads a byte, and an accepted connection is closed with a reset (SO_LINGER 0)
so that no TIME_WAIT piles up and no service sees a half-open session linger.

Bounds, so that a scan can never run away:

* at most ``concurrency`` connections in flight (the open-file limit is raised up to the
  hard limit when needed, otherwise concurrency is lowered to fit);
* adaptive timeouts per host, as nmap does: the first probes wait ``timeout``, then the
  wait follows the host's observed round-trip times (``srtt + 4 * rttvar``, clamped);
  a port that timed out is tried once more, if the host has answered anything at all
  (a host that never answers is down or firewalled: retrying would only double the wait);
* hosts are scanned in small groups, and each host's clock starts when its group
  reaches it: ``max_seconds_per_host`` stops that host, keeps what was found, and lists
  it in ``timed_out_hosts``.

Large jobs (``--ports all``) are split over worker processes by port, so both cores
of a small server work; each worker gets its share of the concurrency.
"""

from __future__ import annotations

import errno
import ipaddress
import math
import multiprocessing
import os
import queue
import select
import selectors
import socket
import struct
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rempart.core.errors import RempartError, UsageError
from rempart.i18n import _

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ScanResult:
    """What the port scan found: open ports per address, and what it cost."""

    open: dict[str, tuple[int, ...]]  # address → sorted open ports (only hosts with one)
    probes_sent: int  # connection attempts, retries included
    elapsed: float  # seconds
    timed_out_hosts: tuple[str, ...] = ()  # stopped by max_seconds_per_host


MIN_RTO = 0.25  # seconds: the adapted wait never goes below this (nor above `timeout` × 4)
MAX_RTO_FACTOR = 4.0
PARALLEL_THRESHOLD = 100_000  # (host, port) pairs; below it, starting workers costs more
PROGRESS_INTERVAL = 0.1  # seconds between progress reports
MAX_GROUP = 64  # hosts scanned at once by one worker
_FD_MARGIN = 32  # file descriptors left for everything else in the process
_WINDOWS_SELECT_LIMIT = 500  # select() on Windows handles 512 sockets at most

_IN_PROGRESS = {errno.EINPROGRESS, errno.EALREADY}
if sys.platform == "win32":  # pragma: no cover - Windows
    _IN_PROGRESS |= {errno.EWOULDBLOCK, getattr(errno, "WSAEWOULDBLOCK", 10035)}
    _LINGER_RST = struct.pack("HH", 1, 0)
else:
    _LINGER_RST = struct.pack("ii", 1, 0)
_REFUSED = {errno.ECONNREFUSED, getattr(errno, "WSAECONNREFUSED", 10061)}
# Out of a local resource (ephemeral ports, buffers): wait a little and send again.
_RESOURCE = {errno.EAGAIN, errno.EADDRNOTAVAIL, errno.ENOBUFS, errno.EMFILE, errno.ENFILE}
_NO_ROUTE = {errno.ENETUNREACH, getattr(errno, "WSAENETUNREACH", 10051)}
_SOCK_TYPE = socket.SOCK_STREAM | getattr(socket, "SOCK_NONBLOCK", 0)
_NEEDS_SETBLOCKING = not hasattr(socket, "SOCK_NONBLOCK")
# Linux resets a TCP socket whose connect() was refused when connect() is called again,
# so one socket serves many closed ports (saves a socket() and a close() per port).
_RECONNECT = sys.platform == "linux"


def scan_ports(
    addresses: Sequence[str],
    ports: Sequence[int],
    *,
    timeout: float = 1.0,
    concurrency: int = 1024,
    max_seconds_per_host: float | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> ScanResult:
    """Connect to every ``(address, port)`` and report the ports that accepted.

    ``progress(done, total)`` is called from the calling thread, at most about ten times
    a second, and once more at the end with ``done == total``. ``workers=None`` uses one
    process per CPU for large jobs and stays in this process for small ones.
    """
    started = time.monotonic()
    hosts = _check_addresses(addresses)
    port_list = _check_ports(ports)
    if not timeout > 0 or concurrency < 1:
        raise UsageError(_("The scan timeout and concurrency must be positive."))
    if max_seconds_per_host is not None and not max_seconds_per_host > 0:
        raise UsageError(_("The time cap per host must be positive."))
    total = len(hosts) * len(port_list)
    if total == 0:
        if progress:
            progress(0, 0)
        return ScanResult({}, 0, time.monotonic() - started, ())

    limit = usable_concurrency(concurrency)
    count = _worker_count(workers, total, len(port_list), limit)
    if count == 1:

        def report(done: int) -> None:
            if progress:
                progress(done, total)

        outcome = _scan_slice(hosts, port_list, timeout, limit, max_seconds_per_host, report)
        found, probes, timed_out = outcome
    else:
        found, probes, timed_out = _run_workers(
            hosts, port_list, timeout, limit, max_seconds_per_host, count, total, progress
        )
    if progress:
        progress(total, total)
    order = {address: i for i, address in enumerate(hosts)}
    return ScanResult(
        open={a: tuple(sorted(found[a])) for a in sorted(found, key=order.__getitem__)},
        probes_sent=probes,
        elapsed=time.monotonic() - started,
        timed_out_hosts=tuple(sorted(set(timed_out), key=order.__getitem__)),
    )


def usable_concurrency(wanted: int) -> int:
    """How many sockets may be in flight: ``wanted``, or less if the open-file limit is low.

    The soft limit is raised towards the hard limit first (an ordinary user may do that).
    """
    if sys.platform == "win32":  # pragma: no cover - Windows
        return max(1, min(wanted, _WINDOWS_SELECT_LIMIT))
    try:
        import resource
    except ImportError:  # pragma: no cover
        return wanted
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    used = _open_fds()
    need = wanted + used + _FD_MARGIN
    if soft != resource.RLIM_INFINITY and soft < need:
        target = need if hard == resource.RLIM_INFINITY else min(need, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass  # keep the soft limit and scan with fewer sockets
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(1, min(wanted, soft - used - _FD_MARGIN))


def _open_fds() -> int:
    for folder in ("/proc/self/fd", "/dev/fd"):
        try:
            return len(os.listdir(folder))
        except OSError:
            continue
    return 64  # pragma: no cover - a guess where the count is unknown


def _check_addresses(addresses: Sequence[str]) -> list[str]:
    hosts: dict[str, None] = {}
    for address in addresses:
        try:
            hosts[str(ipaddress.IPv4Address(str(address).strip()))] = None
        except ValueError:
            raise UsageError(
                _("Cannot scan '{address}': it is not an IPv4 address.").format(
                    address=str(address)[:60]
                )
            ) from None
    return list(hosts)


def _check_ports(ports: Sequence[int]) -> tuple[int, ...]:
    for port in ports:
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise UsageError(
                _("Cannot scan port {port}: ports go from 1 to 65535.").format(port=port)
            )
    return tuple(sorted(set(ports)))


def _worker_count(workers: int | None, total: int, n_ports: int, limit: int) -> int:
    if workers is None:
        count = (os.cpu_count() or 1) if total >= PARALLEL_THRESHOLD else 1
    else:
        count = max(1, workers)
    return max(1, min(count, n_ports, limit))


# --- one process's share -----------------------------------------------------------------

SliceResult = tuple[dict[str, list[int]], int, list[str]]
_SAMPLE_FIRST = 16  # answers per host whose round-trip time is always measured
_SAMPLE_EVERY = 31  # then one answer in 32 (a mask): enough to follow the host's timing


class _Host:
    """Scan state of one host in one process: what is left to send, and its timing."""

    __slots__ = (
        "address", "again", "answered", "deadline", "doubtful", "in_flight", "next", "open",
        "ports", "retry", "rto", "rttvar", "samples", "srtt", "unresolved",
    )  # fmt: skip

    def __init__(self, address: str, ports: tuple[int, ...], rto: float, deadline: float):
        self.address = address
        self.ports = ports
        self.next = 0  # index of the next port never tried
        self.again: list[tuple[int, int]] = []  # (port, attempt) to send again: local shortage
        self.retry: list[int] = []  # ports that timed out once, to try a second time
        self.doubtful: list[int] = []  # timed out before the host answered anything
        self.in_flight = 0
        self.unresolved = len(ports)
        self.answered = False
        self.samples = 0
        self.srtt = 0.0
        self.rttvar = 0.0
        self.rto = rto
        self.deadline = deadline
        self.open: list[int] = []

    def has_work(self) -> bool:
        return bool(self.again) or self.next < len(self.ports) or bool(self.retry)


class _Poller:
    """epoll where there is one (Linux), the best selector elsewhere. Works on descriptors."""

    def __init__(self) -> None:
        self._epoll = select.epoll() if hasattr(select, "epoll") else None
        self._selector = None if self._epoll else selectors.DefaultSelector()
        # epoll tells a connection (EPOLLOUT alone) from a failure (EPOLLERR/EPOLLHUP);
        # selectors only say "writable", so SO_ERROR is asked every time.
        self.connected_mask = select.EPOLLOUT if self._epoll else -1
        self.error_mask = (select.EPOLLERR | select.EPOLLHUP) if self._epoll else 0

    def register(self, fd: int) -> None:
        if self._epoll is not None:
            self._epoll.register(fd, select.EPOLLOUT)
        else:  # pragma: no cover - not Linux
            assert self._selector is not None
            self._selector.register(fd, selectors.EVENT_WRITE)

    def forget(self, fd: int) -> None:
        """Before closing: epoll drops a closed descriptor by itself, selectors do not."""
        if self._selector is not None:  # pragma: no cover - not Linux
            self._selector.unregister(fd)

    def poll(self, wait: float) -> list[tuple[int, int]]:
        if self._epoll is not None:
            return self._epoll.poll(wait)
        assert self._selector is not None  # pragma: no cover - not Linux
        return [(key.fd, 0) for key, _mask in self._selector.select(wait)]  # pragma: no cover

    def close(self) -> None:
        if self._epoll is not None:
            self._epoll.close()
        else:  # pragma: no cover - not Linux
            assert self._selector is not None
            self._selector.close()


def _scan_slice(
    addresses: Sequence[str],
    ports: tuple[int, ...],
    timeout: float,
    concurrency: int,
    cap: float | None,
    report: Callable[[int], None],
) -> SliceResult:
    """Scan ``ports`` of every address in this process; ``report(done)`` every 0.1 s.

    The loop is written for speed (it runs once per port of every host): names are bound
    locally and the common case, a closed port, costs one connect, one event and a close.
    """
    min_rto = min(timeout, MIN_RTO)
    max_rto = timeout * MAX_RTO_FACTOR
    group = max(2, min(MAX_GROUP, math.ceil(concurrency / len(ports)) + 1))
    waiting = deque(addresses)
    active: list[_Host] = []
    # fd → (socket, host, port, attempt, sent at)
    inflight: dict[int, tuple[socket.SocketType, _Host, int, int, float]] = {}
    # (deadline, fd, socket) in send order. Waits differ little, so the order is nearly
    # sorted; an entry stuck behind a later one times out late, never early.
    expiry: deque[tuple[float, int, socket.SocketType]] = deque()
    found: dict[str, list[int]] = {}
    timed_out: list[str] = []
    poller = _Poller()
    register, forget = poller.register, poller.forget
    connected_mask, error_mask = poller.connected_mask, poller.error_mask
    new_socket, family = socket.SocketType, socket.AF_INET
    sol, so_error = socket.SOL_SOCKET, socket.SO_ERROR
    in_progress, refused = _IN_PROGRESS, _REFUSED
    limit = concurrency
    probes = done = stalls = rotate = 0
    spare: socket.SocketType | None = None  # a refused socket, ready to connect again (Linux)
    paused_until = 0.0
    now = time.monotonic()
    next_report = now + PROGRESS_INTERVAL

    def answered(host: _Host, rtt: float) -> None:
        """The host answered (open or refused): it is up; follow its round-trip time."""
        if not host.answered:
            host.answered = True
            host.retry.extend(host.doubtful)  # the host is up: those deserve a second try
            host.doubtful.clear()
        if host.samples == 0:
            host.srtt, host.rttvar = rtt, rtt / 2
        else:
            host.rttvar += 0.25 * (abs(host.srtt - rtt) - host.rttvar)
            host.srtt += 0.125 * (rtt - host.srtt)
        host.samples += 1
        host.rto = min(max(host.srtt + 4 * host.rttvar, min_rto), max_rto)

    def is_open(sock: socket.SocketType) -> bool:
        try:  # a connect to our own address and port "succeeds" (TCP simultaneous open)
            return bool(sock.getsockname() != sock.getpeername())
        except OSError:
            return False

    def close(sock: socket.SocketType, reset: bool = False) -> None:
        try:
            forget(sock.fileno())
            if reset:
                sock.setsockopt(sol, socket.SO_LINGER, _LINGER_RST)
        except (OSError, KeyError, ValueError):
            pass
        sock.close()

    def abandon(host: _Host) -> int:
        """Stop scanning ``host`` (time cap, no route): close its sockets, count the rest done."""
        for fd in [fd for fd, entry in inflight.items() if entry[1] is host]:
            close(inflight.pop(fd)[0])
        host.in_flight = 0
        left = host.unresolved
        host.unresolved = 0
        host.next = len(host.ports)
        host.again.clear()
        host.retry.clear()
        host.doubtful.clear()
        return left

    try:
        while waiting or active:
            now = time.monotonic()
            while waiting and len(active) < group:
                deadline = now + cap if cap else math.inf
                active.append(_Host(waiting.popleft(), ports, timeout, deadline))

            # Send: fill the free slots, sharing them between the hosts of the group.
            free = limit - len(inflight)
            if free > 0 and now >= paused_until:
                rotate = (rotate + 1) % len(active)
                share = max(8, free // len(active) + 1)
                for host in active[rotate:] + active[:rotate]:
                    budget = min(share, free)
                    address = host.address
                    while budget > 0:
                        if host.again:
                            port, attempt = host.again.pop()
                        elif host.next < len(host.ports):
                            port = host.ports[host.next]
                            host.next += 1
                            attempt = 1
                        elif host.retry:
                            port, attempt = host.retry.pop(), 2
                        else:
                            break
                        if spare is not None:
                            sock, spare = spare, None
                        else:
                            try:
                                sock = new_socket(family, _SOCK_TYPE)
                                if _NEEDS_SETBLOCKING:  # pragma: no cover - not Linux
                                    sock.setblocking(False)
                            except OSError as exc:
                                host.again.append((port, attempt))
                                limit, stalls = _shortage(exc, len(inflight), limit, stalls)
                                paused_until, free = now + 0.01, 0
                                break
                        target = (address, port)
                        err = sock.connect_ex(target)
                        if err in in_progress:
                            # Often the answer is already there (a near host, loopback):
                            # then it costs no wait and no slot. On Linux, a second connect()
                            # says refused, connected (0) or still waiting (EALREADY), and
                            # leaves a refused socket ready for the next port.
                            if _RECONNECT:
                                err = sock.connect_ex(target)
                                if err == 0:
                                    probes += 1
                                    host.unresolved -= 1
                                    done += 1
                                    budget -= 1
                                    if is_open(sock):
                                        host.open.append(port)
                                    answered(host, time.monotonic() - now)
                                    close(sock, reset=True)
                                    continue
                                if err == errno.EALREADY:
                                    err = 0
                            else:  # pragma: no cover - not Linux
                                err = sock.getsockopt(sol, so_error)
                        if err in refused:
                            if _RECONNECT:
                                spare = sock
                            else:  # pragma: no cover - not Linux
                                sock.close()
                            probes += 1
                            host.unresolved -= 1
                            done += 1
                            budget -= 1  # bounds the work between two progress reports
                            if host.samples < _SAMPLE_FIRST or not probes & _SAMPLE_EVERY:
                                answered(host, time.monotonic() - now)
                            continue
                        if err == 0:
                            fd = sock.fileno()
                            register(fd)
                            inflight[fd] = (sock, host, port, attempt, now)
                            wait = host.rto if attempt == 1 else min(2 * host.rto, max_rto)
                            expiry.append((now + wait, fd, sock))
                            host.in_flight += 1
                            probes += 1
                            budget -= 1
                            free -= 1
                            stalls = 0
                            continue
                        if err in _RESOURCE:
                            sock.close()
                            host.again.append((port, attempt))
                            shortage = OSError(err, os.strerror(err))
                            limit, stalls = _shortage(shortage, len(inflight), limit, stalls)
                            paused_until, free = now + 0.01, 0
                            break
                        # Failed locally (unreachable, not permitted): not open.
                        probes += 1
                        sock.close()
                        host.unresolved -= 1
                        done += 1
                        budget -= 1
                        if err in _NO_ROUTE:  # no route to this host: nothing will answer
                            done += abandon(host)
                            break
                    if free <= 0:
                        break

            # Wait for answers, timeouts, or the next progress report.
            now = time.monotonic()
            if inflight:
                wait = min(PROGRESS_INTERVAL, next_report - now, expiry[0][0] - now)
                events = poller.poll(max(0.0, wait))
            elif paused_until > now:
                events = poller.poll(paused_until - now)
            else:
                events = []
            now = time.monotonic()
            pop = inflight.pop
            for fd, mask in events:
                entry = pop(fd, None)
                if entry is None:
                    continue
                sock, host, port, attempt, sent = entry
                host.in_flight -= 1
                host.unresolved -= 1
                done += 1
                if mask & error_mask and host.samples >= _SAMPLE_FIRST and done & _SAMPLE_EVERY:
                    sock.close()  # refused (or unreachable): not open, no need to ask which
                    continue
                err = 0 if mask == connected_mask else sock.getsockopt(sol, so_error)
                if err == 0:
                    if is_open(sock):
                        host.open.append(port)
                    answered(host, now - sent)
                    close(sock, reset=True)
                else:
                    if err in refused:
                        answered(host, now - sent)
                    close(sock)

            # Time out the probes whose wait is over (one last look at each first).
            while expiry and expiry[0][0] <= now:
                _deadline, fd, sock = expiry.popleft()
                entry = inflight.get(fd)
                if entry is None or entry[0] is not sock:
                    continue  # answered already
                del inflight[fd]
                _sock, host, port, attempt, sent = entry
                host.in_flight -= 1
                err = sock.getsockopt(sol, so_error)
                if err in refused:
                    answered(host, now - sent)
                elif err == 0 and is_open(sock):
                    host.open.append(port)
                    answered(host, now - sent)
                elif attempt == 1:
                    (host.retry if host.answered else host.doubtful).append(port)
                    close(sock)
                    continue
                close(sock, reset=err == 0)
                host.unresolved -= 1
                done += 1

            # Hosts past their time cap, and hosts with nothing left to do.
            kept: list[_Host] = []
            for host in active:
                if now >= host.deadline and host.unresolved > 0:
                    done += abandon(host)
                    timed_out.append(host.address)
                if host.in_flight == 0 and not host.has_work():
                    done += len(host.doubtful)  # never answered: down or firewalled
                    host.unresolved -= len(host.doubtful)
                    host.doubtful.clear()
                    if host.open:
                        found[host.address] = sorted(host.open)
                    continue
                kept.append(host)
            active = kept

            if now >= next_report:
                report(done)
                next_report = now + PROGRESS_INTERVAL
    finally:
        for entry in inflight.values():
            entry[0].close()
        if spare is not None:
            spare.close()
        poller.close()
    return found, probes, timed_out


def _shortage(exc: OSError, in_flight: int, limit: int, stalls: int) -> tuple[int, int]:
    """Out of sockets or local ports: fewer in flight (out of files), fail if nothing moves.

    Returns the new limit on sockets in flight and the count of stalls in a row.
    """
    stalls += 1
    if in_flight == 0 and stalls > 200:
        raise RempartError(
            _("The port scan cannot open connections ({error}): close other programs "
              "or lower the scan concurrency.").format(error=exc.strerror or exc)
        )  # fmt: skip
    if exc.errno in (errno.EMFILE, errno.ENFILE):
        limit = max(1, in_flight)
    return limit, stalls


# --- several processes -------------------------------------------------------------------


def _runs(values: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted integers as runs ``(first, last)``: 65,535 ports become one pair.

    Workers get their share this way so that what is written to a starting process stays
    tiny (a large pickle can block the parent if the child dies before reading it).
    """
    runs: list[tuple[int, int]] = []
    for value in values:
        if runs and value == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], value)
        else:
            runs.append((value, value))
    return runs


def _expand(runs: Sequence[tuple[int, int]]) -> list[int]:
    return [value for first, last in runs for value in range(first, last + 1)]


def _worker(
    messages: Any,
    wid: int,
    count: int,
    host_runs: list[tuple[int, int]],
    port_runs: list[tuple[int, int]],
    timeout: float,
    concurrency: int,
    cap: float | None,
) -> None:
    """Entry point of a worker process: scan every ``count``-th port, report, return results."""
    try:
        hosts = [str(ipaddress.IPv4Address(value)) for value in _expand(host_runs)]
        ports = tuple(_expand(port_runs)[wid::count])

        def report(done: int) -> None:
            messages.put(("progress", wid, done))

        result = _scan_slice(hosts, ports, timeout, concurrency, cap, report)
        messages.put(("result", wid, result))
    except BaseException as exc:  # the parent turns this into one clear error
        messages.put(("error", wid, f"{type(exc).__name__}: {exc}"))


_WORKER_SILENCE = 60.0  # seconds without a word from a live worker: it is stuck


def _run_workers(
    hosts: list[str],
    ports: tuple[int, ...],
    timeout: float,
    limit: int,
    cap: float | None,
    count: int,
    total: int,
    progress: Progress | None,
) -> SliceResult:
    context = multiprocessing.get_context("spawn")  # safe with threads, same on every OS
    messages = context.Queue()
    shares = [limit // count + (1 if i < limit % count else 0) for i in range(count)]
    numbers = sorted(int(ipaddress.IPv4Address(address)) for address in hosts)
    host_runs, port_runs = _runs(numbers), _runs(ports)
    processes = [
        context.Process(
            target=_worker,
            args=(messages, i, count, host_runs, port_runs, timeout, shares[i], cap),
            name=f"rempart-portscan-{i}",
            daemon=True,
        )
        for i in range(count)
    ]
    found: dict[str, list[int]] = {}
    probes = 0
    timed_out: list[str] = []
    progress_by_worker = [0] * count
    pending = set(range(count))
    silent_rounds = 0
    last_report = 0.0
    last_word = time.monotonic()
    try:
        for process in processes:
            process.start()
        while pending:
            try:
                kind, wid, payload = messages.get(timeout=0.2)
            except queue.Empty:
                dead = [i for i in pending if processes[i].exitcode is not None]
                silent_rounds = silent_rounds + 1 if dead else 0
                if silent_rounds > 10 or time.monotonic() - last_word > _WORKER_SILENCE:
                    raise RempartError(
                        _("The port scan stopped: a worker process ended unexpectedly.")
                    ) from None
                continue
            last_word = time.monotonic()
            if kind == "progress":
                progress_by_worker[wid] = payload
                if progress and last_word - last_report >= PROGRESS_INTERVAL:
                    progress(min(total, sum(progress_by_worker)), total)
                    last_report = last_word
            elif kind == "result":
                part, sent, stopped = payload
                for address, open_ports in part.items():
                    found.setdefault(address, []).extend(open_ports)
                probes += sent
                timed_out.extend(stopped)
                pending.discard(wid)
            else:
                raise RempartError(_("The port scan failed: {error}").format(error=payload))
    finally:
        for process in processes:
            if process.is_alive():
                process.join(timeout=0.5)
            if process.is_alive():
                process.terminate()
                process.join(timeout=2)
        messages.close()
        messages.join_thread()
    return found, probes, timed_out


__all__ = ["ScanResult", "scan_ports", "usable_concurrency"]

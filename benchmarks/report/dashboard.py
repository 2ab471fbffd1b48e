"""The dashboard's pages under load: p95 latency of each page, 20 requests at a time.

    uv run python benchmarks/report/dashboard.py              # 50 hosts, 1,000 findings
    uv run python benchmarks/report/dashboard.py --hosts 10 --findings 200 --requests 100

The store holds a generated audit (``synthetic.generate_audit``: 50 hosts, 1,000 findings)
and the one before it. ``rempart serve`` runs in its own process on 127.0.0.1, as a user
starts it; 20 client threads (one keep-alive connection each) ask for each page in turn.
The peer, in the same run, is Python's ``http.server`` serving the very same bytes from
files: the time a page costs beyond sending it is ours. Target: every page < 300 ms at p95.

:func:`measure` is also what ``benchmarks/report/run.py`` calls: give it the URL of a
running dashboard (fair: the server has its own process), or an app from
``rempart.web.create_app`` (served by uvicorn in a thread of this process, so client and
server share one interpreter: pessimistic figures).
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

TARGET_MS = 300.0
CONCURRENCY = 20
PAGES = (
    "/",
    "/findings",
    "/findings?severity=high",
    "/findings?q=smb&page=2",
    "/assets",
    "/audits",
    "/backups",
    "/sentinel",
)


def p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _served_app(app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn in a thread of this process."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def _timings(
    url: str, paths: Sequence[str], concurrency: int, requests: int
) -> dict[str, list[float]]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    local = threading.local()

    def fetch(path: str) -> float:
        for attempt in (1, 2):
            conn = getattr(local, "conn", None)
            if conn is None:
                conn = local.conn = http.client.HTTPConnection(host, port, timeout=60)
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Host": f"{host}:{port}"})
                answer = conn.getresponse()
                answer.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                local.conn = None
                if attempt == 2:
                    raise
                continue  # a keep-alive connection the server had closed: once more
            elapsed = (time.perf_counter() - started) * 1000
            if answer.status != 200:
                raise RuntimeError(f"{path}: HTTP {answer.status}")
            return elapsed
        raise AssertionError("unreachable")

    out: dict[str, list[float]] = {}
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for path in paths:
            fetch(path)  # the first request builds the page's data; measured apart (cold)
            out[path] = list(pool.map(fetch, [path] * requests))
    return out


def measure(
    target: Any,
    paths: Sequence[str] = PAGES,
    *,
    concurrency: int = CONCURRENCY,
    requests: int = 200,
) -> dict[str, float]:
    """p95 latency in milliseconds of each page of ``target`` (a URL or an app), with
    ``concurrency`` requests in flight; ``requests`` requests per page after one warm-up."""
    if isinstance(target, str):
        timings = _timings(target.rstrip("/"), paths, concurrency, requests)
    else:
        with _served_app(target) as url:
            timings = _timings(url, paths, concurrency, requests)
    return {path: p95(values) for path, values in timings.items()}


def first_ms(url: str, path: str) -> float:
    """One request, alone and first: the page's data is built (as after each change)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    try:
        started = time.perf_counter()
        conn.request("GET", path, headers={"Host": parts.netloc})
        conn.getresponse().read()
        return (time.perf_counter() - started) * 1000
    finally:
        conn.close()


# -- the standalone benchmark ------------------------------------------------------------


@contextmanager
def dashboard_process(home: Path) -> Iterator[str]:
    """``rempart serve`` in its own process on 127.0.0.1, as a user starts it."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "rempart", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "REMPART_HOME": str(home), "COLUMNS": "200"},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if f":{port}" not in line:
            raise RuntimeError(f"rempart serve did not start: {line}{proc.stderr.read()}")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(30)


@contextmanager
def _static_peer(
    url: str, paths: Sequence[str], folder: Path
) -> Iterator[tuple[str, dict[str, str]]]:
    """http.server serving, from files, the bytes the dashboard sent for each page."""
    parts = urlsplit(url)
    names: dict[str, str] = {}
    for i, path in enumerate(paths):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        conn.request("GET", path, headers={"Host": parts.netloc})
        body = conn.getresponse().read()
        conn.close()
        name = f"/page{i}.html"
        (folder / name.lstrip("/")).write_bytes(body)
        names[path] = name

    class Quiet(SimpleHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", names
    finally:
        server.shutdown()
        thread.join(10)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--findings", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=200, help="per page, after a warm-up")
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    args = parser.parse_args(argv)

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from synthetic import generate_audit, previous_of

    with tempfile.TemporaryDirectory(prefix="rempart-dash-bench-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        os.environ["REMPART_HOME"] = str(home)
        from rempart.store import Store

        audit = generate_audit(args.hosts, args.findings)
        with Store.open() as store:
            store.save_audit(previous_of(audit))
            store.save_audit(audit)
        detail = f"/audits/{audit.id}"
        paths = (*PAGES, detail)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(
            f"dashboard: {args.hosts} hosts, {len(audit.findings)} findings, "
            f"{args.concurrency} requests in flight, {args.requests} per page; "
            f"load average {load:.2f}, {os.cpu_count()} CPUs"
        )
        with dashboard_process(home) as url:
            first = {p: first_ms(url, p) for p in ("/", detail)}
            ours = measure(url, paths, concurrency=args.concurrency, requests=args.requests)
            static = Path(tmp) / "static"
            static.mkdir()
            with _static_peer(url, paths, static) as (peer_url, names):
                theirs_by_file = measure(
                    peer_url,
                    [names[p] for p in paths],
                    concurrency=args.concurrency,
                    requests=args.requests,
                )
                sizes = {p: (static / names[p].lstrip("/")).stat().st_size for p in paths}
        theirs = {p: theirs_by_file[names[p]] for p in paths}
        width = max(len(p) for p in paths)
        print(
            f"{'page':<{width}}  {'size':>8}  {'ours p95':>9}  {'static p95':>10}  "
            f"{'ratio':>6}  target < {TARGET_MS:.0f} ms"
        )
        met = True
        for p in paths:
            ok = ours[p] < TARGET_MS
            met &= ok
            ratio = ours[p] / theirs[p] if theirs[p] > 0 else float("inf")
            print(
                f"{p:<{width}}  {sizes[p] / 1000:>6.0f}kB  {ours[p]:>7.1f}ms  "
                f"{theirs[p]:>8.1f}ms  {ratio:>6.1f}  {'met' if ok else 'NOT MET'}"
            )
        print(
            "first request after a change (data built): "
            + ", ".join(f"{p} {ms:.0f} ms" for p, ms in first.items())
        )
        print("target met on every page" if met else "target NOT met on some pages")
        return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["PAGES", "TARGET_MS", "measure", "p95"]

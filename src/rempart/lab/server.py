"""The lab process: every fake of the demo practice in one asyncio loop.

``python -m rempart.lab --state FILE`` binds every service (moving a port below
1024 by the documented offset when it must), writes the state file atomically once all
listen, and serves until SIGTERM/SIGINT. :func:`running_lab` runs the same services in a
background thread of the current process, for tests.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rempart.core.errors import LabError
from rempart.i18n import _
from rempart.lab import binding
from rempart.lab.fakes import dicom
from rempart.lab.fakes.common import guarded
from rempart.lab.fakes.snmp import SnmpProtocol
from rempart.lab.practice import HOSTS, HostSpec
from rempart.lab.services import tcp_fakes
from rempart.lab.state import LabHost, LabService, LabState, write_state

log = logging.getLogger("rempart.lab")

EXIT_BIND_FAILED = 3


def _quiet_loop_errors(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    # Failed TLS handshakes and resets from garbage clients are expected in the lab.
    log.debug("loop: %s", context.get("message"))


class LabRunner:
    """Binds and serves the practice's services on the running event loop."""

    def __init__(
        self, binder: binding.Binder = binding.default_binder, hosts: tuple[HostSpec, ...] = HOSTS
    ):
        self.binder = binder
        self.hosts = hosts
        self.servers: list[asyncio.base_events.Server] = []
        self.transports: list[asyncio.BaseTransport] = []
        self.dicom_servers: list[Any] = []
        self.bound: tuple[LabHost, ...] = ()

    async def start(self) -> tuple[LabHost, ...]:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(_quiet_loop_errors)
        fakes = tcp_fakes()
        hosts: list[LabHost] = []
        try:
            for host in self.hosts:
                services: list[LabService] = []
                for spec in host.services:
                    kind = socket.SOCK_DGRAM if spec.transport == "udp" else socket.SOCK_STREAM
                    sock, port = binding.bind(self.binder, host.address, spec.port, kind)
                    if spec.key == "snmp":
                        transport, _protocol = await loop.create_datagram_endpoint(
                            SnmpProtocol, sock=sock
                        )
                        self.transports.append(transport)
                    elif spec.key == "dicom":
                        sock.close()  # pynetdicom binds by itself, on the port we were allowed
                        try:
                            self.dicom_servers.append(dicom.start(host.address, port))
                        except OSError as exc:
                            raise LabError(
                                _(
                                    "The demo practice cannot listen on {where} (DICOM): {error}. "
                                    "Stop any other lab with `rempart lab down`."
                                ).format(where=f"{host.address}:{port}/tcp", error=exc)
                            ) from exc
                    else:
                        fake = fakes[spec.key]
                        server = await asyncio.start_server(
                            guarded(spec.key, fake.handler),
                            sock=sock,
                            ssl=fake.tls,
                            ssl_handshake_timeout=10.0 if fake.tls else None,
                            limit=16384,
                        )
                        self.servers.append(server)
                    services.append(
                        LabService(spec.key, port, spec.port, spec.transport, spec.description)
                    )
                hosts.append(
                    LabHost(host.name, host.kind, host.address, host.label, tuple(services))
                )
        except BaseException:
            await self.stop()
            raise
        self.bound = tuple(hosts)
        return self.bound

    async def stop(self) -> None:
        for server in self.servers:
            server.close()
        for transport in self.transports:
            transport.close()
        for server in self.dicom_servers:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(dicom.stop, server)
        for server in self.servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 2.0)
        self.servers, self.transports, self.dicom_servers = [], [], []

    def state(self, data_dir: str = "", log_path: str = "") -> LabState:
        return LabState(
            pid=os.getpid(),
            started=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            hosts=self.bound,
            data_dir=data_dir,
            log=log_path,
        )


async def _cancel_connections() -> None:
    """Cancel the handlers still running (clients still connected) and let them close."""
    current = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not current]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


@contextlib.contextmanager
def running_lab(
    binder: binding.Binder = binding.default_binder, data_dir: str = ""
) -> Iterator[LabState]:
    """Run the lab's services in a background thread of this process (tests)."""
    loop = asyncio.new_event_loop()
    runner = LabRunner(binder)
    thread = threading.Thread(target=loop.run_forever, name="rempart-lab", daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(runner.start(), loop).result(30)
        yield runner.state(data_dir)
    finally:
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(runner.stop(), loop).result(10)
            asyncio.run_coroutine_threadsafe(_cancel_connections(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


async def _serve(state_path: Path, data_dir: str, log_path: str, binder: binding.Binder) -> int:
    runner = LabRunner(binder)
    try:
        await runner.start()
    except LabError as exc:
        print(f"LAB-ERROR: {exc}", file=sys.stderr, flush=True)
        return EXIT_BIND_FAILED
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    state = runner.state(data_dir, log_path)
    write_state(state_path, state)
    log.warning("lab ready, pid %d", state.pid)
    try:
        await stop.wait()
    finally:
        await runner.stop()
        with contextlib.suppress(Exception):
            from rempart.lab.state import read_state

            current = read_state(state_path)
            if current is not None and current.pid == os.getpid():
                state_path.unlink(missing_ok=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rempart.lab")
    parser.add_argument("--state", required=True, type=Path)
    parser.add_argument("--data", default="")
    parser.add_argument("--log", default="")
    parser.add_argument(
        "--unprivileged",
        action="store_true",
        help="behave like an ordinary user: ports below 1024 are moved by the offset",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    binder = binding.unprivileged_binder if args.unprivileged else binding.default_binder
    return asyncio.run(_serve(args.state, args.data, args.log, binder))

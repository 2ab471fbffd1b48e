"""`rempart serve`: the local dashboard on http://127.0.0.1:8765.

The command wires what the dashboard's buttons start, so that the web pillar imports no
other: an audit of the demo practice when the lab is up (``rempart lab up``), else of the
network the last audit covered; a restore drill through the vault when a repository is
configured.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
from typing import TYPE_CHECKING, Annotated

import typer

from rempart import config
from rempart.cli.main import app, console
from rempart.core.errors import RempartError, UsageError
from rempart.i18n import _

if TYPE_CHECKING:  # the web stack and the store load when the command runs, not at start-up
    from rempart.app.audit import Progress
    from rempart.core.model import Audit
    from rempart.store import Store
    from rempart.web.app import DrillRunner

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def dashboard_audit(store: Store, progress: Progress) -> Audit:
    """What the dashboard's "run an audit" button audits.

    The demo practice when it runs (the same scope as ``rempart demo``); otherwise the
    network of the last audit that scanned one, with the practice's survey answers, like
    ``rempart audit --network …`` would."""
    from rempart.app.audit import AuditOptions, run_audit
    from rempart.cli.common import build_scope
    from rempart.cli.demo import demo_scope
    from rempart.lab import lab_status

    settings = config.load()
    lab = lab_status()
    if lab is not None:
        scope = demo_scope(lab)
        return run_audit(scope, AuditOptions(try_default_credentials=True), settings, progress)
    previous = next((a for a in store.list_audits(50) if a.targets), None)
    if previous is None:
        raise UsageError(
            _(
                "No network to audit yet: run 'rempart audit --network 192.168.1.0/24' once "
                "(or start the demo practice with 'rempart lab up'), then use this button."
            )
        )
    last = store.get_audit(previous.id)
    ports = None if last.ports.startswith("default") else last.ports
    scope = build_scope(list(last.targets), ports, authorized=last.authorized, large=True)
    from rempart.survey.store import load_stored_answers

    answers = load_stored_answers()
    return run_audit(scope, AuditOptions(), settings, progress, answers=answers)


def dashboard_drill(settings: config.Settings) -> DrillRunner:
    """The vault's restore drill (``rempart.vault.drills.run_drill``): it restores into a
    scratch folder, checks every byte and records the outcome in the store."""

    def drill(store: Store, progress: Progress) -> str:
        from rempart.vault.drills import run_drill

        progress.phase("restore", 0)
        result = run_drill(settings, store, progress=progress.update)
        if not result.ok:
            raise RempartError(result.detail)  # recorded as failed; the page says why
        return result.detail

    return drill


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, or one clear line saying why it cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise RempartError(
                _(
                    "Port {port} on {host} is already in use (another dashboard is running?): "
                    "open it, or choose another port with --port."
                ).format(port=port, host=host)
            ) from exc
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise RempartError(
                _(
                    "Not allowed to listen on port {port} (ports below 1024 need "
                    "administrator rights): choose a port above 1024 with --port."
                ).format(port=port)
            ) from exc
        raise RempartError(
            _("Cannot listen on {host}:{port}: {error}. Check --host and --port.").format(
                host=host, port=port, error=exc.strerror or exc
            )
        ) from exc
    sock.setblocking(False)
    return sock


def url_for(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


@app.command()
def serve(
    host: Annotated[
        str,
        typer.Option("--host", help="Address to listen on (default 127.0.0.1: this PC only)."),
    ] = DEFAULT_HOST,
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = DEFAULT_PORT,
    allow_remote: Annotated[
        bool,
        typer.Option(
            "--allow-remote",
            help="Allow an address other than loopback: other computers could see the findings.",
        ),
    ] = False,
) -> None:
    """Open the local dashboard: grade, findings, devices, audits, backups, sentinel."""
    import uvicorn

    from rempart.web import create_app

    if not 0 < port < 65536:
        raise UsageError(
            _("Port {port} is not valid: give a number from 1 to 65535.").format(port=port)
        )
    if not is_loopback(host) and not allow_remote:
        raise UsageError(
            _(
                "The dashboard shows the practice's weaknesses: it listens on 127.0.0.1 only. "
                "To open it to the network on {host}, add --allow-remote (and keep that "
                "network private)."
            ).format(host=host)
        )
    settings = config.load()
    sock = bind(host, port)
    application = create_app(
        allow_remote=not is_loopback(host),
        audit_runner=dashboard_audit,
        drill_runner=dashboard_drill(settings),
    )
    url = url_for(host, port)
    console.print(_("Rempart dashboard: {url} (Ctrl+C to stop)").format(url=url), highlight=False)
    if not is_loopback(host):
        console.print(
            _(
                "Warning: listening on {host}: every computer that reaches it sees the findings."
            ).format(host=host),
            highlight=False,
        )
    server = uvicorn.Server(
        uvicorn.Config(application, log_level="warning", access_log=False, lifespan="on")
    )
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()

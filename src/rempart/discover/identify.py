"""Service identification: open ports → typed :class:`~rempart.core.model.Service` objects.

For each open port:

1. **Banner**: connect and wait briefly for a greeting. Server-first protocols (SSH, FTP,
   Telnet, VNC, MySQL…) are recognised by what they say, whatever the port.
2. **Probes**: a greeting is offered to the server-first probes that claim it; a silent
   service gets the client-first probes, those whose usual ports include this one first,
   then the others in a fixed, harmless order, so that a service on an unusual port is
   still found. The first probe that recognises its protocol wins; follow-up probes add
   what they see (TLS under HTTPS, WinRM behind Microsoft's HTTP API).
3. **Fingerprints**: banners, headers, titles and certificate subjects → product, version,
   CPE (our rules first, then Recog's).

Every probe of a host shares one :class:`HostBudget` (time and bytes); probes run in a
bounded thread pool. Nothing here judges: that is the checks' job.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from rempart.core.model import Asset, Service
from rempart.core.observations import (
    DatabaseObservation,
    DicomObservation,
    FtpObservation,
    HttpObservation,
    Observation,
    RemoteAccessObservation,
    SmbObservation,
    SnmpObservation,
    SshObservation,
    TelnetObservation,
    TlsObservation,
)
from rempart.discover.probes.base import (
    MAX_BANNER,
    HostBudget,
    ProbeContext,
    ProbeError,
    clean_text,
)

log = logging.getLogger(__name__)

# Server-first probes, tried on a greeting (order: most specific first).
SERVER_FIRST = ("ssh", "ftp", "vnc", "mysql", "hfsql", "sqlanywhere", "telnet")
# Client-first probes, in the order tried on a silent service whose port says nothing.
# HTTP first (most common, and harmless to everything), binary protocols after.
CLIENT_FIRST = (
    "http",
    "rdp",
    "smb",
    "mssql",
    "dicom",
    "postgresql",
    "teamviewer",
    "firebird",
    "anydesk",
    "tls",
)
# Probes that only add to another probe's result.
FOLLOW_UP = ("tls", "winrm", "screenconnect", "anydesk")


def load_probe(name: str) -> ModuleType | None:
    """The probe module ``rempart.discover.probes.<name>``, or ``None`` if absent."""
    try:
        return importlib.import_module(f"rempart.discover.probes.{name}")
    except ImportError:
        log.warning("probe %s is not available", name)
        return None


@dataclass
class IdentifyOptions:
    timeout: float = 3.0  # per socket operation in a probe
    banner_wait: float = 1.0  # how long a silent service is given to greet
    fallback_timeout: float = 1.0  # per operation when guessing an unknown service
    host_time_cap: float = 60.0
    host_bytes_cap: int = 1024 * 1024
    try_default_credentials: bool = False
    workers: int = 32
    snmp: bool = True
    snmp_port: int = 161
    snmp_timeout: float = 1.0


@dataclass
class Identification:
    """What identification produced, plus what could not be checked."""

    assets: tuple[Asset, ...]
    notes: tuple[str, ...] = ()
    services_seen: int = 0
    elapsed: float = 0.0
    errors: dict[str, str] = field(default_factory=dict)


class Identifier:
    """Identifies services on open ports with the probes and the fingerprints."""

    def __init__(self, options: IdentifyOptions | None = None, fingerprints: Any = None) -> None:
        self.options = options or IdentifyOptions()
        self.fingerprints = fingerprints
        self.probes: dict[str, ModuleType] = {}
        for name in dict.fromkeys((*SERVER_FIRST, *CLIENT_FIRST, *FOLLOW_UP, "snmp", "winrm")):
            module = load_probe(name)
            if module is not None:
                self.probes[name] = module

    # -- the whole scope ---------------------------------------------------------------

    def identify(
        self,
        open_ports: Mapping[str, Sequence[int]],
        *,
        snmp_addresses: Sequence[str] = (),
        progress: Callable[[int, int], None] | None = None,
    ) -> Identification:
        """Identify every open port; sweep ``snmp_addresses`` for SNMP over UDP."""
        started = time.monotonic()
        opts = self.options
        budgets = {
            addr: HostBudget.start(opts.host_time_cap, opts.host_bytes_cap) for addr in open_ports
        }
        tasks = [(addr, port) for addr, ports in open_ports.items() for port in ports]
        services: dict[str, list[Service]] = {addr: [] for addr in open_ports}
        notes: list[str] = []
        done = 0
        total = len(tasks) + (1 if snmp_addresses and opts.snmp else 0)
        with ThreadPoolExecutor(max_workers=max(1, opts.workers)) as pool:
            futures = {
                pool.submit(self.identify_port, addr, port, budgets[addr]): (addr, port)
                for addr, port in tasks
            }
            snmp_future = None
            if snmp_addresses and opts.snmp and "snmp" in self.probes:
                snmp_future = pool.submit(self._snmp_sweep, snmp_addresses)
            for fut in as_completed(futures):
                addr, port = futures[fut]
                try:
                    services[addr].append(fut.result())
                except Exception as exc:  # a probe bug must not stop the audit
                    log.exception("identification of %s:%s failed", addr, port)
                    notes.append(
                        f"{addr}:{port}/tcp: identification failed ({exc.__class__.__name__})"
                    )
                    services[addr].append(Service(address=addr, port=port))
                done += 1
                if progress:
                    progress(done, total)
            if snmp_future is not None:
                try:
                    for addr, obs in snmp_future.result().items():
                        services.setdefault(addr, []).append(self._snmp_service(addr, obs))
                except Exception as exc:
                    log.exception("SNMP sweep failed")
                    notes.append(f"SNMP: sweep failed ({exc.__class__.__name__})")
                done += 1
                if progress:
                    progress(done, total)
        for addr, budget in budgets.items():
            if budget.remaining() <= 0:
                notes.append(f"{addr}: time cap of {opts.host_time_cap:.0f} s reached")
            if budget.bytes_read > budget.max_bytes:
                notes.append(f"{addr}: byte cap of {budget.max_bytes} reached")
        assets = tuple(
            self._asset(addr, sorted(svcs, key=lambda s: (s.transport, s.port)))
            for addr, svcs in sorted(services.items(), key=lambda kv: _ip_key(kv[0]))
            if svcs
        )
        return Identification(
            assets=assets,
            notes=tuple(notes),
            services_seen=sum(len(a.services) for a in assets),
            elapsed=time.monotonic() - started,
        )

    # -- one port ----------------------------------------------------------------------

    def identify_port(self, address: str, port: int, budget: HostBudget) -> Service:
        opts = self.options
        ctx = ProbeContext(
            budget=budget,
            timeout=opts.timeout,
            try_default_credentials=opts.try_default_credentials,
        )
        banner = self._grab_banner(address, port, ctx)
        name = "unknown"
        observations: list[Observation] = []
        if banner:
            for pname in SERVER_FIRST:
                module = self.probes.get(pname)
                if module is None or not _claims(module, banner):
                    continue
                obs = self._run(module, address, port, ctx, banner)
                if obs is not None:
                    name = module.NAME
                    observations.append(obs)
                    break
        else:
            for pname in self._client_order(port):
                module = self.probes[pname]
                guessing = port not in getattr(module, "PORTS", ())
                probe_ctx = (
                    dataclasses.replace(ctx, timeout=min(opts.timeout, opts.fallback_timeout))
                    if guessing
                    else ctx
                )
                obs = self._run(module, address, port, probe_ctx, b"")
                if obs is not None:
                    name = _service_name(module.NAME, obs)
                    observations.append(obs)
                    break
        observations.extend(self._follow_ups(address, port, ctx, observations))
        if any(isinstance(o, RemoteAccessObservation) and o.tool == "winrm" for o in observations):
            name = "winrm"
        return self._service(address, port, name, banner, tuple(observations))

    def _grab_banner(self, address: str, port: int, ctx: ProbeContext) -> bytes:
        """The first bytes a service sends unprompted (``b""`` if it waits for us)."""
        try:
            sock = ctx.connect(address, port)
        except ProbeError:
            return b""
        try:
            sock.settimeout(min(self.options.banner_wait, ctx.op_timeout()))
            data = sock.recv(MAX_BANNER)
            ctx.budget.charge(len(data))
            return data
        except (TimeoutError, OSError, ProbeError):
            return b""
        finally:
            sock.close()

    def _client_order(self, port: int) -> list[str]:
        names = [n for n in CLIENT_FIRST if n in self.probes]
        hinted = [n for n in names if port in getattr(self.probes[n], "PORTS", ())]
        # WinRM speaks HTTP: on its ports, ask it first so that it is named for what it is.
        if "winrm" in self.probes and port in getattr(self.probes["winrm"], "PORTS", ()):
            hinted.insert(0, "winrm")
        return hinted + [n for n in names if n not in hinted]

    def _run(
        self, module: ModuleType, address: str, port: int, ctx: ProbeContext, banner: bytes
    ) -> Observation | None:
        try:
            result: Observation | None = module.probe(address, port, ctx, banner)
            return result
        except ProbeError as exc:
            log.debug("%s probe on %s:%s: %s", module.NAME, address, port, exc)
            return None
        except Exception:
            log.exception("%s probe crashed on %s:%s", module.NAME, address, port)
            return None

    def _follow_ups(
        self, address: str, port: int, ctx: ProbeContext, seen: list[Observation]
    ) -> Iterable[Observation]:
        """Probes that add to the main result: TLS under HTTPS, WinRM, ScreenConnect…"""
        extra: list[Observation] = []
        http = next((o for o in seen if isinstance(o, HttpObservation)), None)
        kinds = {type(o) for o in seen}
        if http is not None:
            if http.tls and TlsObservation not in kinds and "tls" in self.probes:
                obs = self._run(self.probes["tls"], address, port, ctx, b"")
                if obs is not None:
                    extra.append(obs)
            server = (http.server or "").lower()
            if (
                "microsoft-httpapi" in server
                and RemoteAccessObservation not in kinds
                and "winrm" in self.probes
            ):
                obs = self._run(self.probes["winrm"], address, port, ctx, b"")
                if obs is not None:
                    extra.append(obs)
            if "screenconnect" in self.probes and RemoteAccessObservation not in kinds:
                title = (http.title or "") + " " + (http.server or "")
                if "screenconnect" in title.lower() or "connectwise" in title.lower():
                    obs = self._run(self.probes["screenconnect"], address, port, ctx, b"")
                    if obs is not None:
                        extra.append(obs)
        tls = next((o for o in [*seen, *extra] if isinstance(o, TlsObservation)), None)
        if (
            tls is not None
            and "anydesk" in (tls.subject or "").lower()
            and "anydesk" in self.probes
        ):
            if RemoteAccessObservation not in kinds:
                obs = self._run(self.probes["anydesk"], address, port, ctx, b"")
                if obs is not None:
                    extra.append(obs)
        return extra

    # -- SNMP (UDP) --------------------------------------------------------------------

    def _snmp_sweep(self, addresses: Sequence[str]) -> Mapping[str, SnmpObservation]:
        module = self.probes["snmp"]
        result: Mapping[str, SnmpObservation] = module.sweep(
            list(addresses), self.options.snmp_port, timeout=self.options.snmp_timeout
        )
        return result

    def _snmp_service(self, address: str, obs: SnmpObservation) -> Service:
        return self._service(address, self.options.snmp_port, "snmp", b"", (obs,), "udp")

    # -- assembling --------------------------------------------------------------------

    def _service(
        self,
        address: str,
        port: int,
        name: str,
        banner: bytes,
        observations: tuple[Observation, ...],
        transport: str = "tcp",
    ) -> Service:
        product, version, cpe = self._fingerprint(banner, observations)
        text = _banner_text(banner, observations)
        return Service(
            address=address,
            port=port,
            transport=transport,
            name=name,
            product=product,
            version=version,
            cpe=cpe,
            banner=text or None,
            observations=observations,
        )

    def _fingerprint(
        self, banner: bytes, observations: tuple[Observation, ...]
    ) -> tuple[str | None, str | None, str | None]:
        """Product, version and CPE: a recognised console first, then the fingerprints."""
        for obs in observations:
            if isinstance(obs, HttpObservation) and obs.console:
                return obs.console, obs.console_version, _console_cpe(obs)
        db = self.fingerprints
        if db is None:
            return _fallback_product(observations)
        for database, text in fingerprint_texts(banner, observations):
            if not text:
                continue
            try:
                match = db.match(database, text)
            except Exception:
                log.exception("fingerprint matching failed on %s", database)
                match = None
            if match is not None and (match.product or match.version):
                return match.product, match.version, match.cpe
        return _fallback_product(observations)

    def _asset(self, address: str, services: list[Service]) -> Asset:
        return Asset(
            address=address,
            hostname=_hostname(services),
            kind=_asset_kind(services),
            services=tuple(services),
        )


def fingerprint_texts(banner: bytes, observations: Sequence[Observation]) -> list[tuple[str, str]]:
    """The (fingerprint database, text) pairs worth matching, most telling first."""
    out: list[tuple[str, str]] = []
    for obs in observations:
        if isinstance(obs, SshObservation):
            out.append(
                ("ssh.banner", obs.banner.removeprefix("SSH-2.0-").removeprefix("SSH-1.99-"))
            )
        elif isinstance(obs, FtpObservation):
            out.append(("ftp.banner", _first_reply_line(obs.banner)))
        elif isinstance(obs, TelnetObservation):
            out.append(("telnet.banner", obs.banner))
        elif isinstance(obs, HttpObservation):
            out.append(("http_header.server", obs.server or ""))
            out.append(("html_title", obs.title or ""))
        elif isinstance(obs, SmbObservation):
            out.append(("smb.native_os", obs.native_os or ""))
            out.append(("smb.native_lm", obs.native_lm or ""))
        elif isinstance(obs, DatabaseObservation):
            if obs.engine == "mssql":
                out.append(("mssql.version", obs.version or ""))
            elif obs.engine == "mysql":
                out.append(("mysql.banners", obs.version or obs.banner or ""))
        elif isinstance(obs, DicomObservation):
            out.append(("dicom.implementation_version", obs.implementation_version or ""))
        elif isinstance(obs, TlsObservation):
            out.append(("x509.subject", obs.subject or ""))
            out.append(("x509.issuer", obs.issuer or ""))
        elif isinstance(obs, SnmpObservation):
            out.append(("snmp.sys_description", obs.sysdescr or ""))
    return out


def _first_reply_line(text: str) -> str:
    line = text.splitlines()[0] if text else ""
    return line[4:] if len(line) > 4 and line[:3].isdigit() else line


def _banner_text(banner: bytes, observations: Sequence[Observation]) -> str:
    if banner:
        return clean_text(banner.strip(), MAX_BANNER)
    for obs in observations:
        if isinstance(obs, HttpObservation) and obs.server:
            return obs.server
    return ""


def _service_name(probe_name: str, obs: Observation) -> str:
    if isinstance(obs, HttpObservation) and obs.tls:
        return "https"
    return probe_name


def _console_cpe(obs: HttpObservation) -> str | None:
    return getattr(obs, "console_cpe", None)


def _fallback_product(
    observations: Sequence[Observation],
) -> tuple[str | None, str | None, str | None]:
    for obs in observations:
        if isinstance(obs, SshObservation) and obs.software:
            product, _, version = obs.software.partition("_")
            return product or None, version or None, None
        if isinstance(obs, DatabaseObservation) and obs.version:
            return obs.engine, obs.version, None
        if isinstance(obs, RemoteAccessObservation):
            return REMOTE_TOOL_NAMES.get(obs.tool, obs.tool), obs.version, None
    return None, None, None


# How remote-access tools are named for people when no fingerprint says more.
REMOTE_TOOL_NAMES = {
    "teamviewer": "TeamViewer",
    "anydesk": "AnyDesk",
    "screenconnect": "ConnectWise ScreenConnect",
    "winrm": "Microsoft WinRM",
    "rustdesk": "RustDesk",
    "radmin": "Radmin",
}


def _hostname(services: Sequence[Service]) -> str | None:
    for svc in services:
        for obs in svc.observations:
            if isinstance(obs, SnmpObservation) and obs.sysname:
                return obs.sysname
    return None


def _asset_kind(services: Sequence[Service]) -> str | None:
    """A coarse label for people reading the report (never used by a check)."""
    observations = [o for s in services for o in s.observations]
    for obs in observations:
        if isinstance(obs, HttpObservation) and obs.console_kind in ("nas", "router", "printer"):
            return obs.console_kind
    for obs in observations:
        if isinstance(obs, SnmpObservation) and obs.sysdescr:
            descr = obs.sysdescr.lower()
            if any(w in descr for w in ("jetdirect", "printer", "laserjet", "brother", "kyocera")):
                return "printer"
    if any(isinstance(o, DicomObservation) for o in observations):
        return "imaging"
    if any(isinstance(o, DatabaseObservation) for o in observations):
        return "server"
    names = {s.name for s in services}
    if names & {"rdp", "smb", "vnc"}:
        return "workstation"
    return None


def _claims(module: ModuleType, banner: bytes) -> bool:
    try:
        return bool(module.claims(banner))
    except Exception:
        log.exception("%s.claims crashed", module.NAME)
        return False


def _ip_key(address: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in address.split("."))
    except ValueError:
        return (999,)

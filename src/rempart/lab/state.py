"""What a running lab looks like from outside: hosts, the ports actually bound, the process.

The lab process writes this as JSON (atomically) once every service listens; ``rempart lab
status``, ``rempart demo`` and the tests read it to know which ports to scan (a port below
1024 may have been moved by :data:`~rempart.lab.practice.PORT_OFFSET`).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rempart.core.errors import LabError
from rempart.i18n import _


@dataclass(frozen=True)
class LabService:
    key: str
    port: int  # the port actually bound
    nominal_port: int  # the port in docs/lab-practice.md
    transport: str
    description: str

    @property
    def offset(self) -> bool:
        return self.port != self.nominal_port


@dataclass(frozen=True)
class LabHost:
    name: str
    kind: str
    address: str
    label: str
    services: tuple[LabService, ...]


@dataclass(frozen=True)
class LabState:
    pid: int
    started: str  # ISO 8601, UTC
    hosts: tuple[LabHost, ...]
    data_dir: str
    log: str = ""

    def host(self, address_or_name: str) -> LabHost | None:
        for host in self.hosts:
            if address_or_name in (host.address, host.name):
                return host
        return None

    def ports_for(self, address: str) -> list[tuple[int, str]]:
        """``[(port, transport), ...]`` bound on ``address`` (or host name); empty if unknown."""
        host = self.host(address)
        return [(s.port, s.transport) for s in host.services] if host else []

    def port_of(self, address: str, nominal_port: int, transport: str = "tcp") -> int:
        """The port actually bound for a documented port (e.g. 445 → 10445 without root)."""
        host = self.host(address)
        for service in host.services if host else ():
            if service.nominal_port == nominal_port and service.transport == transport:
                return service.port
        raise KeyError(f"{address} {nominal_port}/{transport}")

    def all_tcp_ports(self) -> tuple[int, ...]:
        """Every TCP port bound on any host, sorted, without duplicates."""
        return tuple(
            sorted({s.port for h in self.hosts for s in h.services if s.transport == "tcp"})
        )

    def udp_ports(self) -> tuple[int, ...]:
        return tuple(
            sorted({s.port for h in self.hosts for s in h.services if s.transport == "udp"})
        )

    def addresses(self) -> tuple[str, ...]:
        return tuple(h.address for h in self.hosts)

    def to_json(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "started": self.started,
            "data_dir": self.data_dir,
            "log": self.log,
            "hosts": [
                {
                    "name": h.name,
                    "kind": h.kind,
                    "address": h.address,
                    "label": h.label,
                    "services": [
                        {
                            "key": s.key,
                            "port": s.port,
                            "nominal_port": s.nominal_port,
                            "transport": s.transport,
                            "description": s.description,
                        }
                        for s in h.services
                    ],
                }
                for h in self.hosts
            ],
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> LabState:
        hosts = tuple(
            LabHost(
                name=str(h["name"]),
                kind=str(h["kind"]),
                address=str(h["address"]),
                label=str(h.get("label", "")),
                services=tuple(
                    LabService(
                        key=str(s["key"]),
                        port=int(s["port"]),
                        nominal_port=int(s.get("nominal_port", s["port"])),
                        transport=str(s["transport"]),
                        description=str(s.get("description", "")),
                    )
                    for s in h["services"]
                ),
            )
            for h in raw["hosts"]
        )
        return cls(
            pid=int(raw["pid"]),
            started=str(raw["started"]),
            hosts=hosts,
            data_dir=str(raw.get("data_dir", "")),
            log=str(raw.get("log", "")),
        )


def write_state(path: Path, state: LabState) -> None:
    """Write atomically (temporary file + rename): a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".state-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(state.to_json(), handle, indent=2, ensure_ascii=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_state(path: Path) -> LabState | None:
    """The state in ``path``, ``None`` when absent; a corrupt file is an error to fix."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise LabError(
            _("The lab state file {path} is unreadable ({error}): remove it.").format(
                path=path, error=exc
            )
        ) from exc
    try:
        return LabState.from_json(raw)
    except (KeyError, TypeError, ValueError) as exc:
        raise LabError(
            _("The lab state file {path} is malformed: remove it.").format(path=path)
        ) from exc

"""The audit's data model: frozen dataclasses, no I/O.

Flow: discovery produces :class:`Asset` objects holding :class:`Service` objects (each
with the typed observations its probe saw); checks turn them into :class:`Finding`
objects; an :class:`Audit` holds the whole run.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rempart.core.host import HostFacts
from rempart.core.observations import Observation


class Severity(enum.Enum):
    """How bad a finding is. Ordered: ``Severity.CRITICAL > Severity.LOW``."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """4 for critical down to 0 for info."""
        return _RANK[self]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank >= other.rank


_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


@dataclass(frozen=True, slots=True)
class Evidence:
    """One fact a finding rests on, as seen on the wire ("dialects offered": "NT LM 0.12").

    ``value`` is in English (or language-neutral: a banner, a version); a check whose value
    is a sentence for a person also gives it in French (``value_fr``).
    """

    label: str
    value: str
    value_fr: str | None = None

    def value_in(self, lang: str) -> str:
        """The value in ``lang`` ("fr" or "en"), English when no French was given."""
        return self.value_fr if lang == "fr" and self.value_fr else self.value


@dataclass(frozen=True, slots=True)
class Service:
    """An open port and what answers on it.

    ``name`` is the protocol identified from what the service said (never from the
    port number alone); ``product``/``version``/``cpe`` come from fingerprints.
    ``banner`` is already bounded and decoded defensively (it is still hostile text:
    escape it wherever it is shown).
    """

    address: str
    port: int
    transport: str = "tcp"  # "tcp" or "udp"
    name: str = "unknown"  # "smb", "rdp", "ssh", "http", "https", "ftp", ...
    product: str | None = None
    version: str | None = None
    cpe: str | None = None
    banner: str | None = None
    observations: tuple[Observation, ...] = ()

    @property
    def key(self) -> str:
        """``"127.42.0.10:445/tcp"``."""
        return f"{self.address}:{self.port}/{self.transport}"

    def observation(self, kind: type[Observation]) -> Observation | None:
        """The first observation of the given type, if the probe saw one."""
        for obs in self.observations:
            if isinstance(obs, kind):
                return obs
        return None


@dataclass(frozen=True, slots=True)
class Asset:
    """A host on the network, with the services found on it."""

    address: str
    hostname: str | None = None
    kind: str | None = None  # "nas", "router", "printer", "imaging", "server", "workstation"
    services: tuple[Service, ...] = ()

    def service(self, port: int, transport: str = "tcp") -> Service | None:
        for svc in self.services:
            if svc.port == port and svc.transport == transport:
                return svc
        return None


@dataclass(frozen=True, slots=True)
class Finding:
    """A judgement made by a check: a hole, on an asset (and port), with its evidence.

    The words shown to a person (title, risk, remediation) come from the check's
    catalogue entry, looked up by ``check_id``; a finding only carries the facts.
    """

    check_id: str
    severity: Severity
    address: str | None = None
    port: int | None = None
    transport: str | None = None
    evidence: tuple[Evidence, ...] = ()
    cves: tuple[str, ...] = ()

    @property
    def target(self) -> str:
        if self.address is None:
            return "-"
        if self.port is None:
            return self.address
        return f"{self.address}:{self.port}/{self.transport or 'tcp'}"

    @property
    def sort_key(self) -> tuple[int, str, str, int]:
        """Most severe first, then by check, then by target."""
        return (-self.severity.rank, self.check_id, self.address or "", self.port or 0)


@dataclass(frozen=True, slots=True)
class Audit:
    """One run of the audit: what was asked, what was seen, what was judged."""

    id: str
    started_at: datetime
    finished_at: datetime
    targets: tuple[str, ...]
    ports: str
    authorized: bool = False
    assets: tuple[Asset, ...] = ()
    findings: tuple[Finding, ...] = ()
    notes: tuple[str, ...] = ()  # what could not be checked, and why
    rempart_version: str = ""
    hosts: tuple[HostFacts, ...] = ()  # computers audited from inside (this one, imported ones)


def to_jsonable(obj: Any) -> Any:
    """Turn model objects (dataclasses, enums, datetimes, tuples) into JSON-ready values.

    Observations carry their type under ``"type"`` so that a reader knows which
    fields to expect (see docs/findings-json.md).
    """
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out: dict[str, Any] = {}
        if isinstance(obj, Observation):
            out["type"] = obj.kind
        for f in dataclasses.fields(obj):
            out[f.name] = to_jsonable(getattr(obj, f.name))
        return out
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, datetime):
        return obj.isoformat()
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, bytes):
        return obj.hex()
    return obj


__all__ = ["Asset", "Audit", "Evidence", "Finding", "Service", "Severity", "field", "to_jsonable"]

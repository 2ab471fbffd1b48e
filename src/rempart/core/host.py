"""This computer's facts (``rempart audit --host``): what the collectors learnt, no verdict.

Every fact is either a value or unknown. ``None`` alone means "does not apply here"
(BitLocker on a Mac, an SSH server that is not installed); a fact that should have been
learnt but could not be (no rights, command missing, output not understood) is ``None``
*and* has a reason in :attr:`HostFacts.unknown`, so that the report can list what could
not be checked. Checks never fire on ``None``.

The facts travel between computers (``--export host.json`` on each PC, ``--import`` on the
one that writes the report), so :meth:`HostFacts.to_json` and :meth:`HostFacts.from_json`
define a small versioned format; a malformed file is refused with one line naming the field.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from rempart.core.errors import UsageError

SCHEMA = "rempart-host/1"
PLATFORMS = ("windows", "linux", "macos", "unknown")

# An export comes from another computer: bound what we accept from it.
MAX_TEXT = 300
MAX_ITEMS = 500
MAX_REASON = 300


@dataclass(frozen=True, slots=True)
class FirewallProfile:
    """One firewall profile (Windows: Domain, Private, Public; Linux: ufw; macOS: ALF)."""

    name: str
    enabled: bool


@dataclass(frozen=True, slots=True)
class Volume:
    """A fixed disk volume and whether its content is encrypted at rest."""

    mount: str
    encrypted: bool
    method: str = ""  # "BitLocker", "LUKS", "FileVault"


@dataclass(frozen=True, slots=True)
class Software:
    """An installed program that matters to an audit (remote access, backup, antivirus)."""

    name: str
    version: str = ""
    enabled: bool | None = None  # antivirus products: real-time protection on


@dataclass(frozen=True, slots=True)
class HostFacts:
    """Facts about one computer, as its collector saw them at ``collected_at``.

    Field names are the vocabulary of :attr:`unknown` and of the export format.
    """

    platform: str = "unknown"  # one of PLATFORMS
    hostname: str | None = None
    collected_at: datetime | None = None
    # Operating system
    os_name: str | None = None  # "Windows 11 Pro", "Debian GNU/Linux 12 (bookworm)", "macOS"
    os_version: str | None = None  # "23H2", "12", "14.4.1"
    os_build: str | None = None  # "22631.3447"
    os_edition: str | None = None  # "Professional", "Enterprise", "ServerStandard"
    # Updates
    last_update: date | None = None
    pending_updates: int | None = None
    auto_updates: bool | None = None
    # Protection
    firewall: tuple[FirewallProfile, ...] | None = None
    antivirus: tuple[Software, ...] | None = None  # products registered (Windows Security)
    av_realtime: bool | None = None  # Microsoft Defender real-time protection
    av_signatures_updated: date | None = None
    volumes: tuple[Volume, ...] | None = None
    # Windows services and protocols
    rdp_enabled: bool | None = None
    rdp_nla: bool | None = None
    smb1_enabled: bool | None = None
    smb_signing_required: bool | None = None
    powershell2: bool | None = None
    llmnr_enabled: bool | None = None
    netbios_enabled: bool | None = None
    office_macros_enabled: bool | None = None  # all macros run without asking
    usb_autorun: bool | None = None  # AutoRun not disabled for removable drives
    # Accounts and sessions
    current_user: str | None = None
    local_admins: tuple[str, ...] | None = None
    user_is_admin: bool | None = None
    guest_enabled: bool | None = None
    password_min_length: int | None = None
    lockout_threshold: int | None = None  # 0: never locks out
    screen_lock_seconds: int | None = None  # 0: the screen never locks by itself
    autologon: bool | None = None
    # Software and backups
    remote_tools: tuple[Software, ...] | None = None
    backup_software: tuple[Software, ...] | None = None
    last_backup: datetime | None = None
    shadow_copies: int | None = None
    # Linux
    ssh_root_login: str | None = None  # PermitRootLogin value, lower-case
    ssh_password_auth: bool | None = None
    sudo_nopasswd: tuple[str, ...] | None = None  # sudoers lines granting NOPASSWD
    # Fact name → why it could not be learnt
    unknown: Mapping[str, str] = field(default_factory=dict)

    def reason(self, name: str) -> str | None:
        """Why ``name`` is unknown, or ``None`` when it was learnt or does not apply."""
        return self.unknown.get(name)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict in the export format (``schema`` first)."""
        out: dict[str, Any] = {"schema": SCHEMA}
        for f in dataclasses.fields(self):
            out[f.name] = _dump(getattr(self, f.name))
        return out

    @classmethod
    def from_json(cls, data: Any) -> HostFacts:
        """Read the export format; :class:`UsageError` naming the field when it is malformed."""
        if not isinstance(data, dict):
            raise UsageError("host facts: the file must hold a JSON object")
        schema = data.get("schema")
        if schema != SCHEMA:
            raise UsageError(
                f"host facts: field 'schema' is {_show(schema)}, expected {SCHEMA!r} "
                "(export the facts again with the same version of Rempart)"
            )
        values: dict[str, Any] = {}
        for name, reader in _READERS.items():
            if name in data and data[name] is not None:
                try:
                    values[name] = reader(data[name])
                except (TypeError, ValueError) as exc:
                    raise UsageError(f"host facts: field {name!r}: {exc}") from None
        if "platform" in values and values["platform"] not in PLATFORMS:
            raise UsageError(
                f"host facts: field 'platform' is {_show(values['platform'])}, "
                f"expected one of {', '.join(PLATFORMS)}"
            )
        unknown = values.get("unknown", {})
        stray = sorted(k for k in unknown if k not in _READERS or k == "unknown")
        if stray:
            raise UsageError(f"host facts: field 'unknown' names no fact: {stray[0][:40]!r}")
        return cls(**values)


FACT_NAMES: tuple[str, ...] = tuple(
    f.name for f in dataclasses.fields(HostFacts) if f.name not in ("unknown", "platform")
)


def _dump(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _dump(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_dump(v) for v in value]
    return value


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


# --- readers: JSON value → typed value, ValueError/TypeError with a short reason --------

T = TypeVar("T")


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    if len(value) > MAX_TEXT:
        raise ValueError(f"text longer than {MAX_TEXT} characters")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {type(value).__name__}")
    return value


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected a whole number, got {type(value).__name__}")
    if not 0 <= value <= 10**9:
        raise ValueError("number out of range")
    return value


def _date(value: Any) -> date:
    try:
        return date.fromisoformat(_text(value))
    except ValueError:
        raise ValueError(f"expected a date like 2024-05-14, got {_show(value)}") from None


def _datetime(value: Any) -> datetime:
    try:
        parsed = datetime.fromisoformat(_text(value))
    except ValueError:
        raise ValueError(f"expected a date and time (ISO 8601), got {_show(value)}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _items(reader: Callable[[Any], T]) -> Callable[[Any], tuple[T, ...]]:
    def read(value: Any) -> tuple[T, ...]:
        if not isinstance(value, list):
            raise TypeError(f"expected a list, got {type(value).__name__}")
        if len(value) > MAX_ITEMS:
            raise ValueError(f"more than {MAX_ITEMS} items")
        out = []
        for index, item in enumerate(value):
            try:
                out.append(reader(item))
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"item {index}: {exc}") from None
        return tuple(out)

    return read


def _record(
    cls: type[T], spec: dict[str, Callable[[Any], Any]], required: tuple[str, ...]
) -> Callable[[Any], T]:
    def read(value: Any) -> T:
        if not isinstance(value, dict):
            raise TypeError(f"expected an object, got {type(value).__name__}")
        for key in required:
            if value.get(key) is None:
                raise ValueError(f"missing {key!r}")
        args = {}
        for key, reader in spec.items():
            if key in value and value[key] is not None:
                try:
                    args[key] = reader(value[key])
                except (TypeError, ValueError) as exc:
                    raise type(exc)(f"{key!r}: {exc}") from None
        return cls(**args)

    return read


def _reasons(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    if len(value) > MAX_ITEMS:
        raise ValueError(f"more than {MAX_ITEMS} entries")
    out = {}
    for key, reason in value.items():
        if not isinstance(reason, str):
            raise TypeError(f"reason for {str(key)[:40]!r} is not text")
        out[str(key)] = _clean(reason)[:MAX_REASON]
    return out


_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def _clean(text: str) -> str:
    return _CONTROL.sub(" ", text).strip()


_firewall = _record(FirewallProfile, {"name": _text, "enabled": _bool}, ("name", "enabled"))
_volume = _record(
    Volume, {"mount": _text, "encrypted": _bool, "method": _text}, ("mount", "encrypted")
)
_software = _record(Software, {"name": _text, "version": _text, "enabled": _bool}, ("name",))

_READERS: dict[str, Callable[[Any], Any]] = {
    "platform": _text,
    "hostname": _text,
    "collected_at": _datetime,
    "os_name": _text,
    "os_version": _text,
    "os_build": _text,
    "os_edition": _text,
    "last_update": _date,
    "pending_updates": _int,
    "auto_updates": _bool,
    "firewall": _items(_firewall),
    "antivirus": _items(_software),
    "av_realtime": _bool,
    "av_signatures_updated": _date,
    "volumes": _items(_volume),
    "rdp_enabled": _bool,
    "rdp_nla": _bool,
    "smb1_enabled": _bool,
    "smb_signing_required": _bool,
    "powershell2": _bool,
    "llmnr_enabled": _bool,
    "netbios_enabled": _bool,
    "office_macros_enabled": _bool,
    "usb_autorun": _bool,
    "current_user": _text,
    "local_admins": _items(_text),
    "user_is_admin": _bool,
    "guest_enabled": _bool,
    "password_min_length": _int,
    "lockout_threshold": _int,
    "screen_lock_seconds": _int,
    "autologon": _bool,
    "remote_tools": _items(_software),
    "backup_software": _items(_software),
    "last_backup": _datetime,
    "shadow_copies": _int,
    "ssh_root_login": _text,
    "ssh_password_auth": _bool,
    "sudo_nopasswd": _items(_text),
    "unknown": _reasons,
}

assert set(_READERS) == {f.name for f in dataclasses.fields(HostFacts)}, "reader per field"


__all__ = [
    "FACT_NAMES",
    "PLATFORMS",
    "SCHEMA",
    "FirewallProfile",
    "HostFacts",
    "Software",
    "Volume",
]

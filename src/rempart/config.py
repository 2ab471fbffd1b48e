"""Settings (a TOML file) and where Rempart keeps its files (platformdirs).

Paths:

* data dir: the store (``rempart.db``), imported fingerprints, the lab's state;
  ``platformdirs.user_data_dir("rempart")``, or ``$REMPART_HOME/data`` when set;
* config file: ``platformdirs.user_config_dir("rempart")/settings.toml``, or
  ``$REMPART_HOME/settings.toml``, or the path in ``$REMPART_CONFIG``.

``REMPART_HOME`` keeps everything in one folder: tests and the demo use it.

The settings file is optional; every key has a default. Example::

    lang = "fr"                      # or "en"
    store_url = ""                   # empty: SQLite file in the data dir
    fingerprints_dir = ""            # empty: <data dir>/fingerprints

    [scan]
    timeout = 1.0                    # seconds per connection attempt (adapts upwards)
    concurrency = 1024               # connections in flight
    host_time_cap = 60.0             # seconds of probing per host, at most
    host_bytes_cap = 1048576         # bytes read per host, at most

    [sentinel]                       # rempart watch (see docs/sentinel.md)
    folders = ["D:/Patients"]
    response = "kill"                # or "suspend", "alert"

    [alerts]                         # where the sentinel's alerts go
    email_to = ["cabinet@example.fr"]
    smtp_host = "smtp.example.fr"
    webhook_url = ""

    [vault]                          # rempart backup (see docs/vault.md)
    repository = "E:/Sauvegardes"    # or s3://bucket/prefix?endpoint=https://…
    paths = ["D:/Patients", "C:/Logiciel/Base"]
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any

import platformdirs

from rempart.core.errors import ConfigError
from rempart.i18n import _

APP = "rempart"


@dataclass(frozen=True)
class ScanSettings:
    timeout: float = 1.0
    concurrency: int = 1024
    host_time_cap: float = 60.0
    host_bytes_cap: int = 1024 * 1024


@dataclass(frozen=True)
class SentinelSettings:
    """``[sentinel]``: what ``rempart watch`` protects and how it answers."""

    folders: tuple[str, ...] = ()  # protected folders when `rempart watch` is given none
    response: str = "kill"  # "kill" (suspend, then kill), "suspend" or "alert"
    allow_processes: tuple[
        str, ...
    ] = ()  # extra process names or paths allowed to write ciphertext
    allow_paths: tuple[str, ...] = ()  # extra folders (globs) whose writes are not judged
    canaries: bool = True  # place canary files in each protected folder
    mode: str = "auto"  # "auto" (best available), "fanotify", "inotify" or "poll"
    poll_interval: float = 0.5  # seconds between two walks in poll mode
    gate: bool = True  # fanotify as root: a writer's next open waits for its files' verdict


@dataclass(frozen=True)
class AlertSettings:
    """``[alerts]``: where the sentinel's alerts go besides the console."""

    desktop: bool = True
    email_to: tuple[str, ...] = ()
    email_from: str = ""
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_user: str = ""
    smtp_password_env: str = ""  # name of the environment variable holding the password
    webhook_url: str = ""
    webhook_secret_env: str = ""  # name of the environment variable holding the HMAC secret
    timeout: float = 10.0


@dataclass(frozen=True)
class VaultSettings:
    """``[vault]``: the backup repository and what goes into it."""

    repository: str = ""  # a folder, or s3://bucket/prefix?endpoint=https://…
    paths: tuple[str, ...] = ()  # what `rempart backup run` saves when given no path
    excludes: tuple[str, ...] = ()
    database_globs: tuple[str, ...] = ()  # files chunked by pages, besides those detected
    page_size: int = 8192
    retention_days: int = 30  # S3 Object Lock retention of every object
    s3_region: str = "us-east-1"
    passphrase_file: str = ""


@dataclass(frozen=True)
class Settings:
    lang: str | None = None
    store_url: str = ""
    fingerprints_dir: str = ""
    scan: ScanSettings = field(default_factory=ScanSettings)
    sentinel: SentinelSettings = field(default_factory=SentinelSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    vault: VaultSettings = field(default_factory=VaultSettings)


def home() -> Path | None:
    value = os.environ.get("REMPART_HOME")
    return Path(value).expanduser() if value else None


def data_dir() -> Path:
    """Where the store and imported data live (created on first use)."""
    base = home()
    path = base / "data" if base else Path(platformdirs.user_data_dir(APP, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_path() -> Path:
    explicit = os.environ.get("REMPART_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    base = home()
    if base:
        return base / "settings.toml"
    return Path(platformdirs.user_config_dir(APP, appauthor=False)) / "settings.toml"


def fingerprints_dir(settings: Settings | None = None) -> Path:
    """Where ``rempart data import-fingerprints`` puts Recog's files."""
    settings = settings or load()
    if settings.fingerprints_dir:
        return Path(settings.fingerprints_dir).expanduser()
    return data_dir() / "fingerprints"


def _coerce(section: str, cls: type, raw: dict[str, Any]) -> Any:
    known = {f.name: f for f in fields(cls)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            where = f"[{section}] " if section else ""
            raise ConfigError(
                _(
                    "Unknown setting {where}'{key}' in {path}: remove it or check its spelling."
                ).format(where=where, key=key, path=config_path())
            )
        default = getattr(cls(), key)
        if is_dataclass(default):
            if not isinstance(value, dict):
                raise ConfigError(
                    _("Setting '{key}' in {path} must be a [{key}] table.").format(
                        key=key, path=config_path()
                    )
                )
            values[key] = _coerce(key, type(default), value)
            continue
        if isinstance(default, tuple):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(
                    _(
                        'Setting \'{key}\' in {path} must be a list of strings, like ["a", "b"].'
                    ).format(key=key, path=config_path())
                )
            values[key] = tuple(value)
            continue
        expected: tuple[type, ...]
        if isinstance(default, bool):
            expected = (bool,)
        elif isinstance(default, float):
            expected = (int, float)
        elif isinstance(default, int):
            expected = (int,)
        else:
            expected = (str,)
        if not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected):
            raise ConfigError(
                _(
                    "Setting '{key}' in {path} has the wrong type ({got}): expected {expected}."
                ).format(
                    key=key,
                    path=config_path(),
                    got=type(value).__name__,
                    expected=expected[0].__name__,
                )
            )
        if isinstance(default, float):
            value = float(value)
        values[key] = value
    return replace(cls(), **values)


def load(path: Path | None = None) -> Settings:
    """Read the settings file; a missing file gives the defaults."""
    path = path or config_path()
    if not path.exists():
        return Settings()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            _("Cannot read the settings file {path}: {error}.").format(path=path, error=exc)
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            _("The settings file {path} is not valid TOML ({error}): fix it or remove it.").format(
                path=path, error=exc
            )
        ) from exc
    settings: Settings = _coerce("", Settings, raw)
    s = settings.scan
    if s.timeout <= 0 or s.concurrency < 1 or s.host_time_cap <= 0 or s.host_bytes_cap < 1024:
        raise ConfigError(
            _("The [scan] values in {path} must be positive (host_bytes_cap ≥ 1024).").format(
                path=path
            )
        )
    if settings.sentinel.response not in ("kill", "suspend", "alert"):
        raise ConfigError(
            _('[sentinel] response in {path} must be "kill", "suspend" or "alert".').format(
                path=path
            )
        )
    v = settings.vault
    if v.page_size < 512 or v.page_size & (v.page_size - 1) or v.retention_days < 1:
        raise ConfigError(
            _(
                "The [vault] values in {path} are out of range: page_size must be a power of "
                "two of at least 512, retention_days at least 1."
            ).format(path=path)
        )
    return settings

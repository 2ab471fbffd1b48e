"""Where ``rempart data update`` fetches the vulnerability feeds, and how much it accepts.

Each feed has an official address (below). A practice behind a local mirror, or a test, can
point them elsewhere:

* ``REMPART_FEEDS_BASE_URL=http://mirror.local/rempart`` serves every feed from one folder:
  ``<base>/kev/known_exploited_vulnerabilities.json``, ``<base>/epss/epss_scores-current.csv.gz``,
  ``<base>/nvd/nvdcve-2.0-<name>.json.gz`` (with its ``.meta``) and ``<base>/recog/recog.tar.gz``;
* ``<data dir>/feeds.toml`` sets the same base, or each feed's address, and the limits::

      base_url = ""            # as REMPART_FEEDS_BASE_URL (the variable wins)
      kev = "https://..."      # the KEV JSON file
      epss = "https://..."     # the EPSS CSV.gz file
      nvd = "https://..."      # the folder of the NVD 2.0 feeds (nvdcve-2.0-*.json.gz, *.meta)
      recog = "https://..."    # a tar.gz of Recog's repository
      timeout = 60.0           # seconds without a byte before a retry
      retries = 5              # attempts after a dropped connection (resumed with Range)

Only ``http`` and ``https`` addresses are accepted: a feed is hostile data, and a ``file:`` or
``ftp:`` address (given or reached by a redirect) would read what it should not.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from rempart.config import data_dir
from rempart.core.errors import ConfigError, UsageError
from rempart.i18n import _

__all__ = [
    "FEED_KINDS",
    "FIRST_NVD_YEAR",
    "FeedSettings",
    "MiB",
    "check_url",
    "feeds_file",
    "load_feed_settings",
    "nvd_feed_names",
    "parse_years",
]

MiB = 1024 * 1024

KEV_URL = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
# FIRST's EPSS data is published by Empirical Security; "current" redirects to the dated file.
EPSS_URL = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz"
NVD_URL = "https://nvd.nist.gov/feeds/json/cve/2.0"
RECOG_URL = "https://github.com/rapid7/recog/archive/refs/heads/main.tar.gz"

FEED_KINDS = ("nvd", "kev", "epss", "recog")
FIRST_NVD_YEAR = 2002

# What each download may weigh at most (the real files are far smaller, in 2026:
# KEV ~1.5 MB, EPSS ~10 MB, NVD's largest year ~40 MB compressed, Recog ~3 MB).
MAX_BYTES = {"kev": 64 * MiB, "epss": 128 * MiB, "nvd": 512 * MiB, "recog": 64 * MiB}
# An NVD feed uncompressed, when its hash is checked (the largest year is ~600 MB).
MAX_NVD_JSON_BYTES = 4096 * MiB
MAX_META_BYTES = 4096
MAX_SETTINGS_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class FeedSettings:
    """The addresses and limits of one ``rempart data update`` run."""

    kev: str = KEV_URL
    epss: str = EPSS_URL
    nvd: str = NVD_URL
    recog: str = RECOG_URL
    timeout: float = 60.0
    retries: int = 5

    def nvd_url(self, name: str) -> str:
        """The ``.json.gz`` of NVD feed ``name`` (a year, ``modified`` or ``recent``)."""
        return f"{self.nvd.rstrip('/')}/nvdcve-2.0-{name}.json.gz"

    def nvd_meta_url(self, name: str) -> str:
        """The ``.meta`` beside it: ``sha256:`` of the uncompressed JSON, its size, its date."""
        return f"{self.nvd.rstrip('/')}/nvdcve-2.0-{name}.meta"


def feeds_file() -> Path:
    """``<data dir>/feeds.toml``: optional; every key has a default."""
    return data_dir() / "feeds.toml"


def check_url(url: str, where: str | Path | None = None) -> str:
    """``url`` when it is an http(s) address with a host; :class:`ConfigError` otherwise.

    ``where`` names the place to fix it (a file, or the environment variable)."""
    parts = urlsplit(url)
    try:
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a port that is not a number, or out of range
        valid = False
    if not valid:
        raise ConfigError(
            _("The feed address '{url}' is not an http or https address: fix it in {path}.").format(
                url=url, path=where or feeds_file()
            )
        )
    return url


def _with_base(base: str, where: str | Path) -> FeedSettings:
    base = check_url(base.strip(), where).rstrip("/")
    return FeedSettings(
        kev=f"{base}/kev/known_exploited_vulnerabilities.json",
        epss=f"{base}/epss/epss_scores-current.csv.gz",
        nvd=f"{base}/nvd",
        recog=f"{base}/recog/recog.tar.gz",
    )


def _read_file(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_SETTINGS_BYTES + 1)
        if len(raw) > MAX_SETTINGS_BYTES:
            raise ConfigError(
                _("{path} is too large: it holds a few settings only.").format(path=path)
            )
        return tomllib.loads(raw.decode("utf-8"))
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


def load_feed_settings(path: Path | None = None) -> FeedSettings:
    """The defaults, then ``feeds.toml``, then ``REMPART_FEEDS_BASE_URL``."""
    path = path or feeds_file()
    settings = FeedSettings()
    raw = _read_file(path) if path.exists() else {}
    base = raw.pop("base_url", "")
    if not isinstance(base, str):
        raise ConfigError(_("'base_url' in {path} must be a text (an address).").format(path=path))
    if base.strip():
        settings = _with_base(base, path)
    values: dict[str, object] = {}
    for key, value in raw.items():
        if key in FEED_KINDS:
            if not isinstance(value, str):
                raise ConfigError(
                    _("'{key}' in {path} must be a text (an address).").format(key=key, path=path)
                )
            values[key] = check_url(value.strip(), path)
        elif key == "timeout":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ConfigError(
                    _("'timeout' in {path} must be a positive number of seconds.").format(path=path)
                )
            values[key] = float(value)
        elif key == "retries":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
                raise ConfigError(
                    _("'retries' in {path} must be a whole number from 0 to 100.").format(path=path)
                )
            values[key] = value
        else:
            raise ConfigError(
                _(
                    "Unknown setting {where}'{key}' in {path}: remove it or check its spelling."
                ).format(where="", key=key, path=path)
            )
    settings = replace(settings, **values)  # type: ignore[arg-type]
    env_base = os.environ.get("REMPART_FEEDS_BASE_URL", "").strip()
    if env_base:
        settings = replace(
            _with_base(env_base, "REMPART_FEEDS_BASE_URL"),
            timeout=settings.timeout,
            retries=settings.retries,
        )
    return settings


def nvd_feed_names(
    years: tuple[int, int] | None = None, *, now: datetime | None = None
) -> list[str]:
    """The NVD feeds to fetch: every year in ``years`` (default: 2002 to this year), oldest
    first, then ``modified`` (the last eight days' changes, applied last so they win)."""
    this_year = (now or datetime.now(UTC)).year
    first, last = years or (FIRST_NVD_YEAR, this_year)
    return [str(year) for year in range(first, last + 1)] + ["modified"]


def parse_years(text: str, *, now: datetime | None = None) -> tuple[int, int]:
    """``"2002-2026"`` or ``"2024"`` → (first, last), within 2002 and this year."""
    this_year = (now or datetime.now(UTC)).year
    try:
        if "-" in text:
            first_text, last_text = text.split("-", 1)
            first, last = int(first_text), int(last_text)
        else:
            first = last = int(text)
    except ValueError:
        first = last = -1
    if not FIRST_NVD_YEAR <= first <= last <= this_year:
        raise UsageError(
            _("Wrong --years '{text}': give a year or a range such as {first}-{last}.").format(
                text=text, first=FIRST_NVD_YEAR, last=this_year
            )
        )
    return first, last

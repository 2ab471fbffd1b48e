"""The fingerprint database the service identification asks: text → product, version, CPE.

Two sources, tried in this order for every database (``ssh.banner``, ``http_header.server``…):

1. our own rules, packaged with Rempart (``rules/*.xml``, Recog's format): what Recog lacks
   and a dental practice meets (SQL Server versions, DICOM implementations, AnyDesk…);
2. Rapid7 Recog's files, imported by ``rempart data import-fingerprints DIR`` into
   ``fingerprints_dir()/recog`` (never shipped in the repository).

Recog's files are only sniffed at load time (root element: which database they serve) and
parsed on the first match against that database, so that an audit that never sees an SMTP
banner never pays for ``smtp_*.xml``. A malformed imported file is skipped with a message in
:attr:`FingerprintDB.warnings`; an untranslatable pattern skips only its fingerprint.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType

from defusedxml import ElementTree as SafeET

from rempart import config
from rempart.core.errors import DataError
from rempart.discover.fingerprints.recog import (
    MAX_MATCH_CHARS,
    Fingerprint,
    FingerprintFile,
    bound_text,
    decode_bytes,
    parse_file,
    parse_xml,
)
from rempart.discover.fingerprints.ruby_regex import RubyRegexError
from rempart.i18n import _

__all__ = [
    "RECOG_SUBDIR",
    "FingerprintDB",
    "FingerprintMatch",
    "FingerprintStats",
    "default_recog_dir",
    "load_fingerprints",
    "load_own_rules",
    "normalise",
]

RECOG_SUBDIR = "recog"
OWN_SOURCE = "rempart"
# Databases named by their file in Recog (no ``matches`` attribute), under the name callers use.
ALIASES: Mapping[str, tuple[str, ...]] = MappingProxyType({"telnet.banner": ("telnet_banners",)})
_SSH_PREFIX = re.compile(r"\ASSH-\d+\.\d+-")
_REPLY_CODE = re.compile(r"^\d{3}[ -]", re.MULTILINE)


def normalise(database: str, text: str) -> str:
    """What Recog expects from a raw banner: ``ssh.banner`` without ``SSH-2.0-``,
    ``ftp.banner`` without the ``220`` reply codes, neither with the final line break."""
    if database == "ssh.banner":
        return _SSH_PREFIX.sub("", text, count=1).rstrip("\r\n")
    if database == "ftp.banner" and _REPLY_CODE.match(text):
        return _REPLY_CODE.sub("", text).rstrip("\r\n")
    return text


_PREFIXES = ("service", "os", "hw")
_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class FingerprintMatch:
    """What a fingerprint recognised in a text.

    ``params`` uses Recog's names (``service.product``, ``os.version``, ``hw.device``…).
    The properties read the first of ``service``, ``os``, ``hw`` that names a product (or
    else a vendor), so that a version never comes from another thing than the product.
    """

    description: str
    params: Mapping[str, str] = field(default_factory=lambda: _EMPTY, hash=False)
    source: str = ""  # "rempart" or "recog:<file>"
    database: str = ""

    def _prefix(self) -> str:
        for key in ("product", "vendor"):
            for prefix in _PREFIXES:
                if self.params.get(f"{prefix}.{key}"):
                    return prefix
        return "service"

    def _get(self, key: str) -> str | None:
        return self.params.get(f"{self._prefix()}.{key}") or None

    @property
    def product(self) -> str | None:
        return self._get("product")

    @property
    def vendor(self) -> str | None:
        return self._get("vendor")

    @property
    def version(self) -> str | None:
        return self._get("version")

    @property
    def cpe(self) -> str | None:
        """The CPE (Recog writes CPE 2.2 URIs in ``*.cpe23`` params), placeholders filled."""
        own = self._get("cpe23")
        if own:
            return own
        for prefix in _PREFIXES:
            value = self.params.get(f"{prefix}.cpe23")
            if value:
                return value
        return None

    @property
    def label(self) -> str | None:
        """Vendor and product for a person ("Microsoft IIS", "Samba"), or ``None``."""
        product, vendor = self.product, self.vendor
        if product and vendor and not product.lower().startswith(vendor.lower()):
            return f"{vendor} {product}"
        return product or vendor

    @property
    def device_type(self) -> str | None:
        return self.params.get("hw.device") or self.params.get("os.device") or None


@dataclass(frozen=True, slots=True)
class FingerprintStats:
    """What is loaded, for ``rempart data status`` and the audit's notes."""

    own_files: int
    own_fingerprints: int
    recog_dir: Path | None
    recog_files: int
    recog_fingerprints: int
    recog_examples: int
    databases: tuple[str, ...]
    warnings: tuple[str, ...]


class _RecogSource:
    """One imported Recog file: sniffed at load, parsed on first use."""

    __slots__ = ("database", "error", "parsed", "path", "preference")

    def __init__(self, path: Path, database: str, preference: float) -> None:
        self.path = path
        self.database = database
        self.preference = preference
        self.parsed: FingerprintFile | None = None
        self.error: str | None = None


def _sniff(path: Path) -> tuple[str, float]:
    """The database (``matches``) and preference of a Recog file, from its root element."""
    try:
        with path.open("rb") as handle:
            for _event, elem in SafeET.iterparse(handle, events=("start",)):
                if elem.tag != "fingerprints":
                    raise DataError(
                        _("{name} is not a Recog fingerprint file (root <{tag}>).").format(
                            name=path.name, tag=elem.tag
                        )
                    )
                try:
                    preference = float(elem.get("preference", "0.10"))
                except ValueError:
                    preference = 0.10
                return elem.get("matches") or path.stem, preference
    except SafeET.ParseError as exc:
        raise DataError(
            _("{name} is not well-formed XML ({error}).").format(name=path.name, error=exc)
        ) from exc
    except OSError as exc:
        raise DataError(
            _("Cannot read {path}: {error}.").format(path=path, error=exc.strerror or exc)
        ) from exc
    except DataError:
        raise
    except Exception as exc:  # defusedxml's refusals (DTD, entities)
        raise DataError(
            _("{name} was refused by the XML parser ({error}).").format(name=path.name, error=exc)
        ) from exc
    raise DataError(_("{name} is empty.").format(name=path.name))


def load_own_rules() -> tuple[FingerprintFile, ...]:
    """Rempart's own rules, packaged in ``rempart/discover/fingerprints/rules``."""
    folder = resources.files("rempart.discover.fingerprints").joinpath("rules")
    files = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".xml") and entry.is_file():
            files.append(parse_xml(entry.read_bytes(), entry.name, source=OWN_SOURCE))
    return tuple(files)


def default_recog_dir() -> Path:
    """Where ``rempart data import-fingerprints`` puts Recog's files."""
    return config.fingerprints_dir() / RECOG_SUBDIR


class FingerprintDB:
    """Fingerprints by database; our own rules first, then Recog's (by preference, name)."""

    def __init__(
        self,
        own: Iterable[FingerprintFile] = (),
        recog_paths: Iterable[Path] = (),
        recog_dir: Path | None = None,
        notes: Iterable[str] = (),
    ) -> None:
        self._lock = threading.Lock()
        self._own = tuple(own)
        self._recog_dir = recog_dir
        self._warnings: list[str] = list(notes)
        self._sources: dict[str, list[_RecogSource]] = {}
        self._ready: dict[str, tuple[Fingerprint, ...]] = {}
        self._broken: set[tuple[str, str]] = set()
        for path in sorted(recog_paths):
            try:
                database, preference = _sniff(path)
            except DataError as exc:
                self._warnings.append(f"{exc} Skipped.")
                continue
            self._sources.setdefault(database, []).append(_RecogSource(path, database, preference))
        for sources in self._sources.values():
            sources.sort(key=lambda s: (-s.preference, s.path.name))

    @property
    def warnings(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(self._warnings)

    @property
    def databases(self) -> tuple[str, ...]:
        names = {f.database for f in self._own} | set(self._sources)
        return tuple(sorted(names))

    def _parsed(self, source: _RecogSource) -> FingerprintFile | None:
        """Parse ``source`` once (caller holds the lock)."""
        if source.parsed is None and source.error is None:
            try:
                source.parsed = parse_file(source.path)
            except DataError as exc:
                source.error = str(exc)
                self._warnings.append(f"{exc} Skipped.")
        return source.parsed

    def fingerprints(self, database: str) -> tuple[Fingerprint, ...]:
        """The fingerprints of ``database`` in the order they are tried."""
        with self._lock:
            ready = self._ready.get(database)
            if ready is None:
                found: list[Fingerprint] = []
                names = (database, *ALIASES.get(database, ()))
                for own in self._own:
                    if own.database in names:
                        found.extend(own.fingerprints)
                for name in names:
                    for source in self._sources.get(name, ()):
                        parsed = self._parsed(source)
                        if parsed is not None:
                            found.extend(parsed.fingerprints)
                ready = self._ready[database] = tuple(found)
            return ready

    def match(self, database: str, text: str | bytes) -> FingerprintMatch | None:
        """The first fingerprint of ``database`` that matches ``text``, or ``None``.

        ``text`` may be the raw banner (see :func:`normalise`), as text or as the bytes
        received (decoded by :func:`~rempart.discover.fingerprints.recog.decode_bytes`);
        only its start is read (:func:`~rempart.discover.fingerprints.recog.bound_text`).
        """
        if not text:
            return None
        if isinstance(text, bytes):
            text = decode_bytes(text[: MAX_MATCH_CHARS * 4])
        text = bound_text(text)
        cleaned = normalise(database, text)
        found = self._first(database, cleaned)
        if found is None and cleaned != text:
            found = self._first(database, text)
        return found

    def _first(self, database: str, text: str) -> FingerprintMatch | None:
        for fingerprint in self.fingerprints(database):
            try:
                result = fingerprint.match(text)
            except RubyRegexError as exc:
                self._warn_once(fingerprint, str(exc))
                continue
            if result is None:
                continue
            params = {k: v for k, v in result.items() if v is not None}
            return FingerprintMatch(
                description=fingerprint.description,
                params=MappingProxyType(params),
                source=fingerprint.source,
                database=database,
            )
        return None

    def identify(self, texts: Mapping[str, str | bytes]) -> FingerprintMatch | None:
        """Try each ``database → text`` of ``texts`` in order; the first match wins."""
        for database, text in texts.items():
            found = self.match(database, text)
            if found is not None:
                return found
        return None

    def _warn_once(self, fingerprint: Fingerprint, reason: str) -> None:
        key = (fingerprint.source, fingerprint.pattern)
        with self._lock:
            if key not in self._broken:
                self._broken.add(key)
                self._warnings.append(
                    f"{fingerprint.source}: fingerprint {fingerprint.description!r} skipped "
                    f"({reason})."
                )

    def stats(self) -> FingerprintStats:
        """Counts of what is loaded (parses every imported file not parsed yet)."""
        with self._lock:
            parsed = [
                p
                for sources in self._sources.values()
                for s in sources
                if (p := self._parsed(s)) is not None
            ]
            warnings = tuple(self._warnings)
        return FingerprintStats(
            own_files=len(self._own),
            own_fingerprints=sum(len(f.fingerprints) for f in self._own),
            recog_dir=self._recog_dir,
            recog_files=len(parsed),
            recog_fingerprints=sum(len(f.fingerprints) for f in parsed),
            recog_examples=sum(f.example_count for f in parsed),
            databases=self.databases,
            warnings=warnings,
        )


def load_fingerprints(recog_dir: Path | None = None) -> FingerprintDB:
    """Our own rules plus every Recog ``*.xml`` in ``recog_dir``.

    ``recog_dir`` defaults to ``fingerprints_dir()/recog`` when it exists; without any
    Recog file, only our own rules are used (and :attr:`FingerprintDB.warnings` says so).
    """
    explicit = recog_dir is not None
    folder = recog_dir if explicit else default_recog_dir()
    paths: list[Path] = []
    missing: str | None = None
    if folder is not None and folder.is_dir():
        paths = sorted(p for p in folder.glob("*.xml") if p.is_file())
        if not paths:
            missing = _("No Recog fingerprint file in {path}.").format(path=folder)
    elif explicit:
        missing = _("The Recog folder {path} does not exist.").format(path=folder)
    else:
        missing = _(
            "Recog's fingerprints are not imported: run 'rempart data update' or "
            "'rempart data import-fingerprints DIR'."
        )
    return FingerprintDB(
        own=load_own_rules(),
        recog_paths=paths,
        recog_dir=folder if paths else None,
        notes=[missing] if missing else [],
    )

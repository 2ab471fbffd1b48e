"""The curated base: facts about the CVEs that matter to a dental practice, written here.

Why a base of our own when NVD exists: NVD's ranges say nothing a dentist can act on, and
its product names are not the ones our probes see. Each entry here carries what the report
needs in both languages (a one-line explanation, the fix in plain words, the fixed version)
and the sources it rests on (NVD, CISA KEV, the vendor's advisory). The imported feeds
(``rempart.vulns.store``), when present, add CVEs and EPSS scores on top.

The data is one TOML file per product family in this package (``windows.toml``,
``nas.toml``...) plus ``products.toml``, which says how a :class:`~rempart.core.model.Service`
names each product (aliases, Server header and banner patterns) and how its versions compare.
Each file's header explains its matching choices (e.g. how QNAP app flaws map to the QTS
firmware seen on the network).

Files are validated strictly when loaded: a wrong entry is a :class:`DataError` naming the
file and the CVE, never a half-loaded base.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from rempart.core.errors import DataError

CVE_PATTERN = re.compile(r"^CVE-\d{4}-\d{4,7}$")
MATCH_KINDS = ("version", "smb1", "windows-os", "none")
SCHEMES = ("numeric", "qts", "dsm")
BOUNDS = ("start_including", "start_excluding", "end_including", "end_excluding")
MAX_FILE = 2 * 1024 * 1024  # a curated file is a few dozen KiB; refuse anything huge
PRODUCTS_FILE = "products.toml"


@dataclass(frozen=True, slots=True)
class Bilingual:
    """One sentence in French and English (``text.get("en")``; French by default)."""

    fr: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.fr


@dataclass(frozen=True, slots=True)
class AffectedRange:
    """One affected range of one product, with NVD's four bounds (``None``: no bound).

    ``inferred``: the range is deduced (e.g. an app flaw matched on the firmware that
    shipped it) and a match on it is only ``probable``, for this reason.
    """

    product: str  # products.toml key, "vendor:product" as NVD names them
    start_including: str | None = None
    start_excluding: str | None = None
    end_including: str | None = None
    end_excluding: str | None = None
    inferred: Bilingual | None = None


@dataclass(frozen=True, slots=True)
class CuratedCve:
    """What we know about one CVE and what a practice should do about it."""

    id: str
    vendor: str
    product: str  # shown ("QTS", "Photo Station")
    cvss: float | None
    kev: bool
    ransomware: bool
    sources: tuple[str, ...]
    explanation: Bilingual
    remediation: Bilingual
    fixed: Bilingual
    match: str = "version"  # one of MATCH_KINDS
    service: str | None = None  # Service.name a protocol-level fact is about ("smb", "rdp")
    os: tuple[re.Pattern[str], ...] = ()  # for match = "windows-os"
    affected: tuple[AffectedRange, ...] = ()


@dataclass(frozen=True, slots=True)
class Product:
    """How a Service names a product, and how its versions compare."""

    key: str
    name: str
    aliases: tuple[str, ...] = ()
    server: tuple[re.Pattern[str], ...] = ()
    banner: tuple[re.Pattern[str], ...] = ()
    scheme: str = "numeric"
    version: re.Pattern[str] | None = None


@dataclass(frozen=True, slots=True)
class CuratedBase:
    """Every curated CVE and product, with the look-ups the matcher needs."""

    cves: tuple[CuratedCve, ...]
    products: tuple[Product, ...]
    # Look-up tables built once (the matcher asks for every service of an audit).
    _by_id: dict[str, CuratedCve] = field(init=False, repr=False, compare=False, hash=False)
    _by_key: dict[str, Product] = field(init=False, repr=False, compare=False, hash=False)
    _by_product: dict[str, tuple[CuratedCve, ...]] = field(
        init=False, repr=False, compare=False, hash=False
    )
    _by_match: dict[str, tuple[CuratedCve, ...]] = field(
        init=False, repr=False, compare=False, hash=False
    )
    aliases: tuple[tuple[str, Product], ...] = field(
        init=False, repr=False, compare=False, hash=False
    )  # (lower-case alias, product), longest alias first

    def __post_init__(self) -> None:
        by_product: dict[str, list[CuratedCve]] = {}
        by_match: dict[str, list[CuratedCve]] = {}
        for cve in self.cves:
            by_match.setdefault(cve.match, []).append(cve)
            for key in dict.fromkeys(r.product for r in cve.affected):
                by_product.setdefault(key, []).append(cve)
        aliases = [(a.lower(), p) for p in self.products for a in p.aliases]
        aliases.sort(key=lambda pair: -len(pair[0]))
        object.__setattr__(self, "_by_id", {c.id: c for c in self.cves})
        object.__setattr__(self, "_by_key", {p.key: p for p in self.products})
        object.__setattr__(self, "_by_product", {k: tuple(v) for k, v in by_product.items()})
        object.__setattr__(self, "_by_match", {k: tuple(v) for k, v in by_match.items()})
        object.__setattr__(self, "aliases", tuple(aliases))

    def get(self, cve_id: str) -> CuratedCve | None:
        return self._by_id.get(cve_id.upper())

    def product(self, key: str) -> Product | None:
        return self._by_key.get(key)

    def for_product(self, key: str) -> tuple[CuratedCve, ...]:
        """The CVEs with at least one affected range on this product key."""
        return self._by_product.get(key, ())

    def by_match(self, kind: str) -> tuple[CuratedCve, ...]:
        return self._by_match.get(kind, ())

    def __len__(self) -> int:
        return len(self.cves)


@cache
def builtin_curated() -> CuratedBase:
    """The base shipped with Rempart (loaded once)."""
    root = resources.files(__name__)
    texts = {
        entry.name: entry.read_text(encoding="utf-8")
        for entry in root.iterdir()
        if entry.name.endswith(".toml")
    }
    return parse_files(texts)


def load_curated(directory: Path) -> CuratedBase:
    """A base read from ``directory`` (``products.toml`` and any other ``*.toml``)."""
    texts: dict[str, str] = {}
    try:
        paths = sorted(directory.glob("*.toml"))
        for path in paths:
            if path.stat().st_size > MAX_FILE:
                raise DataError(f"{path}: curated file larger than {MAX_FILE} bytes")
            texts[path.name] = path.read_bytes().decode("utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise DataError(f"{directory}: a curated file is not UTF-8 text ({exc.reason})") from exc
    except OSError as exc:
        raise DataError(f"{directory}: cannot read the curated base ({exc.strerror})") from exc
    return parse_files(texts)


def parse_files(texts: dict[str, str]) -> CuratedBase:
    """Build a base from file name → TOML text; ``products.toml`` must be among them."""
    if PRODUCTS_FILE not in texts:
        raise DataError(f"curated base: {PRODUCTS_FILE} is missing")
    products = _products(PRODUCTS_FILE, _toml(PRODUCTS_FILE, texts[PRODUCTS_FILE]))
    keys = {p.key for p in products}
    cves: list[CuratedCve] = []
    seen: set[str] = set()
    for name in sorted(texts):
        if name == PRODUCTS_FILE:
            continue
        doc = _toml(name, texts[name])
        unknown = set(doc) - {"cve"}
        if unknown:
            raise DataError(f"{name}: unknown table(s) {sorted(unknown)}; expected [[cve]]")
        for raw in _list(name, doc.get("cve", []), "cve"):
            cve = _cve(name, raw, keys)
            if cve.id in seen:
                raise DataError(f"{name}: {cve.id} is already in the curated base")
            seen.add(cve.id)
            cves.append(cve)
    cves.sort(key=lambda c: c.id)
    return CuratedBase(cves=tuple(cves), products=products)


def _toml(name: str, text: str) -> dict[str, Any]:
    if len(text) > MAX_FILE:
        raise DataError(f"{name}: curated file larger than {MAX_FILE} characters")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"{name}: not valid TOML ({exc})") from exc


def _list(where: str, value: Any, what: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise DataError(f"{where}: {what} must be an array of tables ([[{what}]])")
    return value


def _str(where: str, raw: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    value = raw.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise DataError(f"{where}: {key} must be a non-empty string")
    return value


def _strs(where: str, raw: dict[str, Any], key: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise DataError(f"{where}: {key} must be a list of non-empty strings")
    return tuple(value)


def _regexes(where: str, raw: dict[str, Any], key: str) -> tuple[re.Pattern[str], ...]:
    out = []
    for text in _strs(where, raw, key):
        try:
            out.append(re.compile(text, re.IGNORECASE))
        except re.error as exc:
            raise DataError(f"{where}: {key} {text!r} is not a valid regex ({exc})") from exc
    return tuple(out)


def _bilingual(where: str, raw: dict[str, Any], key: str) -> Bilingual:
    value = raw.get(key)
    if not isinstance(value, dict):
        raise DataError(f"{where}: {key} must be {{ fr = ..., en = ... }}")
    fr, en = value.get("fr"), value.get("en")
    if not (isinstance(fr, str) and fr.strip() and isinstance(en, str) and en.strip()):
        raise DataError(f"{where}: {key} needs non-empty fr and en")
    return Bilingual(fr=fr, en=en)


def _products(name: str, doc: dict[str, Any]) -> tuple[Product, ...]:
    products: list[Product] = []
    for raw in _list(name, doc.get("product", []), "product"):
        key = _str(name, raw, "key")
        assert key is not None
        where = f"{name}: {key}"
        if key.count(":") != 1:
            raise DataError(f"{where}: key must be 'vendor:product'")
        scheme = raw.get("scheme", "numeric")
        if scheme not in SCHEMES:
            raise DataError(f"{where}: scheme must be one of {', '.join(SCHEMES)}")
        version = _regexes(where, {"v": [raw["version"]]} if "version" in raw else {}, "v")
        for source in ("server", "banner"):
            if any("version" not in p.groupindex for p in _regexes(where, raw, source)):
                raise DataError(f"{where}: every {source} regex needs a (?P<version>...) group")
        products.append(
            Product(
                key=key,
                name=_str(where, raw, "name") or key,
                aliases=_strs(where, raw, "aliases"),
                server=_regexes(where, raw, "server"),
                banner=_regexes(where, raw, "banner"),
                scheme=scheme,
                version=version[0] if version else None,
            )
        )
    if len({p.key for p in products}) != len(products):
        raise DataError(f"{name}: a product key appears twice")
    return tuple(products)


def _cve(name: str, raw: dict[str, Any], keys: set[str]) -> CuratedCve:
    cve_id = raw.get("id")
    if not isinstance(cve_id, str) or not CVE_PATTERN.match(cve_id):
        raise DataError(f"{name}: id {cve_id!r} is not a CVE ID (CVE-YYYY-NNNN)")
    where = f"{name}: {cve_id}"
    cvss = raw.get("cvss")
    if cvss is not None and (
        isinstance(cvss, bool) or not isinstance(cvss, (int, float)) or not 0 <= cvss <= 10
    ):
        raise DataError(f"{where}: cvss must be a number from 0 to 10")
    for flag in ("kev", "ransomware"):
        if not isinstance(raw.get(flag), bool):
            raise DataError(f"{where}: {flag} must be true or false")
    if raw["ransomware"] and not raw["kev"]:
        raise DataError(f"{where}: ransomware use is recorded by KEV, so kev must be true")
    sources = _strs(where, raw, "sources")
    if not sources or not all(s.startswith("https://") for s in sources):
        raise DataError(f"{where}: sources must be https:// addresses (at least one)")
    match = raw.get("match", "version")
    if match not in MATCH_KINDS:
        raise DataError(f"{where}: match must be one of {', '.join(MATCH_KINDS)}")
    affected = tuple(
        _range(where, r, keys) for r in _list(where, raw.get("affected", []), "cve.affected")
    )
    if match == "version" and not affected:
        raise DataError(f"{where}: a version match needs at least one [[cve.affected]]")
    os_patterns = _regexes(where, raw, "os")
    if match == "windows-os" and not os_patterns:
        raise DataError(f"{where}: a windows-os match needs os patterns")
    service = _str(where, raw, "service", required=False)
    if match in ("smb1", "windows-os") and service is None:
        raise DataError(f"{where}: a protocol-level match needs service (smb, rdp)")
    return CuratedCve(
        id=cve_id,
        vendor=_str(where, raw, "vendor") or "",
        product=_str(where, raw, "product") or "",
        cvss=float(cvss) if cvss is not None else None,
        kev=raw["kev"],
        ransomware=raw["ransomware"],
        sources=sources,
        explanation=_bilingual(where, raw, "explanation"),
        remediation=_bilingual(where, raw, "remediation"),
        fixed=_bilingual(where, raw, "fixed"),
        match=match,
        service=service,
        os=os_patterns,
        affected=affected,
    )


def _range(where: str, raw: dict[str, Any], keys: set[str]) -> AffectedRange:
    product = _str(where, raw, "product")
    if product not in keys:
        raise DataError(f"{where}: affected product {product!r} is not in {PRODUCTS_FILE}")
    bounds = {b: _str(where, raw, b, required=False) for b in BOUNDS}
    if not any(bounds.values()):
        raise DataError(f"{where}: an affected range needs at least one bound")
    if bounds["start_including"] and bounds["start_excluding"]:
        raise DataError(f"{where}: two start bounds in one range")
    if bounds["end_including"] and bounds["end_excluding"]:
        raise DataError(f"{where}: two end bounds in one range")
    inferred = _bilingual(where, raw, "inferred") if "inferred" in raw else None
    return AffectedRange(product=product, inferred=inferred, **bounds)


__all__ = [
    "AffectedRange",
    "Bilingual",
    "CuratedBase",
    "CuratedCve",
    "Product",
    "builtin_curated",
    "load_curated",
    "parse_files",
]

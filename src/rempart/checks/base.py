"""What every check shares: its metadata, the context it judges in, and the registry.

A check is a small pure function with its words beside it (Prowler style) and a stable
ID (Lynis style)::

    @check(CheckMeta(id="NET-TELNET", severity=Severity.HIGH, title=Text(fr=..., en=...), ...))
    def telnet(service: Service, ctx: CheckContext) -> Hit:
        if service.observation(TelnetObservation) is None:
            return None
        return (Evidence("banner", ...),)

The function looks at one :class:`~rempart.core.model.Service` (with its asset at hand
through ``ctx.asset``) and returns the evidence it rests on, or ``None`` when it does not
fire. The registry turns a hit into a :class:`~rempart.core.model.Finding` carrying the
check's ID and severity, so that a check cannot contradict its own metadata.

A check never fires on "unknown": when the observation it needs is missing or a field is
``None`` (not learnt), it returns ``None``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from rempart.checks.eol import EolTable, builtin_eol
from rempart.core.model import Asset, Evidence, Finding, Service, Severity
from rempart.i18n import SUPPORTED

ID_PATTERN = re.compile(r"^[A-Z]+(-[A-Z0-9]+)+$")

# Evidence values come from the network: keep them short whatever the probe kept.
MAX_EVIDENCE = 200


@dataclass(frozen=True, slots=True)
class Text:
    """One sentence in both languages. ``text["fr"]`` or ``text.get("en")``."""

    fr: str
    en: str

    def __getitem__(self, lang: str) -> str:
        if lang == "fr":
            return self.fr
        if lang == "en":
            return self.en
        raise KeyError(lang)

    def get(self, lang: str) -> str:
        """The text in ``lang``; French for an unknown language (the default one)."""
        return self.en if lang == "en" else self.fr

    def as_dict(self) -> dict[str, str]:
        return {"fr": self.fr, "en": self.en}


class Who(enum.Enum):
    """The person who must act on a finding."""

    DENTIST = "dentist"
    ASSISTANT = "assistant"
    IT_PROVIDER = "it_provider"
    SOFTWARE_VENDOR = "software_vendor"

    @property
    def label(self) -> Text:
        return _WHO_LABELS[self]


_WHO_LABELS = {
    Who.DENTIST: Text(fr="le ou la praticien(ne)", en="the dentist"),
    Who.ASSISTANT: Text(fr="l'assistant(e)", en="the assistant"),
    Who.IT_PROVIDER: Text(fr="le prestataire informatique", en="the IT provider"),
    Who.SOFTWARE_VENDOR: Text(fr="l'éditeur du logiciel", en="the software vendor"),
}


@dataclass(frozen=True, slots=True)
class Reference:
    """A document a person can read to go further (ANSSI, ANS, vendor docs)."""

    label: str
    url: str


@dataclass(frozen=True, slots=True)
class CheckMeta:
    """Everything a report needs to explain a finding, in one place per check."""

    id: str
    severity: Severity
    title: Text
    risk: Text
    remediation: Text
    who: tuple[Who, ...]
    references: tuple[Reference, ...]
    categories: tuple[str, ...] = ()
    rationale: str = ""  # why this severity (for docs/checks.md), in English


@dataclass(frozen=True, slots=True)
class CheckContext:
    """What a check may know besides the service: the clock, the asset, reference data.

    ``now`` must be timezone-aware (UTC); certificate expiry and end-of-life dates are
    compared with it, so that a test can pin the date. ``eol`` is the end-of-life table
    (see :mod:`rempart.checks.eol`); ``None`` means the table shipped with Rempart.
    """

    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    asset: Asset | None = None
    eol: EolTable | None = None

    @property
    def eol_table(self) -> EolTable:
        return self.eol if self.eol is not None else builtin_eol()


Hit = Sequence[Evidence] | None
CheckFunc = Callable[[Service, CheckContext], Hit]


@dataclass(frozen=True, slots=True)
class Check:
    """A registered check: its metadata and the function that decides."""

    meta: CheckMeta
    func: CheckFunc

    def run(self, service: Service, ctx: CheckContext) -> Finding | None:
        hit = self.func(service, ctx)
        if hit is None:
            return None
        return Finding(
            check_id=self.meta.id,
            severity=self.meta.severity,
            address=service.address,
            port=service.port,
            transport=service.transport,
            evidence=tuple(_bounded(e) for e in hit),
        )


_REGISTRY: dict[str, Check] = {}


def check(meta: CheckMeta) -> Callable[[CheckFunc], CheckFunc]:
    """Register the decorated function as the check described by ``meta``."""
    _validate(meta)

    def register(func: CheckFunc) -> CheckFunc:
        if meta.id in _REGISTRY:
            raise ValueError(f"duplicate check ID {meta.id}")
        _REGISTRY[meta.id] = Check(meta=meta, func=func)
        return func

    return register


def _validate(meta: CheckMeta) -> None:
    if not ID_PATTERN.match(meta.id):
        raise ValueError(f"check ID {meta.id!r} does not match {ID_PATTERN.pattern}")
    for name in ("title", "risk", "remediation"):
        text: Text = getattr(meta, name)
        for lang in SUPPORTED:
            if not text[lang].strip():
                raise ValueError(f"{meta.id}: empty {name} in {lang}")
    if not meta.who or not meta.references or not meta.rationale.strip():
        raise ValueError(f"{meta.id}: who, references and rationale must not be empty")


def _bounded(evidence: Evidence) -> Evidence:
    label, value = _clip(evidence.label), _clip(evidence.value)
    if label == evidence.label and value == evidence.value:
        return evidence
    return replace(evidence, label=label, value=value)


def _clip(text: str) -> str:
    text = "".join(ch if ch.isprintable() else "\ufffd" for ch in text)
    return text if len(text) <= MAX_EVIDENCE else text[: MAX_EVIDENCE - 1] + "…"


def all_checks() -> tuple[Check, ...]:
    """Every registered check, sorted by ID."""
    _load()
    return tuple(_REGISTRY[k] for k in sorted(_REGISTRY))


def get_meta(check_id: str) -> CheckMeta | None:
    """The metadata of a check, or ``None`` for an unknown ID (an old store, a plugin)."""
    _load()
    found = _REGISTRY.get(check_id)
    return found.meta if found else None


def run_checks(assets: Sequence[Asset], ctx: CheckContext | None = None) -> tuple[Finding, ...]:
    """Judge every service of every asset; findings sorted most severe first."""
    ctx = ctx or CheckContext()
    findings = list(_iter_findings(assets, ctx))
    findings.sort(key=lambda f: (*f.sort_key, f.transport or ""))
    return tuple(findings)


def _iter_findings(assets: Sequence[Asset], ctx: CheckContext) -> Iterator[Finding]:
    checks = all_checks()
    for asset in assets:
        local = replace(ctx, asset=asset)
        for service in asset.services:
            for registered in checks:
                finding = registered.run(service, local)
                if finding is not None:
                    yield finding


def _load() -> None:
    """Import the check modules so that their decorators fill the registry."""
    import rempart.checks.network  # noqa: F401  (registration side effect)

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

Three kinds of subject are judged, each with its decorator and runner:

* a network :class:`Service` — :func:`check`, :func:`run_checks`;
* this computer's facts (``rempart.core.host.HostFacts``) — :func:`host_check`,
  :func:`run_host_checks`;
* the practice's answers to the survey — :func:`org_check`, :func:`run_org_checks`.

A check that must name CVEs returns a :class:`Verdict` (evidence and CVE IDs) instead of a
plain evidence sequence.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

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
    # Known-vulnerability matcher (``rempart.vulns``), loaded by the service layer; ``None``:
    # no vulnerability matching (the vulnerability checks stay silent).
    vulns: Any = None

    @property
    def eol_table(self) -> EolTable:
        return self.eol if self.eol is not None else builtin_eol()


@dataclass(frozen=True, slots=True)
class Verdict:
    """A hit that also names CVEs (known-vulnerability checks)."""

    evidence: tuple[Evidence, ...]
    cves: tuple[str, ...] = ()


Hit = Sequence[Evidence] | Verdict | None
CheckFunc = Callable[[Service, CheckContext], Hit]
SubjectFunc = Callable[[Any, CheckContext], Hit]


SUBJECTS = ("service", "host", "org")


@dataclass(frozen=True, slots=True)
class Check:
    """A registered check: its metadata, the function that decides, and what it judges."""

    meta: CheckMeta
    func: SubjectFunc
    subject: str = "service"  # one of SUBJECTS

    def run(self, service: Service, ctx: CheckContext) -> Finding | None:
        return self.judge(service, ctx, service.address, service.port, service.transport)

    def judge(
        self,
        subject: Any,
        ctx: CheckContext,
        address: str | None = None,
        port: int | None = None,
        transport: str | None = None,
    ) -> Finding | None:
        hit = self.func(subject, ctx)
        if hit is None:
            return None
        evidence, cves = (hit.evidence, hit.cves) if isinstance(hit, Verdict) else (hit, ())
        return Finding(
            check_id=self.meta.id,
            severity=self.meta.severity,
            address=address,
            port=port,
            transport=transport,
            evidence=tuple(_bounded(e) for e in evidence),
            cves=tuple(cves),
        )


_REGISTRY: dict[str, Check] = {}


def _registrar(meta: CheckMeta, subject: str) -> Callable[[Any], Any]:
    _validate(meta)

    def register(func: Any) -> Any:
        if meta.id in _REGISTRY:
            raise ValueError(f"duplicate check ID {meta.id}")
        _REGISTRY[meta.id] = Check(meta=meta, func=func, subject=subject)
        return func

    return register


def check(meta: CheckMeta) -> Callable[[CheckFunc], CheckFunc]:
    """Register the decorated function as the network check described by ``meta``."""
    return _registrar(meta, "service")


def host_check(meta: CheckMeta) -> Callable[[SubjectFunc], SubjectFunc]:
    """Register a check on this computer's facts (``HostFacts``); IDs start with ``HOST-``."""
    return _registrar(meta, "host")


def org_check(meta: CheckMeta) -> Callable[[SubjectFunc], SubjectFunc]:
    """Register a check on the practice's survey answers; IDs start with ``ORG-``."""
    return _registrar(meta, "org")


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
    value_fr = None if evidence.value_fr is None else _clip(evidence.value_fr)
    if label == evidence.label and value == evidence.value and value_fr == evidence.value_fr:
        return evidence
    return replace(evidence, label=label, value=value, value_fr=value_fr)


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


def run_host_checks(
    facts: Any, ctx: CheckContext | None = None, address: str | None = None
) -> tuple[Finding, ...]:
    """Judge one computer's facts; findings carry ``address`` (the computer's) if given."""
    return _run_subject("host", facts, ctx or CheckContext(), address)


def run_org_checks(answers: Any, ctx: CheckContext | None = None) -> tuple[Finding, ...]:
    """Judge the practice's survey answers."""
    return _run_subject("org", answers, ctx or CheckContext(), None)


def _run_subject(
    subject: str, value: Any, ctx: CheckContext, address: str | None
) -> tuple[Finding, ...]:
    findings = [
        f
        for registered in all_checks()
        if registered.subject == subject
        for f in [registered.judge(value, ctx, address)]
        if f is not None
    ]
    findings.sort(key=lambda f: f.sort_key)
    return tuple(findings)


def _iter_findings(assets: Sequence[Asset], ctx: CheckContext) -> Iterator[Finding]:
    checks = [c for c in all_checks() if c.subject == "service"]
    for asset in assets:
        local = replace(ctx, asset=asset)
        for service in asset.services:
            for registered in checks:
                finding = registered.run(service, local)
                if finding is not None:
                    yield finding


def _load() -> None:
    """Import the check modules so that their decorators fill the registry."""
    import importlib

    import rempart.checks.network  # noqa: F401  (registration side effect)

    # Packages of the other subjects register themselves the same way when present.
    for name in (
        "rempart.checks.vulns",
        "rempart.checks.host",
        "rempart.checks.org",
        "rempart.checks.backup",
    ):
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise

"""The practice's report as data: everything a renderer shows, already decided and worded.

:func:`build_report` gathers the audit, the grade (:mod:`rempart.core.scoring`), the plan
(:mod:`rempart.report.plan`), each finding's words and life (new, still open, accepted), the
devices with their services and findings, the backups and the sentinel, the change since the
previous audit and the grade's history. The HTML and PDF renderers, the dashboard and the
JSON output only lay it out: renderers never decide.

Text from the network (banners, host names, evidence) is kept as is here: it is hostile and
every renderer escapes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rempart.checks import Reference, get_meta
from rempart.core.host import HostFacts
from rempart.core.model import Audit, Finding, Service, Severity
from rempart.core.protection import BackupStatus, SentinelStatus
from rempart.core.scoring import Score, finding_key, score
from rempart.i18n import _
from rempart.report.plan import Action, build_plan, spec_for, target_label
from rempart.report.words import (
    asset_kind_label,
    evidence_label,
    evidence_words,
    language,
    severity_label,
)
from rempart.store import AuditDiff, Store
from rempart.store.lifecycle import (
    Acceptance,
    FindingLife,
    HistoryPoint,
    acceptances,
    change_since_previous,
    finding_life,
    grade_history,
)

STATUSES = ("new", "open", "accepted")
HISTORY_LENGTH = 20


@dataclass(frozen=True, slots=True)
class FindingView:
    """A finding with its words in the report's language, its weight and its life.

    ``status``: "new" (first seen by this audit), "open" (seen before) or "accepted" (a risk
    accepted and still in force: ``accepted_reason``, ``accepted_until``).
    """

    finding: Finding
    key: str
    check_id: str
    title: str
    risk: str
    remediation: str
    severity: Severity
    severity_label: str
    target: str  # "nas (127.42.0.30) :443/tcp", or "" for the practice as a whole
    evidence: tuple[tuple[str, str], ...]  # (label, value), labels translated
    cves: tuple[str, ...]
    who: tuple[str, ...]  # labels of the people who act, from the check
    references: tuple[Reference, ...]
    points: float
    action_id: str
    status: str
    first_seen: datetime | None
    accepted_reason: str | None = None
    accepted_until: datetime | None = None
    accepted_by: str | None = None
    known: bool = True  # False: a check of another version of Rempart


@dataclass(frozen=True, slots=True)
class AssetView:
    """A device: its services, its findings (most weighty first), its facts if audited."""

    address: str
    hostname: str | None
    kind: str | None
    label: str
    services: tuple[Service, ...]
    findings: tuple[FindingView, ...]
    host: HostFacts | None
    points: float


@dataclass(frozen=True, slots=True)
class PracticeReport:
    """The whole report, in one language (``lang``)."""

    audit: Audit
    lang: str
    generated_at: datetime
    score: Score
    plan: tuple[Action, ...]
    findings: tuple[FindingView, ...]  # priority order: weightiest first
    assets: tuple[AssetView, ...]
    backup: BackupStatus | None
    sentinel: SentinelStatus | None
    change: AuditDiff | None
    history: tuple[HistoryPoint, ...]
    references: tuple[Reference, ...]
    practice_findings: tuple[FindingView, ...] = ()  # the survey's (no device)

    @property
    def grade(self) -> str:
        return self.score.grade

    def top_actions(self, n: int = 5) -> tuple[Action, ...]:
        return self.plan[:n]

    def grade_after_top(self, n: int = 5) -> str:
        """The grade once the first ``n`` actions of the plan are done."""
        top = self.plan[:n]
        return top[-1].cumulative_grade if top else self.score.grade

    @property
    def severity_counts(self) -> dict[str, int]:
        counts = {s.value: 0 for s in sorted(Severity, reverse=True)}
        for f in self.findings:
            counts[f.severity.value] += 1
        return counts


def practice_references() -> tuple[Reference, ...]:
    """Where to read more and whom to call, in the current language."""
    return (
        Reference(
            _("ANSSI: computer hygiene guide (42 measures)"),
            "https://cyber.gouv.fr/publications/guide-dhygiene-informatique",
        ),
        Reference(
            _("ANS: IT security memo for healthcare professionals in private practice"),
            "https://esante.gouv.fr/produits-services/pgssi-s",
        ),
        Reference(
            _("cybermalveillance.gouv.fr: help and advice after an attack"),
            "https://www.cybermalveillance.gouv.fr/",
        ),
        Reference(
            _("CERT Santé: report a security incident of a healthcare structure"),
            "https://www.cyberveille-sante.gouv.fr/",
        ),
        Reference(
            _("CNIL: notify a personal data breach (within 72 hours)"),
            "https://www.cnil.fr/fr/notifier-une-violation-de-donnees-personnelles",
        ),
    )


def _finding_view(
    f: Finding,
    *,
    lang: str,
    names: Mapping[str, str],
    points: float,
    life: FindingLife | None,
    accepted: Acceptance | None,
    audit_id: str,
    words: Mapping[str, str],
) -> FindingView:
    meta = get_meta(f.check_id)
    key = finding_key(f)
    if accepted is not None:
        status = "accepted"
    elif life is None or life.first_audit == audit_id:
        status = "new"
    else:
        status = "open"
    target = target_label(f.address, names)
    if target and f.port is not None:
        target = f"{target} :{f.port}/{f.transport or 'tcp'}"
    evidence = tuple(
        (evidence_label(e.label, words), words.get(e.value_in(lang), e.value_in(lang)))
        for e in f.evidence
    )
    return FindingView(
        finding=f,
        key=key,
        check_id=f.check_id,
        title=meta.title.get(lang) if meta else f.check_id,
        risk=meta.risk.get(lang) if meta else "",
        remediation=meta.remediation.get(lang) if meta else "",
        severity=f.severity,
        severity_label=severity_label(f.severity),
        target=target,
        evidence=evidence,
        cves=f.cves,
        who=tuple(w.label.get(lang) for w in meta.who) if meta else (),
        references=meta.references if meta else (),
        points=points,
        action_id=spec_for(f.check_id).id,
        status=status,
        first_seen=life.first_seen_at if life else None,
        accepted_reason=accepted.reason if accepted else None,
        accepted_until=accepted.until if accepted else None,
        accepted_by=accepted.accepted_by if accepted else None,
        known=meta is not None,
    )


def build_report(
    audit: Audit, *, store: Store | None = None, lang: str = "fr", now: datetime | None = None
) -> PracticeReport:
    """The report of ``audit`` in ``lang``; with a ``store``: the findings' life, accepted
    risks, backups, sentinel, the change since the previous audit and the grade's history."""
    now = now or datetime.now(UTC)
    backup: BackupStatus | None = None
    sentinel: SentinelStatus | None = None
    change: AuditDiff | None = None
    history: tuple[HistoryPoint, ...] = ()
    accepted: dict[str, Acceptance] = {}
    lives: dict[str, FindingLife] = {}
    keys = {finding_key(f) for f in audit.findings}
    if store is not None:
        from rempart.store.status import backup_status, sentinel_status

        backup = backup_status(store)
        sentinel = sentinel_status(store, now)
        change = change_since_previous(store, audit)
        accepted = {k: a for k, a in acceptances(store, now).items() if k in keys}
        lives = finding_life(store, keys)
    accepted_set = frozenset(accepted)
    the_score = score(audit.findings, protection=backup, accepted=accepted_set, now=now)
    if store is not None:
        history = tuple(
            grade_history(store, HISTORY_LENGTH, protection=backup, now=now, until=audit)
        )
    points = {c.key: c.points for c in the_score.breakdown}
    with language(lang) as code:
        # a device without a name is called by its kind ("NAS (127.42.0.30)")
        names = {
            a.address: label
            for a in audit.assets
            if (label := a.hostname or asset_kind_label(a.kind))
        }
        plan = build_plan(
            audit.findings,
            protection=backup,
            accepted=accepted_set,
            lang=code,
            names=names,
            now=now,
            scored=the_score,
        )
        words = evidence_words()
        views: dict[str, FindingView] = {}
        for f in sorted(audit.findings, key=lambda f: (*f.sort_key, f.transport or "")):
            key = finding_key(f)
            if key in views:
                continue
            views[key] = _finding_view(
                f,
                lang=code,
                names=names,
                points=points.get(key, 0.0),
                life=lives.get(key),
                accepted=accepted.get(key),
                audit_id=audit.id,
                words=words,
            )
        ordered = tuple(
            sorted(views.values(), key=lambda v: (-v.points, *v.finding.sort_key, v.key))
        )
        assets = _assets(audit, ordered, names)
        refs = practice_references()
    return PracticeReport(
        audit=audit,
        lang=code,
        generated_at=now,
        score=the_score,
        plan=plan,
        findings=ordered,
        assets=assets,
        backup=backup,
        sentinel=sentinel,
        change=change,
        history=history,
        references=refs,
        practice_findings=tuple(v for v in ordered if v.finding.address is None),
    )


def _assets(
    audit: Audit, findings: tuple[FindingView, ...], names: Mapping[str, str]
) -> tuple[AssetView, ...]:
    """The devices: the ones the network scan found, then the computers audited from inside
    (joined to a scanned device of the same name), then any other address a finding names."""
    by_address: dict[str, list[FindingView]] = {}
    for v in findings:
        if v.finding.address:
            by_address.setdefault(v.finding.address, []).append(v)
    facts = {h.hostname: h for h in audit.hosts if h.hostname}
    out: list[AssetView] = []
    used: set[str] = set()
    for asset in audit.assets:
        mine = list(by_address.get(asset.address, []))
        host = facts.get(asset.hostname) if asset.hostname else None
        if host is not None and asset.hostname:
            mine += by_address.get(asset.hostname, [])
            used.add(asset.hostname)
        used.add(asset.address)
        out.append(
            _asset_view(
                asset.address, asset.hostname, asset.kind, asset.services, mine, host, names
            )
        )
    for name, host in sorted(facts.items()):
        if name in used:
            continue
        used.add(name)
        out.append(_asset_view(name, name, "computer", (), by_address.get(name, []), host, names))
    for address in sorted(set(by_address) - used):
        out.append(_asset_view(address, None, None, (), by_address[address], None, names))
    return tuple(out)


def _asset_view(
    address: str,
    hostname: str | None,
    kind: str | None,
    services: tuple[Service, ...],
    findings: list[FindingView],
    host: HostFacts | None,
    names: Mapping[str, str],
) -> AssetView:
    ordered = tuple(sorted(findings, key=lambda v: (-v.points, *v.finding.sort_key, v.key)))
    return AssetView(
        address=address,
        hostname=hostname,
        kind=kind,
        label=target_label(address, names) or address,
        services=services,
        findings=ordered,
        host=host,
        points=round(sum(v.points for v in ordered), 1),
    )


def report_to_json(report: PracticeReport) -> dict[str, Any]:
    """``findings.json`` (docs/findings-json.md) with the practice's grade, plan and the
    findings' status: one file for scripts and the IT provider's tools."""
    from rempart.report.json import _clean, audit_to_json

    data = audit_to_json(report.audit, report.lang, report.generated_at)
    status = {v.key: v for v in report.findings}
    for item in data["findings"]:
        key = finding_key(
            Finding(
                item["check_id"],
                Severity(item["severity"]),
                item["address"],
                item["port"],
                item["transport"],
            )
        )
        view = status.get(key)
        item["key"] = key
        item["points"] = view.points if view else 0.0
        item["status"] = view.status if view else "open"
        item["first_seen"] = view.first_seen.isoformat() if view and view.first_seen else None
        if view is not None and view.status == "accepted":
            item["accepted"] = {
                "reason": view.accepted_reason,
                "until": view.accepted_until.isoformat() if view.accepted_until else None,
                "by": view.accepted_by,
            }
    data["grade"] = {
        "grade": report.score.grade,
        "points": report.score.points,
        "compensated": report.score.compensated,
    }
    data["plan"] = [
        {
            "id": a.id,
            "title": a.title,
            "detail": a.detail,
            "who": a.who,
            "effort": a.effort,
            "gain_points": a.gain_points,
            "grade_after": a.grade_after,
            "cumulative_grade": a.cumulative_grade,
            "targets": list(a.targets),
            "findings": [finding_key(f) for f in a.findings],
        }
        for a in report.plan
    ]
    if report.change is not None:
        data["change"] = {
            "new": sorted(finding_key(f) for f in report.change.new),
            "fixed": sorted(finding_key(f) for f in report.change.fixed),
            "still_open": sorted(finding_key(f) for f in report.change.still_open),
        }
    data["history"] = [
        {"audit_id": p.audit_id, "at": p.at.isoformat(), "grade": p.grade, "points": p.points}
        for p in report.history
    ]
    cleaned: dict[str, Any] = _clean(data)  # the added text is bounded like the rest
    return cleaned


__all__ = [
    "STATUSES",
    "AssetView",
    "FindingView",
    "PracticeReport",
    "build_report",
    "practice_references",
    "report_to_json",
]

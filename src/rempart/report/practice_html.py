"""The practice report as one self-contained HTML file (and the page the PDF is printed from).

Page one is for the practitioner: the grade drawn like the energy label, the five actions
that win the most, the state of the backups and of the sentinel, and what changed since
the last audit, in one line. Then the whole plan, the technical details per device for the
IT provider, what changed (fixed, new, still open) and the references.

Everything is decided before this module (:mod:`rempart.report.practice` builds a
:class:`~rempart.report.practice.PracticeReport` in the reader's language); here the report
is only laid out. Text that came from the network or the store (host names, banners,
evidence, folder paths, reasons) goes through :func:`rempart.report.text.clip` and Jinja2's
autoescape. No script, no external resource: the page opens offline and can be mailed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

import jinja2

from rempart.checks import get_meta
from rempart.core.host import HostFacts
from rempart.core.model import Finding, Severity
from rempart.core.protection import BackupStatus, SentinelStatus
from rempart.core.scoring import DRILL_FRESHNESS, THRESHOLDS, finding_key
from rempart.i18n import _, current_language, ngettext
from rempart.report.charts import SeverityCount, TrendPoint, grade_label, grade_trend, severity_bars
from rempart.report.files import write_text_atomic
from rempart.report.plan import Action
from rempart.report.practice import AssetView, FindingView, PracticeReport
from rempart.report.text import clip
from rempart.report.words import language, report_words, severity_label

TOP_ACTIONS = 5
# An action lists at most this many of the findings it fixes; "and N more" says the rest.
FIXES_SHOWN = 8
# The plan describes this many actions in full; the others are one line each in a table
# (a large network can have hundreds: the document stays readable and quick to print).
PLAN_DETAILED = 12
# Evidence of a finding shown in the details table: one line, this long at most.
EVIDENCE_CHARS = 130
CVES_SHOWN = 6
# Each list of the change since the last audit (fixed, new, still open) shows this many; the
# count says the rest (every open finding is in the details per device anyway).
CHANGE_SHOWN = 40

_CVE = re.compile(r"^CVE-\d{4}-\d{4,7}$")
NVD = "https://nvd.nist.gov/vuln/detail/{cve}"


# -- what the template lays out ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a status box: a label, a value, and how good it is ("ok", "warn", "bad")."""

    label: str
    value: str
    state: str = ""


@dataclass(frozen=True, slots=True)
class StatusBox:
    state: str
    lines: tuple[Line, ...]


@dataclass(frozen=True, slots=True)
class FixLine:
    title: str
    target: str


@dataclass(frozen=True, slots=True)
class ActionRow:
    id: str
    title: str
    detail: str
    who: str
    effort: str
    gain: str
    then: str  # the grade once this action and the ones before it are done
    facts: str  # "Qui : … · Effort : … · Gain : …"
    count: int
    count_text: str
    fixes: tuple[FixLine, ...]
    more: str


@dataclass(frozen=True, slots=True)
class FindingBlock:
    """One row of a device's findings table."""

    check_id: str
    severity: str
    severity_label: str
    title: str
    where: str  # "445/tcp", or "—" for the device as a whole
    status: str
    status_text: str
    first_seen: str
    accepted: str
    evidence: str  # "dialects accepted: NT LM 0.12 · signing required: no", one line
    cves: tuple[tuple[str, str], ...]  # (CVE ID, NVD address or "" when not a CVE ID)
    more_cves: str  # "+12" when more CVEs than shown


@dataclass(frozen=True, slots=True)
class CheckBlock:
    """A check's words, written once for all its findings."""

    check_id: str
    severity: str
    severity_label: str
    title: str
    count_text: str
    risk: str
    remediation: str
    who: str
    references: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class ServiceRow:
    port: str
    name: str
    product: str
    version: str
    banner: str


@dataclass(frozen=True, slots=True)
class AssetBlock:
    address: str
    hostname: str
    kind: str
    services: tuple[ServiceRow, ...]
    host_lines: tuple[str, ...]
    findings: tuple[FindingBlock, ...]


@dataclass(frozen=True, slots=True)
class ChangeBlock:
    code: str
    heading: str
    count: int
    items: tuple[FixLine, ...]  # the first CHANGE_SHOWN
    more: str  # "and 850 more findings (see the details per device)"


@dataclass(frozen=True, slots=True)
class RefLine:
    label: str
    url: str


# -- public API ------------------------------------------------------------------------------


def render_html(report: PracticeReport, *, paper: bool = False) -> str:
    """The report as one HTML page, in ``report.lang``.

    ``paper``: the page to be printed to PDF (:mod:`rempart.report.pdf`). The same content in
    lighter markup where the report is long: WeasyPrint lays out every inline element (a link,
    a bold run) as a box and a text layout of its own, and a network of a thousand findings
    must print in seconds. Links that only a screen can follow become plain text there; the
    addresses of the pages cited are printed in the references.
    """
    with language(report.lang) as code:
        template = _environment().get_template("practice/report.html.j2")
        return template.render(**_context(report, code), paper=paper)


def write_practice_html(report: PracticeReport, path: Path) -> Path:
    """Write the HTML report atomically (a reader never sees half a file)."""
    return write_text_atomic(Path(path), render_html(report))


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("rempart.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["severity_runs"] = severity_runs
    return env


def severity_runs(rows: Iterable[FindingBlock]) -> list[list[FindingBlock]]:
    """``rows`` cut into runs of consecutive findings of the same severity, order kept (the
    findings on paper: one paragraph per run, its colour on the border)."""
    runs: list[list[FindingBlock]] = []
    for row in rows:
        if runs and runs[-1][0].severity == row.severity:
            runs[-1].append(row)
        else:
            runs.append([row])
    return runs


# -- words -----------------------------------------------------------------------------------


def practice_words() -> dict[str, str]:
    """The fixed words of the practice report, in the current language."""
    base = report_words()
    return {
        "doc_title": _("Rempart: security report of the practice"),
        "heading": _("Security report of the practice"),
        "audit_of": _("Audit of"),
        "targets": _("Network:"),
        "top_actions": _("The priority actions"),
        "col_then": _("Then"),
        "services_seen": _("Open ports and what answers on them:"),
        "overview_heading": _("Where the practice stands"),
        "explained_heading": _("The findings explained"),
        "explained_intro": _(
            "What each kind of finding means, what to do about it and who does it; "
            "written once for all the devices where it was found."
        ),
        "who": base["who"],
        "further": _("To go further:"),
        "more_actions": _("The other actions"),
        "col_action": _("Action"),
        "col_who": _("Who"),
        "col_effort": _("Effort"),
        "col_gain": _("Gain"),
        "no_actions": _("Nothing to do: no finding calls for an action."),
        "compensated": _(
            "Your backups are immutable and were restored successfully in the last 30 days: "
            "the ways in used by ransomware weigh less in the grade."
        ),
        "backup_heading": _("Backups and restore drills"),
        "sentinel_heading": _("Sentinel (ransomware watch)"),
        "plan_heading": _("Action plan"),
        "plan_intro": _(
            "Each action says who does it, how long it takes and how many risk points it "
            "removes. Done in this order, they improve the grade fastest."
        ),
        "fixes": _("What it fixes:"),
        "trend_heading": _("Grade over the audits"),
        "severity_heading": _("Findings by severity"),
        "details_heading": _("Technical details per device"),
        "details_intro": _(
            "For the IT provider: the services seen on each device, the findings and what "
            "they rest on."
        ),
        "loose_heading": _("Organisation and computers"),
        "changes_heading": _("Change since the previous audit"),
        "first_audit": _("First audit: nothing to compare with yet."),
        "none": _("None."),
        "references_heading": _("References"),
        "cited_heading": _("Addresses of the pages cited in “The findings explained”"),
        "cve_label": _("CVE:"),
        "no_assets": base["no_assets"],
        "no_services": base["no_services"],
        "risk": base["risk"],
        "remediation": base["remediation"],
        "target": base["target"],
        "check": base["check"],
        "notes": base["notes"],
    }


def month_name(month: int) -> str:
    names = (
        _("January"),
        _("February"),
        _("March"),
        _("April"),
        _("May"),
        _("June"),
        _("July"),
        _("August"),
        _("September"),
        _("October"),
        _("November"),
        _("December"),
    )
    return names[month - 1]


def long_date(moment: datetime | date | None) -> str:
    """ "28 novembre 2026" / "28 November 2026"."""
    if moment is None:
        return ""
    return f"{moment.day} {month_name(moment.month)} {moment.year}"


def short_date(moment: datetime | date, lang: str) -> str:
    """For the trend chart's axis and the findings' rows: "28/11/26", or "2026-11-28"."""
    return moment.strftime("%Y-%m-%d") if lang == "en" else moment.strftime("%d/%m/%y")


def ago(moment: datetime, now: datetime) -> str:
    """ "today", "yesterday", "3 days ago"."""
    days = (now.date() - moment.date()).days
    if days <= 0:
        return _("today")
    if days == 1:
        return _("yesterday")
    return ngettext("{n} day ago", "{n} days ago", days).format(n=days)


def dated(moment: datetime, now: datetime) -> str:
    """ "25 novembre 2026 (il y a 3 jours)"."""
    return _("{date} ({ago})").format(date=long_date(moment), ago=ago(moment, now))


def number(value: float) -> str:
    """ "151,5" in French, "151.5" in English; no ".0"."""
    text = f"{value:.1f}".removesuffix(".0")
    return text.replace(".", ",") if current_language() == "fr" else text


def points_text(points: float) -> str:
    return ngettext("{points} risk point", "{points} risk points", 2 if points > 1 else 1).format(
        points=number(points)
    )


# -- the context -----------------------------------------------------------------------------


def _context(report: PracticeReport, lang: str) -> dict[str, object]:
    audit = report.audit
    views = {finding_key(v.finding): v for v in report.findings}
    grade = report.score.grade
    top = report.plan[:TOP_ACTIONS]
    counts = _severity_counts(audit.findings)
    previous_date = _previous_date(report)
    change_line = _change_line(report, previous_date)
    total = sum(c.count for c in counts)
    checks = _check_blocks(report)
    return {
        "lang": lang,
        "w": practice_words(),
        "audit_date": long_date(audit.started_at),
        "targets": [shown(t, 80) for t in audit.targets[:10]],
        "counts_line": ngettext("{n} device", "{n} devices", len(audit.assets)).format(
            n=len(audit.assets)
        )
        + ", "
        + ngettext("{n} finding", "{n} findings", total).format(n=total),
        "grade": grade,
        "label_svg": grade_label(
            grade,
            title=_("Grade: {grade}, on a scale from A (best) to G (worst)").format(grade=grade),
            scale=(_("least exposed"), _("most exposed")),
        ),
        "grade_sentence": _("Your practice is graded {grade}.").format(grade=grade),
        "grade_explained": _grade_explained(report.score.points),
        "plan_promise": _plan_promise(report, top),
        "compensated": report.score.compensated,
        "top_actions": [_action_row(a, views, short=True) for a in top],
        "actions": [_action_row(a, views) for a in report.plan[:PLAN_DETAILED]],
        "more_actions": [_action_row(a, views, short=True) for a in report.plan[PLAN_DETAILED:]],
        "backup": _backup_box(report.backup, report.generated_at),
        "sentinel": _sentinel_box(report.sentinel, report.generated_at),
        "change_line": change_line,
        "trend_svg": grade_trend(
            [TrendPoint(short_date(p.at, lang), p.grade) for p in report.history],
            title=_("Grade of each audit, oldest first"),
        )
        if len(report.history) > 1
        else "",
        "severity_svg": severity_bars(counts, title=_("Number of findings by severity")),
        "assets": [_asset_block(a) for a in report.assets],
        "loose": [_finding_block(v) for v in report.practice_findings],
        "checks": checks,
        "cited": _cited(checks),
        "notes": [shown(n, 400) for n in audit.notes],
        "change": _change_blocks(report, views),
        "references": [RefLine(shown(r.label, 300), _safe_url(r.url)) for r in report.references],
        "generated_line": _("Generated by Rempart {version} on {date}.").format(
            version=shown(audit.rempart_version, 40), date=long_date(report.generated_at)
        ),
    }


def _grade_explained(points: float) -> str:
    best = THRESHOLDS[0][1]
    worst = THRESHOLDS[-1][1]
    return _("{points}: A below {best}, G from {worst}. The fewer, the better.").format(
        points=points_text(points),
        best=number(best),
        worst=number(worst),
    )


def _plan_promise(report: PracticeReport, top: Sequence[Action]) -> str:
    if not top:
        return ""
    target = top[-1].cumulative_grade
    if not target or target == report.score.grade:
        return ""
    return ngettext(
        "This action brings the practice to {grade}.",
        "These {n} actions bring the practice to {grade}.",
        len(top),
    ).format(n=len(top), grade=target)


def _severity_counts(findings: Iterable[Finding]) -> list[SeverityCount]:
    seen: dict[Severity, int] = dict.fromkeys(Severity, 0)
    for f in findings:
        seen[f.severity] += 1
    return [
        SeverityCount(s.value, severity_label(s), seen[s]) for s in sorted(Severity, reverse=True)
    ]


def _fix_line(f: Finding, views: Mapping[str, FindingView]) -> FixLine:
    view = views.get(finding_key(f))
    if view is None:  # not in the report's findings: an older audit's (the change section)
        meta = get_meta(f.check_id)
        title = meta.title.get(current_language()) if meta is not None else f.check_id
        return FixLine(shown(title, 200), shown(f.target, 80))
    return FixLine(shown(view.title, 200), shown(view.target or f.target, 120))


def _action_row(
    action: Action,
    views: Mapping[str, FindingView],
    *,
    short: bool = False,
) -> ActionRow:
    fixes = tuple(_fix_line(f, views) for f in action.findings)
    listed = fixes[:FIXES_SHOWN]
    hidden = len(fixes) - len(listed)
    gain = ngettext("−{points} point", "−{points} points", 2 if action.gain_points > 1 else 1)
    gain = gain.format(points=number(action.gain_points))
    targets = ", ".join(shown(t, 80) for t in action.targets[:3])
    count_text = (
        ngettext("{n} finding", "{n} findings", len(fixes)).format(n=len(fixes))
        if not targets
        else targets + ("…" if len(action.targets) > 3 else "")
    )
    who, effort = shown(action.who_label, 80), shown(action.effort_label, 80)
    return ActionRow(
        id=clip(action.id, 120),
        title=shown(action.title, 200),
        detail="" if short else shown(action.detail, 1200),
        who=who,
        effort=effort,
        gain=gain,
        then=action.cumulative_grade or action.grade_after,
        facts=_("Who: {who} · Effort: {effort} · Gain: {gain}, then {grade}").format(
            who=who, effort=effort, gain=gain, grade=action.cumulative_grade or action.grade_after
        ),
        count=len(fixes),
        count_text=count_text,
        fixes=() if short else listed,
        more=ngettext("and {n} more finding", "and {n} more findings", hidden).format(n=hidden)
        if hidden and not short
        else "",
    )


def _backup_box(backup: BackupStatus | None, now: datetime) -> StatusBox:
    if backup is None or not backup.configured:
        return StatusBox(
            "warn",
            (
                Line("", _("No backup made with Rempart yet."), "warn"),
                Line("", _("Backups made otherwise cannot be checked from here."), ""),
            ),
        )
    lines: list[Line] = []
    if backup.last_backup_ok is False:
        lines.append(Line(_("Last backup:"), _("failed"), "bad"))
    if backup.last_backup_at is not None:
        state = "warn" if backup.last_backup_anomalous else "ok"
        if now - backup.last_backup_at > timedelta(days=2):
            state = "warn"
        value = dated(backup.last_backup_at, now)
        if backup.last_backup_anomalous:
            value = _("{when}, with an anomaly to look at").format(when=value)
        label = _("Last good backup:") if backup.last_backup_ok is False else _("Last backup:")
        lines.append(Line(label, value, state))
    lines.append(
        Line(
            _("Copy that cannot be erased (immutable):"),
            _("yes") if backup.immutable else _("no"),
            "ok" if backup.immutable else "warn",
        )
    )
    if backup.last_drill_at is None:
        lines.append(Line(_("Restore drill:"), _("never done"), "bad"))
    elif backup.last_drill_ok is False:
        lines.append(
            Line(
                _("Last restore drill:"),
                _("failed on {date}").format(date=long_date(backup.last_drill_at)),
                "bad",
            )
        )
        if backup.last_good_drill_at is not None:
            lines.append(Line(_("Last successful drill:"), dated(backup.last_good_drill_at, now)))
    else:
        fresh = now - backup.last_drill_at <= DRILL_FRESHNESS
        value = _("{when}: files restored and checked").format(
            when=dated(backup.last_drill_at, now)
        )
        lines.append(Line(_("Last restore drill:"), value, "ok" if fresh else "warn"))
    if backup.repository:
        lines.append(Line(_("Where:"), shown(backup.repository, 120)))
    return StatusBox(_worst(lines), tuple(lines))


def _sentinel_box(sentinel: SentinelStatus | None, now: datetime) -> StatusBox:
    if sentinel is None:
        return StatusBox(
            "warn", (Line("", _("Not known: the sentinel was never started."), "warn"),)
        )
    lines: list[Line] = []
    if sentinel.running:
        watched = ngettext(
            "watching {n} folder", "watching {n} folders", len(sentinel.folders)
        ).format(n=len(sentinel.folders))
        lines.append(Line(_("State:"), watched, "ok"))
        for folder in sentinel.folders[:3]:
            lines.append(Line("", shown(folder, 100)))
    elif sentinel.last_heartbeat is not None:
        lines.append(
            Line(
                _("State:"),
                _("stopped since {date}").format(date=long_date(sentinel.last_heartbeat)),
                "bad",
            )
        )
    else:
        lines.append(Line(_("State:"), _("never started"), "warn"))
    if sentinel.open_incidents:
        lines.append(
            Line(
                _("Alerts:"),
                ngettext(
                    "{n} open alert: see the dashboard",
                    "{n} open alerts: see the dashboard",
                    sentinel.open_incidents,
                ).format(n=sentinel.open_incidents),
                "bad",
            )
        )
    else:
        lines.append(Line(_("Alerts:"), _("no attack seen"), "ok" if sentinel.running else ""))
    if sentinel.last_incident_at is not None:
        lines.append(Line(_("Last alert:"), dated(sentinel.last_incident_at, now)))
    return StatusBox(_worst(lines), tuple(lines))


def _worst(lines: Sequence[Line]) -> str:
    states = {line.state for line in lines}
    for state in ("bad", "warn", "ok"):
        if state in states:
            return state
    return ""


def _previous_date(report: PracticeReport) -> datetime | None:
    ids = [p.audit_id for p in report.history]
    if report.audit.id in ids:
        index = ids.index(report.audit.id)
        return report.history[index - 1].at if index > 0 else None
    return report.history[-1].at if report.history else None


def _change_line(report: PracticeReport, previous: datetime | None) -> str:
    change = report.change
    if change is None:
        return _("First audit: nothing to compare with yet.")
    counts = _("{fixed} fixed, {new} new, {open} still open.").format(
        fixed=len(change.fixed), new=len(change.new), open=len(change.still_open)
    )
    if previous is None:
        return _("Since the previous audit: {counts}").format(counts=counts)
    return _("Since the previous audit ({date}): {counts}").format(
        date=long_date(previous), counts=counts
    )


def _change_blocks(
    report: PracticeReport,
    views: Mapping[str, FindingView],
) -> list[ChangeBlock]:
    change = report.change
    if change is None:
        return []

    def block(code: str, heading: str, findings: Sequence[Finding]) -> ChangeBlock:
        ordered = sorted(findings, key=lambda f: (*f.sort_key, f.transport or ""))
        hidden = max(len(ordered) - CHANGE_SHOWN, 0)
        more = ngettext(
            "and {n} more finding (see the details per device)",
            "and {n} more findings (see the details per device)",
            hidden,
        ).format(n=hidden)
        return ChangeBlock(
            code,
            heading,
            len(ordered),
            tuple(_fix_line(f, views) for f in ordered[:CHANGE_SHOWN]),
            more if hidden else "",
        )

    return [
        block("fixed", _("Fixed"), change.fixed),
        block("new", _("New"), change.new),
        block("still-open", _("Still open"), change.still_open),
    ]


def _finding_block(view: FindingView) -> FindingBlock:
    f = view.finding
    status_text = {"new": _("new"), "accepted": _("risk accepted")}.get(view.status, "")
    accepted = ""
    if view.status == "accepted":
        accepted = _("Accepted until {date}: {reason}").format(
            date=long_date(view.accepted_until), reason=shown(view.accepted_reason or "", 300)
        )
    first_seen = ""
    if view.status != "new" and view.first_seen is not None:
        first_seen = _("seen since {date}").format(
            date=short_date(view.first_seen, current_language())
        )
    where = "—" if f.port is None else f"{f.port}/{clip(f.transport or 'tcp', 5)}"
    return FindingBlock(
        check_id=clip(view.check_id, 60),
        severity=f.severity.value,
        severity_label=view.severity_label,
        title=shown(view.title, 200),
        where=where,
        status=view.status,
        status_text=status_text,
        first_seen=first_seen,
        accepted=accepted,
        evidence=shown(
            " · ".join(
                _("{label}: {value}").format(label=clip(label, 80), value=clip(value, 200))
                for label, value in view.evidence[:6]
            ),
            EVIDENCE_CHARS,
        ),
        cves=tuple(_cve(c) for c in view.cves[:CVES_SHOWN]),
        more_cves=f"+{len(view.cves) - CVES_SHOWN}" if len(view.cves) > CVES_SHOWN else "",
    )


def _cited(checks: Iterable[CheckBlock]) -> dict[str, int]:
    """The addresses the checks' references point to, numbered from 1 in order of first
    citation: on paper a reference is followed by its number, the addresses listed at the end."""
    cited: dict[str, int] = {}
    for check in checks:
        for _label, url in check.references:
            if url and url not in cited:
                cited[url] = len(cited) + 1
    return cited


def _check_blocks(report: PracticeReport) -> list[CheckBlock]:
    """Each check found, once: its words, most severe first."""
    by_check: dict[str, list[FindingView]] = {}
    for view in report.findings:
        by_check.setdefault(view.check_id, []).append(view)
    blocks = []
    for check_id, views in by_check.items():
        first = views[0]
        n = len(views)
        blocks.append(
            CheckBlock(
                check_id=clip(check_id, 60),
                severity=first.severity.value,
                severity_label=first.severity_label,
                title=shown(first.title, 200),
                count_text=ngettext("found once", "found {n} times", n).format(n=n),
                risk=first.risk
                if first.known
                else _("Unknown check (made by another version of Rempart)"),
                remediation=first.remediation,
                who=", ".join(first.who),
                references=tuple((shown(r.label, 300), _safe_url(r.url)) for r in first.references),
            )
        )
    blocks.sort(key=lambda c: (-Severity(c.severity).rank, c.check_id))
    return blocks


def shown(value: object, limit: int = 200) -> str:
    """Text from the network or the store as shown: one bounded printable line
    (:func:`rempart.report.text.clip`) with break points in long unbroken runs."""
    return breakable(clip(value, limit))


_LONG_TOKEN = re.compile(r"\S{32,}")


def breakable(text: str, every: int = 24) -> str:
    """``text`` with a zero-width space every ``every`` characters of any long unbroken run
    (a banner, a URL, a hash): the line may break there, on screen and in print."""

    def cut(found: re.Match[str]) -> str:
        run = found.group(0)
        return "\u200b".join(run[i : i + every] for i in range(0, len(run), every))

    return _LONG_TOKEN.sub(cut, text)


def _cve(cve: str) -> tuple[str, str]:
    text = clip(cve, 30)
    return (text, NVD.format(cve=text)) if _CVE.match(text) else (text, "")


def _asset_block(view: AssetView) -> AssetBlock:
    return AssetBlock(
        address=shown(view.address, 60),
        hostname=shown(view.hostname or "", 80),
        kind=shown(view.kind or "", 40),
        services=tuple(
            ServiceRow(
                f"{s.port}/{shown(s.transport, 5)}",
                shown(s.name, 40),
                shown(s.product or "", 80),
                shown(s.version or "", 40),
                shown(s.banner or "", 120),
            )
            for s in sorted(view.services, key=lambda s: (s.port, s.transport))
        ),
        host_lines=tuple(_host_lines(view.host)),
        findings=tuple(_finding_block(v) for v in view.findings),
    )


def _host_lines(facts: HostFacts | None) -> list[str]:
    """What the computer said about itself, in a line or two (the findings say the rest)."""
    if facts is None:
        return []
    lines = []
    system = " ".join(shown(part, 60) for part in (facts.os_name, facts.os_version) if part)
    if system:
        lines.append(_("System: {system}").format(system=system))
    if facts.last_update is not None:
        lines.append(_("Last update installed: {date}").format(date=long_date(facts.last_update)))
    return lines


def _safe_url(url: str | None) -> str:
    """Only plain https links are shown as links."""
    if url and url.startswith("https://") and not any(c in url for c in "\"'<> "):
        return url
    return ""


__all__ = [
    "TOP_ACTIONS",
    "long_date",
    "practice_words",
    "render_html",
    "write_practice_html",
]

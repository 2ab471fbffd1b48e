"""The dashboard's pages and forms.

Reads are plain functions (FastAPI runs them in its thread pool); the forms check their
CSRF token and origin first (:func:`checked_form`), then do their work and send the
browser on with a 303, so that reloading a page never posts twice.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response

from rempart.checks import get_meta
from rempart.core.errors import StoreError, UsageError
from rempart.core.model import Finding, Severity
from rempart.i18n import _
from rempart.report import charts
from rempart.store import backups as backup_store
from rempart.store import drills as drill_store
from rempart.store import incidents as incident_store
from rempart.store import lifecycle
from rempart.web import queries
from rempart.web.app import page, request_lang, web_state
from rempart.web.jobs import JobProgress
from rempart.web.render import when
from rempart.web.security import CSRF_COOKIE, CSRF_FIELD, same_origin
from rempart.web.words import page_words

router = APIRouter()

PAGE_SIZE = 50
COLON = {"fr": "\u00a0:", "en": ":"}
STATUSES = ("new", "open", "accepted")


async def checked_form(request: Request) -> dict[str, str]:
    """The posted form, once its CSRF token and its origin are known to be the
    dashboard's; 403 otherwise (nothing is done)."""
    form = await request.form()
    state = web_state(request)
    field = form.get(CSRF_FIELD)
    ok = same_origin(
        request.headers.get("origin"), request.headers.get("referer"), request.headers.get("host")
    ) and state.csrf.check(
        cookie=request.cookies.get(CSRF_COOKIE), field=field if isinstance(field, str) else None
    )
    if not ok:
        raise HTTPException(
            status_code=403, detail=page_words(request_lang(request))["csrf_refused"]
        )
    return {k: v for k, v in form.items() if isinstance(v, str)}


Form = Annotated[dict[str, str], Depends(checked_form)]


def _severity_choices(lang: str) -> list[tuple[str, str]]:
    w = page_words(lang)
    return [(s.value, w[f"sev_{s.value}"]) for s in sorted(Severity, reverse=True)]


def _jobs_key(jobs: dict[str, Any]) -> tuple[str | None, str | None]:
    """What of the jobs the buttons show: which audit and drill are running."""
    return (
        jobs["audit_job"].id if jobs["audit_job"] else None,
        jobs["drill_job"].id if jobs["drill_job"] else None,
    )


def _jobs_context(request: Request) -> dict[str, Any]:
    state = web_state(request)
    return {
        "audit_job": state.jobs.running("audit"),
        "drill_job": state.jobs.running("drill"),
        "can_audit": state.audit_runner is not None,
        "can_drill": state.drill_runner is not None and state.vault_configured,
        "vault_configured": state.vault_configured,
        "drill_available": state.drill_runner is not None,
    }


@router.get("/healthz", include_in_schema=False)
def healthz() -> PlainTextResponse:
    return PlainTextResponse("ok")


@router.get("/")
def overview(request: Request) -> Response:
    state = web_state(request)
    lang = request_lang(request)
    w = page_words(lang)
    snap = state.snapshot(lang)
    current = state.current()
    backup, sentinel = current.backup, current.sentinel
    jobs = _jobs_context(request)

    def build() -> dict[str, Any]:
        label = trend = None
        if snap is not None:
            report = snap.report
            label = charts.grade_label(
                report.score.grade,
                title=f"{w['grade']}{COLON[lang]} {report.score.grade}",
            )
            if len(report.history) > 1:
                points = [
                    charts.TrendPoint(when(h.at, lang, time=False), h.grade) for h in report.history
                ]
                trend = charts.grade_trend(points, title=w["trend"])
        return {"grade_svg": label, "trend_svg": trend}

    return page(
        request,
        "overview.html.j2",
        cache_key=None if snap is None else (snap.serial, backup, sentinel, _jobs_key(jobs)),
        build=build,
        nav="overview",
        snap=snap,
        report=snap.report if snap else None,
        backup=backup,
        sentinel=sentinel,
        **jobs,
    )


@router.get("/findings")
def findings(
    request: Request,
    severity: str = "",
    status: str = "",
    asset: str = "",
    q: Annotated[str, Query(max_length=200)] = "",
    page_no: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
    done: str = "",
) -> Response:
    state = web_state(request)
    lang = request_lang(request)
    snap = state.snapshot(lang)
    filters = {"severity": severity, "status": status, "asset": asset, "q": q}

    def build() -> dict[str, Any]:
        rows: list[tuple[str, Any]] = []
        total = 0
        if snap is not None:
            needle = q.strip().lower()
            views = zip(snap.keys, snap.report.findings, snap.haystacks, strict=True)
            for key, view, hay in views:
                f = view.finding
                if severity and f.severity.value != severity:
                    continue
                if status and view.status != status:
                    continue
                if asset and f.address != asset:
                    continue
                if needle and needle not in hay:
                    continue
                rows.append((key, view))
            total = len(snap.report.findings)
        pages = max(1, (len(rows) + PAGE_SIZE - 1) // PAGE_SIZE)
        n = min(page_no, pages)
        kept = {k: v for k, v in filters.items() if v}

        def page_url(to: int) -> str:
            return "/findings?" + urlencode({**kept, "page": to})

        today = date.today()
        return {
            "rows": rows[(n - 1) * PAGE_SIZE : n * PAGE_SIZE],
            "matching": len(rows),
            "total": total,
            "query": urlencode(kept),
            "page_no": n,
            "pages": pages,
            "prev_url": page_url(n - 1) if n > 1 else None,
            "next_url": page_url(n + 1) if n < pages else None,
            "min_until": (today + timedelta(days=1)).isoformat(),
            "max_until": (today + timedelta(days=365)).isoformat(),
            "default_until": (today + timedelta(days=90)).isoformat(),
        }

    return page(
        request,
        "findings.html.j2",
        cache_key=None if snap is None else snap.serial,
        build=build,
        nav="findings",
        snap=snap,
        filters=filters,
        severities=_severity_choices(lang),
        statuses=STATUSES,
        done=done if done in ("accepted", "revoked") else "",
    )


def _back_to_findings(form: dict[str, str], done: str) -> str:
    """Back to the findings page with the same filters (never to another site)."""
    kept = [
        (k, v)
        for k, v in parse_qsl(form.get("back", ""))
        if k in ("severity", "status", "asset", "q", "page")
    ]
    return "/findings?" + urlencode([*kept, ("done", done)])


@router.post("/findings/accept")
def accept(request: Request, form: Form) -> Response:
    state = web_state(request)
    key = form.get("key", "").strip()
    reason = form.get("reason", "").strip()
    raw_until = form.get("until", "").strip()
    if not key:
        raise UsageError(_("No finding given: choose one on the findings page."))
    if not reason:
        raise UsageError(_("Say why the risk is accepted: the reason is required."))
    try:
        day = date.fromisoformat(raw_until)
    except ValueError:
        raise UsageError(
            _("'{value}' is not a date: give the end date as YYYY-MM-DD.").format(value=raw_until)
        ) from None
    lifecycle.accept_risk(state.store, key, reason, day, by=form.get("by") or None)
    state.state.invalidate()
    return RedirectResponse(_back_to_findings(form, "accepted"), status_code=303)


@router.post("/findings/revoke")
def revoke(request: Request, form: Form) -> Response:
    state = web_state(request)
    key = form.get("key", "").strip()
    if not key:
        raise UsageError(_("No finding given: choose one on the findings page."))
    lifecycle.revoke(state.store, key)
    state.state.invalidate()
    return RedirectResponse(_back_to_findings(form, "revoked"), status_code=303)


@router.get("/assets")
def assets(request: Request) -> Response:
    state = web_state(request)
    lang = request_lang(request)
    snap = state.snapshot(lang)
    return page(
        request,
        "assets.html.j2",
        cache_key=None if snap is None else snap.serial,
        nav="assets",
        snap=snap,
        report=snap.report if snap else None,
    )


@router.get("/audits")
def audits(request: Request) -> Response:
    state = web_state(request)
    lang = request_lang(request)
    snap = state.snapshot(lang)
    grades = {}
    if snap is not None:
        grades = {h.audit_id: h for h in snap.report.history}
    jobs = _jobs_context(request)
    return page(
        request,
        "audits.html.j2",
        cache_key=None if snap is None else (snap.serial, _jobs_key(jobs)),
        build=lambda: {"audits": queries.audit_lines(state.store, 200)},
        nav="audits",
        grades=grades,
        severities=_severity_choices(lang),
        **jobs,
    )


def _titled(findings: tuple[Finding, ...], lang: str) -> list[tuple[Finding, str]]:
    out = []
    for f in sorted(findings, key=lambda f: f.sort_key):
        meta = get_meta(f.check_id)
        out.append((f, meta.title.get(lang) if meta else f.check_id))
    return out


@router.get("/audits/{audit_id}")
def audit_detail(request: Request, audit_id: str) -> Response:
    state = web_state(request)
    if len(audit_id) > 64:
        raise HTTPException(status_code=404)
    lang = request_lang(request)
    try:
        snap = state.snapshot(lang, audit_id)
    except StoreError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    if snap is None:
        raise HTTPException(status_code=404)
    report = snap.report
    change = report.change

    def build() -> dict[str, Any]:
        return {
            "new": _titled(change.new, lang) if change else [],
            "fixed": _titled(change.fixed, lang) if change else [],
            "still_open": _titled(change.still_open, lang) if change else [],
            "sev_labels": dict(_severity_choices(lang)),
        }

    return page(
        request,
        "audit.html.j2",
        cache_key=snap.serial,
        build=build,
        nav="audits",
        report=report,
        audit=report.audit,
        has_previous=change is not None,
    )


@router.get("/backups")
def backups(request: Request) -> Response:
    state = web_state(request)
    current = state.current()
    jobs = _jobs_context(request)
    return page(
        request,
        "backups.html.j2",
        cache_key=(current.stamp, current.backup, _jobs_key(jobs)),
        build=lambda: {
            "runs": backup_store.recent_runs(state.store, 50),
            "drills": drill_store.recent_drills(state.store, 50),
        },
        nav="backups",
        backup=current.backup,
        **jobs,
    )


@router.get("/sentinel")
def sentinel(request: Request) -> Response:
    state = web_state(request)
    current = state.current()
    return page(
        request,
        "sentinel.html.j2",
        cache_key=(current.sentinel_stamp, current.sentinel),
        build=lambda: {
            "incidents": incident_store.recent_incidents(state.store, 50, include_drills=True),
            "runs": incident_store.recent_runs(state.store, 20),
        },
        nav="sentinel",
        sentinel=current.sentinel,
    )


@router.post("/audit/run")
def run_audit(request: Request, form: Form) -> Response:
    state = web_state(request)
    runner = state.audit_runner
    if runner is None:
        raise HTTPException(
            status_code=409, detail=page_words(request_lang(request))["audit_unavailable"]
        )
    store = state.store

    def work(progress: JobProgress) -> str:
        audit = runner(store, progress)
        store.save_audit(audit)
        return audit.id

    job = state.jobs.start("audit", work)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.post("/drill/run")
def run_drill(request: Request, form: Form) -> Response:
    state = web_state(request)
    w = page_words(request_lang(request))
    runner = state.drill_runner
    if not state.vault_configured:
        raise HTTPException(status_code=409, detail=w["vault_missing"])
    if runner is None:
        raise HTTPException(status_code=409, detail=w["drill_unavailable"])
    store = state.store

    def work(progress: JobProgress) -> str:
        return runner(store, progress)

    job = state.jobs.start("drill", work)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.get("/jobs/{job_id}")
def job_page(request: Request, job_id: str) -> Response:
    job = web_state(request).jobs.get(job_id)
    if job is None:
        raise HTTPException(status_code=404)
    return page(request, "job.html.j2", nav="", job=job)

"""The dashboard's application: :func:`create_app` builds a FastAPI app on one store.

    app = create_app()                      # the configured store, French by default
    uvicorn.run(app, host="127.0.0.1", port=8765)

The pages are server-rendered (Jinja2, no script); the only writes are forms posted
with a CSRF token (accept or revoke a risk, run an audit, run a restore drill). What
starts an audit or a drill is given by the caller (``rempart serve`` wires the lab or
the last audit's targets, and the vault's drills): the dashboard does not import the
other pillars.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles

from rempart import config, i18n
from rempart.app.audit import Progress
from rempart.core.errors import RempartError
from rempart.core.model import Audit
from rempart.store import Store
from rempart.web.jobs import Jobs
from rempart.web.model import SnapshotCache
from rempart.web.render import render
from rempart.web.security import CSRF_COOKIE, Csrf, GuardMiddleware
from rempart.web.words import page_words

# Runs one audit (in a background thread) and returns it; the dashboard stores it.
AuditRunner = Callable[[Store, Progress], Audit]
# Runs one restore drill (it records itself in the store) and says how it went.
DrillRunner = Callable[[Store], str]

LANG_COOKIE = "rempart_lang"


@dataclass
class WebState:
    """Everything the pages share, on ``app.state.web``."""

    store: Store
    csrf: Csrf
    default_lang: str
    audit_runner: AuditRunner | None = None
    drill_runner: DrillRunner | None = None
    vault_configured: bool = False
    jobs: Jobs = field(default_factory=Jobs)
    snapshots: SnapshotCache = field(default_factory=SnapshotCache)


def create_app(
    store_url: str | None = None,
    *,
    allow_remote: bool = False,
    extra_hosts: frozenset[str] = frozenset(),
    audit_runner: AuditRunner | None = None,
    drill_runner: DrillRunner | None = None,
    vault_configured: bool | None = None,
    lang: str | None = None,
    csrf_secret: bytes | None = None,
) -> FastAPI:
    """The dashboard on the store at ``store_url`` (the configured one by default).

    ``allow_remote`` lets any ``Host`` header through (needed when serving on another
    address than loopback); otherwise only loopback names and ``extra_hosts`` are
    answered. ``vault_configured`` defaults to whether ``[vault] repository`` is set.
    """
    settings = config.load()
    store = Store.open(store_url)
    default_lang = i18n.normalise(lang) or i18n.normalise(settings.lang) or i18n.DEFAULT
    state = WebState(
        store=store,
        csrf=Csrf(csrf_secret),
        default_lang=default_lang,
        audit_runner=audit_runner,
        drill_runner=drill_runner,
        vault_configured=(
            bool(settings.vault.repository) if vault_configured is None else vault_configured
        ),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            store.close()

    app = FastAPI(
        title="Rempart",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.web = state
    app.add_middleware(GuardMiddleware, allow_remote=allow_remote, extra_hosts=extra_hosts)
    app.mount("/static", StaticFiles(packages=[("rempart.web", "static")]), name="static")

    from rempart.web import pages

    app.include_router(pages.router)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        words = page_words(request_lang(request))
        generic = exc.status_code == 404 and exc.detail in (None, "", "Not Found")
        message = words["not_found"] if generic else str(exc.detail)
        return error_page(request, message, exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        return error_page(request, page_words(request_lang(request))["bad_request"], 400)

    @app.exception_handler(RempartError)
    async def rempart_error(request: Request, exc: RempartError) -> Response:
        return error_page(request, str(exc), 400)

    return app


def web_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def request_lang(request: Request) -> str:
    """``?lang=`` first, then the language cookie, then the settings (French by default)."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        code = i18n.normalise(candidate)
        if code:
            return code
    return web_state(request).default_lang


def page(request: Request, template: str, *, status_code: int = 200, **context: Any) -> Response:
    """A page in the reader's language, with a CSRF token for its forms (and the cookie
    that goes with it), and the language remembered when it was asked for."""
    state = web_state(request)
    lang = request_lang(request)
    token = state.csrf.token_for(request.cookies.get(CSRF_COOKIE))
    other = "en" if lang == "fr" else "fr"
    html = render(
        template,
        lang=lang,
        w=page_words(lang),
        csrf=token,
        path=request.url.path,
        other_lang=other,
        colon="\u00a0:" if lang == "fr" else ":",
        other_lang_url=f"{request.url.path}?lang={other}",
        **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    if request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", path="/")
    if request.query_params.get("lang") and i18n.normalise(request.query_params["lang"]):
        response.set_cookie(LANG_COOKIE, lang, samesite="strict", path="/")
    return response


def error_page(request: Request, message: str, status_code: int) -> Response:
    return page(request, "error.html.j2", status_code=status_code, message=message, nav="")

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

import secrets
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Hashable
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
from rempart.web.model import Current, Snapshot, SnapshotCache, StoreState
from rempart.web.render import render
from rempart.web.security import CSRF_COOKIE, Csrf, GuardMiddleware
from rempart.web.words import page_words

# Runs one audit (in a background thread) and returns it; the dashboard stores it.
AuditRunner = Callable[[Store, Progress], Audit]
# Runs one restore drill (it records itself in the store) and says how it went.
DrillRunner = Callable[[Store, Progress], str]

LANG_COOKIE = "rempart_lang"
# Where a cached page's CSRF token goes (tokens are URL-safe base64 and hex: no escaping).
TOKEN_SLOT = "csrf-slot-" + secrets.token_hex(8)


class PageCache:
    """Rendered pages by key, the least recently used dropped first."""

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> str | None:
        with self._lock:
            html = self._items.get(key)
            if html is not None:
                self._items.move_to_end(key)
            return html

    def put(self, key: Hashable, html: str) -> None:
        with self._lock:
            self._items[key] = html
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


@dataclass
class WebState:
    """Everything the pages share, on ``app.state.web``."""

    store: Store
    csrf: Csrf
    default_lang: str
    audit_runner: AuditRunner | None = None
    drill_runner: DrillRunner | None = None
    vault_configured: bool = False
    snapshots: SnapshotCache = field(default_factory=SnapshotCache)
    pages: PageCache = field(default_factory=PageCache)
    state: StoreState = field(init=False)
    jobs: Jobs = field(init=False)

    def __post_init__(self) -> None:
        self.state = StoreState(self.store)
        self.jobs = Jobs(on_finish=self.state.invalidate)

    def current(self) -> Current:
        return self.state.current()

    def snapshot(self, lang: str, audit_id: str | None = None) -> Snapshot | None:
        """The report of ``audit_id`` (the latest audit by default) as of now."""
        return self.snapshots.get(self.store, audit_id, lang, self.current().stamp)


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


def page(
    request: Request,
    template: str,
    *,
    status_code: int = 200,
    cache_key: Hashable | None = None,
    build: Callable[[], dict[str, Any]] | None = None,
    **context: Any,
) -> Response:
    """A page in the reader's language, with a CSRF token for its forms (and the cookie
    that goes with it), and the language remembered when it was asked for.

    With a ``cache_key`` (whatever the page's content depends on besides its URL and
    language, e.g. the snapshot it shows), the rendered page is kept and served again
    with only the browser's token put in: a page of 1,000 findings renders once per
    change, not once per request. ``build`` gives the rest of the context, and is called
    only when the page is rendered."""
    state = web_state(request)
    lang = request_lang(request)
    token = state.csrf.token_for(request.cookies.get(CSRF_COOKIE))
    other = "en" if lang == "fr" else "fr"
    key = None
    if cache_key is not None:
        query = tuple(sorted((k, v) for k, v in request.query_params.multi_items() if k != "lang"))
        key = (template, lang, request.url.path, query, cache_key)
    html = state.pages.get(key) if key is not None else None
    if html is None:
        if build is not None:
            context.update(build())
        html = render(
            template,
            lang=lang,
            w=page_words(lang),
            csrf=TOKEN_SLOT if key is not None else token,
            path=request.url.path,
            other_lang=other,
            colon="\u00a0:" if lang == "fr" else ":",
            other_lang_url=f"{request.url.path}?lang={other}",
            **context,
        )
        if key is not None:
            state.pages.put(key, html)
    if key is not None:
        html = html.replace(TOKEN_SLOT, token)
    response = HTMLResponse(html, status_code=status_code)
    if request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", path="/")
    if request.query_params.get("lang") and i18n.normalise(request.query_params["lang"]):
        response.set_cookie(LANG_COOKIE, lang, samesite="strict", path="/")
    return response


def error_page(request: Request, message: str, status_code: int) -> Response:
    return page(request, "error.html.j2", status_code=status_code, message=message, nav="")

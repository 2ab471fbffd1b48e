"""What keeps the dashboard to the person sitting at the practice's PC.

Three guards, each against one attack a page on the internet can mount through the
browser of someone who has the dashboard open:

* **DNS rebinding**: a hostile name that resolves to 127.0.0.1 would make the browser
  treat the dashboard as that site. Every request must name the dashboard by a loopback
  ``Host`` (``127.0.0.1``, ``localhost``, ``[::1]``), unless remote access was asked for.
* **Cross-site request forgery**: a hostile page may post a form to 127.0.0.1. Every POST
  carries a token that only our pages know (double submit: a signed, ``SameSite=Strict``
  cookie, and the same value in a hidden field) and, when the browser says where it
  comes from (``Origin``), it must be the dashboard itself.
* **Script injection** from hostile banners and names: Jinja2 escapes everything, and the
  Content-Security-Policy forbids any script, so that a missed escape still runs nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

CSRF_COOKIE = "rempart_csrf"
CSRF_FIELD = "csrf"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

# No script at all; styles and images from the dashboard only; forms post to it only.
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def host_name(host_header: str) -> str:
    """``"127.0.0.1:8765"`` → ``"127.0.0.1"``; ``"[::1]:8765"`` → ``"::1"``; lower case."""
    value = host_header.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        return value[1:end] if end > 0 else value
    if value.count(":") == 1:
        return value.split(":", 1)[0]
    return value


class GuardMiddleware:
    """Refuses requests whose ``Host`` is not the dashboard's, and adds the security
    headers to every answer. Pure ASGI: it runs before any route and costs nothing."""

    def __init__(self, app: ASGIApp, *, allow_remote: bool, extra_hosts: frozenset[str]) -> None:
        self.app = app
        self.allow_remote = allow_remote
        self.allowed = LOOPBACK_HOSTS | {h.lower() for h in extra_hosts}

    def host_allowed(self, host_header: str | None) -> bool:
        if self.allow_remote:
            return True
        return host_header is not None and host_name(host_header) in self.allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        raw_host = headers.get(b"host")
        host = raw_host.decode("latin-1") if raw_host is not None else None
        if not self.host_allowed(host):
            body = (
                b"This dashboard answers only to 127.0.0.1 or localhost "
                b"(Host header refused: possible DNS rebinding).\n"
            )
            await send(
                {
                    "type": "http.response.start",
                    "status": 421,
                    "headers": [
                        (b"content-type", b"text/plain; charset=utf-8"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return

        async def send_with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                extra = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in extra if k not in present
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Csrf:
    """Double-submit tokens, signed with a secret that lives as long as the server.

    The cookie holds ``nonce.signature``; the pages put the same value in a hidden field.
    A forged form cannot read the cookie (same-origin policy), so it cannot fill the field;
    the signature stops a cookie planted by some other local page from being accepted.
    """

    def __init__(self, secret: bytes | None = None) -> None:
        self.secret = secret or secrets.token_bytes(32)

    def _sign(self, nonce: str) -> str:
        return hmac.new(self.secret, nonce.encode(), hashlib.sha256).hexdigest()[:32]

    def new_token(self) -> str:
        nonce = secrets.token_urlsafe(18)
        return f"{nonce}.{self._sign(nonce)}"

    def valid(self, token: str | None) -> bool:
        if not token or "." not in token or len(token) > 200:
            return False
        nonce, signature = token.rsplit(".", 1)
        return hmac.compare_digest(signature, self._sign(nonce))

    def token_for(self, cookie: str | None) -> str:
        """The token a page should carry: the browser's cookie when it is ours, else new."""
        return cookie if cookie and self.valid(cookie) else self.new_token()

    def check(self, *, cookie: str | None, field: str | None) -> bool:
        """True when the form's field is our token and matches the browser's cookie."""
        if not self.valid(cookie) or field is None:
            return False
        return hmac.compare_digest(str(cookie), field)


def same_origin(origin: str | None, referer: str | None, host: str | None) -> bool:
    """A POST must come from a page of the dashboard itself. Browsers send ``Origin`` on
    POSTs; when neither ``Origin`` nor ``Referer`` is given (a script, an old browser) the
    token alone decides."""
    if host is None:
        return False
    source = origin if origin and origin != "null" else referer
    if origin == "null":
        return False
    if not source:
        return True
    parts = urlsplit(source)
    return parts.netloc.lower() == host.strip().lower()

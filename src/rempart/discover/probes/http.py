"""HTTP(S): the page behind ``GET /``, the admin console it belongs to, and its version.

Admin pages of NAS, internet boxes, printers and imaging servers are where ransomware
crews get in (QNAP and Synology NAS exposed by UPnP, default passwords). This probe
says what answers, never whether it is bad: that is the checks' job.

Every byte is hostile: headers are capped at :data:`MAX_HEADERS`, bodies at
:data:`MAX_BODY`, text is decoded with ``errors="replace"`` and bounded. Redirects are
followed at most :data:`MAX_REDIRECTS` times and only to the same host (same port, or
HTTPS on any port of that host) — never anywhere else. Certificates are not verified.

Consoles and default credentials are data (``data/consoles.toml``,
``data/default_credentials.toml``), see :mod:`rempart.discover.probes.consoles`.
Default credentials are tried only when ``ctx.try_default_credentials`` is set, only
on a recognised console, a handful of attempts at most, stopping at the first success.
"""

from __future__ import annotations

import base64
import re
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from typing import Protocol

from rempart.core.observations import HttpObservation
from rempart.discover.probes.base import MAX_TEXT, ProbeContext, ProbeError, clean_text
from rempart.discover.probes.data import consoles as consoles_mod
from rempart.discover.probes.tls import TlsChannel, client_context

NAME = "http"
PORTS: tuple[int, ...] = (80, 443, 8080, 8443, 8000, 8008, 8081, 5000, 5001, 8042, 9090)
TRANSPORT = "tcp"
SERVER_SPEAKS_FIRST = False

MAX_HEADERS = 16 * 1024
MAX_BODY = 64 * 1024
MAX_REDIRECTS = 2
FETCH_TIMEOUTS = 4  # one answer may take at most this many operation timeouts
USER_AGENT = "Rempart-audit/0.1"

_STATUS_LINE = re.compile(rb"^HTTP/(\d)\.(\d) +(\d{3})(?: +([^\r\n]*))?\r?\n")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]{1,40})", re.IGNORECASE)
_META_CHARSET = re.compile(rb"<meta[^>]{0,200}charset\s*=\s*[\"']?([A-Za-z0-9_.:-]{1,40})", re.I)
_PLAIN_TO_TLS = re.compile(
    rb"plain HTTP request was sent to HTTPS|speaking plain HTTP to an SSL", re.I
)


def claims(banner: bytes) -> bool:
    """HTTP is client-first; a server that greets with a status line is still HTTP."""
    return banner.startswith(b"HTTP/1.")


# --- pure parsing -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A parsed, bounded HTTP response. Header names are lower-case."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def header_all(self, name: str) -> tuple[str, ...]:
        name = name.lower()
        return tuple(value for key, value in self.headers if key == name)


def split_head(data: bytes) -> tuple[bytes, bytes] | None:
    """``(head, rest)`` when the blank line ending the headers is in ``data``."""
    for marker in (b"\r\n\r\n", b"\n\n"):
        index = data.find(marker)
        if index >= 0:
            return data[:index], data[index + len(marker) :]
    return None


def parse_head(head: bytes) -> tuple[int, str, tuple[tuple[str, str], ...]] | None:
    """Status, reason and headers of a response head; ``None`` when it is not HTTP."""
    match = _STATUS_LINE.match(head + b"\n")
    if match is None:
        return None
    status = int(match.group(3))
    reason = clean_text(match.group(4) or b"", 64).strip()
    headers: list[tuple[str, str]] = []
    for raw in head.split(b"\n")[1:200]:
        line = raw.rstrip(b"\r")
        if b":" not in line:
            continue
        name, _, value = line.partition(b":")
        key = clean_text(name.strip(), 64).lower()
        if not key or " " in key:
            continue
        headers.append((key, clean_text(value.strip(), 512)))
    return status, reason, tuple(headers)


def dechunk(body: bytes, limit: int = MAX_BODY) -> bytes:
    """Decode a chunked body leniently; stops at the last complete chunk or the cap."""
    out = bytearray()
    pos = 0
    while pos < len(body) and len(out) < limit:
        end = body.find(b"\r\n", pos)
        if end < 0:
            break
        size_text = body[pos:end].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            break
        if size <= 0:
            break
        start = end + 2
        out += body[start : start + size]
        pos = start + size + 2
    return bytes(out[:limit])


def parse_response(data: bytes) -> HttpResponse | None:
    """A response from raw bytes (head and whatever body came); ``None`` if not HTTP."""
    parts = split_head(data[: MAX_HEADERS + MAX_BODY * 2])
    if parts is None:
        if len(data) > MAX_HEADERS or not data.startswith(b"HTTP/"):
            return None
        parts = (data, b"")
    head, rest = parts
    if len(head) > MAX_HEADERS:
        return None
    parsed = parse_head(head)
    if parsed is None:
        return None
    status, reason, headers = parsed
    response = HttpResponse(status, reason, headers, b"")
    encoding = (response.header("transfer-encoding") or "").lower()
    body = dechunk(rest) if "chunked" in encoding else rest
    length = response.header("content-length")
    if length and length.strip().isdigit() and "chunked" not in encoding:
        body = body[: int(length.strip())]
    return HttpResponse(status, reason, headers, body[:MAX_BODY])


def decode_body(body: bytes, content_type: str | None) -> str:
    """Text of a body, with the charset of the header or the page, defensively."""
    charset = None
    if content_type:
        match = _CHARSET.search(content_type)
        if match:
            charset = match.group(1)
    if charset is None:
        meta = _META_CHARSET.search(body[:4096])
        if meta:
            charset = meta.group(1).decode("ascii", errors="replace")
    for candidate in (charset, "utf-8"):
        if not candidate:
            continue
        try:
            return body.decode(candidate, errors="replace")
        except (LookupError, ValueError):  # unknown or non-text codec ("zlib", "base64")
            continue
    return body.decode("utf-8", errors="replace")


class _PageParser(HTMLParser):
    """Collects the first ``<title>``, password inputs and a meta refresh target."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.in_title = False
        self.title_parts: list[str] = []
        self.title_done = False
        self.password_field = False
        self.refresh: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key.lower(): (value or "") for key, value in attrs}
        if tag == "title" and not self.title_done:
            self.in_title = True
        elif tag == "input" and values.get("type", "").strip().lower() == "password":
            self.password_field = True
        elif tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            match = re.search(
                r"url\s*=\s*['\"]?([^'\"\s>]{1,512})", values.get("content", ""), re.I
            )
            if match and self.refresh is None:
                self.refresh = match.group(1)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self.in_title:
            self.in_title = False
            self.title_done = True

    def handle_data(self, data: str) -> None:
        if self.in_title and sum(map(len, self.title_parts)) < 4 * MAX_TEXT:
            self.title_parts.append(data)


@dataclass(frozen=True, slots=True)
class PageFacts:
    title: str | None
    login_form: bool
    refresh: str | None


_TITLE_FALLBACK = re.compile(r"<title[^>]{0,100}>([^<]{0,1024})", re.IGNORECASE)


def page_facts(text: str) -> PageFacts:
    """Title (entities unescaped, whitespace folded), password field, meta refresh."""
    text = text[:MAX_BODY]
    parser = _PageParser()
    try:
        parser.feed(text)
        parser.close()
    except (AssertionError, ValueError):  # pragma: no cover - html.parser is lenient
        pass
    raw_title = "".join(parser.title_parts)
    if not raw_title:
        match = _TITLE_FALLBACK.search(text)
        raw_title = unescape(match.group(1)) if match else ""
    title = " ".join(raw_title.replace("\xa0", " ").split())
    login = parser.password_field or bool(
        re.search(r"<input[^>]{0,300}type\s*=\s*[\"']?password", text, re.IGNORECASE)
    )
    return PageFacts(title=clean_text(title) or None, login_form=login, refresh=parser.refresh)


def challenge_asks_password(www_authenticate: str | None) -> bool:
    """A Basic or Digest challenge: the browser will send a password (Basic: in clear)."""
    if not www_authenticate:
        return False
    return bool(re.search(r"\b(basic|digest)\b", www_authenticate, re.IGNORECASE))


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a page came from: the only place redirects may lead."""

    host: str
    port: int
    tls: bool


def redirect_target(origin: Origin, location: str) -> tuple[Origin, str] | None:
    """Where a Location leads, if it stays on the same host; else ``None``.

    Allowed: a relative path; the same host and port with the same scheme; the same
    host over HTTPS (any port, 443 by default). Anything else is refused.
    """
    location = location.strip()
    if not location or len(location) > 2048:
        return None
    try:
        parts = urllib.parse.urlsplit(location)
        port = parts.port
    except ValueError:
        return None
    path = parts.path or "/"
    if not path.startswith("/"):
        path = "/" + path
    if parts.query:
        path += "?" + parts.query
    if any(ch in path for ch in "\r\n\t "):
        return None
    if not parts.scheme and not parts.netloc:
        return origin, path
    if parts.scheme.lower() not in ("http", "https") or parts.hostname is None:
        return None
    if parts.hostname.lower() != origin.host.lower():
        return None
    tls = parts.scheme.lower() == "https"
    target_port = port if port is not None else (443 if tls else 80)
    if tls == origin.tls and target_port == origin.port:
        return origin, path
    if tls:
        return Origin(origin.host, target_port, True), path
    return None


# --- dialogue ------------------------------------------------------------------------


class _Stream(Protocol):
    def sendall(self, data: bytes) -> None: ...

    def recv(self, n: int = ...) -> bytes: ...


class _PlainStream:
    def __init__(self, sock: object, ctx: ProbeContext) -> None:
        self.sock = sock
        self.ctx = ctx

    def sendall(self, data: bytes) -> None:
        self.ctx.sendall(self.sock, data)  # type: ignore[arg-type]

    def recv(self, n: int = 16384) -> bytes:
        return self.ctx.recv(self.sock, n)  # type: ignore[arg-type]


def build_request(
    method: str,
    host: str,
    port: int,
    path: str,
    *,
    tls: bool,
    headers: tuple[tuple[str, str], ...] = (),
    body: bytes = b"",
) -> bytes:
    """An HTTP/1.1 request with ``Connection: close`` (the body ends at EOF)."""
    default_port = 443 if tls else 80
    name = f"[{host}]" if ":" in host else host  # an IPv6 literal needs brackets
    host_header = name if port == default_port else f"{name}:{port}"
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {host_header}",
        f"User-Agent: {USER_AGENT}",
        "Accept: */*",
        "Connection: close",
    ]
    lines += [f"{key}: {value}" for key, value in headers]
    if body or method in ("POST", "PUT"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", errors="replace") + body


def _read_response(stream: _Stream, deadline: float = float("inf")) -> HttpResponse | None:
    """Read one response: head up to MAX_HEADERS, body up to MAX_BODY, until ``deadline``
    (a server dripping bytes slowly cannot hold the probe past it)."""
    buf = b""
    while split_head(buf) is None:
        if len(buf) > MAX_HEADERS:
            return None
        if time.monotonic() > deadline:
            raise ProbeError("HTTP answer too slow")
        data = stream.recv(4096)
        if not data:
            break
        buf += data
        if not (buf.startswith(b"HTTP/") or b"HTTP/".startswith(buf)):
            return None  # not HTTP: do not wait for more
    parts = split_head(buf)
    if parts is None:
        return parse_response(buf)
    head, rest = parts
    parsed = parse_head(head)
    if parsed is None:
        return None
    status, reason, headers = parsed
    probe_response = HttpResponse(status, reason, headers, b"")
    length_text = (probe_response.header("content-length") or "").strip()
    chunked = "chunked" in (probe_response.header("transfer-encoding") or "").lower()
    want = int(length_text) if length_text.isdigit() and not chunked else None
    cap = MAX_BODY * 2 if chunked else MAX_BODY
    body = rest
    try:
        while len(body) < cap and (want is None or len(body) < want):
            if time.monotonic() > deadline:
                break
            data = stream.recv(min(16384, cap - len(body)))
            if not data:
                break
            body += data
            if chunked and body.endswith(b"0\r\n\r\n"):
                break
    except ProbeError:
        if not body and want not in (None, 0):
            raise
    if chunked:
        body = dechunk(body)
    elif want is not None:
        body = body[:want]
    return HttpResponse(status, reason, headers, body[:MAX_BODY])


Fetch = Callable[..., "HttpResponse | None"]


def fetch(
    address: str,
    port: int,
    ctx: ProbeContext,
    path: str = "/",
    *,
    tls: bool,
    method: str = "GET",
    headers: tuple[tuple[str, str], ...] = (),
    body: bytes = b"",
) -> HttpResponse | None:
    """One request on a fresh connection; ``None`` when the answer is not HTTP."""
    sock = ctx.connect(address, port)
    try:
        stream: _Stream
        if tls:
            channel = TlsChannel(sock, ctx, client_context())
            channel.handshake()
            stream = channel
        else:
            stream = _PlainStream(sock, ctx)
        stream.sendall(
            build_request(method, address, port, path, tls=tls, headers=headers, body=body)
        )
        return _read_response(stream, time.monotonic() + FETCH_TIMEOUTS * ctx.timeout)
    finally:
        sock.close()


def _fetch_following(
    address: str, port: int, ctx: ProbeContext, tls: bool, first: HttpResponse | None = None
) -> tuple[Origin, HttpResponse, str, PageFacts, str | None] | None:
    """``GET /`` then at most two same-host redirects (Location or meta refresh)."""
    origin = Origin(address, port, tls)
    path = "/"
    first_location: str | None = None
    response = first if first is not None else fetch(address, port, ctx, path, tls=tls)
    if response is None:
        return None
    for hop in range(MAX_REDIRECTS + 1):
        text = decode_body(response.body, response.header("content-type"))
        facts = page_facts(text)
        location = response.header("location") if 300 <= response.status < 400 else None
        if location is None and facts.refresh and response.status == 200 and not facts.title:
            location = facts.refresh
        if hop == 0 and location:
            first_location = clean_text(location, 512)
        target = redirect_target(origin, location) if location else None
        if target is None or hop == MAX_REDIRECTS:
            return origin, response, text, facts, first_location
        origin, path = target
        try:
            following = fetch(origin.host, origin.port, ctx, path, tls=origin.tls)
        except ProbeError:
            following = None
        if following is None:
            return origin, response, text, facts, first_location
        response = following
    return None  # pragma: no cover - the loop always returns


def _try_credentials(
    console: consoles_mod.Console, origin: Origin, ctx: ProbeContext
) -> tuple[str, ...]:
    """The user names that logged in with the console's documented defaults."""
    recipes = consoles_mod.credentials_for(console.id)[: consoles_mod.MAX_ATTEMPTS]
    worked: list[str] = []
    for recipe in recipes:
        try:
            if recipe.method == "basic":
                # Only meaningful if the path is protected: an open page accepts anything.
                bare = fetch(origin.host, origin.port, ctx, recipe.path, tls=origin.tls)
                if bare is None or bare.status != 401:
                    continue
                token = base64.b64encode(f"{recipe.user}:{recipe.password}".encode()).decode()
                answer = fetch(
                    origin.host,
                    origin.port,
                    ctx,
                    recipe.path,
                    tls=origin.tls,
                    headers=(("Authorization", f"Basic {token}"),),
                )
            else:
                method, path, headers, body = recipe.form_request()
                answer = fetch(
                    origin.host,
                    origin.port,
                    ctx,
                    path,
                    tls=origin.tls,
                    method=method,
                    headers=headers,
                    body=body,
                )
        except ProbeError:
            continue
        if answer is not None and recipe.succeeded(answer.status, answer.body, answer.headers):
            worked.append(clean_text(recipe.user, 64))
            break
    return tuple(worked)


def observe(
    address: str, port: int, ctx: ProbeContext, tls: bool, first: HttpResponse | None = None
) -> HttpObservation | None:
    """Fetch, recognise and (if asked) try default credentials over one scheme."""
    result = _fetch_following(address, port, ctx, tls, first)
    if result is None:
        return None
    origin, response, text, facts, first_location = result
    console = consoles_mod.recognise(
        response.header("server") or "", facts.title or "", text, response.headers
    )
    version = model = cpe = None
    if console is not None:

        def get(path: str) -> tuple[str, str] | None:
            try:
                answer = fetch(origin.host, origin.port, ctx, path, tls=origin.tls)
            except ProbeError:
                return None
            if answer is None or answer.status != 200:
                return None
            return decode_body(answer.body, answer.header("content-type")), answer.header(
                "server"
            ) or ""

        found = consoles_mod.find_version(
            console, text, response.header("server") or "", facts.title or "", get
        )
        version, model, cpe = found.display, found.model, found.cpe
    www = response.header("www-authenticate")
    asks_password = facts.login_form or challenge_asks_password(www)
    default_credentials: tuple[str, ...] | None = None
    if (
        ctx.try_default_credentials
        and console is not None
        and consoles_mod.credentials_for(console.id)
    ):
        default_credentials = _try_credentials(console, origin, ctx)
    return HttpObservation(
        tls=origin.tls,
        status=response.status,
        server=clean_text(response.header("server"), MAX_TEXT) or None,
        title=facts.title,
        powered_by=clean_text(response.header("x-powered-by"), MAX_TEXT) or None,
        www_authenticate=clean_text(www, MAX_TEXT) or None,
        location=first_location,
        console=console.name if console else None,
        console_kind=console.kind if console else None,
        console_version=version,
        console_model=model,
        console_cpe=cpe,
        login_form=facts.login_form,
        password_over_cleartext=asks_password and not origin.tls,
        default_credentials=default_credentials,
    )


def is_silence(exc: BaseException) -> bool:
    """The error was a read that timed out with the peer silent (not a reset, not garbage)."""
    return isinstance(exc.__cause__, TimeoutError)


def probe(
    address: str,
    port: int,
    ctx: ProbeContext,
    banner: bytes = b"",
    *,
    tls: bool | None = None,
) -> HttpObservation | None:
    """``GET /`` over HTTP, or over TLS when asked or when the answer is not HTTP."""
    if tls is not None:
        return observe(address, port, ctx, tls)
    plain_error: ProbeError | None = None
    try:
        response = fetch(address, port, ctx, "/", tls=False)
    except ProbeError as exc:
        if is_silence(exc):
            # A TLS server answers a plain request at once (alert or close); a service
            # that stays silent is neither: do not wait for it a second time.
            raise
        response = None
        plain_error = exc
    if response is not None and not (
        response.status == 400 and _PLAIN_TO_TLS.search(response.body)
    ):
        return observe(address, port, ctx, False, response)
    try:
        return observe(address, port, ctx, True)
    except ProbeError:
        if plain_error is not None and ctx.budget.remaining() <= 0:
            raise plain_error from None
        return None

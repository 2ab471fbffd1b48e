"""Known admin consoles (``consoles.toml``) and their default credentials
(``default_credentials.toml``): loading, recognition, version, CPE.

Pure functions over text already fetched, except :func:`find_version` which takes a
``get(path)`` callback so that the HTTP probe keeps the sockets (and the same-host rule).

A console is recognised when one of its patterns matches: the page title, the page
body, the ``Server`` header, or another header (``"name: regex"``). The first console
in file order wins, so specific products come before generic ones.

Versions come from named groups ``version``, ``build``, ``number`` and ``model`` in a
source's regex. ``number`` (QNAP's firmware number) is appended to the version with a
dot: QTS 4.5.1 number 1495 is ``4.5.1.1495``, as NVD's CPE names spell it. In a CPE
template, a component whose placeholder is unknown becomes ``*``.
"""

from __future__ import annotations

import base64
import re
import tomllib
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from rempart.core.errors import DataError
from rempart.discover.probes.base import clean_text

MAX_ATTEMPTS = 3  # default-credential attempts per service, at most
MAX_SCAN = 64 * 1024  # characters of a page searched by a pattern
_CPE_FIELD = re.compile(r"\{(version|build|number|model)\}")
_SAFE_VALUE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True, slots=True)
class VersionSource:
    """Where a version is read: ``page`` (the first page), ``server``, ``title``, or a path."""

    source: str
    regex: re.Pattern[str]
    path: str | None = None


@dataclass(frozen=True, slots=True)
class Console:
    id: str
    name: str
    kind: str
    vendor: str
    product: str
    title: tuple[re.Pattern[str], ...] = ()
    body: tuple[re.Pattern[str], ...] = ()
    server: tuple[re.Pattern[str], ...] = ()
    headers: tuple[tuple[str, re.Pattern[str]], ...] = ()
    versions: tuple[VersionSource, ...] = ()
    cpe: str | None = None


@dataclass(frozen=True, slots=True)
class ConsoleVersion:
    version: str | None = None
    build: str | None = None
    model: str | None = None
    cpe: str | None = None

    @property
    def display(self) -> str | None:
        """The version alone ("4.5.1.1495"): comparable; the build goes into the CPE."""
        return self.version


@dataclass(frozen=True, slots=True)
class CredentialRecipe:
    """One documented default login and how to test it without side effects.

    ``method``: ``basic`` (HTTP Basic on ``path``) or ``form`` (``http_method`` to
    ``path`` with ``body`` or ``query``; placeholders ``{user}``, ``{password}``,
    ``{password_b64}``, URL-encoded unless the content type is JSON). Success:
    ``success_status`` holds the status, ``success_body`` matches (if given) and
    ``failure_body`` does not.
    """

    console: str
    user: str
    password: str
    method: str = "basic"
    path: str = "/"
    http_method: str = "POST"
    content_type: str = "application/x-www-form-urlencoded"
    body: str = ""
    query: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    success_status: tuple[int, ...] = (200,)
    success_body: re.Pattern[str] | None = None
    failure_body: re.Pattern[str] | None = None

    def _fill(self, template: str, json_body: bool) -> str:
        values = {
            "user": self.user,
            "password": self.password,
            "password_b64": base64.b64encode(self.password.encode()).decode(),
        }
        if json_body:
            escaped = {k: v.replace("\\", "\\\\").replace('"', '\\"') for k, v in values.items()}
        else:
            escaped = {k: urllib.parse.quote(v, safe="") for k, v in values.items()}
        return re.sub(r"\{(user|password|password_b64)\}", lambda m: escaped[m.group(1)], template)

    def form_request(self) -> tuple[str, str, tuple[tuple[str, str], ...], bytes]:
        """``(method, path, headers, body)`` of the login request."""
        json_body = "json" in self.content_type
        path = self.path
        if self.query:
            path += ("&" if "?" in path else "?") + self._fill(self.query, False)
        body = self._fill(self.body, json_body).encode() if self.body else b""
        headers = self.headers
        if body:
            headers = (*headers, ("Content-Type", self.content_type))
        return self.http_method, path, headers, body

    def succeeded(self, status: int, body: bytes, headers: tuple[tuple[str, str], ...]) -> bool:
        if status not in self.success_status:
            return False
        text = body[:MAX_SCAN].decode("utf-8", errors="replace")
        if self.failure_body is not None and self.failure_body.search(text):
            return False
        return self.success_body is None or bool(self.success_body.search(text))


def _compile(pattern: object, where: str) -> re.Pattern[str]:
    if not isinstance(pattern, str):
        raise DataError(f"{where}: a pattern must be a string")
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise DataError(f"{where}: bad regular expression {pattern!r}: {exc}") from exc


def _patterns(entry: dict[str, object], key: str, where: str) -> tuple[re.Pattern[str], ...]:
    value = entry.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise DataError(f"{where}: {key} must be a list of patterns")
    return tuple(_compile(p, f"{where}.{key}") for p in value)


def parse_consoles(text: str) -> tuple[Console, ...]:
    """Consoles from the TOML text of ``consoles.toml`` (:class:`DataError` if malformed)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"consoles.toml is not valid TOML: {exc}") from exc
    out: list[Console] = []
    for entry in data.get("console", []):
        where = f"console {entry.get('id', '?')}"
        try:
            headers = tuple(
                (name.strip().lower(), _compile(rx.strip(), where))
                for name, _, rx in (h.partition(":") for h in entry.get("header", []))
            )
            versions = tuple(
                VersionSource(
                    source=str(v.get("source", "page")),
                    regex=_compile(v["regex"], f"{where}.version"),
                    path=v.get("path"),
                )
                for v in entry.get("version", [])
            )
            out.append(
                Console(
                    id=str(entry["id"]),
                    name=str(entry["name"]),
                    kind=str(entry["kind"]),
                    vendor=str(entry.get("vendor", "")),
                    product=str(entry.get("product", "")),
                    title=_patterns(entry, "title", where),
                    body=_patterns(entry, "body", where),
                    server=_patterns(entry, "server", where),
                    headers=headers,
                    versions=versions,
                    cpe=entry.get("cpe"),
                )
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise DataError(f"consoles.toml: {where} is incomplete ({exc})") from exc
    return tuple(out)


def parse_credentials(text: str) -> tuple[CredentialRecipe, ...]:
    """Recipes from the TOML text of ``default_credentials.toml``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"default_credentials.toml is not valid TOML: {exc}") from exc
    out: list[CredentialRecipe] = []
    for entry in data.get("credential", []):
        where = f"credential for {entry.get('console', '?')}"
        try:
            out.append(
                CredentialRecipe(
                    console=str(entry["console"]),
                    user=str(entry["user"]),
                    password=str(entry["password"]),
                    method=str(entry.get("method", "basic")),
                    path=str(entry.get("path", "/")),
                    http_method=str(entry.get("http_method", "POST")).upper(),
                    content_type=str(
                        entry.get("content_type", "application/x-www-form-urlencoded")
                    ),
                    body=str(entry.get("body", "")),
                    query=str(entry.get("query", "")),
                    headers=tuple(
                        (k.strip(), v.strip())
                        for k, _, v in (h.partition(":") for h in entry.get("headers", []))
                    ),
                    success_status=tuple(int(s) for s in entry.get("success_status", [200])),
                    success_body=_compile(entry["success_body"], where)
                    if "success_body" in entry
                    else None,
                    failure_body=_compile(entry["failure_body"], where)
                    if "failure_body" in entry
                    else None,
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"default_credentials.toml: {where} is incomplete ({exc})") from exc
    return tuple(out)


def _read(name: str) -> str:
    return resources.files("rempart.discover.probes.data").joinpath(name).read_text("utf-8")


@cache
def load_consoles() -> tuple[Console, ...]:
    return parse_consoles(_read("consoles.toml"))


@cache
def load_credentials() -> tuple[CredentialRecipe, ...]:
    return parse_credentials(_read("default_credentials.toml"))


def credentials_for(console_id: str) -> tuple[CredentialRecipe, ...]:
    return tuple(r for r in load_credentials() if r.console == console_id)


def recognise(
    server: str,
    title: str,
    body: str,
    headers: tuple[tuple[str, str], ...] = (),
    consoles: tuple[Console, ...] | None = None,
) -> Console | None:
    """The first known console whose patterns match this page, or ``None``."""
    body = body[:MAX_SCAN]
    for console in consoles if consoles is not None else load_consoles():
        if title and any(p.search(title) for p in console.title):
            return console
        if server and any(p.search(server) for p in console.server):
            return console
        if any(p.search(body) for p in console.body):
            return console
        for name, pattern in console.headers:
            if any(key == name and pattern.search(value) for key, value in headers):
                return console
    return None


def _clean_value(value: str | None, limit: int = 64) -> str | None:
    if value is None:
        return None
    value = clean_text(value.strip(), limit)
    return value or None


def build_cpe(
    template: str | None, version: str | None, build: str | None, model: str | None
) -> str | None:
    """A CPE 2.3 name from a template; ``None`` without a version."""
    if not template or not version:
        return None
    values = {"version": version, "build": build, "model": model, "number": None}
    components = template.split(":")
    out = []
    for component in components:
        names = _CPE_FIELD.findall(component)
        if not names:
            out.append(component)
            continue
        if any(not values.get(n) for n in names):
            out.append("*")
            continue
        out.append(
            _CPE_FIELD.sub(
                lambda m: _SAFE_VALUE.sub("_", str(values[m.group(1)]).lower()), component
            )
        )
    return ":".join(out)


def extract(regex: re.Pattern[str], text: str) -> dict[str, str]:
    """Named groups that matched (empty ones dropped)."""
    match = regex.search(text[:MAX_SCAN])
    if match is None:
        return {}
    return {k: v for k, v in match.groupdict().items() if v}


def find_version(
    console: Console,
    page: str,
    server: str,
    title: str,
    get: Callable[[str], tuple[str, str] | None],
) -> ConsoleVersion:
    """Version, build and model from the console's sources, in order, first found wins.

    ``get(path)`` fetches a path on the same host and returns ``(text, server)`` or ``None``.
    Each path is fetched at most once.
    """
    found: dict[str, str] = {}
    fetched: dict[str, tuple[str, str] | None] = {}
    for source in console.versions:
        if source.path:
            if source.path not in fetched:
                fetched[source.path] = get(source.path)
            answer = fetched[source.path]
            if answer is None:
                continue
            text = answer[0]
        elif source.source == "server":
            text = server
        elif source.source == "title":
            text = title
        else:
            text = page
        for key, value in extract(source.regex, text).items():
            found.setdefault(key, value)
        if "version" in found and "model" in found:
            break
    version = _clean_value(found.get("version"))
    if version and found.get("number"):
        version = f"{version}.{_clean_value(found['number'])}"
    build = _clean_value(found.get("build"))
    model = _clean_value(found.get("model"))
    return ConsoleVersion(
        version=version, build=build, model=model, cpe=build_cpe(console.cpe, version, build, model)
    )

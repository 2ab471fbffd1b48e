"""A small HTTP/1.1 server for the fake web consoles (box, NAS, printer, WinRM).

One request per connection (``Connection: close``), head bounded to 8 KiB, body to
64 KiB. A site is a function ``(Request) -> Response``; :func:`http_handler` turns it
into a connection handler.
"""

from __future__ import annotations

import asyncio
import email.utils
from collections.abc import Callable
from dataclasses import dataclass, field

from rempart.lab.fakes.common import READ_TIMEOUT, Garbage, Handler, read_exact

MAX_HEAD = 8192
MAX_BODY = 65536

REASONS = {
    200: "OK",
    301: "Moved Permanently",
    302: "Found",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Request Entity Too Large",
    505: "HTTP Version Not Supported",
}


@dataclass(frozen=True)
class Request:
    method: str
    target: str
    version: str
    headers: dict[str, str]  # lower-case names
    body: bytes = b""

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def query(self) -> str:
        return self.target.split("?", 1)[1] if "?" in self.target else ""


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = field(default_factory=tuple)


Site = Callable[[Request], Response]


async def _read_head(reader: asyncio.StreamReader) -> bytes:
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT)
    except asyncio.LimitOverrunError as exc:
        raise Garbage("head too long") from exc
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise Garbage("truncated head") from exc
        raise
    if len(head) > MAX_HEAD:
        raise Garbage("head too long")
    return head


def parse_head(head: bytes) -> Request | None:
    """The request line and headers, or ``None`` when malformed."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/") or not parts[0].isalpha():
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or " " in name:
            return None
        headers[name.strip().lower()] = value.strip()
    return Request(parts[0].upper(), parts[1], parts[2], headers)


def render(
    response: Response, server: str, head_only: bool = False, httpapi: bool = False
) -> bytes:
    """The response bytes. ``httpapi``: Windows HTTP.sys's header order (Content-Type,
    Server, Date...), which fingerprint databases match literally."""
    date = f"Date: {email.utils.formatdate(usegmt=True)}"
    lines = [f"HTTP/1.1 {response.status} {REASONS.get(response.status, 'OK')}"]
    if httpapi:
        if response.content_type:
            lines.append(f"Content-Type: {response.content_type}")
        lines.append(f"Server: {server}")
        lines.extend(f"{k}: {v}" for k, v in response.headers)
        lines += [date, "Connection: close", f"Content-Length: {len(response.body)}"]
    else:
        lines.append(date)
        if server:
            lines.append(f"Server: {server}")
        if response.content_type:
            lines.append(f"Content-Type: {response.content_type}")
        lines.append(f"Content-Length: {len(response.body)}")
        lines.extend(f"{k}: {v}" for k, v in response.headers)
        lines.append("Connection: close")
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return data if head_only else data + response.body


def http_handler(site: Site, server: str, httpapi: bool = False) -> Handler:
    """A connection handler answering one request with ``site``."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await _read_head(reader)
        except Garbage:
            writer.write(
                render(Response(400, b"<h1>400 Bad Request</h1>"), server, httpapi=httpapi)
            )
            await writer.drain()
            return
        request = parse_head(head)
        if request is None:
            writer.write(
                render(Response(400, b"<h1>400 Bad Request</h1>"), server, httpapi=httpapi)
            )
            await writer.drain()
            return
        length_text = request.headers.get("content-length", "0")
        if not length_text.isdigit():
            writer.write(
                render(Response(400, b"<h1>400 Bad Request</h1>"), server, httpapi=httpapi)
            )
            await writer.drain()
            return
        length = int(length_text)
        if length > MAX_BODY:
            writer.write(render(Response(413, b""), server, httpapi=httpapi))
            await writer.drain()
            return
        body = await read_exact(reader, length) if length else b""
        request = Request(request.method, request.target, request.version, request.headers, body)
        response = site(request)
        writer.write(render(response, server, head_only=request.method == "HEAD", httpapi=httpapi))
        await writer.drain()

    return handle

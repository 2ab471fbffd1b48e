"""``rempart data update``: fetch the vulnerability feeds, verify them, hand them to the importer.

Why it is built this way:

* **streamed**: a feed goes to ``<data dir>/feeds/<name>.part`` in 64 KiB pieces, with a size cap
  per feed, so that a hostile or broken server cannot fill the disk or the memory;
* **resumable**: a dropped connection is retried (with backoff, a bounded number of times) from
  where it stopped, with ``Range`` and ``If-Range``; a server that ignores ``Range`` (200 instead
  of 206) or whose file changed makes us start over. A ``.part`` left by an interrupted run is
  resumed by the next run;
* **incremental**: KEV, EPSS and Recog are asked with ``If-None-Match`` / ``If-Modified-Since``
  (304: nothing to do); NVD publishes a ``.meta`` beside each feed with the ``sha256`` of the
  uncompressed JSON, so an unchanged hash means nothing to fetch;
* **verified**: an NVD feed whose uncompressed JSON does not match its ``.meta`` hash is removed
  and nothing is imported;
* **all or nothing**: a feed is imported only once complete and verified; the importer swaps the
  knowledge atomically, so a bad feed leaves the previous knowledge intact and usable. The record
  of what was fetched (``feeds/state.json``) changes only after a successful import, so a failed
  feed is fetched again next time;
* **http and https only**, also after redirects: a redirect to ``file:`` or ``ftp:`` is refused.

``rempart data import PATH`` (air-gapped practices) goes through :func:`import_file`, which
shares the hash check and Recog's safe extraction.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import http.client
import json
import os
import re
import shutil
import ssl
import sys
import tarfile
import tempfile
import time
import urllib.request
import uuid
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Literal
from urllib.parse import unquote, urljoin, urlsplit

from rempart import __version__
from rempart.config import data_dir
from rempart.core.errors import DataError, UsageError
from rempart.i18n import _
from rempart.vulns.sources import (
    FEED_KINDS,
    MAX_BYTES,
    MAX_META_BYTES,
    MAX_NVD_JSON_BYTES,
    FeedSettings,
    load_feed_settings,
    nvd_feed_names,
)

__all__ = [
    "Download",
    "DownloadError",
    "FeedOutcome",
    "NvdMeta",
    "Progress",
    "UpdateReport",
    "extract_recog",
    "feeds_dir",
    "fetch",
    "fetch_bytes",
    "gunzip_sha256",
    "import_file",
    "parse_meta",
    "update",
    "update_lock",
    "verify_sha256",
]

Progress = Callable[[str, int, int | None], None]
"""``progress(label, bytes done, bytes expected or None)``, called as bytes arrive."""

Importer = Callable[..., Any]

CHUNK = 64 * 1024
MAX_REDIRECTS = 5
MAX_BACKOFF = 8.0
BACKOFF = 0.5  # seconds before the first retry; doubled each time, at most MAX_BACKOFF
MAX_STATE_BYTES = 1024 * 1024
MAX_RECOG_FILES = 1000
MAX_RECOG_FILE_BYTES = 16 * 1024 * 1024
MAX_RECOG_TOTAL_BYTES = 128 * 1024 * 1024
RECOG_LICENCES = ("LICENSE", "COPYING")
USER_AGENT = f"rempart/{__version__} (+https://github.com/rempart)"
REDIRECTS = (301, 302, 303, 307, 308)
HEX64 = re.compile(r"[0-9a-fA-F]{64}")


class DownloadError(DataError):
    """A feed could not be fetched or verified; nothing was imported from it."""


class _TooLarge(DownloadError):
    """A file larger than its cap: its ``.part`` is removed (resuming would not help)."""


class _Interrupted(Exception):
    """The body ended before its announced length: retry, resuming from what we have."""


@dataclass(frozen=True, slots=True)
class Download:
    """The outcome of :func:`fetch`: a complete, verified file, or "not modified"."""

    url: str
    path: Path
    changed: bool
    size: int
    etag: str | None = None
    last_modified: str | None = None
    attempts: int = 1
    resumed: bool = False


@dataclass(frozen=True, slots=True)
class NvdMeta:
    """An NVD ``.meta`` file: the hash and size of the uncompressed JSON, and its date."""

    sha256: str
    size: int | None
    last_modified: str | None


@dataclass(frozen=True, slots=True)
class FeedOutcome:
    """What happened to one feed file: imported, unchanged (nothing to do), or failed."""

    kind: str
    name: str
    status: Literal["imported", "unchanged", "failed"]
    detail: Any = None  # the importer's report when imported
    error: str | None = None
    size: int = 0


@dataclass(frozen=True, slots=True)
class UpdateReport:
    """Every feed of one ``rempart data update`` run, in the order they were handled."""

    outcomes: tuple[FeedOutcome, ...] = field(default_factory=tuple)

    @property
    def errors(self) -> tuple[str, ...]:
        return tuple(o.error for o in self.outcomes if o.error)

    @property
    def ok(self) -> bool:
        return not self.errors


def feeds_dir() -> Path:
    """``<data dir>/feeds``: downloads in progress and the record of what was fetched."""
    path = data_dir() / "feeds"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _disk_error(path / "x", exc) from None
    return path


# --- HTTP ---------------------------------------------------------------------------------


def _host_of(url: str) -> str:
    return urlsplit(url).hostname or url


def _proxy_for(url: str) -> str | None:
    """The proxy for ``url`` from the usual places (``https_proxy``/``http_proxy``/``no_proxy``,
    and on Windows the system settings), as urllib finds it; None for a direct connection."""
    parts = urlsplit(url)
    proxy = urllib.request.getproxies().get(parts.scheme)
    if not proxy or urllib.request.proxy_bypass(parts.netloc):
        return None
    return proxy if "://" in proxy else "http://" + proxy


def _connect(url: str, timeout: float) -> tuple[http.client.HTTPConnection, str, dict[str, str]]:
    """A connection for ``url`` (direct, or through an http proxy: CONNECT for https), the
    request target, and the headers the proxy needs."""
    parts = urlsplit(url)
    try:
        host, port = parts.hostname or "", parts.port
        proxy = _proxy_for(url)
        proxy_parts = urlsplit(proxy) if proxy else None
        proxy_port = proxy_parts.port if proxy_parts else None
    except ValueError:
        raise DownloadError(
            _("Refused the address {url}: it is not a valid http or https address.").format(url=url)
        ) from None
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    context = ssl.create_default_context()
    if proxy_parts is None:
        if parts.scheme == "https":
            return (
                http.client.HTTPSConnection(host, port, timeout=timeout, context=context),
                target,
                {},
            )
        return http.client.HTTPConnection(host, port, timeout=timeout), target, {}
    if proxy_parts.scheme != "http" or not proxy_parts.hostname:
        raise DownloadError(
            _("The proxy {proxy} is not an http:// proxy: Rempart cannot use it.").format(
                proxy=proxy_parts.hostname or proxy
            )
        )
    auth: dict[str, str] = {}
    if proxy_parts.username:
        token = f"{unquote(proxy_parts.username)}:{unquote(proxy_parts.password or '')}"
        auth["Proxy-Authorization"] = "Basic " + base64.b64encode(token.encode()).decode()
    if parts.scheme == "https":
        tunnel = http.client.HTTPSConnection(
            proxy_parts.hostname, proxy_port or 8080, timeout=timeout, context=context
        )
        tunnel.set_tunnel(host, port or 443, headers=auth)
        return tunnel, target, {}
    plain = http.client.HTTPConnection(proxy_parts.hostname, proxy_port or 8080, timeout=timeout)
    return plain, url, auth  # a proxy is asked for the whole address


def _open(
    url: str, headers: dict[str, str], timeout: float
) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse, str]:
    """Send a GET, following up to :data:`MAX_REDIRECTS` http(s) redirects.

    Returns the connection (to close), the response (status and headers read) and the final
    address. A redirect to another scheme raises :class:`DownloadError`.
    """
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        parts = urlsplit(current)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise DownloadError(
                _("Refused the address {url}: it is not a valid http or https address.").format(
                    url=current
                )
            )
        conn, target, extra = _connect(current, timeout)
        try:
            conn.request("GET", target, headers={"User-Agent": USER_AGENT, **extra, **headers})
            response = conn.getresponse()
        except BaseException:
            conn.close()
            raise
        if response.status not in REDIRECTS:
            return conn, response, current
        location = response.getheader("Location", "")
        conn.close()
        following = urljoin(current, location.strip())
        if urlsplit(following).scheme not in ("http", "https"):
            raise DownloadError(
                _("{url} redirects to {target}: refused, only http and https are allowed.").format(
                    url=current, target=following[:200]
                )
            )
        current = following
    raise DownloadError(
        _("{url}: too many redirects (more than {n}).").format(url=url, n=MAX_REDIRECTS)
    )


def _status_error(url: str, response: http.client.HTTPResponse) -> DownloadError:
    reason = (response.reason or "")[:80]
    if response.status == 404:
        return DownloadError(
            _("{url} was not found (HTTP 404): check the feed address in feeds.toml.").format(
                url=url
            )
        )
    return DownloadError(
        _("{url} answered HTTP {status} {reason}: try again later.").format(
            url=url, status=response.status, reason=reason
        )
    )


def _content_length(response: http.client.HTTPResponse) -> int | None:
    value = response.getheader("Content-Length")
    if value is None or not value.strip().isdigit():
        return None
    return int(value.strip())


def _range_start(response: http.client.HTTPResponse) -> int | None:
    """The first byte of a 206 answer (``Content-Range: bytes 100-199/200``)."""
    match = re.fullmatch(
        r"\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*", response.getheader("Content-Range", "")
    )
    return int(match.group(1)) if match else None


def _too_large(url: str, limit: int) -> DownloadError:
    return _TooLarge(
        _("{url} is larger than {mb} MB: refused (is it the right address?).").format(
            url=url, mb=limit // (1024 * 1024)
        )
    )


def _interrupted_error(url: str, attempts: int, error: object) -> DownloadError:
    return DownloadError(
        _(
            "The download of {url} was interrupted ({error}) after {n} attempts: "
            "nothing imported; run the update again to resume."
        ).format(url=url, error=str(error)[:160] or type(error).__name__, n=attempts)
    )


def _sleep_before(attempt: int, backoff: float) -> None:
    if backoff > 0:
        time.sleep(min(MAX_BACKOFF, backoff * (2 ** (attempt - 1))))


def fetch_bytes(
    url: str,
    *,
    max_bytes: int = MAX_META_BYTES,
    timeout: float = 60.0,
    retries: int = 5,
    backoff: float | None = None,
) -> bytes:
    """A small file (an NVD ``.meta``) in memory, at most ``max_bytes``."""
    backoff = BACKOFF if backoff is None else backoff
    attempt = 0
    while True:
        attempt += 1
        try:
            conn, response, final = _open(url, {"Accept-Encoding": "identity"}, timeout)
            try:
                if response.status != 200:
                    raise _status_error(final, response)
                length = _content_length(response)
                if length is not None and length > max_bytes:
                    raise _too_large(url, max_bytes)
                data = response.read(max_bytes + 1)
                if len(data) > max_bytes:
                    raise _too_large(url, max_bytes)
                if length is not None and len(data) < length:
                    raise _Interrupted(f"{len(data)} of {length} bytes")
                return data
            finally:
                conn.close()
        except ssl.SSLCertVerificationError as exc:
            raise _tls_error(url, exc) from None
        except (OSError, http.client.HTTPException, _Interrupted) as exc:
            if attempt > retries:
                raise _interrupted_error(url, attempt, exc) from None
            _sleep_before(attempt, backoff)


def _tls_error(url: str, exc: ssl.SSLCertVerificationError) -> DownloadError:
    return DownloadError(
        _("The certificate of {host} is not trusted ({error}): nothing downloaded.").format(
            host=_host_of(url), error=exc.verify_message or exc
        )
    )


def _read_part_info(info: Path, url: str) -> dict[str, str] | None:
    try:
        raw = json.loads(info.read_bytes()[:4096])
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict) or raw.get("url") != url:
        return None
    return {k: v for k, v in raw.items() if isinstance(k, str) and isinstance(v, str)}


def _write_json(path: Path, value: object) -> None:
    """Atomically: a temporary file beside ``path``, then ``os.replace``."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_text(json.dumps(value, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _remove_part(part: Path) -> None:
    part.unlink(missing_ok=True)
    part.with_name(part.name + ".json").unlink(missing_ok=True)


def _disk_error(path: Path, exc: OSError) -> DownloadError:
    return DownloadError(
        _("Cannot write into {path}: {error}.").format(path=path.parent, error=exc.strerror or exc)
    )


@contextmanager
def _writable(part: Path, append: bool) -> Iterator[BinaryIO]:
    """``part`` opened for writing; a local failure (full disk, rights) is not a network
    drop and must not be retried as one."""
    try:
        out = part.open("ab") if append else part.open("wb")
    except OSError as exc:
        raise _disk_error(part, exc) from None
    with out:
        yield out


def _write(out: BinaryIO, chunk: bytes, part: Path) -> None:
    try:
        out.write(chunk)
    except OSError as exc:
        raise _disk_error(part, exc) from None


def fetch(
    url: str,
    dest: Path,
    *,
    max_bytes: int,
    timeout: float = 60.0,
    retries: int = 5,
    backoff: float | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    verify: Callable[[Path], None] | None = None,
    progress: Progress | None = None,
    label: str | None = None,
) -> Download:
    """Download ``url`` to ``dest`` through ``dest.part``, resuming after dropped connections.

    ``etag``/``last_modified`` (from the previous download) make the request conditional:
    a 304 answer returns ``changed=False`` and leaves ``dest`` alone. ``verify(part)`` runs on
    the complete file before it replaces ``dest``; when it raises, the ``.part`` is removed.
    Raises :class:`DownloadError` on an HTTP error, a refused redirect, a file larger than
    ``max_bytes``, or when ``retries`` retries could not complete it (the ``.part`` stays, for
    the next run to resume).
    """
    backoff = BACKOFF if backoff is None else backoff
    label = label or dest.name
    part = dest.with_name(dest.name + ".part")
    info_path = part.with_name(part.name + ".json")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _disk_error(dest, exc) from None
    attempt = 0
    resumed = False
    while True:
        attempt += 1
        info = _read_part_info(info_path, url) if part.exists() else None
        offset = part.stat().st_size if info is not None and part.exists() else 0
        validator = None
        if info is not None:
            strong_etag = info.get("etag", "")
            validator = strong_etag if strong_etag and not strong_etag.startswith("W/") else None
            validator = validator or info.get("last_modified") or None
        if offset and validator is None:
            offset = 0  # without a validator a resumed file could mix two versions
        headers = {"Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
            headers["If-Range"] = validator or ""
        else:
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
        try:
            conn, response, final = _open(url, headers, timeout)
            try:
                if response.status == 304 and not offset and (etag or last_modified):
                    _remove_part(part)
                    return Download(url, dest, False, 0, etag, last_modified, attempt, resumed)
                if response.status == 416 and offset:
                    _remove_part(part)  # our .part is longer than the file: start over
                    raise _Interrupted("416")
                if response.status == 206 and offset and _range_start(response) == offset:
                    mode = "ab"
                    resumed = True
                elif response.status == 206:
                    _remove_part(part)  # a range we did not ask for: start over
                    raise _Interrupted("unexpected Content-Range")
                elif response.status == 200:
                    mode, offset = "wb", 0
                else:
                    raise _status_error(final, response)
                length = _content_length(response)
                total = offset + length if length is not None else None
                if total is not None and total > max_bytes:
                    raise _too_large(url, max_bytes)
                new_etag = response.getheader("ETag")
                new_modified = response.getheader("Last-Modified")
                if mode == "wb":
                    _write_json(
                        info_path,
                        {
                            "url": url,
                            "etag": new_etag or "",
                            "last_modified": new_modified or "",
                        },
                    )
                elif info is not None:
                    new_etag = new_etag or info.get("etag")
                    new_modified = new_modified or info.get("last_modified")
                done = offset
                with _writable(part, mode == "ab") as out:
                    if progress:
                        progress(label, done, total)
                    while True:
                        chunk = response.read(CHUNK)
                        if not chunk:
                            break
                        done += len(chunk)
                        if done > max_bytes:
                            raise _too_large(url, max_bytes)
                        _write(out, chunk, part)
                        if progress:
                            progress(label, done, total)
                if total is not None and done < total:
                    raise _Interrupted(f"{done} of {total} bytes")
            finally:
                conn.close()
        except ssl.SSLCertVerificationError as exc:
            raise _tls_error(url, exc) from None
        except _TooLarge:
            _remove_part(part)
            raise
        except (OSError, http.client.HTTPException, _Interrupted) as exc:
            if attempt > retries:
                raise _interrupted_error(url, attempt, exc) from None
            _sleep_before(attempt, backoff)
            continue
        try:
            if verify is not None:
                verify(part)
            os.replace(part, dest)
        except BaseException:
            _remove_part(part)
            raise
        info_path.unlink(missing_ok=True)
        return Download(
            url, dest, True, done, new_etag or None, new_modified or None, attempt, resumed
        )


# --- verification -------------------------------------------------------------------------


def parse_meta(data: bytes, *, source: str = ".meta") -> NvdMeta:
    """Read an NVD ``.meta`` (``key:value`` lines; ``sha256`` is required, 64 hex digits)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    values: dict[str, str] = {}
    for line in text.splitlines()[:50]:
        key, sep, value = line.partition(":")
        if sep:
            values[key.strip()] = value.strip()
    digest = values.get("sha256", "")
    if not HEX64.fullmatch(digest):
        raise DownloadError(
            _(
                "{source} is not an NVD .meta file (no sha256 line): nothing imported; "
                "check the NVD feed address."
            ).format(source=source)
        )
    size_text = values.get("size", "")
    return NvdMeta(
        sha256=digest.lower(),
        size=int(size_text) if size_text.isdigit() else None,
        last_modified=values.get("lastModifiedDate") or None,
    )


def gunzip_sha256(path: Path, *, max_bytes: int = MAX_NVD_JSON_BYTES) -> tuple[str, int]:
    """sha256 and size of the uncompressed content of ``path``, read in pieces, bounded."""
    digest = hashlib.sha256()
    size = 0
    try:
        with gzip.open(path, "rb") as stream:
            while chunk := stream.read(1024 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise _TooLarge(
                        _("{path} uncompresses to more than {mb} MB: refused.").format(
                            path=path.name, mb=max_bytes // (1024 * 1024)
                        )
                    )
                digest.update(chunk)
    except (OSError, EOFError, zlib.error) as exc:
        raise DownloadError(
            _("{path} is not a complete gzip file ({error}): nothing imported.").format(
                path=path.name, error=str(exc)[:120] or type(exc).__name__
            )
        ) from None
    return digest.hexdigest(), size


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as stream:
        return stream.read(2) == b"\x1f\x8b"


def verify_sha256(path: Path, expected: str) -> None:
    """Accept ``path`` when ``expected`` is the sha256 of the file, or of its uncompressed
    content for a gzip file (NVD's ``.meta`` gives the latter). :class:`DownloadError` otherwise.
    """
    expected = expected.strip().lower()
    if not HEX64.fullmatch(expected):
        raise UsageError(
            _("'{value}' is not a SHA-256 (64 hexadecimal digits).").format(value=expected[:80])
        )
    try:
        if _file_sha256(path) == expected:
            return
        if _is_gzip(path) and gunzip_sha256(path)[0] == expected:
            return
    except OSError as exc:
        raise DownloadError(
            _("Cannot read {path}: {error}.").format(path=path, error=exc.strerror or exc)
        ) from None
    raise DownloadError(
        _(
            "{path} does not match its sha256 (expected {expected}): the file is damaged or "
            "not the one published; nothing imported."
        ).format(path=path.name, expected=expected)
    )


def _nvd_verifier(meta: NvdMeta, name: str) -> Callable[[Path], None]:
    def verify(part: Path) -> None:
        limit = MAX_NVD_JSON_BYTES
        if meta.size is not None:
            limit = min(limit, meta.size)
        try:
            digest, _size = gunzip_sha256(part, max_bytes=limit)
        except _TooLarge:
            digest = ""  # longer than the .meta says: it cannot be the published file
        if digest != meta.sha256:
            raise DownloadError(
                _(
                    "The NVD feed {name} does not match the sha256 of its .meta file: "
                    "the download is damaged or the mirror is out of step; nothing imported, "
                    "try again later."
                ).format(name=name)
            )

    return verify


# --- Recog ---------------------------------------------------------------------------------


def extract_recog(archive: Path, into: Path) -> Path:
    """Copy Recog's ``xml/*.xml`` (and its licence) out of a tar.gz of its repository.

    Only regular files are read, by their base name: no link, device or path of the archive
    can write outside ``into``. At most :data:`MAX_RECOG_FILES` files of
    :data:`MAX_RECOG_FILE_BYTES` each, :data:`MAX_RECOG_TOTAL_BYTES` in all.
    """
    into.mkdir(parents=True, exist_ok=True)
    files = total = 0
    try:
        with tarfile.open(archive, mode="r:*") as tar:
            for member in tar:
                if not member.isreg():
                    continue
                parts = PurePosixPath(member.name).parts
                name = parts[-1] if parts else ""
                wanted_xml = (
                    len(parts) >= 2
                    and parts[-2] == "xml"
                    and name.endswith(".xml")
                    and len(parts) <= 3
                )
                wanted_licence = name in RECOG_LICENCES and len(parts) <= 2
                if not (wanted_xml or wanted_licence) or name.startswith("."):
                    continue
                if member.size > MAX_RECOG_FILE_BYTES:
                    raise DownloadError(
                        _("{name} in {archive} is too large: refused.").format(
                            name=name[:100], archive=archive.name
                        )
                    )
                files += 1
                total += member.size
                if files > MAX_RECOG_FILES or total > MAX_RECOG_TOTAL_BYTES:
                    raise DownloadError(
                        _("{archive} holds too many or too large files: refused.").format(
                            archive=archive.name
                        )
                    )
                source = tar.extractfile(member)
                if source is None:
                    continue
                with source, (into / name).open("wb") as out:
                    shutil.copyfileobj(source, out, CHUNK)
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise DownloadError(
            _("{archive} is not a readable tar.gz archive ({error}): nothing imported.").format(
                archive=archive.name, error=str(exc)[:120] or type(exc).__name__
            )
        ) from None
    if not any(into.glob("*.xml")):
        raise DownloadError(
            _("{archive} holds no xml/*.xml fingerprint file: nothing imported.").format(
                archive=archive.name
            )
        )
    return into


def _import_recog_archive(archive: Path) -> Any:
    from rempart.discover.fingerprints.importer import import_recog

    staging = Path(tempfile.mkdtemp(prefix=".recog-", dir=feeds_dir()))
    try:
        return import_recog(extract_recog(archive, staging / "xml"))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# --- the record of what was fetched -------------------------------------------------------


def _state_path() -> Path:
    return feeds_dir() / "state.json"


def _load_state() -> dict[str, dict[str, str]]:
    """What the last successful imports fetched; a missing or broken record is just empty
    (the next update then downloads everything again, which is safe)."""
    try:
        with _state_path().open("rb") as stream:
            raw = json.loads(stream.read(MAX_STATE_BYTES))
    except (OSError, ValueError):
        return {}
    if not isinstance(raw, dict):
        return {}
    state: dict[str, dict[str, str]] = {}
    for key, value in raw.items():
        if isinstance(key, str) and isinstance(value, dict):
            state[key] = {k: v for k, v in value.items() if isinstance(v, str)}
    return state


def _save_state(state: dict[str, dict[str, str]]) -> None:
    _write_json(_state_path(), state)


# --- update and import --------------------------------------------------------------------


def _default_importer() -> Importer:
    try:
        from rempart.vulns.importing import import_path
    except ImportError as exc:
        raise DataError(
            _("This Rempart cannot import vulnerability feeds yet ({error}).").format(error=exc)
        ) from None
    return import_path


def _import_progress(progress: Progress | None, label: str) -> Callable[[int, int], None] | None:
    if progress is None:
        return None
    return lambda done, total: progress(label, done, total)


def _import(
    importer: Importer | None,
    path: Path,
    kind: str,
    progress: Progress | None,
    label: str,
    *,
    sha256: str | None = None,
) -> Any:
    if kind == "recog":
        return _import_recog_archive(path)
    run = importer or _default_importer()
    return run(
        path,
        kind=kind,
        sha256=sha256,
        progress=_import_progress(progress, _("{feed} (reading)").format(feed=label)),
    )


def update(
    kinds: Sequence[str] = FEED_KINDS,
    *,
    years: tuple[int, int] | None = None,
    settings: FeedSettings | None = None,
    progress: Progress | None = None,
    importer: Importer | None = None,
    backoff: float | None = None,
) -> UpdateReport:
    """Fetch and import each feed of ``kinds`` (``nvd``, ``kev``, ``epss``, ``recog``).

    A failing feed does not stop the others: its outcome carries a one-line error and the
    previous knowledge from it stays. ``years`` limits the NVD year feeds (``modified`` is
    always fetched last). ``importer`` is :func:`rempart.vulns.importing.import_path` unless
    given.
    """
    unknown = [k for k in kinds if k not in FEED_KINDS]
    if unknown:
        raise UsageError(
            _("Unknown feed '{kind}': choose among {kinds}.").format(
                kind=unknown[0], kinds=", ".join(FEED_KINDS)
            )
        )
    settings = settings or load_feed_settings()
    folder = feeds_dir()
    outcomes: list[FeedOutcome] = []
    common: dict[str, Any] = {
        "timeout": settings.timeout,
        "retries": settings.retries,
        "backoff": backoff,
    }
    with update_lock(folder):
        for kind in FEED_KINDS:
            if kind in kinds:
                outcomes += _update_kind(kind, years, settings, folder, common, progress, importer)
    return UpdateReport(tuple(outcomes))


def _update_kind(
    kind: str,
    years: tuple[int, int] | None,
    settings: FeedSettings,
    folder: Path,
    common: dict[str, Any],
    progress: Progress | None,
    importer: Importer | None,
) -> list[FeedOutcome]:
    # Checked once, before this run imports anything: when the store was removed, every
    # file of the feed is fetched again, not only the first one.
    trusted = _still_known(kind)
    if kind == "nvd":
        return [
            _update_nvd(name, settings, folder, common, progress, importer, trusted)
            for name in nvd_feed_names(years)
        ]
    url = getattr(settings, kind)
    dest = folder / {"kev": "kev.json", "epss": "epss.csv.gz", "recog": "recog.tar.gz"}[kind]
    return [_update_plain(kind, url, dest, common, progress, importer, trusted)]


@contextmanager
def update_lock(folder: Path) -> Iterator[None]:
    """One ``data update`` at a time: two would write the same ``.part`` files.

    An OS lock on ``folder/.lock`` (``flock`` or ``msvcrt.locking``) is released by the OS
    when the process ends, so a crash never leaves a stale lock behind.
    """
    handle = (folder / ".lock").open("a+b")
    try:
        try:
            if sys.platform == "win32":
                import msvcrt

                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise DataError(
                _(
                    "Another 'rempart data update' is running: wait for it to finish, "
                    "then try again."
                )
            ) from None
        yield
    finally:
        handle.close()  # closing releases the lock


def _still_known(kind: str) -> bool:
    """Whether the knowledge (or Recog's folder) still holds what ``state.json`` says we
    imported: after the store was removed or rebuilt, "not modified" must not leave it empty."""
    if kind == "recog":
        from rempart.discover.fingerprints.db import default_recog_dir

        return any(default_recog_dir().glob("*.xml"))
    try:
        from rempart.vulns.store import KnowledgeBase

        knowledge = KnowledgeBase.open()
        if knowledge is None:
            return False
        with knowledge:
            return kind in knowledge.feeds()
    except (ImportError, DataError):
        return False


def _label(kind: str) -> str:
    return "Recog" if kind == "recog" else kind.upper()


def _update_plain(
    kind: str,
    url: str,
    dest: Path,
    common: dict[str, Any],
    progress: Progress | None,
    importer: Importer | None,
    trusted: bool,
) -> FeedOutcome:
    state = _load_state()
    known = state.get(url, {}) if dest.exists() and trusted else {}
    try:
        got = fetch(
            url,
            dest,
            max_bytes=MAX_BYTES[kind],
            etag=known.get("etag") or None,
            last_modified=known.get("last_modified") or None,
            progress=progress,
            label=_label(kind),
            **common,
        )
        if not got.changed:
            return FeedOutcome(kind, kind, "unchanged")
        detail = _import(importer, dest, kind, progress, _label(kind))
    except DataError as exc:
        return FeedOutcome(kind, kind, "failed", error=str(exc))
    state = _load_state()
    state[url] = {
        "etag": got.etag or "",
        "last_modified": got.last_modified or "",
        "imported": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    _save_state(state)
    return FeedOutcome(kind, kind, "imported", detail=detail, size=got.size)


def _update_nvd(
    name: str,
    settings: FeedSettings,
    folder: Path,
    common: dict[str, Any],
    progress: Progress | None,
    importer: Importer | None,
    trusted: bool,
) -> FeedOutcome:
    url = settings.nvd_url(name)
    dest = folder / f"nvdcve-2.0-{name}.json.gz"
    label = f"NVD {name}"
    try:
        meta_url = settings.nvd_meta_url(name)
        meta = parse_meta(fetch_bytes(meta_url, **common), source=meta_url)
        recorded = _load_state().get(url, {}).get("sha256")
        if recorded == meta.sha256 and trusted:
            return FeedOutcome("nvd", name, "unchanged")
        got = fetch(
            url,
            dest,
            max_bytes=MAX_BYTES["nvd"],
            verify=_nvd_verifier(meta, name),
            progress=progress,
            label=label,
            **common,
        )
        try:
            detail = _import(importer, dest, "nvd", progress, label, sha256=meta.sha256)
        finally:
            dest.unlink(missing_ok=True)  # the knowledge holds it now; the .meta tells changes
    except DataError as exc:
        return FeedOutcome("nvd", name, "failed", error=str(exc))
    state = _load_state()
    state[url] = {
        "sha256": meta.sha256,
        "last_modified": meta.last_modified or "",
        "imported": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    _save_state(state)
    return FeedOutcome("nvd", name, "imported", detail=detail, size=got.size)


def _is_archive(path: Path) -> bool:
    return path.is_file() and path.name.lower().endswith((".tar.gz", ".tgz", ".tar"))


def import_file(
    path: Path,
    *,
    kind: str | None = None,
    sha256: str | None = None,
    progress: Progress | None = None,
    importer: Importer | None = None,
) -> FeedOutcome:
    """``rempart data import PATH``: feed files fetched elsewhere (air-gapped practices).

    A tar.gz of Recog's repository is extracted safely (see :func:`extract_recog`) then
    imported; anything else (a feed file, a folder of feed files, a Recog folder) goes to the
    importer, which recognises NVD, KEV and EPSS by content when ``kind`` is None. ``sha256``
    (of the file, or of its uncompressed content: NVD's ``.meta`` gives that one) is checked
    before anything is imported.
    """
    if kind is not None and kind not in FEED_KINDS:
        raise UsageError(
            _("Unknown feed '{kind}': choose among {kinds}.").format(
                kind=kind, kinds=", ".join(FEED_KINDS)
            )
        )
    if not path.exists():
        raise DataError(_("{path} does not exist.").format(path=path))
    label = path.name
    if _is_archive(path) and kind in (None, "recog"):
        if sha256:
            verify_sha256(path, sha256)
        return FeedOutcome("recog", label, "imported", _import_recog_archive(path))
    run = importer or _default_importer()
    detail = run(path, kind=kind, sha256=sha256, progress=_import_progress(progress, label))
    found = str(getattr(detail, "kind", None) or kind or "?")
    return FeedOutcome(found, label, "imported", detail, size=_size_of(path))


def _size_of(path: Path) -> int:
    try:
        return path.stat().st_size if path.is_file() else 0
    except OSError:
        return 0

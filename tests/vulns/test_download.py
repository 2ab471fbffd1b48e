"""`rempart data update`'s downloader against a real HTTP server on 127.0.0.1.

The server (:class:`FeedServer`) serves feeds built in the test, honours or ignores ``Range``,
answers conditional requests, and can drop a connection in the middle of a body. Nothing here
reaches the real feed hosts: every address points at the loopback server.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import tarfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from rempart import i18n
from rempart.core.errors import DataError, RempartError, UsageError
from rempart.vulns import download
from rempart.vulns.download import (
    DownloadError,
    extract_recog,
    fetch,
    parse_meta,
    update,
    verify_sha256,
)
from rempart.vulns.importing import import_path
from rempart.vulns.sources import FeedSettings, load_feed_settings
from tests.support import shared_data

LAST_MODIFIED = formatdate(1_764_000_000, usegmt=True)

# --- fixtures: synthetic feeds, in the published formats -----------------------------------


def kev_json(count: int = 300, *, version: str = "2026.11.27") -> bytes:
    """A KEV catalogue (CISA's JSON schema) of ``count`` synthetic entries."""
    vulns = [
        {
            "cveID": f"CVE-2024-{10000 + i}",
            "vendorProject": "Synthetic",
            "product": f"Product {i}",
            "vulnerabilityName": f"Synthetic Product {i} Remote Code Execution",
            "dateAdded": "2026-01-15",
            "shortDescription": "A synthetic vulnerability used by Rempart's tests. " * 3,
            "requiredAction": "Apply mitigations per vendor instructions.",
            "dueDate": "2026-02-05",
            "knownRansomwareCampaignUse": "Known" if i % 3 == 0 else "Unknown",
            "notes": "",
            "cwes": ["CWE-78"],
        }
        for i in range(count)
    ]
    catalogue = {
        "title": "CISA Catalog of Known Exploited Vulnerabilities",
        "catalogVersion": version,
        "dateReleased": "2026-11-27T16:00:00.0000Z",
        "count": count,
        "vulnerabilities": vulns,
    }
    return json.dumps(catalogue, indent=2).encode()


def nvd_json(count: int = 20) -> bytes:
    """An NVD CVE 2.0 feed of ``count`` synthetic CVEs about OpenSSH."""
    vulns = [
        {
            "cve": {
                "id": f"CVE-2024-{20000 + i}",
                "sourceIdentifier": "cve@mitre.org",
                "published": "2024-07-01T13:15:00.000",
                "lastModified": "2026-11-20T10:00:00.000",
                "vulnStatus": "Analyzed",
                "descriptions": [{"lang": "en", "value": f"Synthetic flaw {i} in OpenSSH."}],
                "metrics": {
                    "cvssMetricV31": [
                        {
                            "source": "nvd@nist.gov",
                            "type": "Primary",
                            "cvssData": {
                                "version": "3.1",
                                "vectorString": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H",
                                "baseScore": 8.1,
                                "baseSeverity": "HIGH",
                            },
                        }
                    ]
                },
                "weaknesses": [],
                "configurations": [
                    {
                        "nodes": [
                            {
                                "operator": "OR",
                                "negate": False,
                                "cpeMatch": [
                                    {
                                        "vulnerable": True,
                                        "criteria": "cpe:2.3:a:openbsd:openssh:*:*:*:*:*:*:*:*",
                                        "versionEndExcluding": "9.8",
                                        "matchCriteriaId": "00000000-0000-0000-0000-000000000000",
                                    }
                                ],
                            }
                        ]
                    }
                ],
                "references": [],
            }
        }
        for i in range(count)
    ]
    feed = {
        "resultsPerPage": count,
        "startIndex": 0,
        "totalResults": count,
        "format": "NVD_CVE",
        "version": "2.0",
        "timestamp": "2026-11-27T03:00:01.000",
        "vulnerabilities": vulns,
    }
    return json.dumps(feed).encode()


def nvd_meta(payload: bytes, gz: bytes, *, sha256: str | None = None) -> bytes:
    """NVD's ``.meta`` layout: ``key:value`` lines, sha256 of the uncompressed JSON."""
    digest = sha256 or hashlib.sha256(payload).hexdigest().upper()
    return (
        "lastModifiedDate:2026-11-27T03:00:01-05:00\r\n"
        f"size:{len(payload)}\r\nzipSize:{len(gz)}\r\ngzSize:{len(gz)}\r\nsha256:{digest}\r\n"
    ).encode()


def epss_gz(count: int = 50) -> bytes:
    rows = ["#model_version:v2025.03.14,score_date:2026-11-27T12:55:00Z", "cve,epss,percentile"]
    rows += [f"CVE-2024-{10000 + i},0.{i + 10:05d},0.{i + 500:05d}" for i in range(count)]
    return gzip.compress(("\n".join(rows) + "\n").encode(), mtime=0)


def recog_tarball(*, hostile: bool = False) -> bytes:
    """A GitHub-style archive of Recog: ``recog-main/xml/*.xml`` and its licence."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:

        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))

        add("recog-main/README.md", b"# Recog\n")
        add("recog-main/LICENSE", shared_data("recog", "LICENSE").read_bytes())
        add("recog-main/xml/ssh_banners.xml", shared_data("recog", "ssh_banners.xml").read_bytes())
        if hostile:
            add("../../escaped.xml", b"<fingerprints/>")
            add("recog-main/xml/../../../escaped2.xml", b"<fingerprints/>")
            link = tarfile.TarInfo("recog-main/xml/link.xml")
            link.type = tarfile.SYMTYPE
            link.linkname = "/etc/passwd"
            tar.addfile(link)
    return buffer.getvalue()


# --- the server ----------------------------------------------------------------------------


@dataclass
class FeedServer:
    """What the loopback server serves, and what it was asked."""

    files: dict[str, bytes] = field(default_factory=dict)
    drops: dict[str, list[int]] = field(default_factory=dict)  # path → bytes sent before closing
    statuses: dict[str, int] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    ignore_range: bool = False
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    port: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/mirror"

    def etag(self, path: str) -> str:
        return '"' + hashlib.sha256(self.files[path]).hexdigest()[:16] + '"'

    def asked(self, path: str) -> list[dict[str, str]]:
        return [headers for asked, headers in self.requests if asked == path]

    def set_feeds(self, *, kev: bytes | None = None, nvd: bytes | None = None) -> None:
        """Serve a full mirror: KEV, EPSS, NVD 2025 + modified (with .meta), Recog."""
        kev = kev if kev is not None else kev_json()
        payload = nvd if nvd is not None else nvd_json()
        gz = gzip.compress(payload, mtime=0)
        self.files["/mirror/kev/known_exploited_vulnerabilities.json"] = kev
        self.files["/mirror/epss/epss_scores-current.csv.gz"] = epss_gz()
        for name in ("2025", "modified"):
            self.files[f"/mirror/nvd/nvdcve-2.0-{name}.json.gz"] = gz
            self.files[f"/mirror/nvd/nvdcve-2.0-{name}.meta"] = nvd_meta(payload, gz)
        self.files["/mirror/recog/recog.tar.gz"] = recog_tarball()


KEV = "/mirror/kev/known_exploited_vulnerabilities.json"
EPSS = "/mirror/epss/epss_scores-current.csv.gz"
NVD = "/mirror/nvd/nvdcve-2.0-2025.json.gz"
NVD_META = "/mirror/nvd/nvdcve-2.0-2025.meta"


def _handler(state: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _empty(self, status: int, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            path = self.path
            headers = dict(self.headers.items())
            if path.startswith("http://"):  # asked as a proxy: the whole address
                headers["X-Proxied-For"] = path
                path = "/" + path.split("/", 3)[3]
            state.requests.append((path, headers))
            if path in state.statuses:
                self._empty(state.statuses[path])
                return
            if path in state.redirects:
                self._empty(302, {"Location": state.redirects[path]})
                return
            if path not in state.files:
                self._empty(404)
                return
            body = state.files[path]
            etag = state.etag(path)
            validators = {"ETag": etag, "Last-Modified": LAST_MODIFIED}
            if self.headers.get("If-None-Match") == etag:
                self._empty(304, validators)
                return
            start = 0
            wanted = self.headers.get("Range", "")
            if_range = self.headers.get("If-Range")
            if (
                wanted.startswith("bytes=")
                and not state.ignore_range
                and if_range in (None, etag, LAST_MODIFIED)
            ):
                start = int(wanted[len("bytes=") :].split("-")[0])
                if start >= len(body):
                    self._empty(416, {"Content-Range": f"bytes */{len(body)}"})
                    return
            segment = body[start:]
            self.send_response(206 if start else 200)
            if start:
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            self.send_header("Content-Length", str(len(segment)))
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", LAST_MODIFIED)
            self.end_headers()
            cut = state.drops.get(path)
            if cut:
                self.wfile.write(segment[: cut.pop(0)])  # then the connection closes
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(segment)

    return Handler


@pytest.fixture(autouse=True)
def english() -> None:
    """Messages are matched in English (the French catalogue translates them)."""
    i18n.set_language("en")


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FeedServer]:
    state = FeedServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("REMPART_FEEDS_BASE_URL", state.base)
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setattr(download, "BACKOFF", 0.0)  # retries at once: the test waits for nothing
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


class Recorder:
    """The real knowledge importer, recording what it was given (copies of the files)."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[str | None, bytes]] = []
        self.fail = fail

    def __call__(self, path: Path, *, kind: str | None = None, **options: Any) -> Any:
        if self.fail:
            raise DataError("the importer refused it")
        self.calls.append((kind, path.read_bytes()))
        return import_path(path, kind=kind, **options)

    @property
    def kinds(self) -> list[str | None]:
        return [kind for kind, _ in self.calls]


def feeds_folder() -> Path:
    return download.feeds_dir()


# --- fetch: streaming, resuming, conditional -----------------------------------------------


def test_a_dropped_connection_is_resumed_with_range_and_the_file_is_identical(
    server: FeedServer, tmp_path: Path
) -> None:
    body = kev_json()
    server.files[KEV] = body
    server.drops[KEV] = [10_000, 25_000]  # two drops in the middle of the body
    dest = tmp_path / "kev.json"
    seen: list[tuple[int, int | None]] = []
    got = fetch(
        server.base + "/kev/known_exploited_vulnerabilities.json",
        dest,
        max_bytes=10**7,
        retries=3,
        progress=lambda _label, done, total: seen.append((done, total)),
    )
    assert dest.read_bytes() == body
    assert got.changed and got.resumed and got.attempts == 3
    ranges = [h.get("Range") for h in server.asked(KEV)]
    assert ranges == [None, "bytes=10000-", "bytes=35000-"]
    assert all(h.get("If-Range") == server.etag(KEV) for h in server.asked(KEV)[1:])
    assert seen[-1] == (len(body), len(body))  # the progress bar ends full
    assert not dest.with_name("kev.json.part").exists()


def test_a_server_that_ignores_range_makes_us_start_over(
    server: FeedServer, tmp_path: Path
) -> None:
    body = kev_json()
    server.files[KEV] = body
    server.drops[KEV] = [12_345]
    server.ignore_range = True
    dest = tmp_path / "kev.json"
    got = fetch(server.base + "/kev/known_exploited_vulnerabilities.json", dest, max_bytes=10**7)
    assert dest.read_bytes() == body  # not 12,345 bytes followed by the whole file again
    assert got.attempts == 2 and not got.resumed
    assert server.asked(KEV)[1].get("Range") == "bytes=12345-"


def test_an_interrupted_run_leaves_a_part_that_the_next_run_resumes(
    server: FeedServer, tmp_path: Path
) -> None:
    body = kev_json()
    server.files[KEV] = body
    server.drops[KEV] = [20_000, 0]
    dest = tmp_path / "kev.json"
    url = server.base + "/kev/known_exploited_vulnerabilities.json"
    with pytest.raises(
        DownloadError, match=r"interrupted .* after 2 attempts.*run the update again"
    ):
        fetch(url, dest, max_bytes=10**7, retries=1)
    assert not dest.exists()
    assert dest.with_name("kev.json.part").stat().st_size == 20_000
    fetch(url, dest, max_bytes=10**7, retries=0)
    assert dest.read_bytes() == body
    assert server.asked(KEV)[-1].get("Range") == "bytes=20000-"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full")
def test_a_full_disk_is_reported_at_once_not_retried_as_a_drop(
    server: FeedServer, tmp_path: Path
) -> None:
    server.files[KEV] = kev_json()
    dest = tmp_path / "kev.json"
    dest.with_name("kev.json.part").symlink_to("/dev/full")  # every write: ENOSPC
    with pytest.raises(DownloadError, match=r"Cannot write into .*: No space left on device"):
        fetch(server.base + "/kev/known_exploited_vulnerabilities.json", dest, max_bytes=10**7)
    assert len(server.asked(KEV)) == 1
    assert not dest.exists()


def test_a_file_larger_than_its_cap_is_refused_and_removed(
    server: FeedServer, tmp_path: Path
) -> None:
    server.files[KEV] = kev_json()
    dest = tmp_path / "kev.json"
    with pytest.raises(DownloadError, match="larger than"):
        fetch(server.base + "/kev/known_exploited_vulnerabilities.json", dest, max_bytes=1000)
    assert not dest.exists() and not dest.with_name("kev.json.part").exists()


def test_a_redirect_to_a_file_address_is_refused(server: FeedServer, tmp_path: Path) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text("{}")
    server.redirects[KEV] = secret.as_uri()
    with pytest.raises(DownloadError, match=r"redirects to file:.*only http and https"):
        fetch(
            server.base + "/kev/known_exploited_vulnerabilities.json",
            tmp_path / "k",
            max_bytes=10**6,
        )
    assert not (tmp_path / "k").exists()


def test_an_http_redirect_is_followed(server: FeedServer, tmp_path: Path) -> None:
    server.files["/dated/epss_scores-2026-11-27.csv.gz"] = epss_gz()
    server.redirects[EPSS] = "/dated/epss_scores-2026-11-27.csv.gz"
    dest = tmp_path / "epss.csv.gz"
    fetch(server.base + "/epss/epss_scores-current.csv.gz", dest, max_bytes=10**6)
    assert dest.read_bytes() == epss_gz()


@pytest.mark.parametrize("url", ["file:///etc/passwd", "http://127.0.0.1:99999/kev.json"])
def test_a_non_http_address_is_refused_before_any_connection(url: str, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="not a valid http or https address"):
        fetch(url, tmp_path / "x", max_bytes=10**6)


def test_the_proxy_of_the_environment_is_used_with_its_credentials(
    server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.files[KEV] = kev_json()
    monkeypatch.setenv("http_proxy", f"http://rempart:s%40cret@127.0.0.1:{server.port}")
    # The feed's own host is unreachable (port 1): only the proxy can answer.
    url = "http://127.0.0.9:1/mirror/kev/known_exploited_vulnerabilities.json"
    fetch(url, tmp_path / "kev.json", max_bytes=10**7)
    assert (tmp_path / "kev.json").read_bytes() == server.files[KEV]
    asked = server.asked(KEV)[0]
    assert asked["X-Proxied-For"] == url
    assert asked["Proxy-Authorization"] == "Basic " + base64.b64encode(b"rempart:s@cret").decode()


def test_no_proxy_bypasses_the_proxy(
    server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.files[KEV] = kev_json()
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:1")  # a proxy that is not there
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    fetch(
        server.base + "/kev/known_exploited_vulnerabilities.json", tmp_path / "k", max_bytes=10**7
    )
    assert "X-Proxied-For" not in server.asked(KEV)[0]


# --- update: all feeds, incremental, verified ----------------------------------------------


def test_a_full_update_fetches_and_imports_every_feed_then_nothing_the_second_time(
    server: FeedServer,
) -> None:
    server.set_feeds()
    importer = Recorder()
    first = update(years=(2025, 2025), importer=importer)
    assert first.ok, first.errors
    assert [(o.kind, o.name, o.status) for o in first.outcomes] == [
        ("nvd", "2025", "imported"),
        ("nvd", "modified", "imported"),
        ("kev", "kev", "imported"),
        ("epss", "epss", "imported"),
        ("recog", "recog", "imported"),
    ]
    assert importer.kinds == ["nvd", "nvd", "kev", "epss"]  # Recog goes to its own importer
    assert importer.calls[2][1] == server.files[KEV]
    assert importer.calls[0][1] == server.files[NVD]
    from rempart.discover.fingerprints import load_fingerprints

    assert load_fingerprints().match("ssh.banner", "SSH-2.0-OpenSSH_7.4") is not None
    before = len(server.requests)

    second = update(years=(2025, 2025), importer=importer)
    assert second.ok
    assert {o.status for o in second.outcomes} == {"unchanged"}
    assert len(importer.calls) == 4  # nothing imported again
    again = server.requests[before:]
    # NVD: only the .meta files; the others: one conditional request each, answered 304.
    assert sorted(path for path, _ in again) == sorted(
        [NVD_META, "/mirror/nvd/nvdcve-2.0-modified.meta", KEV, EPSS, "/mirror/recog/recog.tar.gz"]
    )
    assert server.asked(KEV)[-1].get("If-None-Match") == server.etag(KEV)


def test_a_changed_feed_is_fetched_again(server: FeedServer) -> None:
    server.set_feeds()
    importer = Recorder()
    update(["kev", "nvd"], years=(2025, 2025), importer=importer)
    server.set_feeds(kev=kev_json(version="2026.11.28"), nvd=nvd_json(count=21))
    report = update(["kev", "nvd"], years=(2025, 2025), importer=importer)
    assert [o.status for o in report.outcomes] == ["imported", "imported", "imported"]
    assert importer.calls[-1][1] == server.files[KEV]


def test_a_wrong_sha256_in_the_meta_imports_nothing_and_removes_the_download(
    server: FeedServer,
) -> None:
    server.set_feeds()
    server.files[NVD_META] = nvd_meta(b"x", b"x", sha256="AB" * 32)
    importer = Recorder()
    report = update(["nvd"], years=(2025, 2025), importer=importer)
    failed = report.outcomes[0]
    assert failed.status == "failed"
    assert failed.error is not None and "does not match the sha256" in failed.error
    assert "\n" not in failed.error
    assert report.outcomes[1].status == "imported"  # the other feeds still come in
    assert importer.calls == [("nvd", server.files["/mirror/nvd/nvdcve-2.0-modified.json.gz"])]
    assert not list(feeds_folder().glob("nvdcve-2.0-2025*"))  # no .part, no file
    # Fixed upstream: the next update fetches it (the failure was not recorded as done).
    server.set_feeds()
    again = update(["nvd"], years=(2025, 2025), importer=importer)
    assert [o.status for o in again.outcomes] == ["imported", "unchanged"]


def test_a_meta_that_is_not_a_meta_is_a_clear_error(server: FeedServer) -> None:
    server.set_feeds()
    server.files[NVD_META] = b"<html>Maintenance</html>"
    report = update(["nvd"], years=(2025, 2025), importer=Recorder())
    assert "is not an NVD .meta file" in (report.outcomes[0].error or "")


def test_a_truncated_download_without_retries_left_imports_nothing(server: FeedServer) -> None:
    server.set_feeds()
    server.drops[KEV] = [5000] * 10
    importer = Recorder()
    report = update(["kev"], importer=importer)
    assert report.outcomes[0].status == "failed"
    assert "interrupted" in (report.outcomes[0].error or "")
    assert importer.calls == []


def test_http_errors_are_one_clear_line(server: FeedServer) -> None:
    server.set_feeds()
    server.statuses[KEV] = 500
    del server.files[EPSS]
    report = update(["kev", "epss"], importer=Recorder())
    kev, epss = report.outcomes
    assert kev.error is not None and "HTTP 500" in kev.error and "try again later" in kev.error
    assert epss.error is not None and "not found (HTTP 404)" in epss.error


def test_a_failed_import_is_fetched_again_next_time(server: FeedServer) -> None:
    server.set_feeds()
    failed = update(["kev"], importer=Recorder(fail=True))
    assert failed.errors == ("the importer refused it",)
    importer = Recorder()
    again = update(["kev"], importer=importer)
    assert again.outcomes[0].status == "imported"
    assert "If-None-Match" not in server.asked(KEV)[-1]


def test_two_updates_never_run_at_once(server: FeedServer) -> None:
    server.set_feeds()
    with download.update_lock(feeds_folder()), pytest.raises(DataError, match="Another"):
        update(["kev"], importer=Recorder())
    assert server.requests == []
    assert update(["kev"], importer=Recorder()).ok  # the lock went with the first run


# --- verification helpers ------------------------------------------------------------------


def test_parse_meta_reads_nvd_layout() -> None:
    meta = parse_meta(nvd_meta(b"{}", b"gz"))
    assert meta.sha256 == hashlib.sha256(b"{}").hexdigest()
    assert meta.size == 2 and meta.last_modified == "2026-11-27T03:00:01-05:00"


def test_verify_sha256_accepts_the_file_or_its_uncompressed_content(tmp_path: Path) -> None:
    payload = nvd_json(2)
    path = tmp_path / "feed.json.gz"
    path.write_bytes(gzip.compress(payload))
    verify_sha256(path, hashlib.sha256(payload).hexdigest().upper())
    verify_sha256(path, hashlib.sha256(path.read_bytes()).hexdigest())
    with pytest.raises(DownloadError, match="does not match its sha256"):
        verify_sha256(path, "0" * 64)
    with pytest.raises(UsageError, match="not a SHA-256"):
        verify_sha256(path, "xyz")


def test_recog_extraction_keeps_only_xml_files_inside_the_folder(tmp_path: Path) -> None:
    archive = tmp_path / "recog.tar.gz"
    archive.write_bytes(recog_tarball(hostile=True))
    out = extract_recog(archive, tmp_path / "out" / "xml")
    assert sorted(p.name for p in out.iterdir()) == ["LICENSE", "ssh_banners.xml"]
    assert not list(tmp_path.rglob("escaped*"))


def test_a_broken_recog_archive_is_a_clear_error(tmp_path: Path) -> None:
    archive = tmp_path / "recog.tar.gz"
    archive.write_bytes(recog_tarball()[:500])
    with pytest.raises(DownloadError, match=r"not a readable tar\.gz"):
        extract_recog(archive, tmp_path / "out")


# --- settings ------------------------------------------------------------------------------


def test_feeds_toml_points_feeds_elsewhere_and_rejects_other_schemes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("REMPART_FEEDS_BASE_URL", raising=False)
    assert load_feed_settings() == FeedSettings()
    path = tmp_path / "feeds.toml"
    path.write_text('kev = "http://127.0.0.1:9/kev.json"\nretries = 2\n')
    settings = load_feed_settings(path)
    assert settings.kev == "http://127.0.0.1:9/kev.json" and settings.retries == 2
    for wrong in ("file:///etc/passwd", "http://127.0.0.1:http/kev.json", "https://"):
        path.write_text(f'kev = "{wrong}"\n')
        with pytest.raises(RempartError, match=r"not an http or https address: fix it in .*feeds"):
            load_feed_settings(path)
    path.write_text("kev = [")
    with pytest.raises(RempartError, match="not valid TOML"):
        load_feed_settings(path)

"""`rempart data update`, `rempart data import PATH` and `rempart data status`, through the CLI,
against the loopback feed server of ``tests/vulns/test_download.py`` and the real knowledge store.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from rempart.cli.main import app
from rempart.vulns.store import KnowledgeBase
from tests.vulns.test_download import (  # the server fixture and the synthetic feeds
    EPSS,
    KEV,
    NVD_META,
    FeedServer,
    kev_json,
    nvd_json,
    nvd_meta,
    recog_tarball,
    server,
)

__all__ = ["server"]  # a fixture used by name below


def run(*args: str) -> Result:
    return CliRunner().invoke(app, ["--lang", "en", "data", *args])


def knowledge() -> dict[str, object]:
    base = KnowledgeBase.open()
    assert base is not None
    with base:
        stats = base.stats()
    stats.pop("feeds")
    return stats


def one_error_line(result: Result) -> str:
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


def test_update_imports_every_feed_then_finds_nothing_new(server: FeedServer) -> None:
    server.set_feeds()
    result = run("update", "--years", "2025")
    assert result.exit_code == 0, result.output
    assert "NVD 2025: imported 20 CVEs." in result.stdout
    assert "KEV: imported 300 known-exploited vulnerabilities." in result.stdout
    assert "EPSS: imported 50 EPSS scores." in result.stdout
    assert re.search(r"Recog: [1-9]\d* fingerprints \(1 files\)\.", result.stdout)
    assert "Vulnerability knowledge: 20 CVEs, 300 known exploited (100 used by ransomware)" in (
        result.stdout
    )
    stats = knowledge()
    assert (stats["cves"], stats["kev"], stats["epss"]) == (20, 300, 50)
    downloads = len(server.requests)

    again = run("update", "--years", "2025")
    assert again.exit_code == 0, again.output
    assert again.stdout.count("already up to date") == 5
    bodies = [p for p, _ in server.requests[downloads:] if not p.endswith(".meta")]
    assert all("If-None-Match" in h for p, h in server.requests[downloads:] if p in bodies)

    status = run("status")
    assert status.exit_code == 0, status.output
    assert "Vulnerability knowledge" in status.stdout
    rows = {line.split()[1]: line for line in status.stdout.splitlines() if line[:1] == "│"}
    assert "300 (100 ransomware)" in rows["CISA"]
    assert "2026.11.27" in rows["CISA"]  # the KEV catalogue's version
    assert " 20 " in rows["NVD"] and " 50 " in rows["EPSS"]


def test_a_removed_knowledge_store_is_filled_again(server: FeedServer) -> None:
    server.set_feeds()
    assert run("update", "--only", "kev", "--only", "nvd", "--years", "2025").exit_code == 0
    base = KnowledgeBase.open()
    assert base is not None
    base.path.unlink()  # removed by hand, or by an upgrade
    base.close()
    result = run("update", "--only", "kev", "--only", "nvd", "--years", "2025")
    assert result.exit_code == 0, result.output
    assert "already up to date" not in result.stdout
    stats = knowledge()
    assert (stats["cves"], stats["kev"]) == (20, 300)


def test_only_fetches_the_feeds_asked_for(server: FeedServer) -> None:
    server.set_feeds()
    result = run("update", "--only", "kev", "--only", "epss")
    assert result.exit_code == 0, result.output
    assert {p for p, _ in server.requests} == {KEV, EPSS}


def test_a_truncated_kev_json_keeps_the_previous_knowledge(server: FeedServer) -> None:
    server.set_feeds()
    assert run("update", "--only", "kev").exit_code == 0
    before = knowledge()
    server.files[KEV] = kev_json(version="2026.11.28")[:-400]  # cut inside the JSON
    result = run("update", "--only", "kev")
    assert result.exit_code == 1
    line = one_error_line(result)
    assert "KEV" in line or "kev" in line
    assert knowledge() == before


def test_a_wrong_hash_keeps_the_previous_knowledge_and_other_feeds_still_update(
    server: FeedServer,
) -> None:
    server.set_feeds()
    assert run("update", "--years", "2025", "--only", "nvd").exit_code == 0
    before = knowledge()
    server.set_feeds(nvd=nvd_json(count=30))
    server.files[NVD_META] = nvd_meta(b"other", b"other")  # a hash that is not the file's
    server.files.pop("/mirror/nvd/nvdcve-2.0-modified.meta")
    server.files.pop("/mirror/nvd/nvdcve-2.0-modified.json.gz")
    server.files[NVD_META.replace("2025", "modified")] = nvd_meta(b"x", b"x")
    result = run("update", "--years", "2025", "--only", "nvd", "--only", "kev")
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 2 and all(e.startswith("Error: ") for e in errors)
    assert "does not match the sha256 of its .meta file" in errors[0]
    assert "KEV: imported 300" in result.stdout
    after = knowledge()
    assert after["cves"] == before["cves"] == 20
    assert after["kev"] == 300


def test_an_interrupted_download_is_resumed_by_the_cli(server: FeedServer) -> None:
    server.set_feeds()
    server.drops[KEV] = [30_000]
    result = run("update", "--only", "kev")
    assert result.exit_code == 0, result.output
    assert [h.get("Range") for h in server.asked(KEV)] == [None, "bytes=30000-"]
    assert knowledge()["kev"] == 300


def test_a_server_error_is_one_line(server: FeedServer) -> None:
    server.set_feeds()
    server.statuses[KEV] = 503
    result = run("update", "--only", "kev")
    assert result.exit_code == 1
    assert "HTTP 503" in one_error_line(result)
    assert KnowledgeBase.open() is None  # nothing half-imported


def test_wrong_options_are_one_line(server: FeedServer) -> None:
    result = run("update", "--years", "1999-2005")
    assert result.exit_code == 2
    assert "--years" in one_error_line(result)
    result = run("update", "--only", "osv")
    assert result.exit_code == 2
    assert "Unknown feed 'osv'" in one_error_line(result)
    assert server.requests == []


def test_import_checks_the_hash_then_imports_a_file(tmp_path: Path) -> None:
    payload = nvd_json(count=7)
    path = tmp_path / "nvdcve-2.0-2025.json.gz"
    path.write_bytes(gzip.compress(payload))
    wrong = run("import", str(path), "--sha256", "0" * 64)
    assert wrong.exit_code == 1
    assert "SHA-256" in one_error_line(wrong) or "sha256" in one_error_line(wrong)
    assert KnowledgeBase.open() is None
    meta_hash = hashlib.sha256(payload).hexdigest().upper()  # as NVD's .meta gives it
    result = run("import", str(path), "--sha256", meta_hash)
    assert result.exit_code == 0, result.output
    assert "imported 7 CVEs" in result.stdout
    assert knowledge()["cves"] == 7


def test_import_a_recog_archive(tmp_path: Path) -> None:
    archive = tmp_path / "recog-main.tar.gz"
    archive.write_bytes(recog_tarball(hostile=True))
    result = run("import", str(archive))
    assert result.exit_code == 0, result.output
    assert "fingerprints (1 files)" in result.stdout
    from rempart.discover.fingerprints import load_fingerprints

    assert load_fingerprints().match("ssh.banner", "SSH-2.0-OpenSSH_7.4") is not None


@pytest.mark.parametrize(
    ("content", "words"),
    [(b"", "not a feed"), (b'{"vulnerabilities": [', "")],
)
def test_import_of_a_bad_file_is_one_line(tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "feed.json"
    path.write_bytes(content)
    result = run("import", str(path))
    assert result.exit_code != 0
    assert words in one_error_line(result)
    assert KnowledgeBase.open() is None


def test_import_of_a_missing_file_is_one_line(tmp_path: Path) -> None:
    result = run("import", str(tmp_path / "absent.json"))
    assert result.exit_code == 1
    assert "does not exist" in one_error_line(result)


def test_a_feed_address_that_is_not_http_is_one_line(server: FeedServer) -> None:
    from rempart.vulns.sources import feeds_file

    feeds_file().write_text('kev = "ftp://127.0.0.1/kev.json"\n', encoding="utf-8")
    result = run("update", "--only", "kev")
    assert result.exit_code == 1
    assert "not an http or https address" in one_error_line(result)
    assert server.requests == []

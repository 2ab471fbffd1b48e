"""NVD CVE 2.0: real records import and match the versions their configurations say; bad
feeds (truncated, wrong schema, wrong hash, cut mid-write) change nothing."""

from __future__ import annotations

import gzip
import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from rempart import i18n
from rempart.core.errors import DataError
from rempart.vulns.feeds.cpe import cpe_match_applies
from rempart.vulns.importing import import_path
from rempart.vulns.store import KnowledgeBase
from tests.support import shared_data

RECORDS = ("nvd", "records")


@pytest.fixture(autouse=True)
def english() -> None:
    """Messages are asserted in English (the msgids); French is the catalogue's business."""
    i18n.set_language("en")


def _records() -> list[Path]:
    return sorted(shared_data(*RECORDS).glob("CVE-*.json"))


def _kb() -> KnowledgeBase:
    kb = KnowledgeBase.open()
    assert kb is not None
    return kb


def _applies(kb: KnowledgeBase, cve_id: str, vendor: str, product: str, version: str) -> bool:
    rows = [r for r in kb.candidates(vendor, product) if r.cve_id == cve_id]
    assert rows, f"{cve_id} has no row for {vendor}:{product}"
    return any(cpe_match_applies(r, version) for r in rows)


def test_each_record_file_imports_with_its_matches() -> None:
    records = _records()
    assert len(records) == 35
    for path in records:
        report = import_path(path)
        assert report.cves == 1, path
        expected = json.loads(path.read_text(encoding="utf-8"))
        with _kb() as kb:
            row = kb.cve(expected["id"])
            assert row is not None
            assert row.last_modified == expected["lastModified"]
    with _kb() as kb:
        assert kb.stats()["cves"] == 35


@pytest.mark.parametrize(
    ("cve_id", "vendor", "product", "inside", "outside"),
    [
        ("CVE-2018-15473", "openbsd", "openssh", ["7.4", "7.7", "5.9"], ["7.8", "8.0p1"]),
        ("CVE-2024-6387", "openbsd", "openssh", ["9.2p1", "8.6", "8.5p1", "4.3"], ["7.4", "9.9"]),
        ("CVE-2021-41773", "apache", "http_server", ["2.4.49"], ["2.4.48", "2.4.50"]),
        ("CVE-2021-42013", "apache", "http_server", ["2.4.49", "2.4.50"], ["2.4.51", "2.4.48"]),
        (
            "CVE-2021-28799",
            "qnap",
            "hybrid_backup_sync",
            ["3.0.210411", "16.0.0418"],
            ["16.0.0419", "17.0"],
        ),
        ("CVE-2016-6210", "openbsd", "openssh", ["7.2p2", "6.6"], ["7.3", "7.4"]),
        ("CVE-2023-38408", "openbsd", "openssh", ["9.3p1", "8.9"], ["9.3p2", "9.4"]),
        ("CVE-2024-1709", "connectwise", "screenconnect", ["23.9.7"], ["23.9.8"]),
        ("CVE-2011-2523", "vsftpd_project", "vsftpd", ["2.3.4"], ["2.3.5", "3.0.3"]),
    ],
)
def test_records_with_ranges_match_inside_and_not_outside(
    cve_id: str, vendor: str, product: str, inside: list[str], outside: list[str]
) -> None:
    import_path(shared_data(*RECORDS, f"{cve_id}.json"))
    with _kb() as kb:
        for version in inside:
            assert _applies(kb, cve_id, vendor, product, version), version
        for version in outside:
            assert not _applies(kb, cve_id, vendor, product, version), version


def test_qnap_platform_rows_are_kept_but_not_vulnerable() -> None:
    import_path(shared_data(*RECORDS, "CVE-2021-28799.json"))
    with _kb() as kb:
        platforms = kb.candidates("qnap", "qts")
        assert platforms and not any(r.vulnerable for r in platforms)
        assert not any(cpe_match_applies(r, "4.5.2") for r in platforms)


def test_feed_shaped_sample_imports_all_records_with_cvss() -> None:
    report = import_path(shared_data("nvd", "nvdcve-2.0-sample.json"))
    assert report.cves == 35
    with _kb() as kb:
        assert kb.stats()["cves"] == 35
        regresshion = kb.cve("CVE-2024-6387")
        assert regresshion is not None
        assert regresshion.cvss_score == 8.1
        assert regresshion.cvss_severity == "HIGH"
        assert regresshion.cvss_vector and regresshion.cvss_vector.startswith("CVSS:3.1/")
        assert regresshion.description_en and "sshd" in regresshion.description_en


def test_gz_and_zip_feeds_import(tmp_path: Path) -> None:
    sample = shared_data("nvd", "nvdcve-2.0-sample.json").read_bytes()
    packed = tmp_path / "nvdcve-2.0-recent.json.gz"
    packed.write_bytes(gzip.compress(sample))
    assert import_path(packed).cves == 35
    zipped = tmp_path / "nvdcve-2.0-recent.json.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("nvdcve-2.0-recent.json", sample)
    assert import_path(zipped).cves == 35


def _envelope(records: list[dict[str, object]], **header: object) -> dict[str, object]:
    base: dict[str, object] = {
        "resultsPerPage": len(records),
        "startIndex": 0,
        "totalResults": len(records),
        "format": "NVD_CVE",
        "version": "2.0",
        "timestamp": "2026-11-28T16:00:00.000",
    }
    base.update(header)
    base["vulnerabilities"] = [{"cve": r} for r in records]
    return base


def _record(cve_id: str, modified: str, end: str) -> dict[str, object]:
    return {
        "id": cve_id,
        "published": "2024-01-01T00:00:00.000",
        "lastModified": modified,
        "descriptions": [{"lang": "en", "value": f"test {end}"}],
        "configurations": [
            {
                "nodes": [
                    {
                        "operator": "OR",
                        "negate": False,
                        "cpeMatch": [
                            {
                                "vulnerable": True,
                                "criteria": "cpe:2.3:a:acme:imaging:*:*:*:*:*:*:*:*",
                                "versionEndExcluding": end,
                            }
                        ],
                    }
                ]
            }
        ],
    }


def _write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_incremental_import_keeps_the_newer_record(tmp_path: Path) -> None:
    first = _envelope(
        [
            _record("CVE-2030-0001", "2030-01-02T00:00:00.000", "2.0"),
            _record("CVE-2030-0002", "2030-01-02T00:00:00.000", "2.0"),
        ]
    )
    import_path(_write(tmp_path / "a.json", first))
    update = _envelope(
        [
            _record("CVE-2030-0001", "2030-02-01T00:00:00.000", "3.0"),  # newer: replaces
            _record("CVE-2030-0002", "2029-12-01T00:00:00.000", "1.0"),  # older: ignored
            _record("CVE-2030-0003", "2030-02-01T00:00:00.000", "1.0"),  # new
        ]
    )
    report = import_path(_write(tmp_path / "b.json", update))
    assert report.files[0].written == 2
    with _kb() as kb:
        assert kb.stats()["cves"] == 3
        rows = {r.cve_id: r for r in kb.candidates("acme", "imaging")}
        assert len(kb.candidates("acme", "imaging")) == 3  # old rows of CVE-2030-0001 gone
        assert rows["CVE-2030-0001"].version_end_excluding == "3.0"
        assert rows["CVE-2030-0002"].version_end_excluding == "2.0"


def _import_good_sample() -> None:
    import_path(shared_data("nvd", "nvdcve-2.0-sample.json"))


def _still_answers() -> None:
    with _kb() as kb:
        assert kb.stats()["cves"] == 35
        assert _applies(kb, "CVE-2018-15473", "openbsd", "openssh", "7.4")


def test_truncated_feed_is_refused_and_previous_knowledge_answers(tmp_path: Path) -> None:
    _import_good_sample()
    data = json.dumps(
        _envelope([_record(f"CVE-2031-{n:04d}", "2031-01-01", "1") for n in range(1, 500)])
    )
    cut = tmp_path / "cut.json"
    cut.write_text(data[: len(data) * 3 // 4], encoding="utf-8")
    with pytest.raises(DataError, match="truncated"):
        import_path(cut)
    _still_answers()
    with _kb() as kb:
        assert kb.cve("CVE-2031-0001") is None  # nothing of the bad file was kept


def test_gz_cut_mid_download_is_refused(tmp_path: Path) -> None:
    _import_good_sample()
    whole = gzip.compress(shared_data("nvd", "nvdcve-2.0-sample.json").read_bytes())
    cut = tmp_path / "nvdcve-2.0-modified.json.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DataError, match="truncated"):
        import_path(cut)
    _still_answers()


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ({"format": "NVD_CPE"}, "format is 'NVD_CPE'"),
        ({"version": "1.1"}, "version is '1.1'"),
        ({"totalResults": 5, "resultsPerPage": 5}, "announces 5 records but holds 2"),
    ],
)
def test_wrong_schema_header_is_refused(
    tmp_path: Path, header: dict[str, object], message: str
) -> None:
    _import_good_sample()
    records = [_record("CVE-2032-0001", "2032", "1"), _record("CVE-2032-0002", "2032", "1")]
    bad = _write(tmp_path / "bad.json", _envelope(records, **header))
    with pytest.raises(DataError, match=message):
        import_path(bad, kind="nvd")
    _still_answers()


def test_record_without_id_is_named_by_its_position(tmp_path: Path) -> None:
    _import_good_sample()
    records = [_record(f"CVE-2033-{n:04d}", "2033", "1") for n in range(1, 1300)]
    del records[1202]["id"]
    bad = _write(tmp_path / "noid.json", _envelope(records))
    with pytest.raises(DataError, match="record 1,203: no id"):
        import_path(bad)
    _still_answers()
    with _kb() as kb:
        assert kb.cve("CVE-2033-0001") is None


def test_record_with_wrong_types_is_refused(tmp_path: Path) -> None:
    record = _record("CVE-2034-0001", "2034", "1")
    record["configurations"] = {"nodes": "no"}
    with pytest.raises(DataError, match="record 1: 'configurations' is not a list"):
        import_path(_write(tmp_path / "types.json", _envelope([record])))
    assert KnowledgeBase.open() is None


def test_wrong_hash_is_refused_and_right_hash_accepted(tmp_path: Path) -> None:
    _import_good_sample()
    path = _write(tmp_path / "x.json", _envelope([_record("CVE-2035-0001", "2035", "1")]))
    with pytest.raises(DataError, match="SHA-256"):
        import_path(path, sha256="0" * 64)
    _still_answers()
    with _kb() as kb:
        assert kb.cve("CVE-2035-0001") is None
    good = hashlib.sha256(path.read_bytes()).hexdigest()
    assert import_path(path, sha256=good.upper()).cves == 1


def test_meta_file_beside_a_gz_feed_is_checked_against_the_json(tmp_path: Path) -> None:
    raw = json.dumps(_envelope([_record("CVE-2036-0001", "2036", "1")])).encode()
    feed = tmp_path / "nvdcve-2.0-2036.json.gz"
    feed.write_bytes(gzip.compress(raw))
    meta = tmp_path / "nvdcve-2.0-2036.meta"
    meta.write_text(f"lastModifiedDate:2036\nsize:{len(raw)}\nsha256:{'ab' * 32}\n")
    with pytest.raises(DataError, match="SHA-256"):
        import_path(feed)
    assert KnowledgeBase.open() is None
    meta.write_text(f"size:{len(raw)}\nsha256:{hashlib.sha256(raw).hexdigest().upper()}\n")
    assert import_path(feed).cves == 1


def test_folder_imports_every_feed_or_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "feeds"
    folder.mkdir()
    _write(folder / "a.json", _envelope([_record("CVE-2037-0001", "2037", "1")]))
    (folder / "kev.json").write_bytes(shared_data("kev-2025-08-25.json").read_bytes())
    (folder / "README.md").write_text("not a feed")
    report = import_path(folder)
    assert (report.cves, report.kev) == (1, 1404)
    (folder / "z.json").write_text('{"vulnerabilities": [', encoding="utf-8")
    _write(folder / "b.json", _envelope([_record("CVE-2037-0002", "2037", "1")]))
    with pytest.raises(DataError, match=r"z\.json"):
        import_path(folder)
    with _kb() as kb:
        assert kb.cve("CVE-2037-0002") is None  # b.json was read, but z.json failed
        assert kb.cve("CVE-2037-0001") is not None


def test_progress_reaches_the_file_size() -> None:
    calls: list[tuple[int, int]] = []
    path = shared_data("nvd", "nvdcve-2.0-sample.json")
    import_path(path, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (path.stat().st_size, path.stat().st_size)
    assert all(done <= total for done, total in calls)


def test_unknown_content_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0 not a feed")
    with pytest.raises(DataError, match="not a feed"):
        import_path(path)


def test_records_cut_by_every_read_boundary_import_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The feed is read a window at a time: an item, a string, an escape or a number cut by
    the end of a read is decoded whole once the next read has come."""
    from rempart.vulns.feeds import nvd

    sample = shared_data("nvd", "nvdcve-2.0-sample.json")
    expected = {r.id: r for r in nvd.NvdFeed(sample).records()}
    assert len(expected) == 35
    for size in (1, 7, 4096):
        monkeypatch.setattr(nvd, "WINDOW_READ", size)
        got = {r.id: r for r in nvd.NvdFeed(sample).records()}
        assert got == expected, size


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda t: t.replace('"CVE-2035-0700",', '"CVE-2035-0700" "x",', 1), "record 700"),
        (lambda t: t + ' {"more": 1}', "data after the end"),
        (lambda t: t.replace('}, {"cve"', '} {"cve"', 1), "expected ','"),
    ],
)
def test_broken_json_mid_file_is_refused_with_where(
    tmp_path: Path, mangle: object, message: str
) -> None:
    _import_good_sample()
    records = [_record(f"CVE-2035-{n:04d}", "2035", "1") for n in range(1, 1000)]
    text = json.dumps(_envelope(records))
    bad = tmp_path / "broken.json"
    bad.write_text(mangle(text), encoding="utf-8")  # type: ignore[operator]
    with pytest.raises(DataError, match=message) as caught:
        import_path(bad)
    assert "not valid" in str(caught.value) or "not a valid" in str(caught.value)
    _still_answers()
    with _kb() as kb:
        assert kb.cve("CVE-2035-0001") is None

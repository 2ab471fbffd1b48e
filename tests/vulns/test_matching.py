"""Matching a service to CVEs: confirmed when the exact version is unpatched, probable (and
why) when the network cannot prove it, nothing on an unknown version, most urgent first."""

from __future__ import annotations

import gzip
from pathlib import Path

from rempart.core.model import Asset, Service
from rempart.core.observations import (
    FtpObservation,
    HttpObservation,
    RdpObservation,
    SmbObservation,
    SshObservation,
)
from rempart.vulns.curated import Bilingual
from rempart.vulns.importing import import_path
from rempart.vulns.matching import (
    VulnMatch,
    VulnMatcher,
    default_matcher,
    match_service,
    priority_key,
    version_key,
)
from rempart.vulns.store import KnowledgeBase
from tests.checks.practice import demo_assets
from tests.support import shared_data

OPENSSH_74 = {
    "CVE-2018-15473",
    "CVE-2018-20685",
    "CVE-2020-15778",
    "CVE-2021-41617",
    "CVE-2023-38408",
    "CVE-2023-48795",
}
MS17_010 = {f"CVE-2017-014{n}" for n in range(3, 9)}


def _by_id(service: Service, **kwargs: object) -> dict[str, VulnMatch]:
    return {m.cve_id: m for m in match_service(service, **kwargs)}  # type: ignore[arg-type]


def _demo(address: str, port: int) -> tuple[Asset, Service]:
    for asset in demo_assets():
        service = asset.service(port)
        if asset.address == address and service is not None:
            return asset, service
    raise AssertionError(f"no demo service {address}:{port}")


def _qts(version: str, build: str | None = None) -> Service:
    """A QNAP console as the HTTP probe reports it (authLogin.cgi: version, number, build)."""
    cpe = f"cpe:2.3:o:qnap:qts:{version}:build_{build or '*'}:*:*:*:*:*:*"
    return Service(
        "127.42.0.30",
        8080,
        name="http",
        product="QNAP QTS",
        version=version,
        cpe=cpe if build else None,
        observations=(
            HttpObservation(
                console="QNAP QTS",
                console_kind="nas",
                console_version=version,
                console_cpe=cpe if build else None,
            ),
        ),
    )


def _ssh(banner: str) -> Service:
    software, _, comments = banner.removeprefix("SSH-2.0-").partition(" ")
    product, _, version = software.partition("_")
    return Service(
        "127.0.0.1",
        22,
        name="ssh",
        product=product,
        version=version,
        banner=banner,
        observations=(SshObservation(banner=banner, software=software, comments=comments or None),),
    )


# --- the demo practice --------------------------------------------------------------------


def test_demo_nas_shows_qlocker_and_deadbolt_as_probable_with_the_reason() -> None:
    _, nas = _demo("127.42.0.30", 8080)
    found = _by_id(nas)
    qlocker = found["CVE-2021-28799"]
    assert (qlocker.confidence, qlocker.kev, qlocker.ransomware) == ("probable", True, True)
    assert "HBS 3" in qlocker.reason.en and "HBS 3" in qlocker.reason.fr
    assert "Qlocker" in qlocker.explanation.fr
    assert found["CVE-2022-27593"].confidence == "probable"  # DeadBolt, Photo Station
    assert "4.5.2.1566" in found["CVE-2020-2509"].fixed_version.fr  # type: ignore[union-attr]


def test_qts_number_without_build_is_probable_and_the_full_build_is_confirmed() -> None:
    incomplete = _by_id(_qts("4.5.1"))["CVE-2020-2509"]
    assert incomplete.confidence == "probable"
    assert incomplete.reason_code == "incomplete-version"
    exact = _by_id(_qts("4.5.1.1495", "20201015"))["CVE-2020-2509"]
    assert (exact.confidence, exact.reason_code) == ("confirmed", "in-range")
    assert "4.5.1.1495 build 20201015" in exact.reason.en


def test_qts_fixed_build_of_the_same_number_is_not_matched() -> None:
    found = _by_id(_qts("4.5.1.1495", "20201123"))  # the build QNAP fixed CVE-2020-2509 in
    assert "CVE-2020-2509" not in found
    assert "CVE-2021-28799" in found  # HBS 3 was fixed later (April 2021)


def test_recent_qts_has_none_of_the_curated_flaws() -> None:
    assert match_service(_qts("5.1.0.2466", "20230721")) == ()
    later = _by_id(_qts("4.5.4.1800", "20210923"))
    assert "CVE-2021-28799" not in later and "CVE-2020-2509" not in later
    assert set(later) == {"CVE-2022-27593"}  # Photo Station: fixed only in September 2022


def test_demo_ssh_openssh_74_without_distribution_is_confirmed() -> None:
    _, ssh = _demo("127.42.0.30", 22)
    found = _by_id(ssh)
    assert set(found) == OPENSSH_74
    assert {m.confidence for m in found.values()} == {"confirmed"}
    assert "CVE-2016-10009" not in found  # fixed in 7.4 itself
    assert "CVE-2024-6387" not in found  # regreSSHion starts at 8.5


def test_openssh_with_debian_suffix_is_probable_because_of_backports() -> None:
    found = _by_id(_ssh("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"))
    assert set(found) == {"CVE-2024-6387", "CVE-2023-38408", "CVE-2023-48795"}
    for match in found.values():
        assert match.confidence == "probable"
        assert match.reason_code == "backport"
        assert "Debian-2+deb12u3" in match.reason.en and "distribution" in match.reason.fr


def test_patched_openssh_has_nothing() -> None:
    assert match_service(_ssh("SSH-2.0-OpenSSH_9.8p1")) == ()
    assert match_service(_ssh("SSH-2.0-OpenSSH_10.0")) == ()


def test_unknown_version_never_fires() -> None:
    for version in (None, "", "unknown", "x.y"):
        service = Service("127.0.0.1", 22, name="ssh", product="OpenSSH", version=version)
        assert match_service(service) == (), version
    assert match_service(Service("127.0.0.1", 5938, product="TeamViewer")) == ()
    assert match_service(Service("127.0.0.1", 80, cpe="cpe:/a:openbsd:openssh")) == ()


def test_demo_smbv1_is_ms17_010_probable_and_modern_smb_is_not() -> None:
    _, accueil = _demo("127.42.0.10", 445)
    found = _by_id(accueil)
    assert set(found) == MS17_010
    assert {(m.confidence, m.reason_code) for m in found.values()} == {("probable", "smb1")}
    assert "SMBv1" in found["CVE-2017-0144"].reason.fr
    _, fauteuil = _demo("127.42.0.11", 445)
    assert match_service(fauteuil) == ()


def test_bluekeep_needs_a_known_old_windows() -> None:
    rdp = Service("127.0.0.1", 3389, name="rdp", observations=(RdpObservation(("rdp",)),))

    def host(native_os: str | None) -> Asset:
        smb = Service(
            "127.0.0.1",
            445,
            name="smb",
            observations=(
                SmbObservation(dialects=("NT LM 0.12",), smb1=True, native_os=native_os),
            ),
        )
        return Asset("127.0.0.1", services=(rdp, smb))

    seven = _by_id(rdp, asset=host("Windows 7 Professional 7601 Service Pack 1"))
    assert seven["CVE-2019-0708"].confidence == "probable"
    assert "Windows 7 Professional" in seven["CVE-2019-0708"].reason.en
    assert "CVE-2019-0708" not in _by_id(rdp, asset=host("Windows 10 Pro 19045"))
    assert "CVE-2019-0708" in _by_id(rdp, asset=host("Windows 5.1"))  # XP
    server_2008 = _by_id(rdp, asset=host("Windows Server 2008 R2 Standard 7601 Service Pack 1"))
    assert {"CVE-2019-0708", "CVE-2019-1181", "CVE-2019-1182"} <= set(server_2008)
    # a supported Windows 11 has none of the OS-level flaws, and its SMBv1 (an optional
    # feature) shipped with the MS17-010 fix
    lab = host("Windows 11 Pro 26200")
    assert set(_by_id(rdp, asset=lab)) == set()
    assert set(_by_id(lab.services[1], asset=lab)) == set()
    assert set(_by_id(host("Windows 10 Pro 19045").services[1])) == set()
    # SMBv1 alone decides when the Windows is unknown or older than the fix
    assert set(_by_id(host(None).services[1])) == MS17_010
    old_ten = host("Windows 10 Pro 14393")  # 1607, released before the fix
    assert set(_by_id(old_ten.services[1], asset=old_ten)) == MS17_010
    ghost = host("Windows 10 Pro 18363")
    assert "CVE-2020-0796" in _by_id(ghost.services[1], asset=ghost)  # 1909: SMBGhost
    assert match_service(rdp, asset=host(None)) == ()
    assert match_service(rdp) == ()


def test_server_header_gives_apache_and_its_distribution() -> None:
    def web(server: str) -> Service:
        return Service("127.0.0.1", 80, name="http", observations=(HttpObservation(server=server),))

    plain = _by_id(web("Apache/2.4.49 (Unix)"))
    assert plain["CVE-2021-41773"].confidence == "confirmed"
    assert plain["CVE-2021-42013"].confidence == "confirmed"
    debian = _by_id(web("Apache/2.4.49 (Debian)"))
    assert debian["CVE-2021-41773"].confidence == "probable"
    assert match_service(web("Apache/2.4.62 (Unix)")) == ()
    assert "CVE-2017-7269" in _by_id(web("Microsoft-IIS/6.0"))


def test_vsftpd_backdoor_only_on_234() -> None:
    def ftp(version: str) -> Service:
        banner = f"220 (vsFTPd {version})"
        return Service("127.0.0.1", 21, name="ftp", observations=(FtpObservation(banner=banner),))

    assert _by_id(ftp("2.3.4"))["CVE-2011-2523"].confidence == "confirmed"
    assert match_service(ftp("2.3.5")) == ()


def test_sql_server_is_matched_on_the_engine_build_only() -> None:
    _, sql = _demo("127.42.0.20", 1433)  # 2012 SP4 (11.0.7001): patched
    assert match_service(sql) == ()
    old = Service("127.0.0.1", 1433, product="Microsoft SQL Server", version="11.0.5058")
    assert _by_id(old)["CVE-2015-1763"].confidence == "confirmed"
    bare = Service("127.0.0.1", 1433, cpe="cpe:/a:microsoft:sql_server:2012")
    assert match_service(bare) == ()


def test_hostile_strings_never_crash_and_never_match() -> None:
    for text in ("9" * 5000, "1." * 400, "\x00\ufffd", "cpe:2.3:" + ":" * 3000):
        service = Service(
            "127.0.0.1",
            22,
            product="OpenSSH",
            version=text,
            cpe=text,
            banner=text,
            observations=(SshObservation(banner=text, comments=text), HttpObservation(server=text)),
        )
        assert match_service(service) == ()


def test_version_keys_compare_the_way_vendors_number() -> None:
    assert version_key("7.4p1") == (7, 4, 1)
    assert version_key("4.5.1.1495", "qts", "20201015") == (4, 5, 1, 1495, 20201015)
    assert version_key("7.1-42661-1", "dsm") < version_key("7.1.1-42962", "dsm")  # type: ignore[operator]
    assert version_key("unknown") is None


# --- priority -----------------------------------------------------------------------------


def _fake(
    cve_id: str, *, kev: bool, ransomware: bool, epss: float | None, cvss: float
) -> VulnMatch:
    words = Bilingual("x", "y")
    return VulnMatch(
        cve_id, "confirmed", words, kev, ransomware, epss, cvss, words, words, None, (), "p"
    )


def test_priority_is_ransomware_then_kev_then_epss_then_cvss() -> None:
    matches = [
        _fake("CVE-2000-0001", kev=False, ransomware=False, epss=None, cvss=10.0),
        _fake("CVE-2000-0002", kev=False, ransomware=False, epss=0.5, cvss=5.0),
        _fake("CVE-2000-0003", kev=True, ransomware=False, epss=None, cvss=9.8),
        _fake("CVE-2000-0004", kev=True, ransomware=True, epss=None, cvss=5.9),
        _fake("CVE-2000-0005", kev=False, ransomware=False, epss=0.05, cvss=7.0),
    ]
    ordered = [m.cve_id[-1] for m in sorted(matches, key=priority_key)]
    assert ordered == ["4", "3", "2", "1", "5"]


def test_demo_nas_lists_ransomware_flaws_first() -> None:
    _, nas = _demo("127.42.0.30", 443)
    tiers = [m.tier for m in match_service(nas)]
    assert tiers == sorted(tiers) and tiers[0] == 0


def test_matcher_answers_like_match_service_for_every_demo_service() -> None:
    matcher = VulnMatcher()
    for asset in demo_assets():
        for service in asset.services:
            first = matcher.match(service, asset)
            assert first == match_service(service, asset=asset)
            assert matcher.match(service, asset) == first


# --- with the imported feeds --------------------------------------------------------------


def _knowledge(tmp_path: Path) -> KnowledgeBase:
    db = tmp_path / "vulns.db"
    import_path(shared_data("nvd", "nvdcve-2.0-sample.json"), db_path=db)
    import_path(shared_data("kev-2025-08-25.json"), db_path=db)
    epss = tmp_path / "epss_scores-2025-08-25.csv.gz"
    rows = "CVE-2016-6530,0.31,0.97\nCVE-2018-15473,0.02,0.80\n"
    header = "#model_version:v2025.03.14,score_date:2025-08-25T12:55:00Z\ncve,epss,percentile\n"
    epss.write_bytes(gzip.compress((header + rows).encode()))
    import_path(epss, db_path=db)
    kb = KnowledgeBase.open(db)
    assert kb is not None
    return kb


def test_knowledge_base_adds_uncurated_cves_and_epss(tmp_path: Path) -> None:
    with _knowledge(tmp_path) as kb:
        dicom = Service("127.0.0.1", 104, cpe="cpe:/a:dentsply_sirona:cdr_dicom:5.0")
        found = _by_id(dicom, kb=kb)
        cdr = found["CVE-2016-6530"]  # Dentsply Sirona CDR Dicom default passwords: not curated
        assert (cdr.curated, cdr.confidence, cdr.epss, cdr.cvss) == (False, "confirmed", 0.31, 9.8)
        assert cdr.tier == 2
        _, ssh = _demo("127.42.0.30", 22)
        with_kb = match_service(ssh, kb=kb)
        ids = [m.cve_id for m in with_kb]
        assert len(ids) == len(set(ids))  # CVE-2018-15473 is in NVD and curated: once
        assert set(ids) >= OPENSSH_74
        enumeration = next(m for m in with_kb if m.cve_id == "CVE-2018-15473")
        assert enumeration.curated and enumeration.epss == 0.02


def test_knowledge_base_keeps_curated_reasons_on_the_demo_nas(tmp_path: Path) -> None:
    with _knowledge(tmp_path) as kb:
        _, nas = _demo("127.42.0.30", 8080)
        found = _by_id(nas, kb=kb)
        assert found["CVE-2021-28799"].reason_code == "inferred"
        assert found["CVE-2021-28799"].ransomware


def test_default_matcher_uses_the_imported_store_when_there_is_one() -> None:
    _, ssh = _demo("127.42.0.30", 22)
    bare = default_matcher()  # nothing imported: the curated base alone
    assert bare.kb is None
    assert {m.cve_id for m in bare.match(ssh)} == OPENSSH_74
    import_path(shared_data("kev-2025-08-25.json"))
    fed = default_matcher()
    try:
        assert fed.kb is not None
        assert {m.cve_id for m in fed.match(ssh)} == OPENSSH_74
    finally:
        fed.close()

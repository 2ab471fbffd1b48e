"""The ransomware simulator: every family really encrypts, the way it claims, in its own
process, journals what it touched, and `undo` puts every file back bit for bit."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from rempart.i18n import set_language
from rempart.lab import ransomware
from rempart.lab.ransomware import FAMILIES, NOTE_NAME, decrypt, encrypt, family
from rempart.lab.sandbox import Sandbox, create_sandbox

FILES = 24


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Sandbox:
    return create_sandbox(tmp_path_factory.mktemp("ransom") / "sb", files=FILES, seed=11)


def _wait(condition, timeout: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@pytest.mark.parametrize("name", [f.name for f in FAMILIES])
def test_each_family_encrypts_everything_and_undo_restores_it_bit_for_bit(
    sandbox: Sandbox, name: str
) -> None:
    fam = family(name)
    if fam.other_user and not ransomware.can_run_other_user():
        pytest.skip("the other-user family needs root")
    before = {p: p.read_bytes() for p in sandbox.data_files()}
    attack = ransomware.start_attack(sandbox, fam, interval=0.0)
    assert attack.process.wait(timeout=120) == 0
    records = attack.records()
    start = next(r for r in records if r["op"] == "start")
    assert start["pid"] == attack.pid
    if fam.other_user:
        assert start["uid"] != 0
    assert len(attack.touched()) == FILES
    assert sorted(ransomware.lost_files(sandbox)) == sorted(sandbox.manifest())
    notes = list(sandbox.data.rglob(NOTE_NAME))
    assert len(notes) == (len(sandbox.folders()) if fam.notes else 0)
    if fam.write == "new-delete":
        assert len(list(sandbox.data.rglob("*.locked"))) == FILES
    if fam.write == "rename":
        assert all(not p.exists() for p in before)
    report = ransomware.undo(sandbox)
    assert report.decrypted == FILES and report.regenerated == 0 and not report.unrecovered
    assert report.notes_removed == len(notes)
    assert {p: p.read_bytes() for p in sandbox.data_files()} == before
    assert sandbox.changed() == []
    assert list(sandbox.journal_dir.iterdir()) == [] and list(sandbox.transit.iterdir()) == []
    if fam.other_user:
        assert all(p.stat().st_uid == os.getuid() for p in sandbox.data_files())


def test_partial_families_leave_the_bytes_they_claim_to_leave() -> None:
    key, nonce = os.urandom(32), os.urandom(16)
    data = bytes(range(256)) * 1024  # 256 KiB
    lockfile = encrypt("stripes:16:32", key, nonce, data)
    assert all(lockfile[i + 16 : i + 32] == data[i + 16 : i + 32] for i in range(0, 4096, 32))
    assert all(lockfile[i : i + 16] != data[i : i + 16] for i in range(0, 4096, 32))
    basta = encrypt("stripes:64:192", key, nonce, data)
    assert basta[64:192] == data[64:192] and basta[:64] != data[:64]
    lockbit = encrypt("head:4096", key, nonce, data)
    assert lockbit[4096:] == data[4096:] and lockbit[:4096] != data[:4096]
    intermittent = encrypt("blocks:65536:10", key, nonce, data)
    assert intermittent[65536:] == data[65536:] and intermittent[:65536] != data[:65536]
    b64 = encrypt("base64", key, nonce, data)
    assert set(b64) <= set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
    for pattern, out in (
        ("stripes:16:32", lockfile),
        ("stripes:64:192", basta),
        ("head:4096", lockbit),
        ("blocks:65536:10", intermittent),
        ("base64", b64),
        ("full", encrypt("full", key, nonce, data)),
    ):
        assert decrypt(pattern, key, nonce, out) == data
    with pytest.raises(ValueError):
        decrypt("base64", key, nonce, b"\x00\xff not base64")


def test_a_stopped_attack_costs_only_what_it_touched(tmp_path: Path) -> None:
    sandbox = create_sandbox(tmp_path / "sb", files=30, seed=12)
    attack = ransomware.start_attack(sandbox, family("slow"), interval=0.3)
    assert _wait(lambda: len(attack.touched()) >= 2)
    attack.kill()
    touched = attack.touched()
    assert 2 <= len(touched) < 30
    assert attack.first_write_at() is not None
    lost = ransomware.lost_files(sandbox)
    assert set(lost) <= set(touched) and len(lost) >= len(touched) - 1
    report = ransomware.undo(sandbox)
    assert not report.unrecovered and sandbox.changed() == []


def test_a_file_torn_by_a_kill_is_written_again_from_the_seed(tmp_path: Path) -> None:
    sandbox = create_sandbox(tmp_path / "sb", files=6, seed=13)
    attack = ransomware.start_attack(sandbox, family("overwrite"))
    assert attack.process.wait(timeout=60) == 0
    victim = sandbox.data / next(iter(sandbox.manifest()))
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])  # half written
    report = ransomware.undo(sandbox)
    assert report.decrypted == 5 and report.regenerated == 1 and not report.unrecovered
    assert sandbox.changed() == []


def test_a_canary_is_decrypted_only_if_it_still_holds_what_the_simulator_wrote(
    tmp_path: Path,
) -> None:
    sandbox = create_sandbox(tmp_path / "sb", files=4, seed=14)
    canary = sandbox.data / "!!!_0000_canary.docx"
    canary.write_bytes(b"canary original")
    attack = ransomware.start_attack(sandbox, family("overwrite"))
    assert attack.process.wait(timeout=60) == 0
    assert canary.read_bytes() != b"canary original"
    canary.write_bytes(b"canary put back by the sentinel")
    ransomware.undo(sandbox)
    assert canary.read_bytes() == b"canary put back by the sentinel"


def test_an_unknown_family_is_named_in_one_line() -> None:
    set_language("en")
    with pytest.raises(ransomware.UsageError, match="overwrite, new-delete"):
        family("wannacry")

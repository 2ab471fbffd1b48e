"""Keep policies, forget and prune: old snapshots go, their data with them, the others
restore bit for bit; an immutable storage refuses and the commands say so."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rempart.vault import Repository, run_backup
from rempart.vault.backends.local import LocalBackend
from rempart.vault.check import check
from rempart.vault.errors import RetentionRefused, VaultError
from rempart.vault.model import Snapshot
from rempart.vault.prune import KeepPolicy, apply_policy, forget, prune
from rempart.vault.restore import restore
from tests.vault.conftest import PASSPHRASE, make_repo, reopen, restored_root, snapshot_files


def _snap(name: str, t: datetime) -> Snapshot:
    return Snapshot(name=name, time=t, host="h", user="u", paths=("/p",), tags=(), tree="00")


def test_keep_daily_and_monthly_keep_the_newest_of_each_period() -> None:
    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    snaps = [_snap(f"s{i:03d}", start + timedelta(hours=12 * i)) for i in range(200)]  # ~100 days
    kept, removed = apply_policy(snaps, KeepPolicy(daily=30, monthly=12))
    days = {s.time.astimezone().date() for s in kept}
    assert len(kept) == len(days)  # one per day at most
    newest = snaps[-1]
    assert newest in kept
    # 30 days (10 March to 10 April: March and April already have their newest), plus the
    # newest of January and of February
    newest_of = {(s.time.year, s.time.month): s for s in snaps}
    assert newest_of[(2026, 1)] in kept and newest_of[(2026, 2)] in kept
    assert len(kept) == 32
    assert len(kept) + len(removed) == len(snaps)


def test_keep_last_keeps_exactly_n() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    snaps = [_snap(f"s{i}", start + timedelta(minutes=i)) for i in range(10)]
    kept, _removed = apply_policy(snaps, KeepPolicy(last=3))
    assert [s.name for s in kept] == ["s7", "s8", "s9"]


def test_an_empty_policy_is_refused() -> None:
    with pytest.raises(VaultError, match="--keep-daily"):
        apply_policy([], KeepPolicy())


def test_forget_and_prune_free_space_and_keep_the_rest_restorable(
    repo: Repository, repo_path: Path, source: Path, tmp_path: Path
) -> None:
    snaps = []
    for i in range(4):
        (source / f"scan-{i}.raw").write_bytes(bytes([i]) * 10 + __import__("os").urandom(400_000))
        snaps.append(run_backup(repo, [str(source)]).snapshot)
        (source / f"scan-{i}.raw").unlink()
    expected = snapshot_files(source)
    size_before = sum(p.stat().st_size for p in (repo_path / "data").rglob("*") if p.is_file())
    result = forget(reopen(repo_path), KeepPolicy(last=1))
    assert [s.name for s in result.removed] == [s.name for s in snaps[:3]]
    pruned = prune(reopen(repo_path))
    assert pruned.packs_deleted + pruned.packs_repacked > 0
    size_after = sum(p.stat().st_size for p in (repo_path / "data").rglob("*") if p.is_file())
    assert size_after < size_before - 1_000_000  # the three unique scans are gone
    again = reopen(repo_path)
    assert check(again, read_data=True).ok
    target = tmp_path / "r"
    restore(again, snaps[3], target)
    files = snapshot_files(restored_root(target, source))
    assert files.pop("scan-3.raw")[:10] == bytes([3]) * 10
    assert files == expected


class ImmutableBackend(LocalBackend):
    """A folder that refuses every deletion, as an Object Lock bucket does under retention."""

    immutable = True

    def delete(self, kind: str, name: str) -> None:
        if kind == "locks":
            raise RetentionRefused("locked")
        raise RetentionRefused(f"{kind}/{name} under retention")

    def list(self, kind: str) -> Iterator[str]:
        return super().list(kind)


def test_forget_and_prune_on_immutable_storage_say_what_stays(
    repo_path: Path, source: Path, tmp_path: Path
) -> None:
    make_repo(repo_path)
    locked = Repository.open(ImmutableBackend(repo_path), PASSPHRASE)
    first = run_backup(locked, [str(source)]).snapshot
    (source / "Compta" / "notes.txt").write_text("autre\n", encoding="utf-8")
    run_backup(locked, [str(source)])
    result = forget(locked, KeepPolicy(last=1))
    assert [s.name for s in result.refused] == [first.name]
    assert result.removed == ()
    pruned = prune(locked)
    assert pruned.packs_deleted == 0 or pruned.refused > 0
    target = tmp_path / "r"
    restore(reopen(repo_path), first, target)  # still there, whole
    assert (restored_root(target, source) / "Base.mdf").read_bytes() == (
        source / "Base.mdf"
    ).read_bytes()
    assert check(reopen(repo_path), read_data=True).ok


class Failing(LocalBackend):
    """A folder whose connection drops after ``budget`` writes or deletions."""

    def __init__(self, root: Path, budget: int) -> None:
        super().__init__(root)
        self.budget = budget

    def _spend(self) -> None:
        if self.budget <= 0:
            from rempart.vault.errors import BackendUnavailable

            raise BackendUnavailable("the NAS went away")
        self.budget -= 1

    def put(self, kind: str, name: str, data: bytes) -> None:
        self._spend()
        super().put(kind, name, data)

    def delete(self, kind: str, name: str) -> None:
        if kind != "locks":
            self._spend()
        super().delete(kind, name)


def test_a_prune_cut_short_at_any_step_leaves_every_snapshot_whole(
    repo_path: Path, source: Path, tmp_path: Path
) -> None:
    import os
    import shutil

    from rempart.vault.errors import BackendUnavailable

    repository, _ = make_repo(repo_path)
    for i in range(3):
        (source / f"scan-{i}.raw").write_bytes(os.urandom(300_000))
        run_backup(repository, [str(source)])
        (source / f"scan-{i}.raw").unlink()
    pristine = tmp_path / "pristine"
    shutil.copytree(repo_path, pristine)
    budget = 0
    while True:
        shutil.rmtree(repo_path)
        shutil.copytree(pristine, repo_path)
        forget(reopen(repo_path), KeepPolicy(last=2))
        kept = reopen(repo_path).snapshots()
        failing = Repository.open(Failing(repo_path, budget), PASSPHRASE)
        try:
            prune(failing)
            finished = True
        except BackendUnavailable:
            finished = False
        again = reopen(repo_path)
        report = check(again, read_data=True)
        assert report.ok, (budget, report.problems)
        for snap in kept:
            target = tmp_path / f"r-{budget}-{snap.short_id}"
            restore(again, snap, target)
            assert (restored_root(target, source) / "Base.mdf").read_bytes() == (
                source / "Base.mdf"
            ).read_bytes()
        if finished:
            break
        budget += 1
    assert budget >= 3  # the prune had several steps to interrupt

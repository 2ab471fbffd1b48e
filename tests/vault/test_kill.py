"""``kill -9`` at random moments of ``rempart backup run``: after each, ``check --read-data``
finds nothing wrong and the earlier snapshot restores bit for bit.

Each backup is the real command (``rempart.cli.main.run`` with its arguments) in a child
process forked from the test (a fresh interpreter would spend seconds importing); the
parent waits until the child has written a random number of objects, then kills it.
"""

from __future__ import annotations

import os
import random
import signal
import sys
import time
from pathlib import Path

import pytest

from rempart.vault.check import check
from rempart.vault.restore import restore
from tests.vault.conftest import fill, make_repo, reopen, restored_root, snapshot_files

KILLS = 20


def _objects(repo_path: Path) -> int:
    return sum(1 for p in repo_path.rglob("*") if p.is_file())


def _child(argv: list[str]) -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    code = 0
    try:
        from rempart.cli.main import run

        sys.argv = argv
        run()
    except SystemExit as exc:
        code = int(exc.code or 0)
    except BaseException:
        code = 99
    os._exit(code)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork (POSIX)")
def test_kill_9_at_random_moments_leaves_a_sound_repository(tmp_path: Path) -> None:
    # everything the command imports, imported once before forking
    import rempart.cli.main
    import rempart.store.backups
    import rempart.vault.anomaly
    import rempart.vault.backup
    import rempart.vault.sources  # noqa: F401

    rng = random.Random(20261128)
    source = fill(tmp_path / "cabinet", seed=7)
    repo_path = tmp_path / "coffre"
    repository, _ = make_repo(repo_path)
    first = run_backup_once(repository, source)
    expected = snapshot_files(source)
    pw = tmp_path / "pw"
    from tests.vault.conftest import PASSPHRASE

    pw.write_text(PASSPHRASE, encoding="utf-8")
    argv = ["rempart", "backup", "run", str(source), "-r", str(repo_path)]
    argv += ["--passphrase-file", str(pw), "--no-progress"]
    killed_midway = 0
    big = source / "Radios" / "nouvelle.raw"
    for i in range(KILLS):
        big.write_bytes(rng.randbytes(1024 * 1024))  # new data for every run
        (source / "Base.mdf").open("r+b").write(rng.randbytes(64))
        before = _objects(repo_path)
        target_objects = before + rng.randint(0, 7)
        pid = os.fork()
        if pid == 0:
            _child(argv)
        deadline = time.monotonic() + 120
        status = None
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if _objects(repo_path) >= target_objects:
                os.kill(pid, signal.SIGKILL)
                _done, status = os.waitpid(pid, 0)
                break
            time.sleep(0.002)  # polling the repository's growth, not waiting for an outcome
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("the backup neither progressed nor ended within 120 s")
        if status is not None and os.WIFSIGNALED(status):
            killed_midway += 1
        report = check(reopen(repo_path), read_data=True)
        assert report.ok, (i, report.problems)
        target = tmp_path / f"r{i}"
        restore(reopen(repo_path), first, target)
        assert snapshot_files(restored_root(target, source)) == _without(expected, big, source)
    assert killed_midway >= KILLS // 2
    # and after all that, a normal backup completes and restores
    final = run_backup_once(reopen(repo_path), source)
    target = tmp_path / "final"
    restore(reopen(repo_path), final, target)
    assert snapshot_files(restored_root(target, source)) == snapshot_files(source)


def _without(files: dict[str, bytes], big: Path, source: Path) -> dict[str, bytes]:
    rel = big.relative_to(source).as_posix()
    return {k: v for k, v in files.items() if k != rel}


def run_backup_once(repository, source: Path):  # type: ignore[no-untyped-def]
    from rempart.vault import run_backup

    return run_backup(repository, [str(source)]).snapshot

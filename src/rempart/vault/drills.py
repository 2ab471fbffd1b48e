"""Restore drills: prove, regularly, that the backups give the files back.

A backup nobody has restored is a hope. A drill restores into a scratch folder what a real
restore would need, compares every restored file bit for bit with the BLAKE3 hash recorded
at backup time, records the outcome in the store (``restore_drills``; the audit reports "no
successful restore drill in 30 days"), and removes the scratch folder.

* **sample** (the default, cheap enough for every week): files drawn at random across the
  snapshots' trees — always some from the last clean snapshot (the one a restore after an
  attack would use), the rest from older ones — :data:`SAMPLE_FILES` files at most;
* **full** (``--full``, and automatically when no full drill succeeded in the last
  :data:`FULL_EVERY`): the whole last clean snapshot.

:func:`run_drill` is what ``rempart drill restore`` and the dashboard call.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import blake3

from rempart.i18n import _
from rempart.vault.errors import VaultError
from rempart.vault.model import Node, Snapshot

if TYPE_CHECKING:
    from rempart.config import Settings
    from rempart.store import Store
    from rempart.vault.repo import Repository

SAMPLE_FILES = 24  # files restored by a sample drill, at most
SAMPLE_SNAPSHOTS = 6  # snapshots the sample is drawn from, at most (the newest ones)
LATEST_SHARE = 0.5  # share of the sample taken from the last clean snapshot
FULL_EVERY = timedelta(days=30)  # a full drill at least this often
PASSPHRASE_ENV = "REMPART_VAULT_PASSPHRASE"  # noqa: S105 (a variable's name)


@dataclass(frozen=True)
class DrillFailure:
    snapshot: str
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.snapshot[:8]}:{self.path}: {self.reason}"


@dataclass(frozen=True)
class DrillResult:
    """One drill's outcome (what the store keeps, plus what a person reads)."""

    repository: str
    snapshot_id: str | None  # the last clean snapshot, the one that matters most
    kind: str  # "sample" | "full"
    files: int  # files restored and verified
    bytes: int
    snapshots: int  # snapshots drawn from
    seconds: float
    failures: tuple[DrillFailure, ...] = ()
    skipped_anomalous: tuple[str, ...] = ()  # newer flagged snapshots passed over
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def ok(self) -> bool:
        return not self.failures and self.files > 0

    @property
    def detail(self) -> str:
        """One line for a person (stored with the drill)."""
        if self.ok:
            return _(
                "{files} file(s) ({size} bytes) from {snaps} snapshot(s) restored and "
                "identical bit for bit to the backup."
            ).format(files=self.files, size=f"{self.bytes:,}", snaps=self.snapshots)
        if self.files == 0 and not self.failures:
            return _("No file to restore: the snapshots hold no file.")
        first = self.failures[0] if self.failures else None
        return _("{bad} of {total} file(s) could not be restored intact (first: {first}).").format(
            bad=len(self.failures), total=self.files + len(self.failures), first=first
        )


def _verify(path: Path, node: Node) -> str | None:
    """None when ``path`` holds exactly the file recorded in ``node``, else why not."""
    hasher = blake3.blake3(max_threads=1)
    size = 0
    try:
        with path.open("rb") as fh:
            while block := fh.read(1 << 20):
                hasher.update(block)
                size += len(block)
    except FileNotFoundError:
        return _("not restored")
    except OSError as exc:
        return str(exc.strerror or exc)
    if size != node.size:
        return _("size {got} instead of {want}").format(got=size, want=node.size)
    if hasher.hexdigest() != node.hash:
        return _("content differs from the backup")
    return None


def choose_sample(
    repo: Repository,
    snapshots: Sequence[Snapshot],
    latest: Snapshot,
    rng: random.Random,
    count: int = SAMPLE_FILES,
) -> dict[str, list[tuple[str, Node]]]:
    """Snapshot name → (tree path, node) of the files to restore: about half from
    ``latest``, the rest spread over the other (newest) snapshots."""
    pools: dict[str, list[tuple[str, Node]]] = {}
    others = [s for s in snapshots if s.name != latest.name][-(SAMPLE_SNAPSHOTS - 1) :]
    for snap in [latest, *others]:
        pools[snap.name] = [(p, n) for p, n in repo.walk(snap.tree) if n.type == "file"]
    chosen: dict[str, list[tuple[str, Node]]] = defaultdict(list)
    first = pools[latest.name]
    take = min(len(first), max(1, round(count * LATEST_SHARE)) if others else count)
    chosen[latest.name] = rng.sample(first, take)
    left = count - take
    order = [s.name for s in others]
    rng.shuffle(order)
    while left > 0 and order:
        progressed = False
        for name in order:
            pool = [item for item in pools[name] if item not in chosen[name]]
            if pool and left > 0:
                chosen[name].append(rng.choice(pool))
                left -= 1
                progressed = True
        if not progressed:
            break
    return {k: v for k, v in chosen.items() if v}


def drill(
    repo: Repository,
    *,
    full: bool = False,
    scratch: Path | None = None,
    rng: random.Random | None = None,
    count: int = SAMPLE_FILES,
    progress: Callable[[int, int], None] | None = None,
) -> DrillResult:
    """Restore and verify (nothing recorded: see :func:`run_drill`)."""
    from rempart.vault.anomaly import latest_clean
    from rempart.vault.restore import restore

    rng = rng or random.Random()
    started = time.monotonic()
    latest, skipped = latest_clean(repo)
    if full:
        plan = {latest.name: [(p, n) for p, n in repo.walk(latest.tree) if n.type == "file"]}
    else:
        plan = choose_sample(repo, repo.snapshots(), latest, rng, count)
    by_name = {s.name: s for s in repo.snapshots()}
    total = sum(len(v) for v in plan.values())
    owned = scratch is None
    root = Path(tempfile.mkdtemp(prefix="rempart-drill-")) if scratch is None else scratch
    files = nbytes = done = 0
    failures: list[DrillFailure] = []
    try:
        for name, items in plan.items():
            snap = by_name[name]
            target = root / name[:12]
            if target.exists():
                raise VaultError(
                    _("The drill folder {path} is not empty: give an empty one.").format(
                        path=target
                    )
                )
            try:
                restore(
                    repo,
                    snap,
                    target,
                    includes=() if full else [p for p, _n in items],
                    workers=min(4, os.cpu_count() or 2),
                )
            except VaultError as exc:
                # A damaged object stops that snapshot's restore: every file not written
                # intact below counts as failed, with the reason.
                reason = str(exc)
            else:
                reason = ""
            for path, node in items:
                problem = _verify(target / Path(*path.split("/")), node)
                if problem is None:
                    files += 1
                    nbytes += node.size
                else:
                    failures.append(DrillFailure(name, path, reason or problem))
                done += 1
                if progress:
                    progress(done, total)
    finally:
        if owned:
            shutil.rmtree(root, ignore_errors=True)
        else:
            for name in plan:
                shutil.rmtree(root / name[:12], ignore_errors=True)
    return DrillResult(
        repository=repo.location,
        snapshot_id=latest.name,
        kind="full" if full else "sample",
        files=files,
        bytes=nbytes,
        snapshots=len(plan),
        seconds=time.monotonic() - started,
        failures=tuple(failures),
        skipped_anomalous=tuple(s.name for s in skipped),
    )


def _passphrase(settings: Settings) -> str:
    secret = os.environ.get(PASSPHRASE_ENV)
    if secret:
        return secret
    if settings.vault.passphrase_file:
        path = Path(settings.vault.passphrase_file).expanduser()
        try:
            text = path.read_text(encoding="utf-8").strip("\r\n")
        except OSError as exc:
            raise VaultError(
                _("Cannot read the passphrase file {path}: {error}.").format(
                    path=path, error=exc.strerror or exc
                )
            ) from exc
        if text:
            return text
    raise VaultError(
        _(
            "No passphrase for the backup repository: set {env} or 'passphrase_file' in the "
            "[vault] settings."
        ).format(env=PASSPHRASE_ENV)
    )


def full_due(store: Store, repository: str, now: datetime | None = None) -> bool:
    """True when no full drill of ``repository`` succeeded in the last :data:`FULL_EVERY`."""
    from rempart.store.drills import last_full_drill

    last = last_full_drill(store, repository)
    now = now or datetime.now(UTC)
    return last is None or now - last.at >= FULL_EVERY


def run_drill(
    settings: Settings | None = None,
    store: Store | None = None,
    *,
    repo: Repository | None = None,
    location: str | None = None,
    passphrase: str | None = None,
    full: bool | None = None,
    scratch: Path | None = None,
    rng: random.Random | None = None,
    count: int = SAMPLE_FILES,
    progress: Callable[[int, int], None] | None = None,
) -> DrillResult:
    """Open the repository (settings or arguments), drill, record the outcome in the store.

    ``full=None``: full when one is due (monthly), else a sample. A repository that cannot
    be opened at all is recorded as a failed drill too, then the error is raised.
    """
    from rempart import config
    from rempart.store import Store
    from rempart.store.drills import record_drill
    from rempart.vault.backends import open_backend
    from rempart.vault.repo import Repository

    settings = settings or config.load()
    own_store = store is None
    store = store if store is not None else Store.open()
    try:
        where = repo.location if repo is not None else (location or settings.vault.repository)
        try:
            if repo is None:
                backend = open_backend(where, settings.vault)
                repo = Repository.open(backend, passphrase or _passphrase(settings))
            kind_full = full if full is not None else full_due(store, repo.location)
            result = drill(
                repo, full=kind_full, scratch=scratch, rng=rng, count=count, progress=progress
            )
        except VaultError as exc:
            if where:
                record_drill(
                    store,
                    repository=repo.location if repo is not None else where,
                    snapshot_id=None,
                    kind="full" if full else "sample",
                    files=0,
                    nbytes=0,
                    ok=False,
                    detail=str(exc),
                )
            raise
        record_drill(
            store,
            repository=result.repository,
            snapshot_id=result.snapshot_id,
            kind=result.kind,
            files=result.files,
            nbytes=result.bytes,
            ok=result.ok,
            detail=result.detail,
            at=result.at,
        )
        return result
    finally:
        if own_store:
            store.close()

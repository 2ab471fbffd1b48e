"""The baseline: what every protected file looked like when last known good.

Each entry keeps the size, mtime, kind (from magic bytes), the entropy and chi-square of the
file's sample (the same sampling as :func:`rempart.sentinel.signals.inspect`, so that the two
compare) and, for files of no recognised structure, a ppdeep similarity hash of their head.

Why in the store: a restart must not re-read 100,000 files; :meth:`Baseline.build` reuses every
entry whose size and mtime did not change. Why bounded memory: with a store, entries live in the
store and only the most recently used are cached (``cache_size``), writes are batched; without a
store (tests, one small folder) everything stays in a dict.

Entries are updated on *benign* change (the watcher calls :meth:`Baseline.update` when the
detector found nothing wrong), so that a file judged later is compared with its last good state.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import ppdeep  # type: ignore[import-untyped]

from rempart.sentinel import canaries, magic, signals, stats
from rempart.sentinel.signals import FileSignals
from rempart.store import Store
from rempart.store import sentinel_baseline as stored

Progress = Callable[[int, int], None]  # (files done, files in all)

#: ppdeep hash of the head (signals.FUZZY_BYTES) of unrecognised binary files only: pure
#: Python, ~2–10 ms per KiB, tens of ms on repetitive bytes.
FUZZY_BYTES = signals.FUZZY_BYTES
FUZZY_MIN_ENTROPY = 2.5
FUZZY_MAX_ENTROPY = 7.5


@dataclass(frozen=True)
class BaselineEntry:
    path: Path
    size: int
    mtime: float
    kind: str
    entropy: float
    chi2: float
    fuzzy: str | None = None

    def row(self) -> stored.Row:
        return (
            str(self.path),
            self.size,
            self.mtime,
            self.kind,
            self.entropy,
            self.chi2,
            self.fuzzy,
        )

    @classmethod
    def from_row(cls, row: stored.Row) -> BaselineEntry:
        path, size, mtime, kind, entropy, chi2, fuzzy = row
        return cls(Path(path), size, mtime, kind, entropy, chi2, fuzzy)


@dataclass(frozen=True)
class BuildReport:
    files: int  # files in the baseline after the build
    computed: int  # read and measured
    reused: int  # unchanged since the stored entry
    removed: int  # stored entries whose file is gone
    skipped: int  # unreadable files, links, special files


def measure_file(path: Path, *, max_bytes: int = signals.MAX_BYTES) -> BaselineEntry | None:
    """Read ``path``'s sample and describe it; ``None`` if it cannot be read (or vanished)."""
    path = Path(path)
    with signals.Sampled(path, max_bytes) as got:
        if got is None:
            return None
        sample, _reader = got
        kind = magic.sniff(sample.head)
        measured = signals.measure(sample)
    fuzzy = None
    if kind == magic.DATA and sample.size >= 512:
        head = sample.head[:FUZZY_BYTES]
        # Only where it can tell something: sparse or repetitive bytes give a trivial hash
        # (and cost ppdeep tens of ms), dense ones cannot get denser when encrypted.
        if FUZZY_MIN_ENTROPY <= stats.entropy(head) <= FUZZY_MAX_ENTROPY:
            fuzzy = ppdeep.hash(head)
    return BaselineEntry(
        path, sample.size, sample.mtime, kind, measured.entropy, measured.chi2, fuzzy
    )


def walk(root: Path) -> Iterator[Path]:
    """Regular files under ``root``, never following links (no loops, no escaping the tree);
    unreadable folders are skipped; canaries are not part of the baseline."""
    stack = [Path(root)]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_symlink():
                    continue
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False) and not canaries.is_canary(entry.name):
                    yield Path(entry.path)
            except OSError:
                continue


class Baseline:
    """The baseline of the protected folders.

    ``Baseline(store)`` keeps entries in the store, with an LRU cache of ``cache_size``
    entries and writes batched by ``batch``; ``Baseline()`` keeps everything in memory.
    Call :meth:`save` (or :meth:`close`) to write pending changes.
    """

    def __init__(
        self, store: Store | None = None, *, cache_size: int = 20_000, batch: int = 500
    ) -> None:
        self.store = store
        self.cache_size = max(16, cache_size)
        self.batch = max(1, batch)
        self.roots: list[Path] = []
        self._memory: dict[Path, BaselineEntry] = {}
        self._cache: OrderedDict[Path, BaselineEntry | None] = OrderedDict()
        self._pending: dict[Path, BaselineEntry | None] = {}  # None: to delete

    # -- roots -------------------------------------------------------------------------------

    def root_of(self, path: Path) -> Path | None:
        """The protected folder holding ``path`` (the deepest one), or ``None``."""
        best = None
        for root in self.roots:
            if path == root or root in path.parents:
                if best is None or len(root.parts) > len(best.parts):
                    best = root
        return best

    def _add_root(self, root: Path) -> Path:
        root = Path(os.path.abspath(root))
        if root not in self.roots:
            self.roots.append(root)
        return root

    # -- building ----------------------------------------------------------------------------

    def build(self, roots: Iterable[Path], progress: Progress | None = None) -> BuildReport:
        """Index every file under ``roots``; files unchanged since the stored entry (same size
        and mtime) are not read again; entries of files that are gone are removed."""
        tops = [self._add_root(r) for r in roots]
        # Two walks (a count for the progress bar, then the work): no list of 100,000 paths.
        total = sum(1 for top in tops for _ in walk(top))
        computed = reused = skipped = removed = 0
        known: dict[str, tuple[int, float]] = {}
        if self.store is not None:
            for top in tops:
                known.update(stored.stamps(self.store, str(top)))
        seen: set[str] = set()  # without a store only (small folders)
        done = 0
        for path in (p for top in tops for p in walk(top)):
            done += 1
            key = str(path)
            if self.store is None:
                seen.add(key)
            stamp = known.pop(key, None)  # what is left in ``known`` at the end is gone
            if stamp is None and self.store is None and path in self._memory:
                old = self._memory[path]
                stamp = (old.size, old.mtime)
            try:
                st = path.lstat()
            except OSError:
                st = None
            if st is None:
                skipped += 1
                self.remove(path)  # vanished since the walk
            elif stamp is not None and stamp == (st.st_size, st.st_mtime):
                reused += 1
            else:
                entry = measure_file(path)
                if entry is None:
                    skipped += 1
                    self.remove(path)
                else:
                    computed += 1
                    self.update(path, entry)
            if progress is not None:
                progress(done, max(total, done))
        if self.store is not None:
            stale = list(known)
            for p in stale:
                self._pending[Path(p)] = None
                self._cache.pop(Path(p), None)
            removed = len(stale)
        else:
            for path in list(self._memory):
                root = self.root_of(path)
                if root in tops and str(path) not in seen:
                    del self._memory[path]
                    removed += 1
        self.save()
        return BuildReport(done - skipped, computed, reused, removed, skipped)

    # -- reading and changing ----------------------------------------------------------------

    def get(self, path: Path) -> BaselineEntry | None:
        """The entry of ``path`` (``None`` for a file not in the baseline)."""
        path = Path(path)
        if self.store is None:
            return self._memory.get(path)
        if path in self._pending:
            return self._pending[path]
        if path in self._cache:
            self._cache.move_to_end(path)
            return self._cache[path]
        row = stored.get(self.store, str(path))
        entry = BaselineEntry.from_row(row) if row is not None else None
        self._remember(path, entry)
        return entry

    def __contains__(self, path: object) -> bool:
        return isinstance(path, (str, Path)) and self.get(Path(path)) is not None

    def __len__(self) -> int:
        if self.store is None:
            return len(self._memory)
        self.save()
        return sum(stored.count(self.store, str(root)) for root in self.roots)

    def entries(self) -> Iterator[BaselineEntry]:
        """Every entry (of the known roots), streamed from the store when there is one."""
        if self.store is None:
            yield from list(self._memory.values())
            return
        self.save()
        for root in self.roots:
            for row in stored.rows(self.store, str(root)):
                yield BaselineEntry.from_row(row)

    def _remember(self, path: Path, entry: BaselineEntry | None) -> None:
        self._cache[path] = entry
        self._cache.move_to_end(path)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    def update(self, path: Path, entry: BaselineEntry | None = None) -> BaselineEntry | None:
        """Record ``path``'s current good state (measured now when ``entry`` is not given).
        A file that cannot be read is forgotten. Returns the entry kept."""
        path = Path(path)
        if entry is None:
            entry = measure_file(path)
            if entry is None:
                self.remove(path)
                return None
        if self.store is None:
            self._memory[path] = entry
            return entry
        self._pending[path] = entry
        self._remember(path, entry)
        if len(self._pending) >= self.batch:
            self.save()
        return entry

    def learn(self, signals: FileSignals) -> BaselineEntry:
        """Record a benign change from what :func:`~rempart.sentinel.signals.inspect` just saw,
        without reading the file again (same sampling, same figures). The similarity hash of
        an unstructured file is kept from the previous entry while its kind is unchanged."""
        old = self.get(signals.path)
        fuzzy = old.fuzzy if old is not None and old.kind == signals.kind_after else None
        entry = BaselineEntry(
            Path(signals.path),
            signals.size,
            signals.mtime,
            signals.kind_after,
            signals.entropy,
            signals.chi2,
            fuzzy,
        )
        self.update(entry.path, entry)
        return entry

    def remove(self, path: Path) -> None:
        path = Path(path)
        if self.store is None:
            self._memory.pop(path, None)
            return
        self._pending[path] = None
        self._remember(path, None)
        if len(self._pending) >= self.batch:
            self.save()

    def rename(self, source: Path, dest: Path) -> None:
        """A benign rename: the entry follows the file."""
        entry = self.get(source)
        self.remove(source)
        if entry is not None:
            self.update(Path(dest), replace(entry, path=Path(dest)))

    def save(self) -> None:
        """Write pending changes to the store (nothing to do without a store)."""
        if self.store is None or not self._pending:
            return
        pending, self._pending = self._pending, {}
        gone = [str(p) for p, e in pending.items() if e is None]
        kept = []
        for p, e in pending.items():
            if e is not None:
                root = self.root_of(p) or p.parent
                kept.append((str(root), e.row()))
        if gone:
            stored.delete(self.store, gone)
        if kept:
            stored.upsert(self.store, kept)

    def load(self, roots: Iterable[Path]) -> int:
        """Adopt ``roots`` without reading any file: entries come from the store on demand (or,
        without a store, stay as they are). Returns how many entries the store holds for them."""
        tops = [self._add_root(r) for r in roots]
        if self.store is None:
            return sum(1 for p in self._memory if self.root_of(p) in tops)
        return sum(stored.count(self.store, str(top)) for top in tops)

    def close(self) -> None:
        self.save()

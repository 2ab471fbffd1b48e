"""The detector: combine what written files say into a score per actor, and decide.

An *actor* is the writing process when the operating system names it (fanotify gives the pid),
otherwise the protected folder (the decaying score then plays the part of a time window).

Evidence and weights (docs/sentinel.md, « Détecteur », explains them to users):

* a canary touched (written, renamed, deleted): **strong** at once, whoever the writer;
* a file *encrypted* — its structure destroyed (invalid head, or a known kind turned into
  opaque bytes or base64) and its content dense — 6 points; two such files within
  ``window`` seconds: **strong**;
* **one** file is enough (**strong**) when the evidence is specific: an *existing* file that
  the baseline knew as a structured kind written head first (:data:`SOLID_KINDS`: JPEG, PNG,
  PDF, DICOM, Office, SQLite, text…) rewritten by a *named* process (a pid, not allow-listed,
  not lowered) into opaque bytes that look like ciphertext themselves
  (:attr:`FileSignals.ciphertext_like`: a uniform window, base64 of random bytes, stripes of
  random cells); or such a file deleted by the process that has just written its encrypted
  copy (``x.jpg`` → ``x.jpg.locked``). A new file, however encrypted it looks (a 7z being
  written), a valid save, an archive, a journal never are;
* a ransom note (name and words, an onion address): 5 (7 with an onion); a note beside an
  encrypted-looking file: **strong**;
* rename patterns (content "like ciphertext": encrypted, or dense bytes of no known structure —
  never a valid file, however dense): files renamed to an extension they did not have (3 such
  renames to the same new extension: +5); a new such file written and the original of the same
  name deleted (+4, and it counts as an encrypted file); a file moved out of the folder and
  back changed (+2);
* a known ransomware extension on dense content: 4.

A file counts once per actor (repeated writes of one file add only what is new), so a database
rewriting its pages or a big JPEG written in many chunks do not add up. Scores halve every
``half_life`` seconds. Actors are kept in an LRU of ``max_actors``: memory is bounded.

The allow-list (:class:`ProcessAllowList`, names from ``data/allowlist.toml`` and settings)
multiplies an actor's evidence by a weight (0 cancels it): 7-Zip, backup software — Rempart's
vault included — VeraCrypt, database engines. Canaries are never allowed.
"""

from __future__ import annotations

import fnmatch
import os
import time
import tomllib
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path, PurePath
from typing import Literal, Protocol

from rempart.i18n import _
from rempart.sentinel import canaries, magic
from rempart.sentinel.signals import FileSignals

EventKind = Literal["write", "create", "delete", "rename", "close_write", "moved_from", "moved_to"]
Actor = int | str


@dataclass(frozen=True)
class Event:
    """A file event as the watcher saw it. ``at`` is ``time.monotonic()``."""

    at: float
    kind: str  # one of EventKind
    path: Path
    dest: Path | None = None  # for a rename: the new path
    pid: int | None = None
    process: str | None = None  # process name or executable path, when known
    known: str | None = None  # for a deletion: the file's kind in the baseline (what was lost)


@dataclass(frozen=True)
class Verdict:
    """The detector's decision about one actor."""

    actor: Actor  # pid, or "folder:<path>" when the writer is unknown
    score: float
    reasons: tuple[str, ...]  # for a person (in the current language)
    strong: bool  # act at once
    files: tuple[Path, ...]  # files with evidence against the actor (most recent last)
    first: bool = True  # the first verdict about this actor (later ones only add files)
    pid: int | None = None
    process: str | None = None
    at: float = 0.0


@dataclass(frozen=True)
class Thresholds:
    alarm: float = 10.0  # score that makes a verdict
    half_life: float = 60.0  # seconds for a score to halve
    strong_files: int = 2  # encrypted files (within ``window``) that make evidence strong
    window: float = 600.0  # seconds over which encrypted files are counted
    new_extension_files: int = 3  # dense files renamed to one new extension: a pattern
    pattern_seconds: float = 120.0  # how long a creation or a move out is remembered
    max_actors: int = 1024
    max_files: int = 256  # files remembered per actor
    max_recent: int = 4096  # creations and moves out remembered in all
    one_file: bool = True  # an existing structured file turned into ciphertext: strong at once


class AllowPolicy(Protocol):
    def weight(self, event: Event) -> float:
        """1.0: judge normally; 0.0: never judge this writer; in between: lower its score."""
        ...


@dataclass(frozen=True)
class AllowedWriter:
    names: tuple[str, ...]
    weight: float
    fr: str
    en: str


@cache
def default_writers() -> tuple[AllowedWriter, ...]:
    """The documented legitimate writers of ciphertext-like data (``data/allowlist.toml``)."""
    raw = tomllib.loads((Path(__file__).parent / "data" / "allowlist.toml").read_text("utf-8"))
    return tuple(
        AllowedWriter(tuple(n.lower() for n in w["names"]), float(w["weight"]), w["fr"], w["en"])
        for w in raw["writer"]
    )


def _process_key(process: str) -> str:
    name = PurePath(process.replace("\\", "/")).name.lower()
    return name[:-4] if name.endswith(".exe") else name


class ProcessAllowList:
    """Allowed writers by process name (or executable path) and by folder (glob patterns)."""

    def __init__(
        self,
        processes: Iterable[str] = (),
        folders: Iterable[str | Path] = (),
        *,
        defaults: bool = True,
    ) -> None:
        self.names: dict[str, float] = {}
        if defaults:
            for writer in default_writers():
                for name in writer.names:
                    self.names[name] = writer.weight
        self.paths: list[str] = []
        for entry in processes:
            if "/" in entry or "\\" in entry:
                self.paths.append(os.path.normcase(entry))
            else:
                self.names[_process_key(entry)] = 0.0
        self.folders = [os.path.normcase(os.path.abspath(os.fspath(f))) for f in folders]

    def _folder_allowed(self, path: Path) -> bool:
        text = os.path.normcase(os.fspath(path))
        for folder in self.folders:
            if fnmatch.fnmatch(text, folder) or fnmatch.fnmatch(text, folder.rstrip("/\\") + "/*"):
                return True
            if text.startswith(folder.rstrip("/\\") + os.sep):
                return True
        return False

    def weight(self, event: Event) -> float:
        if self._folder_allowed(event.path) or (
            event.dest is not None and self._folder_allowed(event.dest)
        ):
            return 0.0
        if not event.process:
            return 1.0
        if os.path.normcase(event.process) in self.paths:
            return 0.0
        return self.names.get(_process_key(event.process), 1.0)


#: Kinds whose head is written first and valid from the first write: an existing file of one
#: of them that turns into opaque ciphertext-like bytes is destroyed, not being saved. Not
#: archives (7-Zip fills its start header in last), TIFF or BMP (headers patched at the end),
#: SQLite journals and WAL, executables, unrecognised data.
SOLID_KINDS = frozenset(
    {"jpeg", "png", "gif", "pdf", "zip", "ole", "dicom", "sqlite", "rtf", "text-utf16", magic.TEXT}
)

#: Random-looking cells (of 8) in a DICOM's preamble that make it ciphertext.
DICOM_PREAMBLE_CELLS = 2

#: Extensions that many files legitimately take (a rename to them is not a pattern).
COMMON_EXTENSIONS = frozenset(magic.EXTENSION_KINDS) | frozenset(
    "tmp temp bak old orig new dat bin db log1 part crdownload download partial swp lock ldb "
    "sav backup cache idx pak cab msi msp lnk ini cfg conf json xml txt".split()
)


@dataclass
class _ActorState:
    score: float = 0.0
    updated: float = 0.0
    counted: OrderedDict[Path, float] = field(default_factory=OrderedDict)
    encrypted: deque[tuple[float, Path]] = field(default_factory=deque)
    encrypted_paths: set[Path] = field(default_factory=set)
    notes: int = 0
    new_extensions: dict[str, int] = field(default_factory=dict)
    reasons: OrderedDict[str, None] = field(default_factory=OrderedDict)
    files: OrderedDict[Path, None] = field(default_factory=OrderedDict)
    alarmed: bool = False
    strong: bool = False
    pid: int | None = None
    process: str | None = None


@dataclass(frozen=True)
class _Recent:
    at: float
    path: Path
    dense: bool
    actor: Actor | None = None  # who wrote it
    cipher: bool = False  # its bytes look like ciphertext themselves


class Detector:
    """Feed it every event with the signals of the file it touched; it answers with a
    :class:`Verdict` when an actor crosses the alarm (or at once on strong evidence)."""

    def __init__(
        self,
        thresholds: Thresholds | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        allow: AllowPolicy | None = None,
        roots: Sequence[Path] = (),
    ) -> None:
        self.thresholds = thresholds or Thresholds()
        self.clock = clock
        self.allow = allow
        self.roots = [Path(os.path.abspath(r)) for r in roots]
        self._actors: OrderedDict[Actor, _ActorState] = OrderedDict()
        # Dense new files, by (folder, name up to its first dot): what a deletion is matched with.
        self._created: OrderedDict[tuple[Path, str], list[_Recent]] = OrderedDict()
        self._moved_out: OrderedDict[Path, float] = OrderedDict()

    # -- actors ------------------------------------------------------------------------------

    def actor_of(self, event: Event) -> Actor:
        if event.pid is not None:
            return event.pid
        best = None
        for root in self.roots:
            if event.path == root or root in event.path.parents:
                if best is None or len(root.parts) > len(best.parts):
                    best = root
        return f"folder:{best if best is not None else event.path.parent}"

    def _state(self, actor: Actor, now: float) -> _ActorState:
        state = self._actors.get(actor)
        if state is None:
            state = _ActorState(updated=now)
            self._actors[actor] = state
            while len(self._actors) > self.thresholds.max_actors:
                self._actors.popitem(last=False)
        else:
            self._actors.move_to_end(actor)
            self._decay(state, now)
        return state

    def _decay(self, state: _ActorState, now: float) -> None:
        elapsed = max(0.0, now - state.updated)
        if elapsed and state.score:
            state.score *= 0.5 ** (elapsed / self.thresholds.half_life)
        state.updated = max(state.updated, now)
        window = self.thresholds.window
        while state.encrypted and now - state.encrypted[0][0] > window:
            _at, path = state.encrypted.popleft()
            state.encrypted_paths.discard(path)

    def scores(self) -> dict[Actor, float]:
        """Every remembered actor's score now (decayed)."""
        now = self.clock()
        out = {}
        for actor, state in self._actors.items():
            self._decay(state, now)
            out[actor] = state.score
        return out

    def reset(self, actor: Actor) -> None:
        """Forget an actor (after the response dealt with it)."""
        self._actors.pop(actor, None)

    # -- evidence ----------------------------------------------------------------------------

    def _note(self, state: _ActorState, reason: str, path: Path | None = None) -> None:
        state.reasons[reason] = None
        state.reasons.move_to_end(reason)
        while len(state.reasons) > 12:
            state.reasons.popitem(last=False)
        if path is not None:
            self._file(state, path)

    def _file(self, state: _ActorState, path: Path) -> None:
        state.files[path] = None
        state.files.move_to_end(path)
        while len(state.files) > self.thresholds.max_files:
            state.files.popitem(last=False)

    def _count(self, state: _ActorState, path: Path, weight: float) -> float:
        """Add only what this file did not already contribute."""
        before = state.counted.get(path, 0.0)
        if weight <= before:
            return 0.0
        state.counted[path] = weight
        state.counted.move_to_end(path)
        while len(state.counted) > self.thresholds.max_files:
            state.counted.popitem(last=False)
        return weight - before

    def _encrypted(self, state: _ActorState, path: Path, now: float) -> None:
        if path in state.encrypted_paths:
            return
        state.encrypted.append((now, path))
        state.encrypted_paths.add(path)
        while len(state.encrypted) > self.thresholds.max_files:
            _at, old = state.encrypted.popleft()
            state.encrypted_paths.discard(old)

    def _remember(self, table: OrderedDict[Path, object], key: Path, value: object) -> None:
        table[key] = value
        table.move_to_end(key)
        while len(table) > self.thresholds.max_recent:
            table.popitem(last=False)

    @staticmethod
    def _creation_key(path: Path) -> tuple[Path, str]:
        return path.parent, path.name.lower().split(".", 1)[0]

    def _created_dense(
        self, path: Path, now: float, actor: Actor | None = None, cipher: bool = False
    ) -> None:
        key = self._creation_key(path)
        found = self._created.get(key)
        if found is None:
            found = self._created[key] = []
        self._created.move_to_end(key)
        found[:] = [r for r in found if r.path != path][-7:]
        found.append(_Recent(now, path, True, actor, cipher))
        while len(self._created) > self.thresholds.max_recent:
            self._created.popitem(last=False)

    def _recent_creation(self, original: Path, now: float) -> _Recent | None:
        """A dense file created beside ``original`` and named after it (``x.jpg.locked``,
        ``x.locked``) within ``pattern_seconds``."""
        name = original.name.lower()
        stem = original.stem.lower()
        for recent in reversed(self._created.get(self._creation_key(original), ())):
            path = recent.path
            if now - recent.at > self.thresholds.pattern_seconds or path == original:
                continue
            other = path.name.lower()
            if other.startswith(name + ".") or (
                other.startswith(stem + ".") and path.suffix.lower() != original.suffix.lower()
            ):
                return recent
        return None

    def _canaries_touched(self, event: Event) -> list[Path]:
        """Canaries this event changed. Only those where canaries are placed (directly in a
        protected folder, when the roots are known) count: a copy of the whole folder copies
        them too. Writing a canary's own bytes again (a sync tool) is not touching it."""
        found = []
        for path in (event.path, event.dest):
            if path is None or not canaries.is_canary(path):
                continue
            if self.roots and path.parent not in self.roots:
                continue
            rewrite = event.kind in ("write", "close_write", "create", "moved_to")
            if rewrite and path == event.path and canaries.is_intact(path):
                continue
            found.append(path)
        return found

    def feed(self, event: Event, signals: FileSignals | None) -> Verdict | None:
        """Take one event (and the signals of the file it left, ``None`` for a deletion or a
        vanished file); return a verdict when the actor crosses the alarm."""
        t = self.thresholds
        now = event.at
        actor = self.actor_of(event)
        state = self._state(actor, now)
        if event.pid is not None:
            state.pid = event.pid
        if event.process:
            state.process = event.process
        target = event.dest if event.dest is not None else event.path
        allow = self.allow.weight(event) if self.allow is not None else 1.0
        added = 0.0
        strong = False

        touched = self._canaries_touched(event)
        if touched:
            name = touched[0].name
            self._note(state, _("canary file touched: {name}").format(name=name), target)
            added += self._count(state, target, 100.0)
            strong = True

        # Content that looks like ciphertext: encrypted, or dense bytes of no known structure.
        # A valid file (a gzip of a rotated log, a JPEG) is never this, however dense.
        dense = signals is not None and (signals.encrypted or signals.opaque_new)
        if event.kind in ("create", "close_write", "write", "moved_to") and signals is not None:
            if signals.kind_before is None and dense:
                self._created_dense(target, now, actor, signals.ciphertext_like)

        if allow > 0 and signals is not None:
            weight = signals.weight * allow
            if signals.canary:
                weight = 0.0  # already counted above, never lowered
            if signals.encrypted and allow >= 0.5:
                self._encrypted(state, target, now)
                self._note(
                    state,
                    _("encrypted-looking content, format destroyed: {name}").format(
                        name=target.name
                    ),
                    target,
                )
            elif signals.extension_suspicious and signals.high_entropy:
                self._note(
                    state, _("known ransomware extension: {name}").format(name=target.name), target
                )
            if signals.ransom_note:
                state.notes += 1
                self._note(state, _("ransom note written: {name}").format(name=target.name), target)
            added += self._count(state, target, weight)

        # One file is enough when it was an existing structured file and a named process
        # turned it into ciphertext (see SOLID_KINDS and the module docstring).
        named = event.pid is not None and allow >= 1.0 and t.one_file
        if (
            named
            and signals is not None
            and event.kind in ("write", "close_write", "create", "moved_to", "rename")
            and _turned_into_ciphertext(signals)
        ):
            self._note(
                state,
                _("an existing file ({kind}) turned into ciphertext by one process: {name}").format(
                    kind=signals.kind_before, name=target.name
                ),
                target,
            )
            strong = True

        if allow > 0 and event.kind == "rename" and event.dest is not None and signals is not None:
            old_ext = event.path.suffix.lower().lstrip(".")
            new_ext = event.dest.suffix.lower().lstrip(".")
            if new_ext != old_ext and dense and new_ext not in COMMON_EXTENSIONS:
                added += self._rename_pattern(state, event.dest, new_ext) * allow

        if allow > 0 and event.kind == "moved_from":
            self._remember(self._moved_out, event.path, now)  # type: ignore[arg-type]
        if allow > 0 and event.kind in ("moved_to", "create") and signals is not None:
            left = self._moved_out.pop(target, None)
            if left is not None and now - left <= t.pattern_seconds and signals.destroyed:
                self._note(
                    state,
                    _("file moved out of the folder and back, changed: {name}").format(
                        name=target.name
                    ),
                    target,
                )
                added += self._count(state, Path(f"{target}#moved"), 2.0 * allow)
            elif left is None and dense:
                # A move in without its move out: a rename the watcher saw as two events.
                source = self._sibling_moved_out(target, now)
                if source is not None:
                    new_ext = target.suffix.lower().lstrip(".")
                    if new_ext != source.suffix.lower().lstrip(".") and (
                        new_ext not in COMMON_EXTENSIONS
                    ):
                        added += self._rename_pattern(state, target, new_ext) * allow

        if allow > 0 and event.kind == "delete":
            created = self._recent_creation(event.path, now)
            if created is not None:
                self._note(
                    state,
                    _(
                        "new encrypted-looking file written, then the original deleted: {name}"
                    ).format(name=event.path.name),
                    created.path,
                )
                added += self._count(state, Path(f"{event.path}#replaced"), 4.0 * allow)
                if allow >= 0.5:
                    self._encrypted(state, created.path, now)
                if (
                    named
                    and created.actor == actor
                    and created.cipher
                    and event.known in SOLID_KINDS
                ):
                    self._note(
                        state,
                        _(
                            "an existing file ({kind}) replaced by its encrypted copy: {name}"
                        ).format(kind=event.known, name=event.path.name),
                        created.path,
                    )
                    strong = True

        if allow >= 0.5 and len(state.encrypted) >= t.strong_files:
            self._note(
                state,
                _("{count} files destroyed and encrypted-looking").format(
                    count=len(state.encrypted)
                ),
            )
            strong = True
        if allow >= 0.5 and state.notes and state.encrypted:
            self._note(state, _("a ransom note beside encrypted-looking files"))
            strong = True

        state.score += added
        if strong:
            state.score = max(state.score, t.alarm)
            state.strong = True
        if state.score < t.alarm and not strong:
            return None
        first = not state.alarmed
        if not first and added <= 0:
            return None
        state.alarmed = True
        return Verdict(
            actor=actor,
            score=round(state.score, 2),
            reasons=tuple(state.reasons),
            strong=strong or state.strong,
            files=tuple(state.files),
            first=first,
            pid=state.pid,
            process=state.process,
            at=now,
        )

    def _rename_pattern(self, state: _ActorState, dest: Path, new_ext: str) -> float:
        count = state.new_extensions.get(new_ext, 0) + 1
        state.new_extensions[new_ext] = count
        if len(state.new_extensions) > 64:
            state.new_extensions.pop(next(iter(state.new_extensions)))
        self._note(
            state,
            _("file renamed to a new extension, with encrypted-looking content: {name}").format(
                name=dest.name
            ),
            dest,
        )
        added = self._count(state, Path(f"{dest}#renamed"), 2.0)
        if count == self.thresholds.new_extension_files:
            self._note(
                state,
                _("{count} files given the new extension .{ext}").format(count=count, ext=new_ext),
            )
            added += 5.0
        return added

    def _sibling_moved_out(self, target: Path, now: float) -> Path | None:
        name = target.name.lower()
        for path, at in reversed(self._moved_out.items()):
            if now - at > self.thresholds.pattern_seconds:
                break
            if path.parent == target.parent and name.startswith(path.stem.lower() + "."):
                return path
        return None


def _turned_into_ciphertext(signals: FileSignals) -> bool:
    """An existing file of a kind written head first (:data:`SOLID_KINDS`), its magic bytes
    now gone into opaque bytes, the whole destroyed and dense, and bytes that look like
    ciphertext themselves. A valid save, a file new to the baseline, a file that keeps its
    magic bytes (a JPEG our checker finds odd, re-saved) never are."""
    if signals.kind_before == "dicom" and signals.kind_after == "dicom":
        # The 64-of-192 families spare ``DICM`` (offset 128) but not the 128-byte preamble
        # before it, which writers fill with zeros or a small binary header; and the file
        # got denser (the same image saved again does not).
        return (
            signals.preamble_random >= DICOM_PREAMBLE_CELLS
            and signals.entropy_jump is not None
            and signals.entropy_jump >= signals.jump_margin / 2
        )
    return (
        signals.kind_before in SOLID_KINDS
        and signals.magic_changed
        and signals.unrecognised
        and signals.encrypted
        and signals.ciphertext_like
    )

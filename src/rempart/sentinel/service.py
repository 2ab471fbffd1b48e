"""The sentinel at work: watch, judge, respond, alert, record.

    sentinel = Sentinel([Path("/srv/patients")], store=store)
    sentinel.start()                      # baseline, canaries, watches; returns when armed
    incident = sentinel.wait_incident(30)
    sentinel.stop()

Threads, and why:

* the **watch** thread reads kernel events (:mod:`rempart.sentinel.watcher`) and puts them in
  a bounded queue; nothing slow happens there, so the kernel queue does not overflow. With
  fanotify as root it also answers the opens of the protected files through the **gate**
  (:mod:`rempart.sentinel.gate`): a process whose writes the analyser has not judged yet
  waits at its next open until they are (a few milliseconds; a quarter of a second at
  most), and a condemned one is denied — the loss no longer depends on the attacker's pace;
* the **analyser** thread takes events in a tight loop, inspects written files
  (:func:`rempart.sentinel.signals.inspect`), feeds the detector and, on a verdict, responds
  at once (deny its opens, suspend, then kill) before anything else;
* the **after** thread does what can wait a few milliseconds: the incident in the store,
  alerts (a slow SMTP server must not delay the next kill), the snapshot hook, callbacks;
* the **heartbeat** thread beats in ``sentinel_runs`` (the dashboard shows "running") and,
  when the OS does not name writers, samples I/O counters to name candidates.

Memory is bounded: the event queue (:data:`QUEUE_MAX`), the per-actor file sets (LRU of
actors, capped sets) and the detector's own LRU. A full queue or a kernel overflow makes the
analyser rescan the folders against the baseline instead of losing changes silently.

Our own process is never judged (the vault restoring files, canaries being put back) and
never stopped; a drill's simulator must therefore run as a separate process.
"""

from __future__ import annotations

import os
import queue
import tempfile
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil

from rempart.config import AlertSettings, SentinelSettings
from rempart.i18n import _
from rempart.sentinel.alerts import Alerter, Delivery
from rempart.sentinel.allowlist import Allowlist
from rempart.sentinel.gate import DEADLINE, Gate
from rempart.sentinel.response import (
    Candidate,
    IoTracker,
    ResponseResult,
    candidates,
    freeze,
    stop,
    thaw,
)
from rempart.sentinel.watcher import (
    Backend,
    FileEvent,
    WatchError,
    check_folder,
    choose_backend,
    walk_files,
)

QUEUE_MAX = 100_000  # events waiting for the analyser (≈ 200 bytes each)
ACTORS_MAX = 256  # actors whose written files we remember
FILES_PER_ACTOR = 10_000
INCIDENT_QUIET = 60.0  # seconds without a new verdict before an incident is closed
HEARTBEAT = 10.0  # seconds between heartbeats in the store
URGENT_NICE = -10  # niceness of the watch and analyser threads (when allowed)
FREEZE_GRACE = 0.3  # seconds a writer of one encrypted file stays frozen without a verdict
# (with the gate, only until its queued events are judged: its next open waits anyway)
IO_SAMPLE = 5.0  # seconds between two samples of I/O counters (when the OS names no writer)
GATE_DEADLINE = DEADLINE  # seconds an open waits for a verdict at most (then it goes)
WRITE_REINSPECT = 0.05  # a file being written is inspected again at most this often (s)
_INSPECTED = ("write", "close_write", "create", "moved_to", "rename")
_WRITES = (*_INSPECTED, "delete")

ProgressCallback = Callable[[int, int], None]


@dataclass
class Incident:
    """One attack caught: who, what was done, which files, and the timeline.

    Mutable on purpose: an incident grows while the sentinel sees more files of the same
    actor (a process not stopped, another thread of an attack); ``lock`` guards it.
    """

    id: int | None
    started_at: datetime  # first suspicious event (wall clock, UTC)
    detected_at: datetime  # verdict (wall clock, UTC)
    started_mono: float  # the same two moments on time.monotonic()
    detected_mono: float
    folder: Path
    actor_pid: int | None
    actor_name: str | None
    actor_user: str | None
    score: float
    reasons: tuple[str, ...]
    action: str  # "killed" | "suspended" | "named" | "none"
    candidates: tuple[Candidate, ...] = ()
    files: list[Path] = field(default_factory=list)  # non-canary files written by the actor
    timeline: list[dict[str, Any]] = field(default_factory=list)
    drill: bool = False
    stopped_mono: float | None = None  # when the culprit was suspended
    key: Any = None  # the detector's actor (pid, or folder window)
    last_mono: float = 0.0
    dirty: bool = field(default=False, repr=False, compare=False)  # an update is queued
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def files_affected(self) -> int:
        return len(self.files)

    def add(self, kind: str, path: Path | None = None, detail: str | None = None) -> None:
        entry: dict[str, Any] = {"at": datetime.now(UTC).isoformat(), "kind": kind}
        if path is not None:
            entry["path"] = str(path)
        if detail:
            entry["detail"] = detail
        with self.lock:
            if len(self.timeline) < 2_000:
                self.timeline.append(entry)

    def timeline_copy(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.timeline)


class _ActorFiles:
    """Files written recently per actor (LRU of actors, each set capped)."""

    def __init__(self) -> None:
        self._by: OrderedDict[Any, tuple[float, dict[Path, None]]] = OrderedDict()

    def add(self, actor: Any, path: Path, now: float) -> None:
        first, files = self._by.pop(actor, (now, {}))
        if len(files) < FILES_PER_ACTOR:
            files[path] = None
        self._by[actor] = (first, files)
        if len(self._by) > ACTORS_MAX:
            self._by.popitem(last=False)

    def get(self, actor: Any) -> tuple[float | None, list[Path]]:
        hit = self._by.get(actor)
        return (hit[0], list(hit[1])) if hit else (None, [])


class Sentinel:
    """Watches ``folders`` and answers encryption in progress. See the module docstring."""

    def __init__(
        self,
        folders: Sequence[Path],
        *,
        settings: SentinelSettings | None = None,
        alerts: AlertSettings | None = None,
        store: Any = None,
        snapshot_hook: Callable[[Incident], None] | None = None,
        on_incident: Callable[[Incident], None] | None = None,
        drill: bool = False,
        progress: ProgressCallback | None = None,
        console: Any = None,
        mode: str | None = None,
        poll_interval: float | None = None,
        on_note: Callable[[str], None] | None = None,
    ) -> None:
        self.folders = [check_folder(Path(f)) for f in folders]
        self.settings = settings or SentinelSettings()
        self.alert_settings = alerts or AlertSettings()
        self.store = store
        self.snapshot_hook = snapshot_hook
        self.on_incident = on_incident
        self.drill = drill
        self.progress = progress
        self.requested_mode = mode or self.settings.mode
        self.poll_interval = poll_interval or self.settings.poll_interval
        if self.poll_interval <= 0:
            raise WatchError(_("[sentinel] poll_interval must be a positive number of seconds."))
        self.on_note = on_note
        self.allowlist = Allowlist.from_settings(self.settings)
        self.alerter = Alerter(self.alert_settings, console=console)
        self.mode = "none"
        self.notes: list[str] = []
        self.incidents: list[Incident] = []
        self.events_seen = 0
        self.files_inspected = 0
        self.rescans = 0
        self.errors: list[str] = []
        self.run_id: int | None = None
        self.canary_files: list[Path] = []

        self._backend: Backend | None = None
        self._queue: queue.Queue[FileEvent | None] = queue.Queue(QUEUE_MAX)
        self._after: queue.Queue[tuple[str, Incident] | None] = queue.Queue()
        self._overflowed = threading.Event()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._incident_cond = threading.Condition()
        self._returned = 0
        self._progress = threading.Condition()
        self.recent_paths: deque[Path] = deque(maxlen=1000)  # last paths analysed
        self._open: dict[Any, Incident] = {}
        self._actor_files = _ActorFiles()
        self._inspected: OrderedDict[Path, float] = OrderedDict()
        self._pending_move: tuple[FileEvent, float] | None = None
        self._io = IoTracker()
        self._frozen: dict[int, float] = {}  # pid → when a provisional freeze ends
        self._frozen_at: dict[int, float] = {}  # pid → when it was frozen
        self.provisional_freezes = 0
        self.gate: Gate | None = None  # set by start() when the kernel can hold opens
        self._late_said = 0
        self._started = False
        self.baseline: Any = None
        self.detector: Any = None

    # -- life cycle ----------------------------------------------------------------------

    def _note(self, text: str) -> None:
        self.notes.append(text)
        if self.on_note is not None:
            self.on_note(text)

    def start(self) -> None:
        """Build or load the baseline, place canaries, arm the watches, start the threads.
        Returns once the watches are set up: from then on, every change is seen."""
        from rempart.sentinel import canaries
        from rempart.sentinel.baseline import Baseline
        from rempart.sentinel.detector import Detector

        if self._started:
            return
        gate = None
        if self.settings.gate and self.settings.response != "alert":
            gate = Gate(deadline=GATE_DEADLINE, exempt=self._exempt)
        backend, note = choose_backend(
            self.folders, self.requested_mode, poll_interval=self.poll_interval, gate=gate
        )
        if note:
            self._note(note)
        for problem in self.alerter.problems():
            self._note(problem)
        self.baseline = _build_baseline(Baseline, self.folders, self.store, self.progress)
        if self.settings.canaries:
            for folder in self.folders:
                try:
                    self.canary_files.extend(canaries.place(folder))
                except OSError as exc:  # read-only folder, a link in the way: say it, go on
                    self._note(
                        _("No canary files in {folder} ({error}): watching without them.").format(
                            folder=folder, error=exc
                        )
                    )
        self.detector = _make_detector(Detector, self.folders, self.allowlist)
        self._warm_up(Detector)
        try:
            backend.arm()
        except BaseException:
            if gate is not None:
                gate.close()
            raise
        self._backend = backend
        self.mode = backend.mode
        self.gate = getattr(backend, "gate", None)
        gate_note = getattr(backend, "gate_note", None)
        if gate is not None and self.gate is None:
            gate.close()
            if self.mode == "fanotify":
                self._note(
                    _(
                        "fanotify cannot hold the opens of the protected files ({reason}): "
                        "a writer is stopped once its files are judged, and a fast one may "
                        "be dozens of files ahead by then."
                    ).format(reason=gate_note)
                )
        elif self.gate is not None and gate_note:
            self._note(
                _("Some opens cannot be held ({reason}): those folders are watched only.").format(
                    reason=gate_note
                )
            )
        if self.store is not None:
            from rempart.store import incidents as records

            self.run_id = records.start_run(
                self.store, [str(f) for f in self.folders], self.mode, drill=self.drill
            )
        self._stopping.clear()
        self._threads = [
            threading.Thread(target=self._watch, name="sentinel-watch", daemon=True),
            threading.Thread(target=self._analyse, name="sentinel-analyse", daemon=True),
            threading.Thread(target=self._after_loop, name="sentinel-after", daemon=True),
            threading.Thread(target=self._heartbeat, name="sentinel-heartbeat", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        self._started = True

    def _warm_up(self, detector_cls: Any) -> None:
        """The first inspection and the first verdict load tables and data files (≈ 60 ms
        measured): pay that now, not on the attacker's first file. Outside the protected
        folders, before the watches exist, with a detector thrown away afterwards."""
        from rempart.sentinel.baseline import measure_file
        from rempart.sentinel.signals import inspect

        with tempfile.TemporaryDirectory(prefix="rempart-warm-") as tmp:
            sample = Path(tmp) / "echauffement.docx"
            sample.write_bytes(os.urandom(16384))
            entry = measure_file(sample)
            signals = inspect(sample, entry)
            scratch = _make_detector(detector_cls, [Path(tmp)], self.allowlist)
            event = FileEvent(time.monotonic(), "close_write", sample, os.getpid(), "warm-up")
            scratch.feed(_detector_event(event, "close_write", sample, None), signals)
            self.allowlist.process_allowed("warm-up", str(sample))
            _is_canary(sample)
        stop_probe = psutil.Process()
        stop_probe.name(), stop_probe.username(), stop_probe.ppid()

    def stop(self) -> None:
        """Stop watching (canaries stay in place), finish pending alerts, close the run."""
        if not self._started:
            return
        self._stopping.set()
        if self._backend is not None:
            self._backend.close()
        self._queue.put(None)
        for thread in self._threads[:2]:
            thread.join(timeout=10)
        self._after.put(None)
        for thread in self._threads[2:]:
            thread.join(timeout=30)
        if self._backend is not None:
            self._backend.release()
        if self.gate is not None:
            self.gate.close()
        if self.store is not None:
            self._save_baseline()
            if self.run_id is not None:
                from rempart.store import incidents as records

                records.stop_run(self.store, self.run_id)
        self._started = False

    def __enter__(self) -> Sentinel:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_incident(self, timeout: float) -> Incident | None:
        """The next incident not yet returned by this method, waiting up to ``timeout`` s."""
        deadline = time.monotonic() + timeout
        with self._incident_cond:
            while self._returned >= len(self.incidents):
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._incident_cond.wait(left)
            incident = self.incidents[self._returned]
            self._returned += 1
            return incident

    def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait until ``predicate()`` holds, checked after each event analysed (for tests
        and drills: "the sentinel has seen my marker file"), at most ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._progress:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._progress.wait(min(left, 0.5))
            return True

    def has_seen(self, path: Path) -> bool:
        with self._progress:
            return Path(path) in self.recent_paths

    # -- threads -------------------------------------------------------------------------

    def _emit(self, event: FileEvent) -> None:
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self._overflowed.set()  # the analyser will rescan
            return
        if self.gate is not None:
            # After the put: counted once it can be judged.
            self.gate.queued(event.pid, event.kind, event.path, event.is_dir)

    def _exempt(self, pid: int) -> bool:
        """An allow-listed process (by name or executable): the gate never holds it."""
        try:
            proc = psutil.Process(pid)
            name = proc.name()
        except psutil.Error:
            return False
        try:
            exe: str | None = proc.exe()
        except psutil.Error:
            exe = None
        return self.allowlist.process_allowed(name, exe)

    def _urgent(self) -> None:
        """Run this thread ahead of ordinary processes (Linux: niceness is per thread; needs
        root, as fanotify does). On a busy computer the attacker competes with us for the
        processor, and every millisecond of delay is a file lost."""
        if not hasattr(os, "setpriority") or not hasattr(threading, "get_native_id"):
            return
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), URGENT_NICE)
        except OSError:
            pass  # not allowed (not root): ordinary priority

    def _watch(self) -> None:
        assert self._backend is not None
        self._urgent()
        try:
            self._backend.run(self._emit)
        except Exception as exc:
            self.errors.append(f"watch: {type(exc).__name__}: {exc}")
            self._note(_("Watching stopped on an error: {error}").format(error=exc))

    def _analyse(self) -> None:
        self._urgent()
        while True:
            wait = 0.5
            if self._frozen:
                wait = max(0.005, min(self._frozen.values()) - time.monotonic())
            try:
                event = self._queue.get(timeout=min(wait, 0.5))
            except queue.Empty:
                event = None
                if self._stopping.is_set():
                    self._thaw_all()
                    return
                self._flush_move(time.monotonic())
                self._thaw_expired()
                self._close_quiet()
                continue
            if event is None:
                self._thaw_all()
                return
            try:
                self.events_seen += 1
                self._handle(event)
            except Exception as exc:
                if len(self.errors) < 100:
                    self.errors.append(f"{event.path}: {type(exc).__name__}: {exc}")
            finally:
                if self.gate is not None:
                    self.gate.judged()
            try:
                if self._frozen:
                    self._thaw_expired()
                if self._overflowed.is_set() and self._queue.empty():
                    self._overflowed.clear()
                    self.rescans += 1
                    for root in self.folders:
                        self._rescan(root)
            except Exception as exc:
                if len(self.errors) < 100:
                    self.errors.append(f"rescan: {type(exc).__name__}: {exc}")
            with self._progress:
                self.recent_paths.append(event.path)
                self._progress.notify_all()

    def _after_loop(self) -> None:
        while True:
            item = self._after.get()
            if item is None:
                return
            what, incident = item
            try:
                if what == "new":
                    self._after_new(incident)
                elif what == "update":
                    incident.dirty = False
                    self._save_update(incident)
                elif what == "close":
                    self._save_update(incident, close=True)
            except Exception as exc:
                incident.add("error", detail=f"{type(exc).__name__}: {exc}"[:300])

    def _heartbeat(self) -> None:
        sample_io = self.mode != "fanotify"
        next_beat = time.monotonic() + HEARTBEAT
        if sample_io:
            self._io.sample()
        while not self._stopping.wait(IO_SAMPLE if sample_io else HEARTBEAT):
            if sample_io:
                self._io.sample()
            if self.gate is not None:
                self.gate.forget_gone()
                self._say_late()
            if time.monotonic() >= next_beat:
                next_beat = time.monotonic() + HEARTBEAT
                if self.store is not None and self.run_id is not None:
                    from rempart.store import incidents as records

                    try:
                        records.beat(self.store, self.run_id)
                    except Exception as exc:
                        self.errors.append(f"heartbeat: {exc}")

    def _say_late(self) -> None:
        """Say (once per heartbeat at most) that opens were let through unjudged: the
        analysis is behind, and the bound on losses holds no more while it is."""
        assert self.gate is not None
        late = self.gate.late
        if late > self._late_said:
            self._note(
                _(
                    "The analysis fell behind: {n} open(s) let through after {ms:.0f} ms "
                    "without a verdict (the computer is very busy)."
                ).format(n=late - self._late_said, ms=self.gate.deadline * 1000)
            )
            self._late_said = late

    # -- analysis ------------------------------------------------------------------------

    def _handle(self, event: FileEvent) -> None:
        if event.kind == "overflow":
            self.rescans += 1
            self._rescan(event.path)
            return
        if event.is_dir and event.kind not in ("moved_from", "moved_to"):
            return
        if self.allowlist.path_allowed(event.path):
            return
        now = event.at
        # Pair a move-out with the move-in that follows it (the same rename).
        if event.kind == "moved_from":
            self._flush_move(now)
            self._pending_move = (event, now)
            return
        if event.kind == "moved_to" and self._pending_move is not None:
            src, _at = self._pending_move
            self._pending_move = None
            if src.pid == event.pid:
                self._feed(event, "rename", src.path, event.path)
                return
            self._feed(src, "moved_from", src.path, None)
        self._flush_move(now)
        kind = event.kind
        if kind == "write":
            last = self._inspected.get(event.path)
            if last is not None and now - last < WRITE_REINSPECT:
                return
        self._feed(event, kind, event.path, None)

    def _flush_move(self, now: float) -> None:
        if self._pending_move is not None and now - self._pending_move[1] >= 0:
            src, _at = self._pending_move
            self._pending_move = None
            self._feed(src, "moved_from", src.path, None)

    def _feed(self, event: FileEvent, kind: str, path: Path, dest: Path | None) -> None:
        from rempart.sentinel.signals import inspect

        target = dest or path
        signals = None
        known = None
        if kind in _INSPECTED and not event.is_dir:
            # What may be lost is what the target was. A file renamed over a known one
            # (written new, then put in its place: Office and ransomware alike) is judged
            # against the file it replaces, even when the new file itself was seen and
            # learned a moment before (it is, once the gate keeps the analysis up with the
            # writer); a file renamed to a free name against what it was under its old one.
            entry = None
            if self.baseline is not None:
                entry = self.baseline.get(dest) if dest is not None else None
                if entry is None:
                    entry = self.baseline.get(path)
            if (
                entry is not None
                and event.pid is not None
                and event.pid not in self._frozen
                and event.pid not in self._open
                and _magic_lost(target, entry.kind)
            ):
                # A known structured file lost its magic bytes: freeze the writer before the
                # full look (half a millisecond, at 300 files a second, is the next file).
                self._freeze_provisionally(event)
            signals = inspect(target, entry)
            self.files_inspected += 1
            self._inspected[target] = event.at
            self._inspected.move_to_end(target)
            if len(self._inspected) > 4096:
                self._inspected.popitem(last=False)
        elif kind == "delete" and self.baseline is not None:
            gone = self.baseline.get(path)  # what was lost, if a copy of it was just written
            known = gone.kind if gone is not None else None
        devent = _detector_event(event, kind, path, dest, known)
        actor = self.detector.actor_of(devent)
        if kind in _WRITES and not event.is_dir and not _is_canary(target):
            self._actor_files.add(actor, target, event.at)
        verdict = self.detector.feed(devent, signals)
        if verdict is not None:
            self._respond(event, verdict, target)
            return
        incident = self._open.get(actor)
        if incident is not None:  # already dealt with: nothing to freeze, the files to record
            self._grow(incident, event, target)
            return
        if (
            event.pid is not None
            and signals is not None
            and signals.encrypted
            and (signals.kind_before is not None or self._copy_of_known(target))
        ):
            self._freeze_provisionally(event)
        self._learn(kind, path, dest, signals)

    def _copy_of_known(self, path: Path) -> bool:
        """``x.pdf.locked`` beside a known ``x.pdf``: an encrypted copy about to replace it.
        A new archive being written (a 7z by py7zr looks encrypted a moment) names none."""
        if self.baseline is None or not path.suffix:
            return False
        return self.baseline.get(path.with_suffix("")) is not None

    def _freeze_provisionally(self, event: FileEvent) -> None:
        """One file encrypted by a known process (an existing file, or a copy named after
        one) is not always a verdict (a second file, a note, a canary makes one), but
        waiting for the next file costs files: freeze the writer now. Events already queued
        are judged while it is frozen; if they do not
        make a verdict within :data:`FREEZE_GRACE`, it runs again (and its next encrypted
        file makes the verdict). A legitimate program is held a fraction of a second."""
        pid = event.pid
        if (
            pid is None
            or pid in self._frozen
            or self.settings.response == "alert"
            or self.allowlist.process_allowed(event.process)
        ):
            return
        if freeze(pid):
            now = time.monotonic()
            self._frozen[pid] = now + FREEZE_GRACE
            self._frozen_at[pid] = now
            self.provisional_freezes += 1

    def _thaw_expired(self) -> None:
        """Thaw writers whose grace is over, once the events queued while they were frozen
        are judged (or, under a flood of other events, two seconds later at most). With the
        gate, as soon as the writer's own events are judged: its next open waits for the
        verdict on anything it writes next, so holding it longer only delays it (and the
        verdict on its next file)."""
        now = time.monotonic()
        gate = self.gate
        for pid, until in list(self._frozen.items()):
            if (gate is not None and gate.clear(pid)) or (
                until <= now and (self._queue.empty() or until + 2.0 <= now)
            ):
                del self._frozen[pid]
                self._frozen_at.pop(pid, None)
                thaw(pid)

    def _thaw_all(self) -> None:
        for pid in list(self._frozen):
            thaw(pid)
        self._frozen.clear()
        self._frozen_at.clear()

    def _learn(self, kind: str, path: Path, dest: Path | None, signals: Any) -> None:
        """A benign change: the baseline follows it (the file's new normal)."""
        if self.baseline is None:
            return
        try:
            if kind == "delete":
                self.baseline.remove(path)
            elif signals is None or signals.weight > 0 or signals.canary:
                return
            elif kind == "rename" and dest is not None:
                if self.baseline.get(path) is None:  # a new file put in place of a known one
                    self.baseline.update(dest)
                else:
                    self.baseline.rename(path, dest)
            elif kind == "close_write":
                self.baseline.update(path)
        except Exception as exc:
            if len(self.errors) < 100:
                self.errors.append(f"baseline {path}: {exc}")

    def _rescan(self, root: Path) -> None:
        """After lost events: every file whose size or time differs from the baseline is
        judged as if it had just been written (the writer is unknown)."""
        from rempart.sentinel.signals import inspect

        for path, st in walk_files(root):
            if _is_canary(path) or self.allowlist.path_allowed(path):
                continue
            entry = self.baseline.get(path) if self.baseline is not None else None
            if entry is not None and entry.size == st.st_size and entry.mtime == st.st_mtime:
                continue
            event = FileEvent(time.monotonic(), "close_write", path)
            signals = inspect(path, entry)
            self.files_inspected += 1
            devent = _detector_event(event, "close_write", path, None)
            verdict = self.detector.feed(devent, signals)
            if verdict is not None:
                self._respond(event, verdict, path)
            elif signals is not None and signals.weight == 0 and self.baseline is not None:
                self.baseline.update(path)

    def _folder_of(self, path: Path) -> Path:
        best = None
        for folder in self.folders:
            if path == folder or folder in path.parents:
                if best is None or len(folder.parts) > len(best.parts):
                    best = folder
        return best or path.parent

    # -- response ------------------------------------------------------------------------

    def _respond(self, event: FileEvent, verdict: Any, path: Path) -> None:
        detected_mono = time.monotonic()
        actor = verdict.actor
        existing = self._open.get(actor)
        if existing is not None:
            for p in verdict.files:
                self._grow(existing, event, Path(p))
            existing.score = max(existing.score, float(verdict.score))
            return
        pid = verdict.pid if verdict.pid is not None else event.pid
        gate = self.gate
        if pid is not None:
            if gate is not None and not self.allowlist.process_allowed(
                verdict.process or event.process
            ):
                gate.condemn(pid)  # its opens are denied now, before it is even frozen
            self._frozen.pop(pid, None)
            result = stop(
                pid,
                self.settings.response,
                self.allowlist,
                name=verdict.process or event.process,
                frozen_at=self._frozen_at.pop(pid, None),
            )
            if gate is not None:
                if result.action == "named":  # left alone (allow-listed, untouchable)
                    gate.pardon(pid)
                for child in result.children:
                    gate.condemn(child)
        else:
            found = candidates(self._folder_of(path), self._io, self.allowlist)
            result = ResponseResult("named", candidates=found)
        now = datetime.now(UTC)
        first_mono, files = self._actor_files.get(actor)
        first_mono = first_mono if first_mono is not None else event.at
        started_at = now - timedelta(seconds=max(0.0, detected_mono - first_mono))
        incident = Incident(
            id=None,
            started_at=started_at,
            detected_at=now,
            started_mono=first_mono,
            detected_mono=detected_mono,
            folder=self._folder_of(path),
            actor_pid=result.pid,
            actor_name=result.name or verdict.process or event.process,
            actor_user=result.user,
            score=float(verdict.score),
            reasons=tuple(verdict.reasons),
            action=result.action,
            candidates=result.candidates,
            files=[p for p in files if not _is_canary(p)],
            drill=self.drill,
            stopped_mono=result.done_at or None,
            key=actor,
            last_mono=detected_mono,
        )
        for p in verdict.files:
            p = Path(p)
            if p not in incident.files and not _is_canary(p):
                incident.files.append(p)
        incident.add(
            "first_event", detail=f"{len(files)} file(s) written by this actor before detection"
        )
        incident.add("detected", path, "; ".join(incident.reasons))
        incident.add(result.action, detail=_response_detail(result))
        for note in result.notes:
            incident.add("note", detail=note)
        if gate is not None and pid is not None:
            held = gate.figures_of(pid)
            incident.add(
                "gate",
                detail=f"{held.held} open(s) held ({held.waited * 1000:.0f} ms in all), "
                f"{held.late} let through at the {gate.deadline:g} s deadline, "
                f"{held.denied} denied",
            )
        self._open[actor] = incident
        if self.store is not None:
            self._save_new(incident)
        with self._incident_cond:
            self.incidents.append(incident)
            self._incident_cond.notify_all()
        self._after.put(("new", incident))

    def _grow(self, incident: Incident, event: FileEvent, path: Path) -> None:
        incident.last_mono = event.at
        if event.kind == "delete" or _is_canary(path):
            return
        with incident.lock:
            if path in incident.files or len(incident.files) >= FILES_PER_ACTOR:
                return
            incident.files.append(path)
        incident.add("file", path, "seen after detection")
        if not incident.dirty:  # one store update for a burst of files
            incident.dirty = True
            self._after.put(("update", incident))

    def _close_quiet(self) -> None:
        now = time.monotonic()
        for actor, incident in list(self._open.items()):
            if now - incident.last_mono >= INCIDENT_QUIET:
                del self._open[actor]
                if self.gate is not None and incident.actor_pid is not None:
                    denied = self.gate.figures_of(incident.actor_pid).denied
                    incident.add("gate", detail=f"{denied} open(s) denied in all")
                self._after.put(("close", incident))

    # -- after the response ----------------------------------------------------------------

    def _save_new(self, incident: Incident) -> None:
        from rempart.store import incidents as records

        try:
            incident.id = records.save_incident(
                self.store,
                started_at=incident.started_at,
                detected_at=incident.detected_at,
                folder=str(incident.folder),
                actor_pid=incident.actor_pid,
                actor_name=incident.actor_name,
                actor_user=incident.actor_user,
                score=incident.score,
                reason="; ".join(incident.reasons),
                action=incident.action,
                files_affected=incident.files_affected,
                drill=incident.drill,
                timeline=incident.timeline_copy(),
            )
        except Exception as exc:
            incident.add("error", detail=f"store: {exc}"[:300])

    def _save_update(self, incident: Incident, close: bool = False) -> None:
        if self.store is None or incident.id is None:
            return
        from rempart.store import incidents as records

        records.update_incident(
            self.store,
            incident.id,
            timeline=incident.timeline_copy(),
            files_affected=incident.files_affected,
            close=close,
        )

    def _after_new(self, incident: Incident) -> None:
        if self.snapshot_hook is not None:
            try:
                self.snapshot_hook(incident)
                incident.add("snapshot", detail="done")
            except Exception as exc:
                incident.add("snapshot", detail=f"failed: {type(exc).__name__}: {exc}"[:300])
        deliveries: list[Delivery] = self.alerter.send(incident)
        for d in deliveries:
            incident.add(f"alert_{d.channel}", detail=("sent: " if d.ok else "failed: ") + d.detail)
        if self.on_incident is not None:
            try:
                self.on_incident(incident)
            except Exception as exc:
                incident.add("error", detail=f"on_incident: {exc}"[:300])
        self._save_update(incident)

    def _save_baseline(self) -> None:
        if self.baseline is None:
            return
        try:
            self.baseline.save()
        except Exception as exc:
            self.errors.append(f"baseline save: {exc}")


# -- the seams with the detector's API (one place to adapt) ------------------------------


def _is_canary(path: Path) -> bool:
    from rempart.sentinel import canaries

    return bool(canaries.is_canary(path))


def _magic_lost(path: Path, kind: str) -> bool:
    """The first bytes of ``path``, once a file of ``kind`` written head first, are now no
    kind at all (unrecognised bytes, base64). An empty or zero-filled head (a save that
    truncated or preallocated the file) is not that."""
    from rempart.sentinel import magic
    from rempart.sentinel.detector import SOLID_KINDS

    if kind not in SOLID_KINDS:
        return False
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_BINARY", 0))
    except OSError:
        return False
    try:
        head = os.read(fd, 2048)  # base64 is told from text on 1 KiB or more
    except OSError:
        return False
    finally:
        os.close(fd)
    if len(head) < 64 or not any(head):
        return False
    now = magic.sniff(head)
    if kind in (magic.TEXT, "text-utf16", "rtf"):
        return now in (magic.DATA, magic.BASE64)
    return now in (magic.DATA, magic.BASE64, magic.TEXT)


def _build_baseline(baseline_cls: Any, folders: Sequence[Path], store: Any, progress: Any) -> Any:
    baseline = baseline_cls(store)
    baseline.build(folders, progress=progress)
    return baseline


def _make_detector(detector_cls: Any, folders: Sequence[Path], allowlist: Allowlist) -> Any:
    return detector_cls(allow=allowlist.policy, roots=list(folders))


def _detector_event(
    event: FileEvent, kind: str, path: Path, dest: Path | None, known: str | None = None
) -> Any:
    from rempart.sentinel.detector import Event

    return Event(
        at=event.at,
        kind=kind,
        path=path,
        dest=dest,
        pid=event.pid,
        process=event.process,
        known=known,
    )


def _response_detail(result: ResponseResult) -> str:
    parts = []
    if result.pid is not None:
        parts.append(f"{result.name or '?'} pid {result.pid} ({result.user or '?'})")
    if result.children:
        parts.append("children " + ", ".join(str(c) for c in result.children))
    if result.candidates:
        parts.append("candidates: " + ", ".join(c.label() for c in result.candidates))
    return "; ".join(parts) or result.action

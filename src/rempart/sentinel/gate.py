"""The gate: a writer waits at its next open until what it wrote has been judged.

Without it the sentinel learns of a write from a notification queue read after the fact: a
process rewriting 1,000 files a second is dozens of files ahead when the verdict falls. With
fanotify *permission* events (Linux, root: a ``FAN_CLASS_CONTENT`` group with
``FAN_OPEN_PERM`` on every protected folder, :mod:`rempart.sentinel.fanotify`) the kernel
holds every open of a file under the protected folders until the sentinel answers
``FAN_ALLOW`` or ``FAN_DENY``. The gate decides the answer:

* a process judged malicious: **deny** (the response then suspends or kills it);
* a process whose writes are queued for the analyser and not judged yet: **hold** the open
  until they are, then allow it (or deny it, if they made a verdict) — never longer than
  ``deadline`` seconds: then allow it anyway, and count it (:attr:`Gate.late`), so that a
  slow analysis never stops the practice's work;
* everyone else — nearly every open: a process that wrote nothing here, or whose writes are
  judged — **allow at once**. The sentinel's own process (it reads the files it judges) and
  allow-listed processes are never held.

So a ransomware process writes one file, and its next open waits for that file's verdict:
the loss is bounded by the files it had already opened, not by how fast it goes.

Only what can destroy a file that was there counts: writing into an existing file,
deleting, renaming or moving one. A process that creates new files and writes into them
(an x-ray saved, a folder copied in, an archive unpacked) loses nobody anything, and is
never held for them: the practice's work goes at full speed, and the detector still judges
those files (a ransom note, an encrypted copy named after an original) as before.

How "judged" is known without a look-up per event: the watch thread numbers the events it
hands to the analyser (:meth:`Gate.queued`) and the analyser counts the events it has
finished (:meth:`Gate.judged`). The queue is first-in first-out: a process whose last event
bears number *n* is judged once *n* events are. The watch thread reads the permission events
*before* it drains the notification queue, and the kernel queues a write's notification
before the writer can make its next open: every write that preceded an open is numbered
before that open is decided.

The gate does no I/O on files (the backend answers the kernel); it is thread-safe
bookkeeping with a pipe that wakes the watch thread when a held process may go, tested
without root.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

DEADLINE = 0.25  # seconds an open is held at most, judged or not
EXEMPT_TTL = 5.0  # seconds an allow-list answer about a pid is remembered
PIDS_MAX = 4096  # processes with unjudged writes remembered (beyond: the oldest forgotten)
CREATED_MAX = 8192  # (process, new file) pairs remembered (beyond: their writes count again)


@dataclass(frozen=True, slots=True)
class Answer:
    """The answer to one open: ``allow`` or deny, how long it was held, whether the deadline
    (not a judgement) let it through."""

    token: object  # what the backend needs to answer the kernel (the event's descriptor)
    pid: int
    allow: bool
    waited: float = 0.0
    late: bool = False


@dataclass(slots=True)
class _Held:
    token: object
    pid: int
    since: float
    until: float


@dataclass(slots=True)
class PidFigures:
    """What the gate did to one process: opens held, let through at the deadline, denied."""

    held: int = 0
    late: int = 0
    denied: int = 0
    waited: float = 0.0  # seconds held in all


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks (``/proc/<pid>/stat``), which tells a
    process from a later one given the same pid; ``None`` where there is no ``/proc``."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            raw = fh.read()
    except OSError:
        return None
    fields = raw[raw.rfind(b")") + 2 :].split()
    try:
        return int(fields[19])  # field 22 of the whole line
    except (IndexError, ValueError):
        return None


class Gate:
    """Who may open a protected file now. See the module docstring.

    ``exempt(pid)`` says whether a process is allow-listed (asked only for a process that
    would be held, and remembered a few seconds).
    """

    def __init__(
        self,
        *,
        deadline: float = DEADLINE,
        exempt: Callable[[int], bool] | None = None,
        own_pid: int | None = None,
    ) -> None:
        self.deadline = deadline
        self.own_pid = os.getpid() if own_pid is None else own_pid
        self._exempt = exempt or (lambda _pid: False)
        self._exempt_cache: OrderedDict[int, tuple[float, bool]] = OrderedDict()
        self._lock = threading.Lock()
        self._queued = 0  # written by the watch thread only
        self._judged = 0  # written by the analyser only
        self._last: OrderedDict[int, int] = OrderedDict()  # pid → number of its last event
        self._created: OrderedDict[tuple[int, object], None] = OrderedDict()
        self._condemned: dict[int, int | None] = {}  # pid → its start time
        self._held: list[_Held] = []
        self._wake_at = math.inf  # judged count at which the watch thread is woken
        self._r, self._w = os.pipe()
        os.set_blocking(self._r, False)
        os.set_blocking(self._w, False)
        self.figures: OrderedDict[int, PidFigures] = OrderedDict()
        self.allowed = 0  # opens of processes with something written, allowed at once
        self.held = 0
        self.late = 0
        self.denied = 0
        self.max_wait = 0.0
        self.waited = 0.0  # seconds held in all (every process): what the gate cost

    # -- the watch thread ----------------------------------------------------------------

    def fileno(self) -> int:
        """Readable when a held open may have its answer (poll it beside the kernel's)."""
        return self._r

    def queued(
        self, pid: int | None, kind: str | None = None, path: object = None, is_dir: bool = False
    ) -> None:
        """One more event handed to the analyser (``pid``: its writer, when known). An
        event that cannot have destroyed a file that was there — a file or folder created,
        a write into a file the same process created — does not make ``pid`` wait."""
        self._queued += 1
        if pid is None or pid == self.own_pid:
            return
        if kind is not None and path is not None:
            key = (pid, path)
            if kind == "create":
                if not is_dir:
                    self._created[key] = None
                    self._created.move_to_end(key)
                    if len(self._created) > CREATED_MAX:
                        self._created.popitem(last=False)
                return
            if key in self._created:
                if kind in ("write", "close_write"):
                    return
                if kind == "delete":
                    del self._created[key]
                    return
        self._last[pid] = self._queued
        self._last.move_to_end(pid)
        if len(self._last) > PIDS_MAX:
            for old in [p for p, n in self._last.items() if n <= self._judged]:
                del self._last[old]
            while len(self._last) > PIDS_MAX:
                self._last.popitem(last=False)

    def ask(self, pid: int, token: object, now: float | None = None) -> Answer | None:
        """The answer to an open by ``pid``, or ``None``: held (see :meth:`settle`)."""
        if pid == self.own_pid:
            return Answer(token, pid, True)
        if pid in self._condemned:
            self._count(pid).denied += 1
            self.denied += 1
            return Answer(token, pid, False)
        last = self._last.get(pid)
        if last is None:
            return Answer(token, pid, True)
        if self._judged >= last:
            del self._last[pid]
            self.allowed += 1
            return Answer(token, pid, True)
        now = time.monotonic() if now is None else now
        if self._is_exempt(pid, now):
            return Answer(token, pid, True)
        self._held.append(_Held(token, pid, now, now + self.deadline))
        self._count(pid).held += 1
        self.held += 1
        self._arm()
        return None

    def settle(self, now: float | None = None) -> list[Answer]:
        """Answers for the held opens that have one now: their writer judged (allow),
        condemned (deny), or held ``deadline`` seconds (allow, late)."""
        self._drain_pipe()
        if not self._held:
            return []
        now = time.monotonic() if now is None else now
        out: list[Answer] = []
        keep: list[_Held] = []
        for h in self._held:
            waited = now - h.since
            if h.pid in self._condemned:
                out.append(Answer(h.token, h.pid, False, waited))
                self._count(h.pid).denied += 1
                self.denied += 1
            elif self._judged >= self._last.get(h.pid, 0):
                out.append(Answer(h.token, h.pid, True, waited))
            elif now >= h.until:
                out.append(Answer(h.token, h.pid, True, waited, late=True))
                self._count(h.pid).late += 1
                self.late += 1
            else:
                keep.append(h)
                continue
            self._count(h.pid).waited += waited
            self.waited += waited
            self.max_wait = max(self.max_wait, waited)
        self._held = keep
        self._arm()
        return out

    def timeout(self, now: float | None = None) -> float | None:
        """Seconds until the next held open reaches its deadline (``None``: nothing held)."""
        if not self._held:
            return None
        now = time.monotonic() if now is None else now
        return max(0.0, min(h.until for h in self._held) - now)

    def release(self) -> list[object]:
        """Every held open's token, forgotten (the sentinel stops: allow them all)."""
        tokens = [h.token for h in self._held]
        self._held = []
        self._arm()
        return tokens

    # -- the analyser --------------------------------------------------------------------

    def judged(self) -> None:
        """One more event judged (taken from the queue and done with, verdict or not)."""
        self._judged += 1
        if self._judged >= self._wake_at:
            with self._lock:
                if self._judged >= self._wake_at:
                    self._wake_at = math.inf
                    self._signal()

    def clear(self, pid: int) -> bool:
        """Every event of ``pid`` handed to the analyser is judged."""
        return self._judged >= self._last.get(pid, 0)

    def condemn(self, pid: int) -> None:
        """A verdict against ``pid``: its opens are denied from now on (held ones too)."""
        with self._lock:
            self._condemned[pid] = start_time(pid)
            self._signal()

    def pardon(self, pid: int) -> None:
        """The response left ``pid`` alone (allow-listed, untouchable): let it open again."""
        with self._lock:
            self._condemned.pop(pid, None)
            self._signal()

    def condemned(self, pid: int) -> bool:
        return pid in self._condemned

    def forget_gone(self) -> None:
        """Forget condemned processes that are gone (their pid may be given to another)."""
        with self._lock:
            for pid, started in list(self._condemned.items()):
                if started is None or start_time(pid) != started:
                    del self._condemned[pid]

    def figures_of(self, pid: int) -> PidFigures:
        return self.figures.get(pid) or PidFigures()

    def close(self) -> None:
        for fd in (self._r, self._w):
            try:
                os.close(fd)
            except OSError:
                pass
        self._r = self._w = -1

    # -- inside --------------------------------------------------------------------------

    def _arm(self) -> None:
        """Wake the watch thread when the first held process is judged; if the analyser
        got there meanwhile, wake it now (it re-reads the counter after setting the mark,
        and the analyser reads the mark after counting: one of the two sees the other)."""
        with self._lock:
            marks = [self._last.get(h.pid, 0) for h in self._held if h.pid not in self._condemned]
            self._wake_at = min(marks, default=math.inf)
            if self._judged >= self._wake_at:
                self._wake_at = math.inf
                self._signal()

    def _signal(self) -> None:
        try:
            os.write(self._w, b"!")
        except (BlockingIOError, OSError):
            pass  # the pipe is full (already signalled) or closed (stopping)

    def _drain_pipe(self) -> None:
        while True:
            try:
                if not os.read(self._r, 4096):
                    return
            except (BlockingIOError, OSError):
                return

    def _is_exempt(self, pid: int, now: float) -> bool:
        hit = self._exempt_cache.get(pid)
        if hit is not None and hit[0] > now:
            return hit[1]
        try:
            exempt = bool(self._exempt(pid))
        except Exception:
            exempt = False
        self._exempt_cache[pid] = (now + EXEMPT_TTL, exempt)
        self._exempt_cache.move_to_end(pid)
        if len(self._exempt_cache) > 256:
            self._exempt_cache.popitem(last=False)
        return exempt

    def _count(self, pid: int) -> PidFigures:
        figures = self.figures.get(pid)
        if figures is None:
            figures = self.figures[pid] = PidFigures()
            if len(self.figures) > 1024:
                self.figures.popitem(last=False)
        return figures

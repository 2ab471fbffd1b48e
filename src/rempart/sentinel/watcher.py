"""File events from the protected folders, by the best means the system offers.

Three backends share one small interface (:class:`Backend`) and one event type
(:class:`FileEvent`):

* ``fanotify`` (Linux, root): the kernel tells which process wrote, so the culprit can be
  stopped at once (:mod:`rempart.sentinel.fanotify`);
* ``inotify`` (Linux, any user): every change, but not who made it; the detector then scores
  per folder and time window and the response names candidates
  (:mod:`rempart.sentinel.inotify`);
* ``poll`` (everywhere else, Windows included for now): a walk of the folders compared with
  the previous walk. ``ReadDirectoryChangesW`` (and the minifilter that would give the PID on
  Windows) is future work, documented in ``docs/sentinel.md``.

Backends never follow symbolic links (a link out of the protected tree, or a loop, is not
walked), count each directory once by ``(device, inode)``, and turn a kernel queue overflow
into a single ``overflow`` event: the service then rescans against the baseline.
"""

from __future__ import annotations

import errno
import os
import select
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from rempart.core.errors import RempartError
from rempart.i18n import _

MODES = ("fanotify", "inotify", "poll")

# Directories walked at most (bounded memory: a mark or a watch costs ~1 KiB in the kernel).
MAX_DIRECTORIES = 200_000


class WatchError(RempartError):
    """A protected folder cannot be watched (vanished, unreadable, too many folders)."""


@dataclass(frozen=True, slots=True)
class FileEvent:
    """One change under a protected folder.

    ``kind`` is one of ``write`` (data written, the file may still be open), ``close_write``
    (closed after writing), ``create``, ``delete``, ``moved_from``, ``moved_to``, or
    ``overflow`` (events were lost: rescan ``path``, a protected root). ``pid`` and
    ``process`` are known with fanotify only.
    """

    at: float  # time.monotonic()
    kind: str
    path: Path
    pid: int | None = None
    process: str | None = None
    is_dir: bool = False


Emit = Callable[[FileEvent], None]


class Backend(Protocol):
    mode: str

    def arm(self) -> None:
        """Set up every watch; raises :class:`WatchError` if a folder cannot be watched."""

    def run(self, emit: Emit) -> None:
        """Deliver events until :meth:`close` is called (blocking; runs in a thread)."""

    def close(self) -> None:
        """Make :meth:`run` return (callable from another thread)."""

    def release(self) -> None:
        """Free the kernel resources, once :meth:`run` has returned."""


def read_queued(fd: int, size: int) -> Iterator[bytes]:
    """What the kernel has queued on a non-blocking descriptor, a buffer at a time, until
    nothing is left (interrupted reads are retried)."""
    while True:
        try:
            buf = os.read(fd, size)
        except BlockingIOError:
            return
        except OSError as exc:
            if exc.errno == errno.EINTR:
                continue
            raise
        if not buf:
            return
        yield buf


class KernelQueue:
    """What fanotify and inotify share: a kernel descriptor read in a poll loop, woken by a
    pipe so that :meth:`close` can stop :meth:`run` from another thread. A subclass opens
    ``_fd`` and the pipe in ``arm`` and turns a buffer into events in :meth:`_parse`."""

    def __init__(self) -> None:
        self._fd = -1
        self._wake_r, self._wake_w = -1, -1

    def _parse(self, buf: bytes, emit: Emit) -> None:
        raise NotImplementedError

    def run(self, emit: Emit) -> None:
        poller = select.poll()
        poller.register(self._fd, select.POLLIN)
        poller.register(self._wake_r, select.POLLIN)
        while True:
            ready = poller.poll()
            if any(fd == self._wake_r for fd, _ in ready):
                return
            self._drain(emit)

    def _drain(self, emit: Emit) -> None:
        """Read and parse everything the kernel has queued (the descriptor is non-blocking)."""
        for buf in read_queued(self._fd, 256 * 1024):
            self._parse(buf, emit)

    def close(self) -> None:
        if self._wake_w >= 0:
            try:
                os.write(self._wake_w, b"x")
            except OSError:
                pass

    def release(self) -> None:
        """Close the descriptors (after :meth:`run` has returned)."""
        for fd in (self._fd, self._wake_r, self._wake_w):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._fd = self._wake_r = self._wake_w = -1


def walk_dirs(root: Path) -> Iterator[Path]:
    """Every directory under ``root`` (itself included), symbolic links never followed,
    each real directory once; unreadable ones are skipped silently (they cannot be
    encrypted by us either, and a later event will bring them in)."""
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        current = stack.pop()
        try:
            st = os.lstat(current)
        except OSError:
            continue
        if not stat.S_ISDIR(st.st_mode) or (st.st_dev, st.st_ino) in seen:
            continue
        seen.add((st.st_dev, st.st_ino))
        if len(seen) > MAX_DIRECTORIES:
            raise WatchError(
                _(
                    "{root} holds more than {n} folders: protect smaller folders "
                    "(the ones with patient files and the practice database)."
                ).format(root=root, n=MAX_DIRECTORIES)
            )
        yield current
        try:
            with os.scandir(current) as it:
                for entry in it:
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(Path(entry.path))
                    except OSError:
                        continue
        except OSError:
            continue


def walk_files(root: Path) -> Iterator[tuple[Path, os.stat_result]]:
    """Every regular file under ``root`` with its ``lstat``; links never followed."""
    for folder in walk_dirs(root):
        try:
            with os.scandir(folder) as it:
                for entry in it:
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if stat.S_ISREG(st.st_mode):
                        yield Path(entry.path), st
        except OSError:
            continue


def check_folder(folder: Path) -> Path:
    """The absolute, resolved folder, or one clear :class:`WatchError` line."""
    path = Path(folder).expanduser()
    if not path.exists():
        raise WatchError(
            _("The folder {path} does not exist: check the path or create it.").format(path=path)
        )
    if not path.is_dir():
        raise WatchError(
            _("{path} is a file, not a folder: give the folder that holds the files.").format(
                path=path
            )
        )
    if not os.access(path, os.R_OK | os.X_OK):
        raise WatchError(
            _("The folder {path} cannot be read: run Rempart as a user who can read it.").format(
                path=path
            )
        )
    return path.resolve()


class PollBackend:
    """Walks the folders every ``interval`` seconds and reports what changed.

    It works on every system and needs no privilege; it is the slowest to notice (one
    interval) and cannot tell who wrote. The interval grows when a walk is long, so that
    walking never takes more than about a tenth of the time.
    """

    mode = "poll"

    def __init__(self, roots: Sequence[Path], *, interval: float = 0.5) -> None:
        self.roots = [Path(r) for r in roots]
        self.interval = interval
        self._stop = threading.Event()
        self._state: dict[Path, tuple[int, int, int]] = {}

    def _snapshot(self) -> dict[Path, tuple[int, int, int]]:
        state: dict[Path, tuple[int, int, int]] = {}
        for root in self.roots:
            for path, st in walk_files(root):
                state[path] = (st.st_mtime_ns, st.st_size, st.st_ino)
        return state

    def arm(self) -> None:
        for root in self.roots:
            check_folder(root)
        self._state = self._snapshot()

    def run(self, emit: Emit) -> None:
        interval = self.interval
        while not self._stop.wait(interval):
            began = time.monotonic()
            new = self._snapshot()
            now = time.monotonic()
            for path, sig in new.items():
                old = self._state.get(path)
                if old is None:
                    emit(FileEvent(now, "create", path))
                    emit(FileEvent(now, "close_write", path))
                elif old != sig:
                    emit(FileEvent(now, "close_write", path))
            for path in self._state.keys() - new.keys():
                emit(FileEvent(now, "delete", path))
            self._state = new
            interval = max(self.interval, 10 * (time.monotonic() - began))

    def close(self) -> None:
        self._stop.set()

    def release(self) -> None:
        self._state = {}


def available_modes() -> dict[str, str | None]:
    """Each mode → ``None`` if usable here, else the reason it is not (one line)."""
    from rempart.sentinel import fanotify, inotify

    return {
        "fanotify": fanotify.unavailable_reason(),
        "inotify": inotify.unavailable_reason(),
        "poll": None,
    }


def choose_backend(
    roots: Sequence[Path], mode: str = "auto", *, poll_interval: float = 0.5, gate: Any = None
) -> tuple[Backend, str | None]:
    """The best backend (or the one asked for) and, when it is not the best, why: the
    caller says so once to the person (never silently weaker). ``gate``
    (:class:`rempart.sentinel.gate.Gate`) goes to fanotify, the only backend that can hold
    an open; whether it could is known once the backend is armed."""
    from rempart.sentinel import fanotify, inotify

    reasons = available_modes()
    if mode not in ("auto", *MODES):
        raise WatchError(
            _("Unknown watch mode '{mode}': use auto, fanotify, inotify or poll.").format(mode=mode)
        )
    if mode != "auto" and reasons[mode] is not None:
        raise WatchError(
            _("The {mode} watch mode is not available here: {reason}.").format(
                mode=mode, reason=reasons[mode]
            )
        )
    note: str | None = None
    if mode == "auto":
        if reasons["fanotify"] is None:
            mode = "fanotify"
        elif reasons["inotify"] is None:
            mode = "inotify"
            note = _(
                "fanotify needs root ({reason}): watching with inotify; the culprit will be "
                "named, not stopped at once."
            ).format(reason=reasons["fanotify"])
        else:
            mode = "poll"
            note = _(
                "No file-event interface on this system ({system}): watching by walking the "
                "folders every {interval:g} s; the culprit will be named, not stopped at once."
            ).format(system=sys.platform, interval=poll_interval)
    if mode == "fanotify":
        return fanotify.FanotifyBackend(roots, gate=gate), note
    if mode == "inotify":
        return inotify.InotifyBackend(roots), note
    return PollBackend(roots, interval=poll_interval), note

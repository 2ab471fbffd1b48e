"""fanotify through ctypes (Linux ≥ 5.9, root): file events that name the writing process.

One notification group in ``FAN_REPORT_DFID_NAME`` mode: every event carries the PID of the
process that caused it, the handle of the directory and the name of the entry. Each
directory of the protected trees gets an inode mark (``FAN_EVENT_ON_CHILD``), like inotify's
recursive watches but with the PID; we remember the handle of every directory we mark, so
turning an event into a path is a dictionary look-up (no ``open_by_handle_at``). New
directories are marked as they appear. Writes, closes after writing, creations, deletions
and both halves of a rename are reported; the kernel queue is bounded (16,384 events) and an
overflow becomes one ``overflow`` event per root (the service rescans).

Given a :class:`~rempart.sentinel.gate.Gate`, a second group — of class
``FAN_CLASS_CONTENT``, which the kernel does not allow with directory handles, hence two —
puts ``FAN_OPEN_PERM`` marks on the same directories: every open of a file under them waits
until this thread writes ``FAN_ALLOW`` or ``FAN_DENY`` (the gate decides). One thread reads
both groups, the permission events first and then the notifications, so that every write
made before an open is counted before that open is decided. The kernel reports the
listener's own opens too (measured): the gate allows them at once, and this thread never
opens a file under the protected folders itself (directories are not reported:
no ``FAN_ONDIR``). When the group's descriptor closes — the sentinel stops, or dies — the
kernel allows whatever was waiting (tested). Where the kernel has no permission events
(``CONFIG_FANOTIFY_ACCESS_PERMISSIONS``) the notification group works alone and
:attr:`FanotifyBackend.gate_note` says why.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import select
import struct
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

from rempart.i18n import _
from rempart.sentinel.gate import Answer, Gate
from rempart.sentinel.watcher import (
    Emit,
    FileEvent,
    KernelQueue,
    WatchError,
    check_folder,
    read_queued,
    walk_dirs,
    walk_files,
)

# <linux/fanotify.h>
FAN_MODIFY = 0x02
FAN_CLOSE_WRITE = 0x08
FAN_MOVED_FROM = 0x40
FAN_MOVED_TO = 0x80
FAN_CREATE = 0x100
FAN_DELETE = 0x200
FAN_DELETE_SELF = 0x400
FAN_MOVE_SELF = 0x800
FAN_Q_OVERFLOW = 0x4000
FAN_OPEN_PERM = 0x10000
FAN_EVENT_ON_CHILD = 0x08000000
FAN_ONDIR = 0x40000000

FAN_CLOEXEC = 0x01
FAN_NONBLOCK = 0x02
FAN_CLASS_NOTIF = 0x00
FAN_CLASS_CONTENT = 0x04
FAN_UNLIMITED_QUEUE = 0x10
FAN_UNLIMITED_MARKS = 0x20
FAN_REPORT_DIR_FID = 0x400
FAN_REPORT_NAME = 0x800
FAN_REPORT_DFID_NAME = FAN_REPORT_DIR_FID | FAN_REPORT_NAME

FAN_MARK_ADD = 0x01
FAN_MARK_DONT_FOLLOW = 0x04
FAN_MARK_ONLYDIR = 0x08

FAN_ALLOW = 0x01
FAN_DENY = 0x02

FAN_EVENT_INFO_TYPE_DFID_NAME = 2
FAN_EVENT_INFO_TYPE_DFID = 3

AT_FDCWD = -100
MAX_HANDLE_SZ = 128

MASK = (
    FAN_MODIFY
    | FAN_CLOSE_WRITE
    | FAN_CREATE
    | FAN_DELETE
    | FAN_MOVED_FROM
    | FAN_MOVED_TO
    | FAN_DELETE_SELF
    | FAN_MOVE_SELF
    | FAN_EVENT_ON_CHILD
    | FAN_ONDIR
)

# Opens of the files in a marked directory (not of directories: no FAN_ONDIR).
PERM_MASK = FAN_OPEN_PERM | FAN_EVENT_ON_CHILD

_METADATA = struct.Struct("=IBBHQii")  # event_len, vers, reserved, metadata_len, mask, fd, pid
_INFO_HEADER = struct.Struct("=BBH")  # info_type, pad, len
_HANDLE_HEADER = struct.Struct("=Ii")  # handle_bytes, handle_type
_RESPONSE = struct.Struct("=iI")  # fd, response

_libc: ctypes.CDLL | None = None


def _lib() -> ctypes.CDLL:
    global _libc
    if _libc is None:
        lib = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        lib.fanotify_init.argtypes = [ctypes.c_uint, ctypes.c_uint]
        lib.fanotify_init.restype = ctypes.c_int
        lib.fanotify_mark.argtypes = [
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint64,
            ctypes.c_int,
            ctypes.c_char_p,
        ]
        lib.fanotify_mark.restype = ctypes.c_int
        lib.name_to_handle_at.argtypes = [
            ctypes.c_int,
            ctypes.c_char_p,
            ctypes.c_void_p,
            ctypes.POINTER(ctypes.c_int),
            ctypes.c_int,
        ]
        lib.name_to_handle_at.restype = ctypes.c_int
        _libc = lib
    return _libc


def _init_flags() -> int:
    return FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK | FAN_UNLIMITED_MARKS | FAN_REPORT_DFID_NAME


def _perm_init_flags() -> int:
    # Unlimited queue: every permission event is a thread waiting, so the queue is bounded
    # by the threads of the computer, and none must be lost.
    return (
        FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK | FAN_UNLIMITED_MARKS | FAN_UNLIMITED_QUEUE
    )


def _perm_event_flags() -> int:
    # The descriptor the kernel opens for each event is never read; non-blocking so that a
    # named pipe (not reported by the kernels measured, 6.x, but maybe by others) cannot
    # make the kernel wait for a writer inside our read, while the writer waits for us.
    return os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK | getattr(os, "O_LARGEFILE", 0)


def _perm_failure(err: int) -> str:
    if err == errno.EPERM:
        return _("not running as root")
    if err == errno.EINVAL:
        return _("the kernel has no fanotify permission events")
    return os.strerror(err)


def gate_unavailable_reason() -> str | None:
    """``None`` if a fanotify group with permission events can be made here."""
    reason = unavailable_reason()
    if reason is not None:
        return reason
    fd = _lib().fanotify_init(_perm_init_flags(), _perm_event_flags())
    if fd < 0:
        return _perm_failure(ctypes.get_errno())
    os.close(fd)
    return None


def unavailable_reason() -> str | None:
    """``None`` if a fanotify group with directory handles and names can be made here."""
    if not sys.platform.startswith("linux"):
        return _("fanotify exists on Linux only")
    try:
        lib = _lib()
    except (OSError, AttributeError):
        return _("the C library has no fanotify")
    fd = lib.fanotify_init(_init_flags(), os.O_RDONLY)
    if fd < 0:
        err = ctypes.get_errno()
        if err == errno.EPERM:
            return _("not running as root")
        if err == errno.EINVAL:
            return _("the kernel is older than 5.9")
        return os.strerror(err)
    os.close(fd)
    return None


def _handle_key(path: Path) -> bytes | None:
    """The directory's file handle as fanotify reports it (type + bytes), or None."""
    buf = ctypes.create_string_buffer(_HANDLE_HEADER.size + MAX_HANDLE_SZ)
    _HANDLE_HEADER.pack_into(buf, 0, MAX_HANDLE_SZ, 0)
    mount_id = ctypes.c_int(0)
    rc = _lib().name_to_handle_at(
        AT_FDCWD, os.fsencode(path), ctypes.cast(buf, ctypes.c_void_p), ctypes.byref(mount_id), 0
    )
    if rc != 0:
        return None
    size, kind = _HANDLE_HEADER.unpack_from(buf, 0)
    return struct.pack("=i", kind) + buf.raw[_HANDLE_HEADER.size : _HANDLE_HEADER.size + size]


class _ProcessNames:
    """PID → short process name (``/proc/<pid>/comm``), a small LRU: one read per writer."""

    def __init__(self, size: int = 256) -> None:
        self._names: OrderedDict[int, tuple[float, str | None]] = OrderedDict()
        self._size = size

    def get(self, pid: int) -> str | None:
        now = time.monotonic()
        hit = self._names.get(pid)
        if hit is not None and now - hit[0] < 5.0:
            self._names.move_to_end(pid)
            return hit[1]
        try:
            with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as fh:
                name: str | None = fh.read().strip() or None
        except OSError:
            name = None
        self._names[pid] = (now, name)
        if len(self._names) > self._size:
            self._names.popitem(last=False)
        return name


class FanotifyBackend(KernelQueue):
    """Inode marks on every directory of the protected trees, events with the writer's PID;
    with a ``gate``, opens under them wait for its answer (see the module docstring)."""

    mode = "fanotify"

    def __init__(self, roots: Sequence[Path], *, gate: Gate | None = None) -> None:
        super().__init__()
        self.roots = [Path(r) for r in roots]
        self.gate = gate
        self.gate_note: str | None = None  # why the gate could not be set up
        self._perm_fd = -1
        self.lost_perm_marks = 0  # directories whose opens are not gated
        self._dirs: dict[bytes, Path] = {}
        self._lock = threading.Lock()
        self._names = _ProcessNames()
        self._own_pid = os.getpid()
        self.lost_marks = 0  # directories that vanished or could not be marked

    # -- marks ---------------------------------------------------------------------------

    def _mark(self, folder: Path) -> bool:
        key = _handle_key(folder)
        flags = FAN_MARK_ADD | FAN_MARK_DONT_FOLLOW | FAN_MARK_ONLYDIR
        rc = _lib().fanotify_mark(self._fd, flags, MASK, AT_FDCWD, os.fsencode(folder))
        if rc != 0 or key is None:
            self.lost_marks += 1
            return False
        if self._perm_fd >= 0:
            perm = _lib().fanotify_mark(
                self._perm_fd, flags, PERM_MASK, AT_FDCWD, os.fsencode(folder)
            )
            if perm != 0:
                self.lost_perm_marks += 1
        with self._lock:
            self._dirs[key] = folder
        return True

    def mark_tree(self, root: Path) -> list[Path]:
        """Mark ``root`` and every directory below it; the directories marked."""
        marked = []
        for folder in walk_dirs(root):
            if self._mark(folder):
                marked.append(folder)
        return marked

    def arm(self) -> None:
        roots = [check_folder(r) for r in self.roots]
        fd = _lib().fanotify_init(_init_flags(), os.O_RDONLY)
        if fd < 0:
            raise WatchError(
                _("fanotify cannot start: {error}.").format(error=os.strerror(ctypes.get_errno()))
            )
        self._fd = fd
        self._wake_r, self._wake_w = os.pipe()
        self.roots = roots
        if self.gate is not None:
            perm = _lib().fanotify_init(_perm_init_flags(), _perm_event_flags())
            if perm < 0:
                self.gate_note = _perm_failure(ctypes.get_errno())
                self.gate = None
            else:
                self._perm_fd = perm
        for root in roots:
            if not self._mark(root):
                raise WatchError(
                    _("The folder {path} cannot be watched with fanotify.").format(path=root)
                )
            for folder in walk_dirs(root):
                if folder != root:
                    self._mark(folder)
        if self.gate is not None and self.lost_perm_marks:
            self.gate_note = _("{n} folder(s) could not be given permission marks").format(
                n=self.lost_perm_marks
            )

    # -- the gate ------------------------------------------------------------------------

    def run(self, emit: Emit) -> None:
        if self._perm_fd < 0 or self.gate is None:
            super().run(emit)
            return
        gate = self.gate
        poller = select.poll()
        for fd in (self._fd, self._perm_fd, self._wake_r, gate.fileno()):
            poller.register(fd, select.POLLIN)
        try:
            while True:
                wait = gate.timeout()
                ready = {fd for fd, _ in poller.poll(None if wait is None else wait * 1000 + 1)}
                if self._wake_r in ready:
                    return
                if self._perm_fd in ready:
                    self._permissions(emit)
                elif self._fd in ready:
                    self._drain(emit)
                for answer in gate.settle():
                    self._respond(answer)
        finally:
            self._close_gate()

    def _permissions(self, emit: Emit) -> None:
        """Answer the opens waiting in the kernel: our own at once; the others once the
        notifications queued before them are counted (drained now), as the gate says."""
        assert self.gate is not None
        asking: list[tuple[int, int]] = []
        for buf in read_queued(self._perm_fd, 64 * 1024):
            offset = 0
            while offset + _METADATA.size <= len(buf):
                event_len, _vers, _res, _meta_len, _mask, fd, pid = _METADATA.unpack_from(
                    buf, offset
                )
                if event_len < _METADATA.size:
                    break
                offset += event_len
                if fd < 0:  # an overflow: nobody waits on it
                    continue
                if pid == self._own_pid:
                    self._respond(Answer(fd, pid, True))
                else:
                    asking.append((fd, pid))
        if not asking:
            return
        self._drain(emit)
        now = time.monotonic()
        for fd, pid in asking:
            answer = self.gate.ask(pid, fd, now)
            if answer is not None:
                self._respond(answer)

    def _respond(self, answer: Answer) -> None:
        fd = answer.token
        assert isinstance(fd, int)
        try:
            os.write(self._perm_fd, _RESPONSE.pack(fd, FAN_ALLOW if answer.allow else FAN_DENY))
        except OSError:
            pass  # the process was killed while it waited: nothing to answer any more
        finally:
            os.close(fd)

    def _close_gate(self) -> None:
        """Allow every held open, then close the group: the kernel allows the rest."""
        if self.gate is not None and self._perm_fd >= 0:
            for fd in self.gate.release():
                self._respond(Answer(fd, 0, True))
        if self._perm_fd >= 0:
            try:
                os.close(self._perm_fd)
            except OSError:
                pass
            self._perm_fd = -1

    def release(self) -> None:
        self._close_gate()
        super().release()

    # -- events --------------------------------------------------------------------------

    def _parse(self, buf: bytes, emit: Emit) -> None:
        offset = 0
        now = time.monotonic()
        while offset + _METADATA.size <= len(buf):
            event_len, _vers, _res, meta_len, mask, fd, pid = _METADATA.unpack_from(buf, offset)
            if event_len < _METADATA.size:
                break
            if fd >= 0:  # not in FID mode, but never leak a descriptor
                os.close(fd)
            end = offset + event_len
            if mask & FAN_Q_OVERFLOW:
                for root in self.roots:
                    emit(FileEvent(now, "overflow", root))
                offset = end
                continue
            path = self._path(buf, offset + meta_len, end)
            offset = end
            if mask & FAN_DELETE_SELF and not mask & FAN_EVENT_ON_CHILD:
                self._forget(buf, end - event_len + meta_len, end)  # a marked folder is gone
            if path is None or pid == self._own_pid:
                continue
            name = self._names.get(pid) if pid > 0 else None
            actor = pid if pid > 0 else None
            is_dir = bool(mask & FAN_ONDIR)
            if is_dir and mask & (FAN_CREATE | FAN_MOVED_TO):
                # A new folder: mark it (and what it already holds) before more is written.
                # What it already holds may have been written before the mark existed.
                self.mark_tree(path)
                for file, _st in walk_files(path):
                    emit(FileEvent(now, "create", file, actor, name))
                    emit(FileEvent(now, "close_write", file, actor, name))
            for bit, kind in (
                # The kernel merges the events of one name: replay them in a likely order.
                (FAN_CREATE, "create"),
                (FAN_MOVED_TO, "moved_to"),
                (FAN_MODIFY, "write"),
                (FAN_CLOSE_WRITE, "close_write"),
                (FAN_MOVED_FROM, "moved_from"),
                (FAN_DELETE, "delete"),
            ):
                if mask & bit:
                    emit(FileEvent(now, kind, path, actor, name, is_dir))

    def _forget(self, buf: bytes, offset: int, end: int) -> None:
        """Drop the handle of a deleted folder: the table holds live folders only."""
        if offset + _INFO_HEADER.size > end:
            return
        info_type, _pad, _length = _INFO_HEADER.unpack_from(buf, offset)
        if info_type not in (FAN_EVENT_INFO_TYPE_DFID, FAN_EVENT_INFO_TYPE_DFID_NAME):
            return  # (a folder's own events come with the name ".")
        hstart = offset + _INFO_HEADER.size + 8
        size, kind = _HANDLE_HEADER.unpack_from(buf, hstart)
        raw = buf[hstart + _HANDLE_HEADER.size : hstart + _HANDLE_HEADER.size + size]
        with self._lock:
            self._dirs.pop(struct.pack("=i", kind) + raw, None)

    @property
    def folders_marked(self) -> int:
        with self._lock:
            return len(self._dirs)

    def _path(self, buf: bytes, offset: int, end: int) -> Path | None:
        while offset + _INFO_HEADER.size <= end:
            info_type, _pad, length = _INFO_HEADER.unpack_from(buf, offset)
            if length <= 0:
                return None
            if info_type in (FAN_EVENT_INFO_TYPE_DFID_NAME, FAN_EVENT_INFO_TYPE_DFID):
                hstart = offset + _INFO_HEADER.size + 8  # after fsid
                size, kind = _HANDLE_HEADER.unpack_from(buf, hstart)
                raw = buf[hstart + _HANDLE_HEADER.size : hstart + _HANDLE_HEADER.size + size]
                with self._lock:
                    folder = self._dirs.get(struct.pack("=i", kind) + raw)
                if folder is None:
                    return None
                if info_type == FAN_EVENT_INFO_TYPE_DFID:
                    return folder
                name_start = hstart + _HANDLE_HEADER.size + size
                name_end = buf.find(b"\0", name_start, offset + length)
                name = buf[name_start : name_end if name_end >= 0 else offset + length]
                if name in (b"", b"."):
                    return folder
                return folder / os.fsdecode(name)
            offset += length
        return None

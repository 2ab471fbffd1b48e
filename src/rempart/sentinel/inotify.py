"""inotify through ctypes (Linux, any user): every change, without who made it.

One watch per directory of the protected trees (recursive by hand, new directories added as
they appear, and their content reported at once since it may have been written before the
watch existed). ``IN_DONT_FOLLOW`` and ``IN_ONLYDIR``: a symbolic link never leads the watch
out of the tree. The kernel queue is bounded (``fs.inotify.max_queued_events``); on
``IN_Q_OVERFLOW`` one ``overflow`` event per root asks the service to rescan.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import struct
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from rempart.i18n import _
from rempart.sentinel.watcher import (
    Emit,
    FileEvent,
    KernelQueue,
    WatchError,
    check_folder,
    walk_dirs,
    walk_files,
)

# <sys/inotify.h>
IN_MODIFY = 0x002
IN_CLOSE_WRITE = 0x008
IN_MOVED_FROM = 0x040
IN_MOVED_TO = 0x080
IN_CREATE = 0x100
IN_DELETE = 0x200
IN_DELETE_SELF = 0x400
IN_MOVE_SELF = 0x800
IN_Q_OVERFLOW = 0x4000
IN_IGNORED = 0x8000
IN_ONLYDIR = 0x01000000
IN_DONT_FOLLOW = 0x02000000
IN_ISDIR = 0x40000000
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000

MASK = (
    IN_MODIFY
    | IN_CLOSE_WRITE
    | IN_MOVED_FROM
    | IN_MOVED_TO
    | IN_CREATE
    | IN_DELETE
    | IN_DELETE_SELF
    | IN_MOVE_SELF
    | IN_ONLYDIR
    | IN_DONT_FOLLOW
)

_EVENT = struct.Struct("=iIII")  # wd, mask, cookie, len

_libc: ctypes.CDLL | None = None


def _lib() -> ctypes.CDLL:
    global _libc
    if _libc is None:
        lib = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        lib.inotify_init1.argtypes = [ctypes.c_int]
        lib.inotify_init1.restype = ctypes.c_int
        lib.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
        lib.inotify_add_watch.restype = ctypes.c_int
        _libc = lib
    return _libc


def unavailable_reason() -> str | None:
    if not sys.platform.startswith("linux"):
        return _("inotify exists on Linux only")
    try:
        fd = _lib().inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
    except (OSError, AttributeError):
        return _("the C library has no inotify")
    if fd < 0:
        return os.strerror(ctypes.get_errno())
    os.close(fd)
    return None


class InotifyBackend(KernelQueue):
    """Recursive inotify watches; ``pid`` is always ``None``."""

    mode = "inotify"

    def __init__(self, roots: Sequence[Path]) -> None:
        super().__init__()
        self.roots = [Path(r) for r in roots]
        self._wds: dict[int, Path] = {}
        self._lock = threading.Lock()
        self.lost_watches = 0

    def _watch(self, folder: Path) -> bool:
        wd = _lib().inotify_add_watch(self._fd, os.fsencode(folder), MASK)
        if wd < 0:
            err = ctypes.get_errno()
            if err == errno.ENOSPC:
                raise WatchError(
                    _(
                        "Too many folders for inotify: raise fs.inotify.max_user_watches "
                        "(sysctl) or protect fewer folders."
                    )
                )
            self.lost_watches += 1
            return False
        with self._lock:
            self._wds[wd] = folder
        return True

    def arm(self) -> None:
        roots = [check_folder(r) for r in self.roots]
        fd = _lib().inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if fd < 0:
            raise WatchError(
                _("inotify cannot start: {error}.").format(error=os.strerror(ctypes.get_errno()))
            )
        self._fd = fd
        self._wake_r, self._wake_w = os.pipe()
        self.roots = roots
        for root in roots:
            for folder in walk_dirs(root):
                if not self._watch(folder) and folder == root:
                    raise WatchError(
                        _("The folder {path} cannot be watched with inotify.").format(path=root)
                    )

    def _new_tree(self, top: Path, emit: Emit, now: float) -> None:
        """A folder appeared (created or moved in): watch it, and report what it already
        holds — a fast writer may have filled it before the watch existed."""
        for folder in walk_dirs(top):
            self._watch(folder)
        for path, _st in walk_files(top):
            emit(FileEvent(now, "create", path))
            emit(FileEvent(now, "close_write", path))

    def _parse(self, buf: bytes, emit: Emit) -> None:
        offset = 0
        now = time.monotonic()
        while offset + _EVENT.size <= len(buf):
            wd, mask, _cookie, length = _EVENT.unpack_from(buf, offset)
            raw = buf[offset + _EVENT.size : offset + _EVENT.size + length]
            offset += _EVENT.size + length
            if mask & IN_Q_OVERFLOW:
                for root in self.roots:
                    emit(FileEvent(now, "overflow", root))
                continue
            with self._lock:
                folder = self._wds.get(wd)
                if mask & IN_IGNORED:
                    self._wds.pop(wd, None)
            if folder is None or mask & IN_IGNORED:
                continue
            name = raw.split(b"\0", 1)[0]
            if not name:
                continue  # IN_DELETE_SELF / IN_MOVE_SELF: the parent reports it
            path = folder / os.fsdecode(name)
            is_dir = bool(mask & IN_ISDIR)
            for bit, kind in (
                (IN_CREATE, "create"),
                (IN_MOVED_FROM, "moved_from"),
                (IN_MOVED_TO, "moved_to"),
                (IN_MODIFY, "write"),
                (IN_CLOSE_WRITE, "close_write"),
                (IN_DELETE, "delete"),
            ):
                if mask & bit:
                    emit(FileEvent(now, kind, path, None, None, is_dir))
            if is_dir and mask & (IN_CREATE | IN_MOVED_TO):
                self._new_tree(path, emit, now)

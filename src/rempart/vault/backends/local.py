"""A repository in a folder: a USB disk, a NAS share, a second internal disk.

Every ``put`` writes a temporary file, ``fsync``s it, links it to its final name (``os.link``
fails when the name exists, so nothing is ever overwritten), removes the temporary name and
``fsync``s the directory: after a power cut an object is there whole or not at all.
"""

from __future__ import annotations

import builtins
import errno
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from rempart.i18n import _
from rempart.vault.backends.base import check_kind, check_name
from rempart.vault.errors import (
    BackendUnavailable,
    ObjectExists,
    RepositoryCorrupt,
    RetentionRefused,
    StorageFull,
)

_TMP = ".tmp-"


def _fsync_dir(path: Path) -> None:
    if os.name == "nt":  # directories cannot be opened for fsync on Windows; NTFS journals them
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalBackend:
    """Objects as files under ``root`` (layout in docs/vault-format.md, section 1)."""

    immutable = False

    def __init__(self, root: Path) -> None:
        self.root = Path(root).expanduser().absolute()
        self.location = str(self.root)

    # -- paths ---------------------------------------------------------------------------

    def _dir(self, kind: str, name: str) -> Path:
        if kind == "data":
            return self.root / kind / name[:2]
        return self.root / kind

    def _path(self, kind: str, name: str) -> Path:
        check_kind(kind)
        check_name(name)
        if kind == "config":
            return self.root / "config"
        return self._dir(kind, name) / name

    def _os_error(self, exc: OSError, what: str) -> Exception:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return StorageFull(
                _(
                    "The backup disk {location} is full ({what}): free some space or run "
                    "'rempart backup prune'; the repository is unchanged."
                ).format(location=self.location, what=what)
            )
        return BackendUnavailable(
            _("Cannot use the backup folder {location} ({error}): is the disk connected?").format(
                location=self.location, error=exc.strerror or exc
            )
        )

    def _missing(self, kind: str, name: str) -> RepositoryCorrupt:
        return RepositoryCorrupt(
            _(
                "The object {kind}/{name} is missing from {location}: run "
                "'rempart backup check' to see what is affected."
            ).format(kind=kind, name=name, location=self.location)
        )

    # -- the Backend protocol ------------------------------------------------------------

    def put(self, kind: str, name: str, data: bytes) -> None:
        final = self._path(kind, name)
        folder = final.parent
        tmp = folder / f"{_TMP}{secrets.token_hex(8)}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0))
            try:
                view = memoryview(data)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                os.fsync(fd)
            finally:
                os.close(fd)
            try:
                if os.name == "nt":
                    os.rename(tmp, final)  # fails when the name exists
                else:
                    os.link(tmp, final)  # fails when the name exists
            except FileExistsError:
                raise ObjectExists(
                    _("The object {kind}/{name} already exists in {location}.").format(
                        kind=kind, name=name, location=self.location
                    )
                ) from None
            _fsync_dir(folder)
        except OSError as exc:
            raise self._os_error(exc, f"{kind}/{name}") from exc
        finally:
            try:
                tmp.unlink()
            except FileNotFoundError:
                pass
            except OSError:
                pass

    def get(self, kind: str, name: str) -> bytes:
        path = self._path(kind, name)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise self._missing(kind, name) from None
        except OSError as exc:
            raise self._os_error(exc, f"{kind}/{name}") from exc

    def get_range(self, kind: str, name: str, offset: int, length: int) -> bytes:
        path = self._path(kind, name)
        try:
            with path.open("rb") as fh:
                fh.seek(offset)
                data = fh.read(length)
        except FileNotFoundError:
            raise self._missing(kind, name) from None
        except OSError as exc:
            raise self._os_error(exc, f"{kind}/{name}") from exc
        if len(data) != length:
            raise RepositoryCorrupt(
                _(
                    "The object {kind}/{name} in {location} is truncated: run "
                    "'rempart backup check' to see what is affected."
                ).format(kind=kind, name=name, location=self.location)
            )
        return data

    def list(self, kind: str) -> Iterator[str]:
        check_kind(kind)
        if kind == "config":
            if (self.root / "config").is_file():
                yield "config"
            return
        base = self.root / kind
        try:
            if kind == "data":
                folders = sorted(p for p in base.iterdir() if p.is_dir())
            else:
                folders = [base]
            for folder in folders:
                for entry in sorted(os.listdir(folder)):
                    if not entry.startswith(_TMP) and not entry.startswith("."):
                        yield entry
        except FileNotFoundError:
            return
        except OSError as exc:
            raise self._os_error(exc, kind) from exc

    def exists(self, kind: str, name: str) -> bool:
        try:
            return self._path(kind, name).is_file()
        except OSError as exc:
            raise self._os_error(exc, f"{kind}/{name}") from exc

    def delete(self, kind: str, name: str) -> None:
        path = self._path(kind, name)
        try:
            path.unlink()
        except FileNotFoundError:
            return
        except PermissionError as exc:
            raise RetentionRefused(
                _("The backup folder {location} refuses to delete {kind}/{name}.").format(
                    location=self.location, kind=kind, name=name
                )
            ) from exc
        except OSError as exc:
            raise self._os_error(exc, f"{kind}/{name}") from exc
        try:
            _fsync_dir(path.parent)
        except OSError:
            pass

    def size(self, kind: str, name: str) -> int:
        try:
            return self._path(kind, name).stat().st_size
        except FileNotFoundError:
            raise self._missing(kind, name) from None
        except OSError as exc:
            raise self._os_error(exc, f"{kind}/{name}") from exc

    def temp_files(self) -> builtins.list[Path]:
        """Leftovers of interrupted puts (removed by ``prune``)."""
        return [p for p in self.root.rglob(f"{_TMP}*") if p.is_file()]

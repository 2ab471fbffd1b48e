"""What the engine asks of a storage: immutable objects by kind and name.

A backend never modifies an object: ``put`` refuses to overwrite, there is no append and no
rename. Crash safety of the whole repository rests on this (docs/vault-format.md, section 10).
Implementations: :mod:`rempart.vault.backends.local` (a folder) and
:mod:`rempart.vault.backends.s3` (S3 with Object Lock).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

KINDS: tuple[str, ...] = (
    "config",
    "keys",
    "data",
    "index",
    "snapshots",
    "locks",
    "anomalies",
)
"""Every kind of object a repository holds (docs/vault-format.md, section 1)."""


@runtime_checkable
class Backend(Protocol):
    """Storage of immutable objects. Errors are :mod:`rempart.vault.errors` classes.

    * ``put`` is atomic (the object exists whole or not at all) and raises
      :class:`~rempart.vault.errors.ObjectExists` rather than overwrite;
    * ``get``/``get_range``/``size`` of a missing object raise
      :class:`~rempart.vault.errors.RepositoryCorrupt`;
    * ``delete`` raises :class:`~rempart.vault.errors.RetentionRefused` when the storage
      refuses (Object Lock); deleting a missing object is not an error;
    * a storage out of reach raises :class:`~rempart.vault.errors.BackendUnavailable`, a full
      one :class:`~rempart.vault.errors.StorageFull`.
    """

    @property
    def location(self) -> str:
        """Printable, without secrets."""
        ...

    @property
    def immutable(self) -> bool:
        """Objects cannot be deleted or overwritten before their retention ends."""
        ...

    def put(self, kind: str, name: str, data: bytes) -> None: ...

    def get(self, kind: str, name: str) -> bytes: ...

    def get_range(self, kind: str, name: str, offset: int, length: int) -> bytes: ...

    def list(self, kind: str) -> Iterator[str]: ...

    def exists(self, kind: str, name: str) -> bool: ...

    def delete(self, kind: str, name: str) -> None: ...

    def size(self, kind: str, name: str) -> int: ...


def check_kind(kind: str) -> None:
    """Programming errors (an unknown kind) are not the user's: a plain ValueError."""
    if kind not in KINDS:
        raise ValueError(f"unknown object kind {kind!r}")


def check_name(name: str) -> None:
    """Names are hex digests or ``config``: nothing that could climb out of a folder."""
    if not name or not all(c in "0123456789abcdefghijklmnopqrstuvwxyz-_" for c in name):
        raise ValueError(f"invalid object name {name!r}")

"""Open the storage of a repository from its location.

A folder path → :class:`~rempart.vault.backends.local.LocalBackend`;
``s3://bucket/prefix?endpoint=…`` → :mod:`rempart.vault.backends.s3` (S3 with Object Lock).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rempart.i18n import _
from rempart.vault.backends.base import KINDS, Backend
from rempart.vault.backends.local import LocalBackend
from rempart.vault.errors import VaultError

if TYPE_CHECKING:
    from rempart.config import VaultSettings

__all__ = ["KINDS", "Backend", "LocalBackend", "open_backend"]


def open_backend(location: str, settings: VaultSettings | None = None) -> Backend:
    """The backend for ``location`` (no network traffic happens here)."""
    location = location.strip()
    if not location:
        raise VaultError(
            _(
                "No backup repository given: pass --repo or set 'repository' in the "
                "[vault] section of the settings."
            )
        )
    if location.lower().startswith("s3://"):
        from rempart.vault.backends import s3  # helper module: boto3 is imported only here

        backend: Backend = s3.open_s3(location, settings)
        return backend
    if "://" in location:
        raise VaultError(
            _(
                "Unknown repository location '{location}': give a folder or s3://bucket/prefix."
            ).format(location=location)
        )
    from pathlib import Path

    return LocalBackend(Path(location))

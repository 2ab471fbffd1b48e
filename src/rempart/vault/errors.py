"""Errors of the vault, each carrying one line for a person: what is wrong, what to do.

The CLI prints ``str(error)`` and exits non-zero; nothing is half-written when one is raised
(see docs/vault-format.md, section 10).
"""

from __future__ import annotations

from rempart.core.errors import RempartError


class VaultError(RempartError):
    """Base class of the vault's errors (a bad repository location, a refused command...)."""


class RepositoryNotFound(VaultError):
    """No repository at the location (``rempart backup init`` creates one)."""


class RepositoryExists(VaultError):
    """``init`` on a location that already holds a repository."""


class WrongPassphrase(VaultError):
    """No key file of the repository opens with the secret given."""


class RepositoryCorrupt(VaultError):
    """An object is missing, truncated or altered (a failed GCM tag or hash)."""


class BackendUnavailable(VaultError):
    """The storage cannot be reached (disk unplugged, network down, S3 refusing)."""


class StorageFull(VaultError):
    """The storage has no room left (ENOSPC, quota)."""


class RetentionRefused(VaultError):
    """The storage refuses to delete or overwrite an object still under retention."""


class ObjectExists(VaultError):
    """A put would overwrite an object: objects are never rewritten."""


class RepositoryLocked(VaultError):
    """Another command holds a conflicting lock on the repository."""


class RestoreRefused(VaultError):
    """A restore would overwrite existing files without ``--overwrite``."""

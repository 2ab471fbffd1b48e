"""BACKUP- checks: what Rempart's own vault says about the practice's backups.

They judge a :class:`~rempart.core.protection.BackupStatus` (read from the store by the
service layer, ``rempart.app.audit``), not survey answers: the last backup, the last restore
drill, the last snapshot's anomalies. When the practice has never run a Rempart backup
(``status.configured`` is false) they stay silent: the survey's ORG-BACKUP-… questions judge
backups made with other tools, and one finding per problem is enough.

Registered on their own subject, ``backup``: :func:`run_backup_checks` runs them.
"""

from __future__ import annotations

from collections.abc import Callable

from rempart.checks.base import CheckContext, CheckMeta, SubjectFunc, _registrar, _run_subject
from rempart.core.model import Finding

SUBJECT = "backup"


def backup_check(meta: CheckMeta) -> Callable[[SubjectFunc], SubjectFunc]:
    """Register a check on the vault's :class:`BackupStatus`; IDs start with ``BACKUP-``."""
    return _registrar(meta, SUBJECT)


def run_backup_checks(status: object, ctx: CheckContext | None = None) -> tuple[Finding, ...]:
    """Judge the vault's status (a ``BackupStatus``); findings sorted most severe first."""
    return _run_subject(SUBJECT, status, ctx or CheckContext(), None)


from rempart.checks.backup import vault as _vault  # noqa: E402,F401  (registration)

__all__ = ["SUBJECT", "backup_check", "run_backup_checks"]

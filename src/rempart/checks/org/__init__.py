"""ORG- checks: judgements on the practice's answers to the survey, one module per theme.

Importing this package registers every check (see :func:`rempart.checks.base.org_check`).
Each check reads :class:`~rempart.core.survey.Answers` and fires only on an answer that
reveals a gap; an unanswered question never fires. Where "I don't know" is itself telling
(nobody knows whether the backups were ever restored), it fires a separate check of lower
severity, or the same check when not knowing is as bad as "no" (docs/survey.md lists which).
"""

from rempart.checks.org import access, backup, practice  # noqa: F401  (registration side effect)

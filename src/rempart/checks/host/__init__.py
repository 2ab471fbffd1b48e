"""HOST- checks: judgements on one computer's facts (:class:`rempart.core.host.HostFacts`).

Each check is registered with :func:`rempart.checks.base.host_check`; it never fires on a
fact that is ``None`` (unknown or not applicable). Importing this package registers them.
"""

from rempart.checks.host import accounts, software, system, windows  # noqa: F401
from rempart.checks.host.os_eol import OsEnd, os_end_of_support

__all__ = ["OsEnd", "os_end_of_support"]

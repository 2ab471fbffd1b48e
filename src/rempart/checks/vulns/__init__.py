"""Known-vulnerability checks: CVEs matched on a service's product and version.

Importing this package registers the checks (the registry imports it when present). The
matching itself is ``rempart.vulns.matching``; the service layer puts a matcher in
``CheckContext.vulns``, and without one these checks stay silent.
"""

from rempart.checks.vulns import known  # noqa: F401  (registration side effect)

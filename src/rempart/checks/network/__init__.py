"""Network checks: judgements on the services found on the practice LAN, one module per theme.

Importing this package registers every check (see :func:`rempart.checks.base.check`).
"""

from rempart.checks.network import (  # noqa: F401  (registration side effect)
    cleartext,
    database,
    dicom,
    eol,
    ftp,
    rdp,
    remote,
    smb,
    snmp,
    ssh,
    telnet,
    tls,
    vnc,
    web,
)

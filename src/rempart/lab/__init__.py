"""The demo practice on loopback (127.42.0.0/24): fake hosts and services in one process,
and a folder of synthetic practice data for the other pillars to protect.

Public API::

    start_lab(data_dir=None, *, timeout=5.0) -> LabState   # background process, waits ready
    stop_lab() -> LabState | None                          # None: nothing was running
    lab_status() -> LabState | None                        # stale state is cleaned
    running_lab() -> ContextManager[LabState]              # in this process (tests)
    write_practice_data(dest) -> Path                      # the synthetic folder
"""

from rempart.lab.control import LabHandle, lab_status, start_lab, stop_lab
from rempart.lab.data import write_practice_data
from rempart.lab.practice import HOSTS, PORT_OFFSET, SUBNET
from rempart.lab.server import running_lab
from rempart.lab.state import LabHost, LabService, LabState

__all__ = [
    "HOSTS",
    "PORT_OFFSET",
    "SUBNET",
    "LabHandle",
    "LabHost",
    "LabService",
    "LabState",
    "lab_status",
    "running_lab",
    "start_lab",
    "stop_lab",
    "write_practice_data",
]

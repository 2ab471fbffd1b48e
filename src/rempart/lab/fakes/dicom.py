"""The imaging PC's DICOM storage SCP, run by pynetdicom itself (its own threads).

Like a badly configured imaging workstation it accepts any called AE title, answers
C-ECHO (Verification) and accepts the usual image storage SOP classes; received images
are acknowledged and dropped (the lab never stores what a client sends).
"""

from __future__ import annotations

import logging
import socket
from typing import Any

AE_TITLE = "RADIO"


def start(address: str, port: int) -> Any:
    """Start the SCP on ``(address, port)`` without blocking; return the server."""
    from pynetdicom import AE, StoragePresentationContexts, evt
    from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]

    for name in ("pynetdicom", "pydicom"):
        logging.getLogger(name).setLevel(logging.CRITICAL)

    ae = AE(ae_title=AE_TITLE)
    ae.require_called_aet = False
    ae.require_calling_aet = []
    ae.maximum_pdu_size = 16384
    ae.network_timeout = 10
    ae.acse_timeout = 10
    ae.dimse_timeout = 10
    ae.maximum_associations = 16
    ae.add_supported_context(Verification)
    for context in StoragePresentationContexts[:100]:
        if context.abstract_syntax is not None:
            ae.add_supported_context(context.abstract_syntax)

    def on_store(event: Any) -> int:
        return 0x0000  # acknowledged, dropped

    server = ae.start_server(
        (address, port), block=False, evt_handlers=[(evt.EVT_C_STORE, on_store)]
    )
    return server


def stop(server: Any) -> None:
    server.shutdown()


def is_listening(address: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False

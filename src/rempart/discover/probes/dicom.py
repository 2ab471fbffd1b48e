"""DICOM (104, 11112): does the imaging server accept a stranger?

We request an association with a made-up calling AE title (:data:`CALLING_AE`) and a
called AE title that cannot be the server's (:data:`CALLED_AE`), then send a C-ECHO
(Verification). A server that accepts this accepts anyone on the LAN who can type
its address: the images, and often the patient list, are one query away. A server
that refuses says why in its A-ASSOCIATE-RJ (e.g. "Called AE title not recognised").

The dialogue is pynetdicom's (3.x); its timeouts are set from the host's budget. Its
own sockets bypass :class:`ProbeContext`'s byte counter: one association is a few
hundred bytes, and pynetdicom bounds PDU sizes itself. pynetdicom logs loudly at
INFO: its logger is quietened unless someone configured it.
"""

from __future__ import annotations

import logging
from typing import Any

from pynetdicom import AE, evt
from pynetdicom.pdu import A_ABORT_RQ, A_ASSOCIATE_AC, A_ASSOCIATE_RJ
from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]

from rempart.core.observations import DicomObservation
from rempart.discover.probes.base import BudgetExceeded, ProbeContext, clean_text

NAME = "dicom"
PORTS: tuple[int, ...] = (104, 11112, 4242)
TRANSPORT = "tcp"
SERVER_SPEAKS_FIRST = False

CALLING_AE = "REMPART_AUDIT"
CALLED_AE = "NOT_A_REAL_AE"
MAX_PDU = 16382

_log = logging.getLogger("pynetdicom")
if _log.level == logging.NOTSET:
    _log.setLevel(logging.CRITICAL)


def claims(banner: bytes) -> bool:
    return False


def reject_reason(result: str | None, source: str | None, reason: str | None) -> str:
    """One line a person can read: "Rejected Permanent, Service User: Called AE title..."."""
    parts = [clean_text(p, 96) for p in (result, source) if p]
    text = ", ".join(parts)
    if reason:
        text = f"{text}: {clean_text(reason, 128)}" if text else clean_text(reason, 128)
    return text or "rejected"


def probe(
    address: str,
    port: int,
    ctx: ProbeContext,
    banner: bytes = b"",
    *,
    calling_ae: str = CALLING_AE,
    called_ae: str = CALLED_AE,
) -> DicomObservation | None:
    """Associate and C-ECHO; ``None`` when no DICOM PDU came back."""
    if banner:
        return None  # a DICOM SCP never speaks first
    timeout = ctx.op_timeout()
    ae = AE(ae_title=calling_ae)
    ae.add_requested_context(Verification)
    ae.acse_timeout = timeout
    ae.dimse_timeout = timeout
    ae.network_timeout = timeout
    ae.connection_timeout = timeout
    seen: list[type[Any]] = []
    rejection: list[Any] = []  # the A-ASSOCIATE-RJ PDU itself: its reason, without a race

    def on_pdu(event: Any) -> None:
        seen.append(type(event.pdu))
        if isinstance(event.pdu, A_ASSOCIATE_RJ):
            rejection.append(event.pdu)

    assoc = ae.associate(
        address,
        port,
        ae_title=called_ae,
        max_pdu=MAX_PDU,
        evt_handlers=[(evt.EVT_PDU_RECV, on_pdu)],
    )
    try:
        if ctx.budget.remaining() <= 0:
            raise BudgetExceeded("time cap for this host reached")
        acceptor = assoc.acceptor
        primitive = getattr(acceptor, "primitive", None)
        if assoc.is_established:
            status: int | None = None
            try:
                answer = assoc.send_c_echo()
                if answer is not None and "Status" in answer:
                    status = int(answer.Status)
            except (ValueError, RuntimeError, AttributeError):
                status = None
            return DicomObservation(
                calling_ae=calling_ae,
                called_ae=called_ae,
                association_accepted=True,
                echo_status=status,
                implementation_class_uid=clean_text(acceptor.implementation_class_uid) or None,
                implementation_version=clean_text(acceptor.implementation_version_name) or None,
            )
        if assoc.is_rejected or A_ASSOCIATE_RJ in seen:
            reason = None
            # The PDU as received is authoritative; the acceptor's primitive may not be
            # filled yet when associate() returns.
            source = rejection[0].to_primitive() if rejection else primitive
            if source is not None:
                reason = reject_reason(
                    getattr(source, "result_str", None),
                    getattr(source, "source_str", None),
                    getattr(source, "reason_str", None),
                )
            return DicomObservation(
                calling_ae=calling_ae,
                called_ae=called_ae,
                association_accepted=False,
                reject_reason=reason or "rejected",
            )
        if A_ASSOCIATE_AC in seen or A_ABORT_RQ in seen:
            # A DICOM peer that accepted then aborted (no common context) or aborted outright.
            return DicomObservation(
                calling_ae=calling_ae,
                called_ae=called_ae,
                association_accepted=A_ASSOCIATE_AC in seen,
                reject_reason="aborted",
            )
        return None
    finally:
        if assoc.is_established:
            assoc.release()
        else:
            assoc.kill()
        ae.shutdown()

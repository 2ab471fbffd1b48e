"""SMB probe: NEGOTIATE builders and parsers on recorded Samba bytes, hostile peers."""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from smbprotocol import Dialects

from rempart.core.observations import SmbObservation
from rempart.discover.probes import smb
from rempart.discover.probes.base import HostBudget, ProbeContext, ProbeError
from tests.peers._servers_a import read_some, scripted_server, silent

RECORDED = Path(__file__).parent / "recorded"
ADDRESS = "127.0.3.1"


def ctx(timeout: float = 0.5, max_bytes: int = 200_000) -> ProbeContext:
    return ProbeContext(budget=HostBudget.start(10.0, max_bytes), timeout=timeout)


def recorded(name: str) -> bytes:
    """Samba 4.17 (Debian 12), ``server min protocol = NT1``, default signing; framed."""
    return (RECORDED / f"smb_samba417_{name}.bin").read_bytes()


def test_smb2_request_offers_exactly_one_dialect() -> None:
    frame = smb.smb2_negotiate_request(Dialects.SMB_2_1_0)
    message = frame[4:]
    assert smb.message_length(frame[:4]) == len(message)
    assert message[:4] == b"\xfeSMB"
    count = struct.unpack_from("<H", message, 64 + 2)[0]
    assert count == 1
    assert struct.unpack_from("<H", message, 64 + 36)[0] == Dialects.SMB_2_1_0


def test_smb311_request_carries_the_preauth_integrity_context() -> None:
    message = smb.smb2_negotiate_request(Dialects.SMB_3_1_1)[4:]
    offset, count = struct.unpack_from("<IH", message, 64 + 28)
    assert count == 3
    assert struct.unpack_from("<H", message, offset)[0] == 1  # SMB2_PREAUTH_INTEGRITY_CAPABILITIES


def test_smb1_request_offers_nt_lm_012() -> None:
    message = smb.smb1_negotiate_request()[4:]
    assert message[:5] == b"\xffSMB\x72"
    assert message.endswith(b"\x02NT LM 0.12\x00")


def test_netbios_session_request_encodes_both_names() -> None:
    request = smb.netbios_session_request()
    assert request[:4] == b"\x81\x00\x00\x44"
    assert len(request) == 4 + 68
    assert request[5:9] == b"CKFD"  # "*S" first-level encoded ("*" = 0x2A, "S" = 0x53)


def test_recorded_samba_smb1_answer_selects_nt_lm_012_without_signing() -> None:
    answer = smb.parse_smb1_negotiate(recorded("smb1_ntlm012")[4:])
    assert answer == smb.Smb1Negotiation(0, 0, False, False)


@pytest.mark.parametrize(("name", "dialect"), [("smb2_0202", 0x0202), ("smb2_0311", 0x0311)])
def test_recorded_samba_smb2_answers_give_dialect_and_signing(name: str, dialect: int) -> None:
    answer = smb.parse_smb2_negotiate(recorded(name)[4:])
    assert answer.dialect == dialect
    assert answer.signing_enabled is True
    assert answer.signing_required is False
    assert answer.server_guid


def test_recorded_samba_null_session_gives_native_os_and_lan_manager() -> None:
    message = recorded("smb1_null_session")[4:]
    assert smb.parse_smb1_session_setup(message) == ("Windows 6.1", "Samba 4.17.12-Debian")


def test_refused_null_session_gives_nothing() -> None:
    message = bytearray(recorded("smb1_null_session")[4:36])
    struct.pack_into("<I", message, 5, 0xC000006D)  # STATUS_LOGON_FAILURE
    assert smb.parse_smb1_session_setup(bytes(message) + b"\x00\x00\x00") == (None, None)


def test_native_strings_without_terminator_are_still_bounded() -> None:
    head = recorded("smb1_null_session")[4:43]
    endless = "A".join("x" for _ in range(3000)).encode("utf-16-le")
    message = head[:-2] + struct.pack("<H", min(len(endless) + 1, 0xFFFF)) + b"\x00" + endless
    native_os, native_lm = smb.parse_smb1_session_setup(message)
    assert native_os is not None and len(native_os) <= 256
    assert native_lm is None


def test_null_session_request_sends_no_name_and_no_password() -> None:
    message = smb.smb1_null_session_request()[4:]
    assert message[4] == 0x73
    assert message[32] == 13  # WordCount of the NT LM 0.12 form
    oem_len, unicode_len = struct.unpack_from("<HH", message, 33 + 14)
    assert (oem_len, unicode_len) == (0, 0)
    assert message.endswith("Rempart".encode("utf-16-le") + b"\x00\x00")


def test_smb2_error_answer_means_the_dialect_was_refused() -> None:
    message = bytearray(recorded("smb2_0202")[4:72])
    struct.pack_into("<I", message, 8, 0xC00000BB)  # STATUS_NOT_SUPPORTED
    answer = smb.parse_smb2_negotiate(bytes(message))
    assert answer.dialect is None


def test_smb1_answer_with_no_common_dialect_is_refused() -> None:
    message = bytearray(recorded("smb1_ntlm012")[4:40])
    message[32] = 1
    message[33:35] = b"\xff\xff"
    assert smb.parse_smb1_negotiate(bytes(message[:35])).dialect_index is None


@pytest.mark.parametrize(
    "message",
    [b"", b"\xfeSMB", b"\xffSMB" + b"\x00" * 10, b"HTTP/1.1 400 Bad Request\r\n" + b"\x00" * 80],
)
def test_truncated_or_foreign_messages_are_refused(message: bytes) -> None:
    with pytest.raises(ProbeError):
        smb.parse_smb2_negotiate(message)
    with pytest.raises(ProbeError):
        smb.parse_smb1_negotiate(message)


@pytest.mark.parametrize("header", [b"\x00\xff\xff\xff", b"\x00\x00\x00\x00", b"HTTP", b"\x00\x00"])
def test_implausible_frames_are_refused(header: bytes) -> None:
    with pytest.raises(ProbeError):
        smb.message_length(header)


def negotiation(required: bool) -> smb.Smb2Negotiation:
    return smb.Smb2Negotiation(0, 0x0311, True, required, "guid")


def test_assemble_reports_smb1_unsigned_even_when_smb2_requires_signing() -> None:
    seen = smb.assemble(smb.Smb1Negotiation(0, 0, True, False), {"3.1.1": negotiation(True)})
    assert seen.dialects == ("NT LM 0.12", "3.1.1")
    assert seen.smb1 is True
    assert seen.signing_required is False


def test_assemble_without_smb1_takes_signing_from_smb2() -> None:
    seen = smb.assemble(None, {"3.0": negotiation(True), "3.1.1": negotiation(True)})
    assert seen == SmbObservation(
        dialects=("3.0", "3.1.1"),
        smb1=False,
        signing_required=True,
        signing_enabled=True,
        server_guid="guid",
    )


Handler = Callable[[socket.socket], None]


def replay(smb2: bytes | None, smb1: bytes | None) -> Handler:
    """A server that answers SMB2 requests with ``smb2`` and SMBv1 ones with ``smb1``
    (``None``: hang up, as Samba does for a protocol it does not allow)."""

    def handler(conn: socket.socket) -> None:
        request = read_some(conn)
        answer = smb1 if request[4:8] == b"\xffSMB" else smb2
        if answer is not None:
            conn.sendall(answer)

    return handler


def test_smb1_only_server_is_reported_with_smb1_only() -> None:
    with scripted_server(replay(recorded("smb1_ntlm012"), recorded("smb1_ntlm012"))) as port:
        seen = smb.probe(ADDRESS, port, ctx())
    assert isinstance(seen, SmbObservation)
    assert seen.dialects == ("NT LM 0.12",)
    assert seen.signing_required is False


def test_server_that_hangs_up_on_smb1_has_no_smb1() -> None:
    # Replays the 2.0.2 answer to every offer: only 2.0.2 is counted as accepted.
    with scripted_server(replay(recorded("smb2_0202"), None)) as port:
        seen = smb.probe(ADDRESS, port, ctx())
    assert isinstance(seen, SmbObservation)
    assert seen.dialects == ("2.0.2",)
    assert seen.smb1 is False


def test_a_service_that_closes_every_connection_is_not_smb() -> None:
    with scripted_server(replay(None, None)) as port:
        assert smb.probe(ADDRESS, port, ctx()) is None


def test_a_web_server_is_not_smb() -> None:
    answer = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"
    with scripted_server(replay(answer, answer)) as port:
        with pytest.raises(ProbeError):
            smb.probe(ADDRESS, port, ctx())


def test_a_silent_service_is_a_probe_error() -> None:
    with scripted_server(silent) as port, pytest.raises(ProbeError):
        smb.probe(ADDRESS, port, ctx(timeout=0.3))


def test_an_oversized_frame_is_refused_without_reading_it() -> None:
    budget = ctx()
    with scripted_server(replay(b"\x00\xff\xff\xff" + b"A" * 1000, None)) as port:
        with pytest.raises(ProbeError):
            smb.probe(ADDRESS, port, budget)
    assert budget.budget.bytes_read <= 4096


def test_port_139_starts_with_a_netbios_session_request(monkeypatch: pytest.MonkeyPatch) -> None:
    requests: list[bytes] = []

    def handler(conn: socket.socket) -> None:
        requests.append(read_some(conn))
        conn.sendall(b"\x82\x00\x00\x00")
        replay(recorded("smb2_0311"), None)(conn)

    monkeypatch.setattr(smb, "NETBIOS_SESSION_PORT", None)
    with scripted_server(handler) as port:
        monkeypatch.setattr(smb, "NETBIOS_SESSION_PORT", port)
        seen = smb.probe(ADDRESS, port, ctx())
    assert all(r.startswith(b"\x81") for r in requests)
    assert isinstance(seen, SmbObservation)
    assert seen.dialects == ("3.1.1",)


@given(st.binary(max_size=4096))
def test_parsers_raise_nothing_but_probe_error_on_random_bytes(data: bytes) -> None:
    for parse, prefix in (
        (smb.parse_smb2_negotiate, b"\xfeSMB"),
        (smb.parse_smb1_negotiate, b"\xffSMB\x72\x00\x00\x00\x00"),
        (smb.parse_smb1_session_setup, b"\xffSMB\x73\x00\x00\x00\x00"),
        (smb.message_length, b"\x00"),
    ):
        for candidate in (data, prefix + data):
            try:
                parse(candidate)
            except ProbeError:
                pass

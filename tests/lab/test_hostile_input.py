"""The fakes' parsers take any bytes without crashing: they answer, stay silent, or reject
the input as garbage (which closes the connection), never anything else."""

from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from rempart.lab.fakes import rdp, smb, snmp, tds, teamviewer
from rempart.lab.fakes.common import Garbage
from rempart.lab.fakes.http import parse_head
from rempart.lab.fakes.telnet import _Lines
from rempart.lab.services import SMB_PROFILES

ACCUEIL = SMB_PROFILES["smb-accueil"]
FAUTEUIL = SMB_PROFILES["smb-fauteuil"]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_snmp_agent_answers_or_stays_silent(datagram: bytes) -> None:
    assert snmp.answer(datagram) is None or isinstance(snmp.answer(datagram), bytes)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=40), st.sampled_from([b"\x30", b"\x30\x81", b"\x30\x82\xff\xff"]))
def test_snmp_agent_survives_truncated_and_lying_lengths(tail: bytes, head: bytes) -> None:
    snmp.answer(head + tail)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_smb_parsers_only_reject_as_garbage(body: bytes) -> None:
    smb2 = b"\xfeSMB" + struct.pack("<H", 64) + body[:58].ljust(58, b"\x00") + body[58:]
    smb1 = b"\xffSMB" + body
    for profile in (ACCUEIL, FAUTEUIL):
        for function, message in (
            (smb.negotiate_response, smb2),
            (smb.session_setup_response, smb2),
            (smb.smb1_answer, smb1),
        ):
            try:
                function(profile, message)  # type: ignore[operator]
            except Garbage:
                pass


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_rdp_tds_http_telnet_teamviewer_parsers_take_anything(data: bytes) -> None:
    rdp.parse_connection_request(data)
    try:
        tds.parse_options(data)
    except Garbage:
        pass
    parse_head(data + b"\r\n\r\n")
    _Lines().feed(data)
    teamviewer.answer(data)


def test_a_valid_snmp_get_with_the_wrong_community_gets_no_answer() -> None:
    oid = bytes.fromhex("06082b06010201010100")
    varbind = b"\x30" + bytes([len(oid) + 2]) + oid + b"\x05\x00"
    pdu_body = b"\x02\x01\x01\x02\x01\x00\x02\x01\x00" + b"\x30" + bytes([len(varbind)]) + varbind
    for community, answered in ((b"public", True), (b"private", False), (b"", False)):
        body = b"\x02\x01\x01\x04" + bytes([len(community)]) + community
        body += b"\xa0" + bytes([len(pdu_body)]) + pdu_body
        reply = snmp.answer(b"\x30" + bytes([len(body)]) + body)
        assert (reply is not None) is answered

"""Database probes: parsers on recorded and hostile bytes, dialogues with local servers
that answer as the protocols specify (TDS PRELOGIN, MySQL greeting, PostgreSQL
startup, Firebird op_accept/op_reject). Real PostgreSQL: tests/peers/test_postgresql.py."""

from __future__ import annotations

import socket
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rempart.discover.probes import firebird, hfsql, mssql, mysql, postgresql, sqlanywhere
from tests.peers._servers_b import TcpServer, ctx

ADDRESS = "127.0.4.10"

# --- SQL Server -----------------------------------------------------------------------

# PRELOGIN response of SQL Server 2012 SP4 (11.0.7001), encryption off ([MS-TDS] 2.2.6.5):
# options VERSION, ENCRYPTION, INSTOPT, THREADID, MARS, terminator, then their data.
SQL2012_PRELOGIN = bytes.fromhex(
    "0401002b00000100"  # header: tabular result, EOM, length 43
    "00001a"
    "0006"  # VERSION at 26 (after the 5x5+1 byte table), 6 bytes
    "010020"
    "0001"  # ENCRYPTION at 32, 1 byte
    "020021"
    "0001"  # INSTOPT at 33, 1 byte
    "030022"
    "0000"  # THREADID at 34, 0 bytes
    "040022"
    "0001"  # MARS at 34, 1 byte
    "ff"
    "0b001b590000"  # 11.0.7001, subbuild 0
    "00"  # encryption off
    "00"  # instopt
    "00"  # mars off
)


def test_prelogin_request_is_well_formed() -> None:
    packet = mssql.build_prelogin()
    assert packet[0] == 0x12 and packet[1] == 0x01
    assert struct.unpack(">H", packet[2:4])[0] == len(packet)


def test_sql_server_2012_version_and_encryption_are_read() -> None:
    parsed = mssql.parse_prelogin_response(SQL2012_PRELOGIN)
    assert parsed == mssql.Prelogin(version="11.0.7001", encryption="off")
    assert mssql.product_name("11.0.7001") == "SQL Server 2012"
    assert mssql.product_name("10.50.6000") == "SQL Server 2008 R2"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        SQL2012_PRELOGIN[:20],
        b"\x04\x01\x00\x09\x00\x00\x01\x00\x00",  # option table without terminator
        b"\x04\x01\x00\x0e\x00\x00\x01\x00\x00\xff\xff\x00\x06\xff",  # offset past the end
        b"HTTP/1.1 400 Bad Request\r\n\r\n",
    ],
)
def test_malformed_prelogin_answers_are_rejected(data: bytes) -> None:
    assert mssql.parse_prelogin_response(data) is None


def test_mssql_dialogue() -> None:
    def server(conn: socket.socket) -> None:
        request = conn.recv(4096)
        if request[:1] == b"\x12":
            conn.sendall(SQL2012_PRELOGIN)

    with TcpServer(server, ADDRESS) as srv:
        obs = mssql.probe(srv.address, srv.port, ctx())
    assert obs is not None and obs.engine == "mssql"
    assert obs.version == "11.0.7001" and obs.banner == "SQL Server 2012"
    assert obs.detail == "encryption: off"


# --- MySQL / MariaDB ------------------------------------------------------------------


def _mysql_packet(payload: bytes, seq: int = 0) -> bytes:
    return len(payload).to_bytes(3, "little") + bytes([seq]) + payload


MARIADB_GREETING = _mysql_packet(
    b"\x0a5.5.5-10.11.6-MariaDB-0+deb12u1\x00"
    + b"\x2a\x00\x00\x00"
    + b"abcdefgh\x00"
    + b"\xfe\xf7\x2d\x02\x00\xff\x81\x15"
    + b"\x00" * 10
    + b"ijklmnopqrst\x00"
    + b"mysql_native_password\x00"
)
MYSQL_HOST_REFUSED = _mysql_packet(
    b"\xff\x6a\x04Host '127.0.4.1' is not allowed to connect to this MySQL server"
)


def test_mariadb_greeting_gives_version_and_auth_plugin() -> None:
    greeting = mysql.parse_greeting(MARIADB_GREETING)
    assert greeting is not None
    assert greeting.version == "10.11.6"
    assert greeting.banner == "MariaDB 10.11.6-MariaDB-0+deb12u1"
    assert greeting.detail == "auth: mysql_native_password"
    assert mysql.claims(MARIADB_GREETING)


def test_host_not_allowed_error_still_identifies_mysql() -> None:
    greeting = mysql.parse_greeting(MYSQL_HOST_REFUSED)
    assert greeting is not None and greeting.detail == "error 1130"
    assert "not allowed" in greeting.banner


@pytest.mark.parametrize(
    "banner",
    [
        b"",
        b"SSH-2.0-OpenSSH\r\n",
        b"220 ftp ready\r\n",
        _mysql_packet(b"\x0aabc"),
        b"\xff\xff\xff\x00",
    ],
)
def test_other_greetings_are_not_mysql(banner: bytes) -> None:
    assert not mysql.claims(banner)


def test_mysql_probe_reads_its_own_greeting_when_none_given() -> None:
    def server(conn: socket.socket) -> None:
        conn.sendall(MARIADB_GREETING)
        conn.recv(10)

    with TcpServer(server, ADDRESS) as srv:
        obs = mysql.probe(srv.address, srv.port, ctx())
    assert obs is not None and obs.engine == "mysql" and obs.version == "10.11.6"


# --- PostgreSQL -----------------------------------------------------------------------


def _pg(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack(">I", len(body) + 4) + body


PG_NO_HBA = _pg(
    b"E",
    b'SFATAL\x00VFATAL\x00C28000\x00Mno pg_hba.conf entry for host "127.0.4.1", '
    b'user "rempart_audit", database "rempart_audit", no encryption\x00'
    b"Fauth.c\x00L543\x00RClientAuthentication\x00\x00",
)
PG_SCRAM = _pg(b"R", struct.pack(">I", 10) + b"SCRAM-SHA-256\x00\x00")


def test_postgres_error_response_is_parsed() -> None:
    answer = postgresql.parse_startup_answer(PG_NO_HBA)
    assert answer is not None and answer.error_code == "28000"
    assert answer.error_message is not None and answer.error_message.startswith("no pg_hba.conf")


def test_postgres_scram_request_is_parsed() -> None:
    answer = postgresql.parse_startup_answer(PG_SCRAM)
    assert answer == postgresql.StartupAnswer(auth="scram", sasl=("SCRAM-SHA-256",))


def test_postgres_trust_reveals_server_version() -> None:
    data = _pg(b"R", b"\x00\x00\x00\x00") + _pg(b"S", b"server_version\x0015.8 (Debian 15.8-0)\x00")
    answer = postgresql.parse_startup_answer(data)
    assert answer is not None and answer.auth == "none (trust)"
    assert answer.server_version == "15.8 (Debian 15.8-0)"


@pytest.mark.parametrize(
    "data",
    [b"", b"N", b"HTTP/1.1 200 OK\r\n", _pg(b"R", struct.pack(">I", 99)), b"E\xff\xff\xff\xff"],
)
def test_other_answers_are_not_postgres(data: bytes) -> None:
    assert postgresql.parse_startup_answer(data) is None


def test_postgres_dialogue_reports_ssl_and_auth() -> None:
    def server(conn: socket.socket) -> None:
        first = conn.recv(8)
        if first == postgresql.SSL_REQUEST:
            conn.sendall(b"S")
            return
        conn.recv(4096)
        conn.sendall(PG_SCRAM)

    with TcpServer(server, ADDRESS) as srv:
        obs = postgresql.probe(srv.address, srv.port, ctx())
    assert obs is not None and obs.engine == "postgresql"
    assert obs.detail == "ssl: yes; auth: scram; sasl: SCRAM-SHA-256"


def test_http_server_is_not_postgres() -> None:
    def server(conn: socket.socket) -> None:
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")

    with TcpServer(server, ADDRESS) as srv:
        assert postgresql.probe(srv.address, srv.port, ctx()) is None


# --- Firebird -------------------------------------------------------------------------


def test_firebird_connect_packet_offers_protocols() -> None:
    packet = firebird.build_connect()
    assert struct.unpack(">IIII", packet[:16]) == (1, 19, 3, 1)
    assert len(packet) % 4 == 0


def test_firebird_accept_gives_protocol_and_release() -> None:
    def server(conn: socket.socket) -> None:
        conn.recv(4096)
        conn.sendall(struct.pack(">IIII", firebird.OP_ACCEPT, 0x8000 | 13, 1, 5))

    with TcpServer(server, ADDRESS) as srv:
        obs = firebird.probe(srv.address, srv.port, ctx())
    assert obs is not None and obs.engine == "firebird"
    assert obs.detail == "protocol 13 (Firebird 3.0 or later)"


def test_firebird_reject_is_still_firebird() -> None:
    assert firebird.parse_answer(struct.pack(">I", firebird.OP_REJECT)) == firebird.ConnectAnswer(
        False
    )


@pytest.mark.parametrize(
    "data", [b"", b"\x00\x00\x00\x03", struct.pack(">IIII", 3, 99999, 1, 5), b"HTTP/1.1 200"]
)
def test_other_answers_are_not_firebird(data: bytes) -> None:
    assert firebird.parse_answer(data) is None


# --- HFSQL / SQL Anywhere (conservative) ----------------------------------------------


def test_hfsql_only_claimed_when_the_greeting_names_it() -> None:
    obs = hfsql.parse_banner(b"\x00\x01HFSQL Server 28.0.123 ready\x00")
    assert obs is not None and obs.engine == "hfsql" and obs.version == "28.0.123"
    assert hfsql.parse_banner(b"\x00\x01\x02\x03") is None
    assert not hfsql.claims(b"SSH-2.0-x")


def test_silent_port_4900_stays_unknown() -> None:
    def silent(conn: socket.socket) -> None:
        while conn.recv(100):
            pass

    with TcpServer(silent, ADDRESS) as srv:
        assert hfsql.probe(srv.address, srv.port, ctx(timeout=0.3)) is None
        assert sqlanywhere.probe(srv.address, srv.port, ctx(timeout=0.3)) is None


def test_sqlanywhere_greeting() -> None:
    obs = sqlanywhere.parse_banner(b"SQL Anywhere Network Server Version 17.0.10.1234")
    assert obs is not None and obs.version == "17.0.10.1234"


# --- hostile input --------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_never_crash_the_parsers(data: bytes) -> None:
    mssql.parse_prelogin_response(data)
    mssql.parse_prelogin_response(SQL2012_PRELOGIN[:9] + data)
    mysql.parse_greeting(data)
    mysql.parse_greeting(_mysql_packet(b"\x0a" + data))
    postgresql.parse_startup_answer(data)
    postgresql.parse_startup_answer(b"E" + data)
    firebird.parse_answer(data)
    hfsql.parse_banner(data)
    sqlanywhere.parse_banner(data)

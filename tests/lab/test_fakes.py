"""Each fake speaks its real protocol well enough for a real client to recognise it.

Real clients are used where one exists in Python or on the machine (smbprotocol,
pynetdicom, ftplib, ssl, snmpget); otherwise the request is the one the spec defines.
"""

from __future__ import annotations

import ftplib
import socket
import ssl
import struct
import subprocess
import uuid
import warnings
import xml.etree.ElementTree as ET

import pytest

from rempart.lab import LabState
from rempart.lab.fakes import rdp
from tests.support import require_binary

BOX, ACCUEIL, FAUTEUIL, SERVEUR, NAS, RADIO, PRINTER = (
    "127.42.0.1",
    "127.42.0.10",
    "127.42.0.11",
    "127.42.0.20",
    "127.42.0.30",
    "127.42.0.40",
    "127.42.0.50",
)


def connect(lab: LabState, address: str, port: int) -> socket.socket:
    sock = socket.create_connection((address, lab.port_of(address, port)), timeout=3)
    sock.settimeout(3)
    return sock


def recv_until(sock: socket.socket, marker: bytes, limit: int = 65536) -> bytes:
    data = b""
    while marker not in data and len(data) < limit:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def recv_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def http(lab: LabState, address: str, port: int, request: str) -> bytes:
    with connect(lab, address, port) as sock:
        sock.sendall(request.encode())
        return recv_until(sock, b"\x00never")


# --- SMB -------------------------------------------------------------------------------


def smb_connect(address: str, port: int, dialect: int | None = None):  # type: ignore[no-untyped-def]
    from smbprotocol.connection import Connection

    conn = Connection(uuid.uuid4(), address, port, require_signing=False)
    conn.connect(dialect=dialect, timeout=3)
    return conn


@pytest.mark.parametrize(("address", "signing_required"), [(FAUTEUIL, True), (SERVEUR, False)])
def test_smbprotocol_negotiates_smb311_and_sees_the_signing_policy(
    lab: LabState, address: str, signing_required: bool
) -> None:
    from smbprotocol.connection import Dialects, SecurityMode

    conn = smb_connect(address, lab.port_of(address, 445))
    try:
        assert conn.dialect == Dialects.SMB_3_1_1
        assert conn.server_security_mode & SecurityMode.SMB2_NEGOTIATE_SIGNING_ENABLED
        required = bool(conn.server_security_mode & SecurityMode.SMB2_NEGOTIATE_SIGNING_REQUIRED)
        assert required is signing_required
        assert conn.preauth_integrity_hash_id == 0x0001  # SHA-512
        assert conn.cipher_id in (0x0001, 0x0002)
    finally:
        conn.disconnect()


def test_the_windows_7_reception_pc_tops_out_at_smb_2_1_without_required_signing(
    lab: LabState,
) -> None:
    from smbprotocol.connection import Dialects, SecurityMode

    conn = smb_connect(ACCUEIL, lab.port_of(ACCUEIL, 445))
    try:
        assert conn.dialect == Dialects.SMB_2_1_0
        assert not conn.server_security_mode & SecurityMode.SMB2_NEGOTIATE_SIGNING_REQUIRED
    finally:
        conn.disconnect()


def test_chair_pc_refuses_smb2_0_2_but_the_server_accepts_it(lab: LabState) -> None:
    from smbprotocol.connection import Dialects
    from smbprotocol.exceptions import SMBResponseException

    with pytest.raises(SMBResponseException):
        smb_connect(FAUTEUIL, lab.port_of(FAUTEUIL, 445), Dialects.SMB_2_0_2)
    conn = smb_connect(SERVEUR, lab.port_of(SERVEUR, 445), Dialects.SMB_2_0_2)
    assert conn.dialect == Dialects.SMB_2_0_2
    conn.disconnect()


def smb1_negotiate(dialects: list[str]) -> bytes:
    header = b"\xffSMB\x72" + b"\x00" * 4 + b"\x18" + struct.pack("<H", 0xC853) + b"\x00" * 12
    header += struct.pack("<HHHH", 0, 0xFEFF, 0, 7)  # TID, PID, UID, MID
    data = b"".join(b"\x02" + d.encode() + b"\x00" for d in dialects)
    message = header + b"\x00" + struct.pack("<H", len(data)) + data
    return len(message).to_bytes(4, "big") + message


def test_reception_pc_accepts_smb1_nt_lm_012_and_others_drop_it(lab: LabState) -> None:
    with connect(lab, ACCUEIL, 445) as sock:
        sock.sendall(smb1_negotiate(["PC NETWORK PROGRAM 1.0", "NT LM 0.12"]))
        answer = sock.recv(4096)
    assert answer[4:9] == b"\xffSMBr"
    assert answer[36] == 17  # WordCount of the NT LM 0.12 response
    assert struct.unpack_from("<H", answer, 37)[0] == 1  # index of "NT LM 0.12"
    for address in (FAUTEUIL, SERVEUR):
        with connect(lab, address, 445) as sock:
            sock.sendall(smb1_negotiate(["NT LM 0.12"]))
            assert sock.recv(4096) == b""  # connection closed, like Windows without SMB1


def test_smb1_null_session_reveals_the_old_windows(lab: LabState) -> None:
    with connect(lab, ACCUEIL, 445) as sock:
        sock.sendall(smb1_negotiate(["NT LM 0.12"]))
        sock.recv(4096)
        header = b"\xffSMB\x73" + b"\x00" * 4 + b"\x18" + struct.pack("<H", 0xC001) + b"\x00" * 12
        header += struct.pack("<HHHH", 0, 0xFEFF, 0, 8)
        words = struct.pack("<BBHHHHIHHII", 0xFF, 0, 0, 0xFFFF, 2, 0, 0, 0, 0, 0, 0x04 | 0x40)
        data = b"\x00" + "\x00\x00Rempart\x00Rempart\x00".encode("utf-16-le")
        message = header + b"\x0d" + words + struct.pack("<H", len(data)) + data
        sock.sendall(len(message).to_bytes(4, "big") + message)
        answer = sock.recv(4096)
    assert answer[4:9] == b"\xffSMBs" and answer[9:13] == b"\x00\x00\x00\x00"  # STATUS_SUCCESS
    assert "Windows 7 Professional 7601 Service Pack 1".encode("utf-16-le") in answer


def test_smb_multi_protocol_negotiate_gets_the_smb2_wildcard(lab: LabState) -> None:
    with connect(lab, FAUTEUIL, 445) as sock:
        sock.sendall(smb1_negotiate(["NT LM 0.12", "SMB 2.002", "SMB 2.???"]))
        answer = sock.recv(4096)
    assert answer[4:8] == b"\xfeSMB"
    assert struct.unpack_from("<H", answer, 4 + 64 + 4)[0] == 0x02FF


def test_smb_session_setup_returns_an_ntlm_challenge_naming_the_pc(lab: LabState) -> None:
    from smbprotocol.exceptions import LogonFailure
    from smbprotocol.session import Session

    conn = smb_connect(ACCUEIL, lab.port_of(ACCUEIL, 445))
    try:
        with pytest.raises(LogonFailure):  # challenge parsed by pyspnego, then refused
            Session(conn, "user", "password").connect()
    finally:
        conn.disconnect()


# --- RDP -------------------------------------------------------------------------------


def x224_request(protocols: int | None) -> bytes:
    variable = b"Cookie: mstshash=test\r\n"
    if protocols is not None:
        variable += struct.pack("<BBHI", 1, 0, 8, protocols)
    x224 = bytes([6 + len(variable), 0xE0]) + struct.pack(">HHB", 0, 0x4242, 0) + variable
    return struct.pack(">BBH", 3, 0, 4 + len(x224)) + x224


def rdp_negotiate(lab: LabState, address: str, protocols: int | None) -> tuple[int, int, bytes]:
    with connect(lab, address, 3389) as sock:
        sock.sendall(x224_request(protocols))
        header = recv_exact(sock, 4)
        answer = header + recv_exact(sock, struct.unpack_from(">H", header, 2)[0] - 4)
    assert answer[:2] == b"\x03\x00" and answer[5] == 0xD0
    assert struct.unpack_from(">H", answer, 6)[0] == 0x4242  # DST-REF echoes our SRC-REF
    if len(answer) < 19:
        return 0, 0, answer
    kind, _, _, value = struct.unpack_from("<BBHI", answer, 11)
    return kind, value, answer


def test_reception_pc_accepts_standard_rdp_security_and_tls(lab: LabState) -> None:
    assert rdp_negotiate(lab, ACCUEIL, rdp.PROTOCOL_RDP)[:2] == (rdp.TYPE_RDP_NEG_RSP, 0)
    assert rdp_negotiate(lab, ACCUEIL, rdp.PROTOCOL_SSL)[:2] == (rdp.TYPE_RDP_NEG_RSP, 1)
    assert len(rdp_negotiate(lab, ACCUEIL, None)[2]) == 11  # legacy client: plain CC


def test_chair_pc_requires_nla(lab: LabState) -> None:
    for protocols in (None, rdp.PROTOCOL_RDP, rdp.PROTOCOL_SSL):
        kind, code, _ = rdp_negotiate(lab, FAUTEUIL, protocols)
        assert (kind, code) == (rdp.TYPE_RDP_NEG_FAILURE, rdp.HYBRID_REQUIRED_BY_SERVER)
    kind, selected, _ = rdp_negotiate(lab, FAUTEUIL, rdp.PROTOCOL_SSL | rdp.PROTOCOL_HYBRID)
    assert (kind, selected) == (rdp.TYPE_RDP_NEG_RSP, rdp.PROTOCOL_HYBRID)


def test_rdp_tls_handshake_shows_the_pc_certificate(lab: LabState) -> None:
    with connect(lab, ACCUEIL, 3389) as sock:
        sock.sendall(x224_request(rdp.PROTOCOL_SSL))
        assert len(recv_exact(sock, 19)) == 19
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with ctx.wrap_socket(sock) as tls:
            der = tls.getpeercert(binary_form=True)
    from cryptography import x509

    cert = x509.load_der_x509_certificate(der)
    assert "CN=ACCUEIL" in cert.subject.rfc4514_string()


# --- SSH, FTP, Telnet ------------------------------------------------------------------


def test_ssh_sends_openssh_74_and_a_kexinit_with_weak_algorithms(lab: LabState) -> None:
    with connect(lab, NAS, 22) as sock:
        assert recv_until(sock, b"\r\n") == b"SSH-2.0-OpenSSH_7.4\r\n"
        sock.sendall(b"SSH-2.0-RempartTest\r\n")
        head = recv_exact(sock, 5)
        length, padding = struct.unpack(">IB", head[:5])
        packet = head[5:]
        while len(packet) < length - 1:
            packet += sock.recv(4096)
    assert (length + 4) % 8 == 0 and padding >= 4
    payload = packet[: length - padding - 1]
    assert payload[0] == 20  # SSH_MSG_KEXINIT
    pos, lists = 17, []
    for _ in range(10):
        (n,) = struct.unpack_from(">I", payload, pos)
        lists.append(payload[pos + 4 : pos + 4 + n].decode().split(","))
        pos += 4 + n
    assert "diffie-hellman-group1-sha1" in lists[0]
    assert {"3des-cbc", "arcfour"} <= set(lists[2])
    assert "hmac-md5" in lists[4]


def test_ssh_answers_protocol_mismatch_to_http(lab: LabState) -> None:
    with connect(lab, NAS, 22) as sock:
        recv_until(sock, b"\r\n")
        sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
        assert b"Protocol mismatch." in recv_until(sock, b"\x00never")


def test_ftp_accepts_anonymous_and_lists_folders(lab: LabState) -> None:
    ftp = ftplib.FTP()
    greeting = ftp.connect(NAS, lab.port_of(NAS, 21), timeout=3)
    assert greeting == "220 NAS FTP server ready."
    assert ftp.login().startswith("230")  # anonymous
    names = ftp.nlst()
    ftp.quit()
    assert "Sauvegardes" in names
    ftp = ftplib.FTP()
    ftp.connect(NAS, lab.port_of(NAS, 21), timeout=3)
    with pytest.raises(ftplib.error_perm, match="530"):
        ftp.login("admin", "admin")
    ftp.close()


def test_telnet_negotiates_options_then_prompts_for_login(lab: LabState) -> None:
    with connect(lab, BOX, 23) as sock:
        data = recv_until(sock, b"login: ")
        assert data.startswith(b"\xff") and data.endswith(b"Livebox login: ")
        sock.sendall(b"\xff\xfc\x18admin\r\n")
        assert b"Password: " in recv_until(sock, b"Password: ")
        sock.sendall(b"admin\r\n")
        assert b"Login incorrect" in recv_until(sock, b"login: ")


# --- Web consoles ----------------------------------------------------------------------


def test_box_admin_page_uses_basic_auth_with_default_credentials(lab: LabState) -> None:
    home = http(lab, BOX, 80, "GET / HTTP/1.1\r\nHost: box\r\n\r\n")
    assert home.startswith(b"HTTP/1.1 200") and b"<title>Livebox" in home
    assert b'type="password"' in home
    denied = http(lab, BOX, 80, "GET /admin/ HTTP/1.1\r\nHost: box\r\n\r\n")
    assert denied.startswith(b"HTTP/1.1 401")
    assert b'WWW-Authenticate: Basic realm="Livebox"' in denied
    allowed = http(
        lab, BOX, 80, "GET /admin/ HTTP/1.1\r\nAuthorization: Basic YWRtaW46YWRtaW4=\r\n\r\n"
    )
    assert allowed.startswith(b"HTTP/1.1 200")


def test_qnap_authlogin_reports_model_and_firmware(lab: LabState) -> None:
    page = http(lab, NAS, 8080, "GET /cgi-bin/ HTTP/1.1\r\nHost: nas\r\n\r\n")
    assert b"<title>QNAP Turbo NAS</title>" in page
    answer = http(lab, NAS, 8080, "GET /cgi-bin/authLogin.cgi HTTP/1.1\r\nHost: nas\r\n\r\n")
    root = ET.fromstring(answer.split(b"\r\n\r\n", 1)[1])
    assert root.tag == "QDocRoot"
    assert root.findtext("model/modelName") == "TS-453Be"
    assert root.findtext("firmware/version") == "4.5.1"
    assert root.findtext("firmware/build") == "20201015"


def test_nas_https_accepts_a_tls10_only_client(lab: LabState) -> None:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1
    ctx.set_ciphers("ALL:@SECLEVEL=0")
    with connect(lab, NAS, 443) as raw, ctx.wrap_socket(raw) as tls:
        assert tls.version() == "TLSv1"
        tls.sendall(b"GET /cgi-bin/authLogin.cgi HTTP/1.1\r\nHost: nas\r\n\r\n")
        assert b"<QDocRoot" in recv_until(tls, b"</QDocRoot>")  # type: ignore[arg-type]


def test_printer_and_winrm_identify_themselves(lab: LabState) -> None:
    printer = http(
        lab, PRINTER, 80, "GET /hp/device/InternalPages/Index?id=DeviceStatus HTTP/1.1\r\n\r\n"
    )
    assert b"Server: HP HTTP Server; HP LaserJet Pro M404" in printer
    assert b"<title>HP LaserJet Pro M404dn" in printer
    winrm = http(lab, SERVEUR, 5985, "POST /wsman HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
    assert winrm.startswith(b"HTTP/1.1 401")
    assert b"Server: Microsoft-HTTPAPI/2.0\r\n" in winrm
    assert b"WWW-Authenticate: Negotiate\r\n" in winrm


def test_http_rejects_a_malformed_request_with_400(lab: LabState) -> None:
    assert http(lab, BOX, 80, "\x00\x01garbage\r\n\r\n").startswith(b"HTTP/1.1 400")


# --- SQL Server, VNC, TeamViewer, DICOM, SNMP ------------------------------------------


def test_sql_server_prelogin_reports_version_11_0_7001(lab: LabState) -> None:
    # PRELOGIN as nmap's ms-sql-s probe sends it: VERSION, ENCRYPTION, INSTOPT, THREADID.
    probe = bytes.fromhex(
        "1201003400000000000015000601001b000102001c000c0300280004ff080001550000004d5353514c53"
        "6572766572004 80f0000".replace(" ", "")
    )
    with connect(lab, SERVEUR, 1433) as sock:
        sock.sendall(probe)
        answer = recv_exact(sock, 37)
    assert answer[0] == 0x04 and struct.unpack_from(">H", answer, 2)[0] == len(answer) == 37
    assert answer[8:29] == bytes.fromhex(
        "00001500060100 1b000102001c000103001d0000ff".replace(" ", "")
    )
    assert struct.unpack_from(">BBH", answer, 29) == (11, 0, 7001)


def test_vnc_offers_only_security_type_none(lab: LabState) -> None:
    with connect(lab, RADIO, 5900) as sock:
        assert recv_until(sock, b"\n") == b"RFB 003.008\n"
        sock.sendall(b"RFB 003.008\n")
        assert recv_exact(sock, 2) == b"\x01\x01"
        sock.sendall(b"\x01")
        assert recv_exact(sock, 4) == b"\x00\x00\x00\x00"
        sock.sendall(b"\x01")
        init = recv_until(sock, b"RADIO-PC")
    assert struct.unpack_from(">HH", init) == (1024, 768) and init.endswith(b"RADIO-PC")


def test_teamviewer_answers_the_ping(lab: LabState) -> None:
    with connect(lab, RADIO, 5938) as sock:
        sock.sendall(bytes.fromhex("172410040000000000"))
        assert sock.recv(64) == bytes.fromhex("172411040000000000")


def test_dicom_echo_succeeds_with_any_called_ae_title(lab: LabState) -> None:
    from pynetdicom import AE
    from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]

    ae = AE(ae_title="SCANNER")
    ae.add_requested_context(Verification)
    assoc = ae.associate(RADIO, lab.port_of(RADIO, 104), ae_title="WHATEVER_AE")
    assert assoc.is_established
    status = assoc.send_c_echo()
    assoc.release()
    assert status.Status == 0x0000


def test_dcmtk_echoscu_succeeds(lab: LabState) -> None:
    echoscu = require_binary("echoscu")
    result = subprocess.run(
        [echoscu, "-aec", "NOT-RADIO", RADIO, str(lab.port_of(RADIO, 104))],
        capture_output=True,
        timeout=20,
    )
    assert result.returncode == 0, result.stderr


def test_snmp_public_is_readable_and_private_is_ignored(lab: LabState) -> None:
    snmpget = require_binary("snmpget")
    port = lab.port_of(PRINTER, 161, "udp")
    base = ["-t", "0.5", "-r", "0", "-On", f"udp:{PRINTER}:{port}"]
    for version in ("1", "2c"):
        ok = subprocess.run(
            [
                snmpget,
                "-v",
                version,
                "-c",
                "public",
                *base,
                "1.3.6.1.2.1.1.1.0",
                "1.3.6.1.2.1.1.5.0",
            ],
            capture_output=True,
            text=True,
            timeout=10,
        )
        assert ok.returncode == 0, ok.stderr
        assert "JETDIRECT" in ok.stdout and "NPI1A2B3C" in ok.stdout
    refused = subprocess.run(
        [snmpget, "-v", "2c", "-c", "private", *base, "1.3.6.1.2.1.1.1.0"],
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert refused.returncode != 0 and "Timeout" in refused.stderr


def test_snmpwalk_of_the_system_group_ends_cleanly(lab: LabState) -> None:
    snmpwalk = require_binary("snmpwalk")
    port = lab.port_of(PRINTER, 161, "udp")
    walk = subprocess.run(
        [
            snmpwalk,
            "-v",
            "2c",
            "-c",
            "public",
            "-t",
            "0.5",
            "-r",
            "0",
            "-On",
            f"udp:{PRINTER}:{port}",
            "1.3.6.1.2.1.1",
        ],
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert walk.returncode == 0, walk.stderr
    lines = walk.stdout.splitlines()
    assert ".1.3.6.1.2.1.1.2.0 = OID: .1.3.6.1.4.1.11.2.3.9.1" in lines
    assert [line.split(" ")[0] for line in lines[:6]] == [
        f".1.3.6.1.2.1.1.{i}.0" for i in range(1, 7)
    ]

"""The NTLM CHALLENGE message (MS-NLMP 2.2.1.2) a Windows machine sends to any client that
starts NTLM authentication, over SMB or CredSSP: it names the computer and its Windows
version, which is what scanners read (``smb-os-discovery``, ``rdp-ntlm-info``)."""

from __future__ import annotations

import os
import struct
import time

FLAGS = 0xE2898215  # UNICODE, REQUEST_TARGET, SIGN, NTLM, ALWAYS_SIGN, TARGET_TYPE_DOMAIN,
# EXTENDED_SESSIONSECURITY, TARGET_INFO, VERSION, 128, KEY_EXCH, 56


# The practice's PCs run a supported Windows 11 (25H2, serviced until October 2027): the
# lab's documented weaknesses are configuration ones, not an end-of-life system.
WINDOWS_11_25H2 = (10, 0, 26200)
WINDOWS_7_SP1 = (6, 1, 7601)  # still found at many reception desks (imaging software)
WINDOWS_SERVER_2016 = (10, 0, 14393)  # extended support until January 2027


def native_os(windows: tuple[int, int, int]) -> tuple[str, str]:
    """(NativeOS, NativeLanMan) as an SMB1 SESSION_SETUP_ANDX response carries them."""
    major, minor, build = windows
    if windows == WINDOWS_SERVER_2016:
        return f"Windows Server 2016 Standard {build}", "Windows Server 2016 Standard 6.3"
    if windows == WINDOWS_7_SP1:
        return "Windows 7 Professional 7601 Service Pack 1", "Windows 7 Professional 6.1"
    if (major, minor) == (10, 0):
        name = "Windows 11 Pro" if build >= 22000 else "Windows 10 Pro"
        return f"{name} {build}", f"{name} 6.3"
    return f"Windows {major}.{minor}", f"Windows {major}.{minor}"


def filetime(seconds: float | None = None) -> int:
    """Windows FILETIME: 100 ns ticks since 1601-01-01."""
    return int(((time.time() if seconds is None else seconds) + 11644473600) * 10_000_000)


def message_type(token: bytes) -> int:
    """The NTLM message type found in ``token`` (possibly SPNEGO-wrapped), 0 if none."""
    at = token.find(b"NTLMSSP\x00")
    if at < 0 or at + 12 > len(token):
        return 0
    return int(struct.unpack_from("<I", token, at + 8)[0])


def challenge(computer: str, windows: tuple[int, int, int]) -> bytes:
    name = computer.encode("utf-16-le")

    def av(kind: int, value: bytes) -> bytes:
        return struct.pack("<HH", kind, len(value)) + value

    info = (
        av(2, name)  # MsvAvNbDomainName (a workgroup machine names itself)
        + av(1, name)  # MsvAvNbComputerName
        + av(4, name)  # MsvAvDnsDomainName
        + av(3, name)  # MsvAvDnsComputerName
        + av(7, struct.pack("<Q", filetime()))  # MsvAvTimestamp
        + av(0, b"")  # MsvAvEOL
    )
    major, minor, build = windows
    version = struct.pack("<BBH3xB", major, minor, build, 15)
    offset = 56
    return (
        b"NTLMSSP\x00"
        + struct.pack("<I", 2)
        + struct.pack("<HHI", len(name), len(name), offset)
        + struct.pack("<I", FLAGS)
        + os.urandom(8)
        + b"\x00" * 8
        + struct.pack("<HHI", len(info), len(info), offset + len(name))
        + version
        + name
        + info
    )

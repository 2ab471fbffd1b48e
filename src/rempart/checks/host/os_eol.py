"""End of security updates of desktop and server operating systems, for HOST-OS-EOL.

A Windows release is known by its build number (``22631`` is Windows 11 23H2 whatever the
language of the caption), and its support depends on the edition: Home and Pro end
earlier than Enterprise and Education; LTSC and Server have their own dates. Only dates
published by the vendor are listed (Microsoft lifecycle pages, Debian, Ubuntu). Apple
publishes no end-of-support dates for macOS, so none is invented here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from rempart.core.host import HostFacts

_MS = "https://learn.microsoft.com/lifecycle/products/"
_W10 = _MS + "windows-10-home-and-pro"
_W10E = _MS + "windows-10-enterprise-and-education"
_W11 = _MS + "windows-11-home-and-pro"
_W11E = _MS + "windows-11-enterprise-and-education"
_LTSC = _MS + "windows-10-enterprise-ltsc-2021"
_SRV = "https://learn.microsoft.com/windows-server/get-started/windows-server-release-info"
_OLD = "https://learn.microsoft.com/lifecycle/faq/windows"
_DEBIAN = "https://wiki.debian.org/LTS"
_UBUNTU = "https://ubuntu.com/about/release-cycle"


@dataclass(frozen=True, slots=True)
class OsEnd:
    """The release a computer runs and the last day it gets security updates."""

    name: str
    end: date
    source: str


# build → {edition class: (release name, end, source)}
# Edition classes: "consumer" (Home, Pro), "enterprise" (Enterprise, Education),
# "ltsc" (Enterprise LTSC/LTSB), "server".
_WINDOWS: dict[int, dict[str, tuple[str, date, str]]] = {
    6002: {
        "consumer": ("Windows Vista", date(2017, 4, 11), _OLD),
        "server": ("Windows Server 2008", date(2020, 1, 14), _OLD),
    },
    7601: {
        "consumer": ("Windows 7", date(2020, 1, 14), _OLD),
        "server": ("Windows Server 2008 R2", date(2020, 1, 14), _OLD),
    },
    9200: {
        "consumer": ("Windows 8", date(2016, 1, 12), _OLD),
        "server": ("Windows Server 2012", date(2023, 10, 10), _OLD),
    },
    9600: {
        "consumer": ("Windows 8.1", date(2023, 1, 10), _OLD),
        "server": ("Windows Server 2012 R2", date(2023, 10, 10), _OLD),
    },
    10240: {
        "consumer": ("Windows 10 1507", date(2017, 5, 9), _W10),
        "enterprise": ("Windows 10 1507", date(2017, 5, 9), _W10E),
        "ltsc": ("Windows 10 LTSB 2015", date(2025, 10, 14), _LTSC),
    },
    14393: {
        "consumer": ("Windows 10 1607", date(2018, 4, 10), _W10),
        "enterprise": ("Windows 10 1607", date(2019, 4, 9), _W10E),
        "ltsc": ("Windows 10 LTSB 2016", date(2026, 10, 13), _LTSC),
        "server": ("Windows Server 2016", date(2027, 1, 12), _SRV),
    },
    17763: {
        "consumer": ("Windows 10 1809", date(2020, 11, 10), _W10),
        "enterprise": ("Windows 10 1809", date(2021, 5, 11), _W10E),
        "ltsc": ("Windows 10 LTSC 2019", date(2029, 1, 9), _LTSC),
        "server": ("Windows Server 2019", date(2029, 1, 9), _SRV),
    },
    18363: {
        "consumer": ("Windows 10 1909", date(2021, 5, 11), _W10),
        "enterprise": ("Windows 10 1909", date(2022, 5, 10), _W10E),
    },
    19041: {
        "consumer": ("Windows 10 2004", date(2021, 12, 14), _W10),
        "enterprise": ("Windows 10 2004", date(2021, 12, 14), _W10E),
    },
    19042: {
        "consumer": ("Windows 10 20H2", date(2022, 5, 10), _W10),
        "enterprise": ("Windows 10 20H2", date(2023, 5, 9), _W10E),
    },
    19043: {
        "consumer": ("Windows 10 21H1", date(2022, 12, 13), _W10),
        "enterprise": ("Windows 10 21H1", date(2022, 12, 13), _W10E),
    },
    19044: {
        "consumer": ("Windows 10 21H2", date(2023, 6, 13), _W10),
        "enterprise": ("Windows 10 21H2", date(2024, 6, 11), _W10E),
        "ltsc": ("Windows 10 LTSC 2021", date(2027, 1, 12), _LTSC),
    },
    19045: {
        "consumer": ("Windows 10 22H2", date(2025, 10, 14), _W10),
        "enterprise": ("Windows 10 22H2", date(2025, 10, 14), _W10E),
    },
    20348: {"server": ("Windows Server 2022", date(2031, 10, 14), _SRV)},
    22000: {
        "consumer": ("Windows 11 21H2", date(2023, 10, 10), _W11),
        "enterprise": ("Windows 11 21H2", date(2024, 10, 8), _W11E),
    },
    22621: {
        "consumer": ("Windows 11 22H2", date(2024, 10, 8), _W11),
        "enterprise": ("Windows 11 22H2", date(2025, 10, 14), _W11E),
    },
    22631: {
        "consumer": ("Windows 11 23H2", date(2025, 11, 11), _W11),
        "enterprise": ("Windows 11 23H2", date(2026, 11, 10), _W11E),
    },
    26100: {
        "consumer": ("Windows 11 24H2", date(2026, 10, 13), _W11),
        "enterprise": ("Windows 11 24H2", date(2027, 10, 12), _W11E),
        "ltsc": (
            "Windows 11 LTSC 2024",
            date(2029, 10, 9),
            _MS + "windows-11-enterprise-ltsc-2024",
        ),
        "server": ("Windows Server 2025", date(2034, 10, 10), _SRV),
    },
    26200: {
        "consumer": ("Windows 11 25H2", date(2027, 10, 12), _W11),
        "enterprise": ("Windows 11 25H2", date(2028, 10, 10), _W11E),
    },
}

# (distribution ID, VERSION_ID) → (name, end of security support incl. LTS, source)
_LINUX: dict[tuple[str, str], tuple[str, date, str]] = {
    ("debian", "9"): ("Debian 9", date(2022, 6, 30), _DEBIAN),
    ("debian", "10"): ("Debian 10", date(2024, 6, 30), _DEBIAN),
    ("debian", "11"): ("Debian 11", date(2026, 8, 31), _DEBIAN),
    ("debian", "12"): ("Debian 12", date(2028, 6, 30), _DEBIAN),
    ("ubuntu", "16.04"): ("Ubuntu 16.04 LTS", date(2021, 4, 30), _UBUNTU),
    ("ubuntu", "18.04"): ("Ubuntu 18.04 LTS", date(2023, 5, 31), _UBUNTU),
    ("ubuntu", "20.04"): ("Ubuntu 20.04 LTS", date(2025, 5, 31), _UBUNTU),
    ("ubuntu", "22.04"): ("Ubuntu 22.04 LTS", date(2027, 6, 30), _UBUNTU),
    ("ubuntu", "24.04"): ("Ubuntu 24.04 LTS", date(2029, 5, 31), _UBUNTU),
}


def edition_class(facts: HostFacts) -> str:
    """Which support calendar applies: from the edition ID, else from the caption."""
    edition = (facts.os_edition or "").casefold()
    name = (facts.os_name or "").casefold()
    if edition.startswith("server") or "server" in name:
        return "server"
    if re.search(r"enterprises(n)?$", edition) or re.search(r"\blts[bc]\b", name):
        return "ltsc"
    if edition.startswith(("enterprise", "education")) or re.search(
        r"\b(enterprise|entreprise|education|éducation)\b", name
    ):
        return "enterprise"
    return "consumer"


def os_end_of_support(facts: HostFacts) -> OsEnd | None:
    """The end of support of the computer's release, or ``None`` when it is not known."""
    if facts.platform == "windows" and facts.os_build:
        match = re.match(r"(\d{1,6})", facts.os_build)
        releases = _WINDOWS.get(int(match.group(1))) if match else None
        if not releases:
            return None
        found = releases.get(edition_class(facts))
        return OsEnd(*found) if found else None
    if facts.platform == "linux" and facts.os_edition and facts.os_version:
        key = (facts.os_edition.casefold(), facts.os_version.split(".")[0])
        if facts.os_edition.casefold() == "ubuntu":
            key = ("ubuntu", facts.os_version)
        found_linux = _LINUX.get(key)
        return OsEnd(*found_linux) if found_linux else None
    return None

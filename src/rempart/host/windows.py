"""Windows collector: PowerShell and registry queries, parsed by pure functions.

Each entry of :data:`COMMANDS` is one PowerShell script ending in ``ConvertTo-Json`` (or
a console tool whose text is parsed in English and in French: ``net accounts``,
``vssadmin``, ``wbadmin``). Scripts run with ``$ErrorActionPreference = 'Stop'`` so that
a refusal (not an administrator, cmdlet missing on Windows Home) makes the command fail
and the facts it feeds are recorded as unknown with PowerShell's message.

Scripts format dates as ISO text, but parsers also accept what Windows PowerShell 5.1
writes for a raw ``DateTime`` (``"/Date(1715644800000)/"``), and they read groups by SID,
not by name, so that a French Windows ("Administrateurs", "Invité") is read the same.
Every parser is tested on recorded outputs under ``tests/host/recorded/windows10`` and
``windows11``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from rempart.core.host import FirewallProfile, HostFacts, Software, Volume
from rempart.host.common import (
    BACKUP_TOOLS,
    REMOTE_TOOLS,
    FactSheet,
    ParseError,
    Unknown,
    as_bool,
    as_date,
    as_int,
    match_software,
    one_object,
    ps_json,
    text_field,
)
from rempart.host.runner import Result, Runner

POWERSHELL = "powershell.exe"
_PREFIX = (
    "$ErrorActionPreference = 'Stop'; "
    "[Console]::OutputEncoding = [System.Text.Encoding]::UTF8; "
    "$ProgressPreference = 'SilentlyContinue'; "
)

# name → PowerShell script. Keep each short: one subject, one JSON document.
SCRIPTS: dict[str, str] = {
    "os": (
        "$o = Get-CimInstance Win32_OperatingSystem; "
        "$r = Get-ItemProperty 'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion'; "
        "[pscustomobject]@{Caption=$o.Caption; Version=$o.Version; BuildNumber=$o.BuildNumber; "
        "CSName=$o.CSName; ProductType=$o.ProductType; DisplayVersion=$r.DisplayVersion; "
        "ReleaseId=$r.ReleaseId; UBR=$r.UBR; EditionID=$r.EditionID} | ConvertTo-Json"
    ),
    "hotfix": (
        "Get-HotFix | Select-Object HotFixID,Description,"
        "@{n='InstalledOn';e={if ($_.InstalledOn) {$_.InstalledOn.ToString('yyyy-MM-dd')}}} "
        "| ConvertTo-Json"
    ),
    "pending": (
        "$s = (New-Object -ComObject Microsoft.Update.Session).CreateUpdateSearcher(); "
        "$r = $s.Search('IsInstalled=0 and IsHidden=0 and Type=''Software'''); "
        # Antivirus definition updates (category GUID, the same in every language) arrive
        # several times a day: they are HOST-AV-SIGNATURES-OLD's business, not pending updates.
        "$u = @($r.Updates | Where-Object { -not ($_.Categories | Where-Object { "
        "$_.CategoryID -eq 'e0789628-ce08-4437-be74-2495b842f43b' }) }); "
        "[pscustomobject]@{Count=$u.Count; "
        "Titles=@($u | Select-Object -First 50 -ExpandProperty Title)} | ConvertTo-Json"
    ),
    "firewall": "Get-NetFirewallProfile | Select-Object Name,Enabled | ConvertTo-Json",
    "defender": (
        "Get-MpComputerStatus | Select-Object AMServiceEnabled,AntivirusEnabled,"
        "RealTimeProtectionEnabled,AntivirusSignatureAge,"
        "@{n='AntivirusSignatureLastUpdated';e={$_.AntivirusSignatureLastUpdated.ToString('o')}} "
        "| ConvertTo-Json"
    ),
    "av_products": (
        "Get-CimInstance -Namespace root/SecurityCenter2 -ClassName AntiVirusProduct "
        "| Select-Object displayName,productState | ConvertTo-Json"
    ),
    "bitlocker": (
        "Get-BitLockerVolume | Select-Object MountPoint,"
        "@{n='VolumeType';e={\"$($_.VolumeType)\"}},"
        "@{n='ProtectionStatus';e={\"$($_.ProtectionStatus)\"}},"
        "@{n='VolumeStatus';e={\"$($_.VolumeStatus)\"}},EncryptionPercentage | ConvertTo-Json"
    ),
    "smb": (
        "Get-SmbServerConfiguration | Select-Object EnableSMB1Protocol,"
        "RequireSecuritySignature | ConvertTo-Json"
    ),
    "admins": (
        "$me = [Security.Principal.WindowsIdentity]::GetCurrent(); "
        "$p = New-Object Security.Principal.WindowsPrincipal($me); "
        "[pscustomobject]@{User=$me.Name; "
        "Elevated=$p.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator); "
        "Members=@(try { Get-LocalGroupMember -SID 'S-1-5-32-544' | ForEach-Object { "
        '[pscustomobject]@{Name=$_.Name; ObjectClass="$($_.ObjectClass)"; '
        'SID="$($_.SID)"} } } catch { '
        # Get-LocalGroupMember fails on orphaned SIDs and some Azure AD members: ask ADSI,
        # with the group's local name found from its SID (Administrateurs, Administradores).
        "$g = (New-Object Security.Principal.SecurityIdentifier('S-1-5-32-544'))."
        "Translate([Security.Principal.NTAccount]).Value.Split('\\')[-1]; "
        "([ADSI]\"WinNT://./$g,group\").psbase.Invoke('Members') | ForEach-Object { "
        "[pscustomobject]@{Name=$_.GetType().InvokeMember('Name','GetProperty',$null,$_,$null); "
        "ObjectClass=''; SID=''} } })} | ConvertTo-Json -Depth 4"
    ),
    "guest": (
        "Get-LocalUser | Where-Object { $_.SID.Value -like '*-501' } "
        "| Select-Object Name,Enabled | ConvertTo-Json"
    ),
    "registry": (
        "function v($path, $name) { $i = Get-ItemProperty -Path $path -Name $name "
        "-ErrorAction SilentlyContinue; if ($i) { $i.$name } else { $null } }; "
        "$ts = 'HKLM:\\System\\CurrentControlSet\\Control\\Terminal Server'; "
        "$wl = 'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon'; "
        "$dk = 'HKCU:\\Control Panel\\Desktop'; "
        "$pd = 'HKCU:\\Software\\Policies\\Microsoft\\Windows\\Control Panel\\Desktop'; "
        "$office = @(foreach ($app in 'Word','Excel','PowerPoint','Access') { "
        "foreach ($root in 'HKCU:\\Software\\Policies\\Microsoft\\Office\\16.0',"
        "'HKCU:\\Software\\Microsoft\\Office\\16.0') { "
        "$x = v \"$root\\$app\\Security\" 'VBAWarnings'; "
        "if ($null -ne $x) { [pscustomobject]@{App=$app; Policy=$root.Contains('Policies'); "
        "VBAWarnings=$x} } } }); "
        "[pscustomobject]@{"
        "fDenyTSConnections=(v $ts 'fDenyTSConnections'); "
        "UserAuthentication=(v \"$ts\\WinStations\\RDP-Tcp\" 'UserAuthentication'); "
        "AutoAdminLogon=(v $wl 'AutoAdminLogon'); "
        "HasDefaultPassword=[bool](v $wl 'DefaultPassword'); "
        "ScreenSaveActive=(v $dk 'ScreenSaveActive'); "
        "ScreenSaverIsSecure=(v $dk 'ScreenSaverIsSecure'); "
        "ScreenSaveTimeOut=(v $dk 'ScreenSaveTimeOut'); "
        "PolicyScreenSaveActive=(v $pd 'ScreenSaveActive'); "
        "PolicyScreenSaverIsSecure=(v $pd 'ScreenSaverIsSecure'); "
        "PolicyScreenSaveTimeOut=(v $pd 'ScreenSaveTimeOut'); "
        "InactivityTimeoutSecs=(v 'HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\"
        "Policies\\System' 'InactivityTimeoutSecs'); "
        "EnableMulticast=(v 'HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\DNSClient' "
        "'EnableMulticast'); "
        "NoDriveTypeAutoRunMachine=(v 'HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\"
        "Policies\\Explorer' 'NoDriveTypeAutoRun'); "
        "NoDriveTypeAutoRunUser=(v 'HKCU:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\"
        "Policies\\Explorer' 'NoDriveTypeAutoRun'); "
        "OfficeInstalled=[bool](Test-Path 'HKLM:\\SOFTWARE\\Microsoft\\Office\\ClickToRun') "
        "-or [bool](Test-Path 'HKLM:\\SOFTWARE\\Microsoft\\Office\\16.0\\Common\\InstallRoot'); "
        "Office=$office} | ConvertTo-Json -Depth 4"
    ),
    "netbios": (
        "Get-CimInstance Win32_NetworkAdapterConfiguration -Filter 'IPEnabled = TRUE' "
        "| Select-Object Description,TcpipNetbiosOptions | ConvertTo-Json"
    ),
    "software": (
        "Get-ItemProperty 'HKLM:\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\*',"
        "'HKLM:\\Software\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\*',"
        "'HKCU:\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\*' "
        "-ErrorAction SilentlyContinue | Where-Object { $_.DisplayName } "
        "| Select-Object DisplayName,DisplayVersion,Publisher | ConvertTo-Json"
    ),
    # Sleep after inactivity (mains power) and whether waking asks for the password: on a
    # default Windows the session locks when the computer sleeps, screen saver or not.
    "power": (
        "$s = powercfg.exe /query SCHEME_CURRENT SUB_SLEEP STANDBYIDLE; "
        "$l = powercfg.exe /query SCHEME_CURRENT SUB_NONE CONSOLELOCK; "
        '[pscustomobject]@{Sleep=($s -join "`n"); ConsoleLock=($l -join "`n")} '
        "| ConvertTo-Json"
    ),
    "powershell2": (
        "Get-WindowsOptionalFeature -Online -FeatureName MicrosoftWindowsPowerShellV2Root "
        "| Select-Object FeatureName,@{n='State';e={\"$($_.State)\"}} | ConvertTo-Json"
    ),
}

# Console tools (text output, localised).
TOOLS: dict[str, list[str]] = {
    "net_accounts": ["net.exe", "accounts"],
    "shadows": ["vssadmin.exe", "list", "shadows"],
    "wbadmin": ["wbadmin.exe", "get", "versions"],
}

TIMEOUTS = {"pending": 300.0, "software": 120.0}


def powershell_argv(script: str) -> list[str]:
    return [
        POWERSHELL,
        "-NoProfile",
        "-NonInteractive",
        "-ExecutionPolicy",
        "Bypass",
        "-Command",
        _PREFIX + script,
    ]


# --- parsers: text in, facts out ----------------------------------------------------------


def parse_os(text: str) -> dict[str, Any]:
    obj = one_object(text)
    caption = text_field(obj.get("Caption"))
    build = as_int(obj.get("BuildNumber"))
    if not caption or build is None:
        raise ParseError("Caption or BuildNumber missing")
    name = re.sub(r"^Microsoft\s+", "", caption)
    ubr = as_int(obj.get("UBR"))
    version = text_field(obj.get("DisplayVersion")) or text_field(obj.get("ReleaseId"))
    return {
        "hostname": text_field(obj.get("CSName")) or None,
        "os_name": name,
        "os_version": version or None,
        "os_build": f"{build}.{ubr}" if ubr is not None else str(build),
        "os_edition": text_field(obj.get("EditionID")) or None,
    }


def parse_hotfix(text: str) -> dict[str, Any]:
    items = ps_json(text)
    if not items:
        return {"last_update": Unknown("Get-HotFix lists no update")}
    dates = [d for d in (as_date(i.get("InstalledOn")) for i in items) if d is not None]
    if not dates:
        return {"last_update": Unknown("Get-HotFix gives no installation date")}
    return {"last_update": max(dates)}


def parse_pending(text: str) -> dict[str, Any]:
    count = as_int(one_object(text).get("Count"))
    if count is None or count < 0:
        raise ParseError("no update count")
    return {"pending_updates": count}


_GPO_BOOLEAN = {0: False, 1: True, 2: True}  # GpoBoolean: False, True, NotConfigured (on)


def parse_firewall(text: str) -> dict[str, Any]:
    profiles = []
    for item in ps_json(text):
        name = text_field(item.get("Name"))
        raw = item.get("Enabled")
        enabled = as_bool(raw)
        if enabled is None and isinstance(raw, int):
            enabled = _GPO_BOOLEAN.get(raw)
        if enabled is None and isinstance(raw, str) and raw.casefold() == "notconfigured":
            enabled = True
        if not name or enabled is None:
            raise ParseError(f"profile without a name or state: {text_field(raw, 20)!r}")
        profiles.append(FirewallProfile(name, enabled))
    if not profiles:
        raise ParseError("no firewall profile listed")
    return {"firewall": tuple(profiles)}


def parse_defender(text: str) -> dict[str, Any]:
    obj = one_object(text)
    realtime = as_bool(obj.get("RealTimeProtectionEnabled"))
    service = as_bool(obj.get("AMServiceEnabled"))
    updated = as_date(obj.get("AntivirusSignatureLastUpdated"))
    facts: dict[str, Any] = {
        "av_realtime": realtime if realtime is not None else Unknown("Defender state missing"),
    }
    if service is False:
        facts["av_realtime"] = False
    facts["av_signatures_updated"] = (
        updated if updated is not None else Unknown("Defender signature date missing")
    )
    return facts


def parse_av_products(text: str) -> dict[str, Any]:
    """Windows Security Center's list. ``productState`` packs the state in hex digits:
    ``0x1000`` set means real-time protection is on (documented by vendors, not by
    Microsoft; widely relied upon)."""
    products = []
    for item in ps_json(text):
        name = text_field(item.get("displayName"))
        state = as_int(item.get("productState"))
        if not name:
            continue
        enabled = None if state is None else bool(state & 0x1000)
        products.append(Software(name, "", enabled))
    return {"antivirus": tuple(products)}


_PROTECTION = {"on": True, "off": False, "1": True, "0": False}


def parse_bitlocker(text: str) -> dict[str, Any]:
    volumes = []
    for item in ps_json(text):
        mount = text_field(item.get("MountPoint"))
        kind = text_field(item.get("VolumeType")).casefold()
        if kind in ("2", "removable"):
            continue  # a USB key is not a fixed disk
        status = _PROTECTION.get(text_field(item.get("ProtectionStatus")).casefold())
        percent = as_int(item.get("EncryptionPercentage"))
        if status is None:
            volume_status = text_field(item.get("VolumeStatus")).casefold()
            if volume_status in ("fullyencrypted", "1"):
                status = True  # encrypted but protection suspended counts as "off" below
            elif volume_status in ("fullydecrypted", "0"):
                status = False
        if not mount or status is None:
            raise ParseError("volume without mount point or protection status")
        encrypted = status and (percent is None or percent >= 100)
        volumes.append(Volume(mount, encrypted, "BitLocker"))
    if not volumes:
        raise ParseError("no fixed volume listed")
    return {"volumes": tuple(volumes)}


def parse_smb(text: str) -> dict[str, Any]:
    obj = one_object(text)
    smb1, signing = (
        as_bool(obj.get("EnableSMB1Protocol")),
        as_bool(obj.get("RequireSecuritySignature")),
    )
    return {
        "smb1_enabled": smb1 if smb1 is not None else Unknown("EnableSMB1Protocol missing"),
        "smb_signing_required": signing
        if signing is not None
        else Unknown("RequireSecuritySignature missing"),
    }


def parse_admins(text: str) -> dict[str, Any]:
    obj = one_object(text)
    user = text_field(obj.get("User"))
    members_raw = obj.get("Members")
    if isinstance(members_raw, dict):
        members_raw = [members_raw]  # PowerShell unrolls a one-item array
    if not isinstance(members_raw, list):
        raise ParseError("no member list")
    members = tuple(
        text_field(m.get("Name")) for m in members_raw if isinstance(m, dict) and m.get("Name")
    )
    is_admin: bool | Unknown
    if as_bool(obj.get("Elevated")) is True:
        is_admin = True
    elif user:
        # ADSI gives bare names ("accueil"), Get-LocalGroupMember "PC-ACCUEIL\accueil".
        short = user.rsplit("\\", 1)[-1].casefold()
        is_admin = any(
            m.casefold() == user.casefold() or ("\\" not in m and m.casefold() == short)
            for m in members
        )
    else:
        is_admin = Unknown("current user unknown")
    return {
        "current_user": user or None,
        "local_admins": members,
        "user_is_admin": is_admin,
    }


def parse_guest(text: str) -> dict[str, Any]:
    items = ps_json(text)
    if not items:
        return {"guest_enabled": False}  # no built-in guest account at all
    enabled = as_bool(items[0].get("Enabled"))
    if enabled is None:
        raise ParseError("guest account state missing")
    return {"guest_enabled": enabled}


# net accounts, English and French. Value "Never"/"Jamais"/"None"/"Aucun" → 0.
_NET_ACCOUNTS = {
    "password_min_length": re.compile(
        r"^(minimum password length|longueur minimale du mot de passe)\b", re.IGNORECASE
    ),
    "lockout_threshold": re.compile(r"^(lockout threshold|seuil de verrouillage)\b", re.IGNORECASE),
}
_NEVER = {"never", "jamais", "none", "aucun", "aucune"}


def parse_net_accounts(text: str) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for line in text.splitlines()[:200]:
        label, _sep, value = line.strip().rpartition(" ")
        label = label.strip().rstrip(":").strip()
        value = value.strip()
        for name, pattern in _NET_ACCOUNTS.items():
            if pattern.match(label):
                number = as_int(value)
                if number is None and value.casefold() in _NEVER:
                    number = 0
                if number is not None and number >= 0:
                    facts[name] = number
    if not facts:
        raise ParseError("no password policy line recognised (English or French)")
    return facts


def _reg_int(obj: Mapping[str, Any], key: str) -> int | None:
    return as_int(obj.get(key))


def parse_registry(text: str) -> dict[str, Any]:
    obj = one_object(text)
    facts: dict[str, Any] = {}
    # RDP: fDenyTSConnections 0 = remote connections allowed; UserAuthentication 1 = NLA.
    deny = _reg_int(obj, "fDenyTSConnections")
    facts["rdp_enabled"] = (deny == 0) if deny is not None else Unknown("fDenyTSConnections absent")
    nla = _reg_int(obj, "UserAuthentication")
    facts["rdp_nla"] = (nla != 0) if nla is not None else True  # absent: NLA is the default
    # Autologon: "1" with a stored password (the password itself is never collected).
    auto = text_field(obj.get("AutoAdminLogon"))
    facts["autologon"] = auto == "1"
    # Screen lock: the machine inactivity limit wins, then the policy, then the user setting.
    facts["screen_lock_seconds"] = _screen_lock(obj)
    # LLMNR: policy EnableMulticast 0 turns it off; absent means on (Windows default).
    multicast = _reg_int(obj, "EnableMulticast")
    facts["llmnr_enabled"] = multicast != 0
    # AutoRun: bit 0x04 of NoDriveTypeAutoRun disables it on removable drives.
    masks = [
        m
        for m in (
            _reg_int(obj, "NoDriveTypeAutoRunMachine"),
            _reg_int(obj, "NoDriveTypeAutoRunUser"),
        )
        if m is not None
    ]
    facts["usb_autorun"] = not any(m & 0x04 for m in masks)
    facts["office_macros_enabled"] = _office_macros(obj)
    return facts


def _screen_lock(obj: Mapping[str, Any]) -> int:
    inactivity = _reg_int(obj, "InactivityTimeoutSecs")
    if inactivity:
        return inactivity
    for prefix in ("Policy", ""):
        active = as_bool(text_field(obj.get(prefix + "ScreenSaveActive")) or None)
        secure = as_bool(text_field(obj.get(prefix + "ScreenSaverIsSecure")) or None)
        timeout = as_int(obj.get(prefix + "ScreenSaveTimeOut"))
        if prefix and active is None and secure is None and timeout is None:
            continue  # no policy: the user's own setting applies
        if active and secure and timeout:
            return timeout
        return 0
    return 0


def _office_macros(obj: Mapping[str, Any]) -> bool | Unknown | None:
    entries = obj.get("Office")
    if isinstance(entries, dict):
        entries = [entries]
    if not isinstance(entries, list):
        entries = []
    values: dict[str, tuple[bool, int]] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        app, level = text_field(entry.get("App")), as_int(entry.get("VBAWarnings"))
        policy = as_bool(entry.get("Policy")) is True
        if not app or level is None:
            continue
        if app not in values or (policy and not values[app][0]):
            values[app] = (policy, level)  # a policy overrides the user's setting
    if any(level == 1 for _policy, level in values.values()):
        return True
    installed = as_bool(obj.get("OfficeInstalled"))
    if installed is False and not values:
        return None  # no Office: does not apply
    return False  # default (2): macros disabled with a notification


def parse_netbios(text: str) -> dict[str, Any]:
    options = [as_int(item.get("TcpipNetbiosOptions")) for item in ps_json(text)]
    if not options:
        return {"netbios_enabled": Unknown("no network adapter with an IP address")}
    # 0: from DHCP (on unless the DHCP server says otherwise), 1: on, 2: off.
    return {"netbios_enabled": any(o in (0, 1, None) for o in options)}


def parse_software(text: str) -> dict[str, Any]:
    installed = [
        (text_field(item.get("DisplayName")), text_field(item.get("DisplayVersion"), 60))
        for item in ps_json(text)
    ]
    return {
        "remote_tools": match_software(installed, REMOTE_TOOLS),
        "backup_software": match_software(installed, BACKUP_TOOLS),
    }


_HEX = re.compile(r":\s*0x([0-9a-fA-F]{1,8})\s*$", re.MULTILINE)


def _current_ac_index(text: str) -> int | None:
    """``powercfg /query`` prints, in the language of Windows, the range of the setting and
    then "Current AC Power Setting Index: 0x..." and the DC one: the AC value is the
    next-to-last hexadecimal value."""
    values = _HEX.findall(text)
    return int(values[-2], 16) if len(values) >= 2 else None


def parse_power(text: str) -> dict[str, Any]:
    obj = one_object(text)
    sleep = _current_ac_index(str(obj.get("Sleep") or "")[:20000])
    lock = _current_ac_index(str(obj.get("ConsoleLock") or "")[:20000])
    if sleep is None:
        raise ParseError("no sleep setting in the powercfg output")
    if lock == 0 or sleep == 0:
        return {"sleep_lock_seconds": 0}  # never sleeps, or wakes without a password
    if lock is None:
        raise ParseError("no password-on-wake setting in the powercfg output")
    return {"sleep_lock_seconds": sleep}


def parse_powershell2(text: str) -> dict[str, Any]:
    state = text_field(one_object(text).get("State")).casefold()
    if state in ("enabled", "enablepending"):
        return {"powershell2": True}
    if state in ("disabled", "disablepending", "disabledwithpayloadremoved"):
        return {"powershell2": False}
    raise ParseError(f"unexpected feature state {state[:30]!r}")


_SHADOW = re.compile(r"HarddiskVolumeShadowCopy(\d+)", re.IGNORECASE)
_VSSADMIN = re.compile(r"vssadmin\s+\d", re.IGNORECASE)


def parse_shadows(text: str) -> dict[str, Any]:
    """``vssadmin list shadows``: device names are not translated, so counting them works
    on every language of Windows."""
    if not _VSSADMIN.search(text):
        raise ParseError("not the output of vssadmin")
    refused = re.search(r"^\s*(error|erreur)\s*:\s*(.*)$", text, re.IGNORECASE | re.MULTILINE)
    if refused:
        raise ParseError(f"vssadmin refused: {refused.group(2).strip()[:120]}")
    return {"shadow_copies": len(set(_SHADOW.findall(text)))}


# wbadmin get versions: "Backup time: 5/14/2024 9:00 PM" (en-US, month first) or
# "Heure de la sauvegarde : 14/05/2024 21:00" (fr-FR, day first).
_BACKUP_TIME = re.compile(
    r"^\s*(backup time|heure de la sauvegarde)\s*:\s*(\d{1,2})/(\d{1,2})/(\d{4})\s+"
    r"(\d{1,2}):(\d{2})(?::\d{2})?\s*([AP]M)?",
    re.IGNORECASE | re.MULTILINE,
)


def parse_wbadmin(text: str) -> dict[str, Any]:
    times = []
    for match in _BACKUP_TIME.finditer(text):
        label, suffix = match.group(1).casefold(), (match.group(7) or "").upper()
        first, second, year, hour, minute = (int(g) for g in match.groups()[1:6])
        month, day = (first, second) if label == "backup time" else (second, first)
        if suffix == "PM" and hour < 12:
            hour += 12
        elif suffix == "AM" and hour == 12:
            hour = 0
        try:
            times.append(datetime(year, month, day, hour, minute, tzinfo=UTC))
        except ValueError:
            continue
    if times:
        return {"last_backup": max(times)}
    if re.search(r"no backup|aucune sauvegarde", text, re.IGNORECASE):
        return {"last_backup": None}  # no Windows Backup here; other software may back up
    error = re.search(r"^\s*(error|erreur)\b[\s:-]*(.*)$", text, re.IGNORECASE | re.MULTILINE)
    if error:
        raise ParseError(f"wbadmin refused: {error.group(2).strip()[:120]}")
    raise ParseError("no 'Backup time' line (English or French)")


# Console tools whose exit status is non-zero for "nothing found": read their text anyway.
_TEXT_ON_FAILURE = {"shadows", "wbadmin"}

_FACTS: dict[str, tuple[str, ...]] = {
    "os": ("os_name", "os_version", "os_build", "os_edition"),
    "hotfix": ("last_update",),
    "pending": ("pending_updates",),
    "firewall": ("firewall",),
    "defender": ("av_realtime", "av_signatures_updated"),
    "av_products": ("antivirus",),
    "bitlocker": ("volumes",),
    "smb": ("smb1_enabled", "smb_signing_required"),
    "admins": ("current_user", "local_admins", "user_is_admin"),
    "guest": ("guest_enabled",),
    "net_accounts": ("password_min_length", "lockout_threshold"),
    "registry": (
        "rdp_enabled",
        "rdp_nla",
        "autologon",
        "screen_lock_seconds",
        "llmnr_enabled",
        "usb_autorun",
        "office_macros_enabled",
    ),
    "netbios": ("netbios_enabled",),
    "software": ("remote_tools", "backup_software"),
    "power": ("sleep_lock_seconds",),
    "powershell2": ("powershell2",),
    "shadows": ("shadow_copies",),
    "wbadmin": ("last_backup",),
}

PARSERS = {
    "os": parse_os,
    "hotfix": parse_hotfix,
    "pending": parse_pending,
    "firewall": parse_firewall,
    "defender": parse_defender,
    "av_products": parse_av_products,
    "bitlocker": parse_bitlocker,
    "smb": parse_smb,
    "admins": parse_admins,
    "guest": parse_guest,
    "net_accounts": parse_net_accounts,
    "registry": parse_registry,
    "netbios": parse_netbios,
    "software": parse_software,
    "power": parse_power,
    "powershell2": parse_powershell2,
    "shadows": parse_shadows,
    "wbadmin": parse_wbadmin,
}


def facts_from_outputs(
    outputs: Mapping[str, Result], collected_at: datetime | None = None
) -> HostFacts:
    """Pure: the facts of a Windows computer from its commands' results (by name)."""
    sheet = FactSheet()
    for name, parser in PARSERS.items():
        result = outputs.get(name) or Result(error=f"{name}: not collected")
        if name in _TEXT_ON_FAILURE and not result.ok and result.text.strip():
            result = Result(text=result.text)  # the parser reads the tool's own message
        names = _FACTS[name] + (("hostname",) if name == "os" else ())
        sheet.apply(names, result, parser, name)
    sheet.unknown.pop("hostname", None)
    _combine_locks(sheet)
    return sheet.build(platform="windows", collected_at=collected_at)


def _combine_locks(sheet: FactSheet) -> None:
    """The screen locks at the earlier of the screen saver's lock and the sleep's lock."""
    saver = sheet.values.get("screen_lock_seconds")
    sleep = sheet.values.pop("sleep_lock_seconds", None)
    reason = sheet.unknown.pop("sleep_lock_seconds", None)
    if saver is None:
        return
    locks = [v for v in (saver, sleep) if v]
    if locks:
        sheet.set("screen_lock_seconds", min(locks))
    elif sleep is None:  # no screen saver lock, and the sleep settings are unknown
        sheet.values.pop("screen_lock_seconds")
        sheet.mark("screen_lock_seconds", f"sleep settings unknown ({reason or 'power'})")


def collect(runner: Runner, now: datetime | None = None) -> HostFacts:
    """Run every command through ``runner`` and parse the results."""
    outputs: dict[str, Result] = {}
    for name, script in SCRIPTS.items():
        outputs[name] = runner.run(name, powershell_argv(script), TIMEOUTS.get(name, 60.0))
    for name, argv in TOOLS.items():
        outputs[name] = runner.run(name, argv)
    return facts_from_outputs(outputs, now or datetime.now(UTC))

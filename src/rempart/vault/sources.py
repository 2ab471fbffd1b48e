"""Where the engine reads files from: in place, or from a frozen Windows shadow copy.

A backup reads through a :class:`SnapshotSource`. :class:`DirectSource` opens files where
they are (Linux, macOS; Windows when shadow copies are not available). :class:`VssSource`
(Windows, administrator) first creates a volume shadow copy of every volume holding a path,
so that an open database file is read as it was at one instant, then reads each file from the
shadow device, and deletes the shadow copies at the end (docs/vault-format.md, section 11).
The tree records the original paths either way.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Sequence
from pathlib import PureWindowsPath
from types import TracebackType
from typing import BinaryIO, Protocol

from rempart.i18n import _
from rempart.vault.errors import VaultError


class SnapshotSource(Protocol):
    kind: str  # recorded in the snapshot: "direct" or "vss"

    def __enter__(self) -> SnapshotSource: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def open(self, path: str) -> BinaryIO:
        """Open the file saved under ``path`` (an original, absolute path) for reading."""
        ...


class DirectSource:
    """Files read in place."""

    kind = "direct"

    def __enter__(self) -> DirectSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def open(self, path: str) -> BinaryIO:
        return open(path, "rb", buffering=0)


Runner = Callable[[Sequence[str]], str]

_CREATE = (
    "$res = Invoke-CimMethod -ClassName Win32_ShadowCopy -MethodName Create "
    "-Arguments @{{Volume='{volume}'; Context='ClientAccessible'}}; "
    "if ($res.ReturnValue -ne 0) {{ exit $res.ReturnValue }}; "
    "$s = Get-CimInstance Win32_ShadowCopy | Where-Object {{ $_.ID -eq $res.ShadowID }}; "
    "Write-Output ($s.ID + '|' + $s.DeviceObject)"
)
_DELETE = (
    "Get-CimInstance Win32_ShadowCopy | Where-Object {{ $_.ID -eq '{id}' }} | Remove-CimInstance"
)


def _powershell(args: Sequence[str]) -> str:
    done = subprocess.run(
        ["powershell.exe", "-NoProfile", "-NonInteractive", "-Command", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise VaultError(
            _(
                "Windows refused to create a shadow copy (code {code}): run the backup as "
                "administrator, or use --no-vss."
            ).format(code=done.returncode)
        )
    return done.stdout


class VssSource:
    """Files read from Windows volume shadow copies (one per volume, deleted at the end)."""

    kind = "vss"

    def __init__(self, paths: Sequence[str], runner: Runner | None = None) -> None:
        self.volumes = sorted({PureWindowsPath(p).anchor.upper() for p in paths})
        self.runner = runner or _powershell
        self.devices: dict[str, str] = {}
        self.ids: list[str] = []

    def __enter__(self) -> VssSource:
        if os.name != "nt" and self.runner is _powershell:
            raise VaultError(_("Shadow copies exist only on Windows: use --no-vss."))
        try:
            for volume in self.volumes:
                out = self.runner([_CREATE.format(volume=volume)]).strip().splitlines()
                shadow_id, device = out[-1].split("|", 1)
                self.ids.append(shadow_id)
                self.devices[volume] = device.rstrip("\\")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for shadow_id in self.ids:
            try:
                self.runner([_DELETE.format(id=shadow_id)])
            except VaultError:
                pass
        self.ids.clear()

    def shadow_path(self, path: str) -> str:
        win = PureWindowsPath(path)
        device = self.devices[win.anchor.upper()]
        return device + "\\" + str(win.relative_to(win.anchor))

    def open(self, path: str) -> BinaryIO:
        return open(self.shadow_path(path), "rb", buffering=0)

"""Snapshot sources: files read in place, or (Windows) from a volume shadow copy.

Creating a shadow copy needs Windows: here PowerShell is replaced by a recorder (the only
fake of these tests); the mapping of paths and the clean-up are the real code."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from rempart.vault import Repository, run_backup
from rempart.vault.errors import VaultError
from rempart.vault.sources import VssSource


class FakePowerShell:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.n = 0

    def __call__(self, args: Sequence[str]) -> str:
        script = args[0]
        self.calls.append(script)
        if "MethodName Create" in script:
            self.n += 1
            return f"{{ID-{self.n}}}|\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy{self.n}\n"
        return ""


def test_each_volume_gets_one_shadow_copy_deleted_at_the_end() -> None:
    ps = FakePowerShell()
    source = VssSource([r"C:\Cabinet\Patients", r"c:\Logiciel", r"D:\Radios"], runner=ps)
    with source:
        assert source.shadow_path(r"C:\Cabinet\Patients\dupont.pdf") == (
            r"\\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\Cabinet\Patients\dupont.pdf"
        )
        assert source.shadow_path(r"D:\Radios\pano.dcm").startswith(
            r"\\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy2"
        )
    creates = [c for c in ps.calls if "MethodName Create" in c]
    deletes = [c for c in ps.calls if "Remove-CimInstance" in c]
    assert len(creates) == 2 and "Volume='C:\\'" in creates[0]
    assert len(deletes) == 2 and "{ID-1}" in deletes[0]


def test_a_refused_shadow_copy_leaves_none_behind() -> None:
    ps = FakePowerShell()

    def failing(args: Sequence[str]) -> str:
        if "MethodName Create" in args[0] and ps.n >= 1:
            raise VaultError("refused")
        return ps(args)

    with pytest.raises(VaultError), VssSource([r"C:\A", r"D:\B"], runner=failing):
        pass
    assert sum("Remove-CimInstance" in c for c in ps.calls) == 1


def test_shadow_copies_are_refused_outside_windows_with_a_clear_line(
    repo: Repository, source: Path
) -> None:
    import os

    if os.name == "nt":
        pytest.skip("on Windows the real shadow copy is used")
    with pytest.raises(VaultError, match="--no-vss"):
        run_backup(repo, [str(source)], source=VssSource([str(source)]))

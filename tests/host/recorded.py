"""Load a folder of recorded outputs into a :class:`RecordedRunner` (see recorded/README.md)."""

from __future__ import annotations

from pathlib import Path

from rempart.host.runner import RecordedRunner, Result

RECORDED = Path(__file__).parent / "recorded"


def _result(path: Path) -> Result:
    text = path.read_bytes().decode("utf-8")
    if path.suffix == ".error":
        return Result(text="", error=text.strip(), returncode=1)
    return Result(text=text)


def commands(folder: Path) -> dict[str, str | Result]:
    return {
        p.stem: _result(p)
        for p in sorted(folder.iterdir())
        if p.is_file() and p.suffix in (".json", ".txt", ".error")
    }


def windows_runner(version: str) -> RecordedRunner:
    return RecordedRunner(commands(RECORDED / version))


def linux_runner() -> RecordedRunner:
    base = RECORDED / "linux"
    files_root = base / "files"
    files = {
        "/" + str(p.relative_to(files_root)): p.read_text(encoding="utf-8")
        for p in files_root.rglob("*")
        if p.is_file()
    }
    folders = {
        "/" + str(d.relative_to(files_root)): [p.name for p in d.iterdir()]
        for d in files_root.rglob("*")
        if d.is_dir()
    }
    return RecordedRunner(commands(base / "commands"), files, folders)


def macos_runner() -> RecordedRunner:
    base = RECORDED / "macos"
    outputs = commands(base)
    apps = outputs.pop("applications")
    text = apps.text if isinstance(apps, Result) else apps
    return RecordedRunner(outputs, folders={"/Applications": text.splitlines()})

"""A dental practice's normal day, compressed: the high-entropy writes that a sentinel must
never mistake for ransomware.

Each workload (:data:`WORKLOADS`) runs in its own process, as the real program would
(7-Zip, Word, the imaging software, the practice database...), inside a drill sandbox's
protected folder (every path written goes through :meth:`Sandbox.check`):

* ``zip``: a folder of x-rays zipped for a colleague;
* ``7z``: the same folder in a password-protected 7z (AES-256, encrypted headers: what
  looks most like ransomware output, yet a valid archive);
* ``xrays``: 200 JPEG x-rays saved by the imaging software, in 64 KiB writes;
* ``office``: letters and spreadsheets edited and saved the way Word (temporary file,
  renames, delete), Excel and LibreOffice (write then rename over) save them;
* ``sqlite``: the practice database under heavy update (rollback journal, then WAL);
* ``copy``: a folder of invoices copied;
* ``unpack``: a software update archive saved, then unpacked (executables, compressed
  resources);
* ``logs``: a log rotated five times with gzip, as logrotate does.

``python -m rempart.lab.benign --sandbox DIR --workload NAME`` runs one; :func:`run_suite`
runs them all, one process each, and says when each ran (the drill compares incidents
with these windows).
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import random
import secrets
import shutil
import sqlite3
import subprocess
import sys
import time
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from rempart.lab.documents import docx, xlsx
from rempart.lab.sandbox import Sandbox, SandboxError, open_sandbox, xray_jpeg

PASSWORD = "exercice-rempart"  # noqa: S105 (a drill archive: protects nothing real)


@dataclass(frozen=True)
class Workload:
    name: str
    en: str
    fr: str

    def describe(self, lang: str) -> str:
        return self.fr if lang == "fr" else self.en


WORKLOADS: tuple[Workload, ...] = (
    Workload("zip", "x-rays zipped", "radiographies compressées en zip"),
    Workload("7z", "x-rays in a password-protected 7z (AES)",
             "radiographies dans un 7z protégé par mot de passe (AES)"),
    Workload("xrays", "200 JPEG x-rays saved", "200 radiographies JPEG enregistrées"),
    Workload("office", "Office documents edited and saved",
             "documents Office modifiés et enregistrés"),
    Workload("sqlite", "practice database under heavy update",
             "base du logiciel de cabinet sous forte mise à jour"),
    Workload("copy", "a folder copied", "un dossier copié"),
    Workload("unpack", "a software update unpacked", "une mise à jour logicielle décompressée"),
    Workload("logs", "logs rotated with gzip", "journaux archivés avec gzip"),
)  # fmt: skip
WORKLOAD_NAMES = tuple(w.name for w in WORKLOADS)


def _write_chunked(path: Path, content: bytes, chunk: int = 65536) -> None:
    with path.open("wb") as handle:
        for offset in range(0, len(content), chunk):
            handle.write(content[offset : offset + chunk])
            handle.flush()


def _xray_folder(sandbox: Sandbox) -> Path:
    folders = sorted({p.parent for p in sandbox.data_files() if p.suffix in (".jpg", ".dcm")})
    if not folders:
        raise SandboxError("no x-ray folder in the sandbox")
    return max(folders, key=lambda f: sum(1 for _ in f.iterdir()))


def _exports(sandbox: Sandbox) -> Path:
    folder = sandbox.check("Exports")
    folder.mkdir(exist_ok=True)
    return folder


def workload_zip(sandbox: Sandbox) -> int:
    source = _xray_folder(sandbox)
    target = sandbox.check(_exports(sandbox) / f"radios-{secrets.token_hex(3)}.zip")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(source.iterdir()):
            if path.is_file() and not path.is_symlink():
                archive.write(path, path.name)
    return 1


def workload_7z(sandbox: Sandbox) -> int:
    import py7zr

    source = _xray_folder(sandbox)
    target = sandbox.check(_exports(sandbox) / f"radios-{secrets.token_hex(3)}.7z")
    with py7zr.SevenZipFile(target, "w", password=PASSWORD) as archive:
        archive.set_encrypted_header(True)
        for path in sorted(source.iterdir()):
            if path.is_file() and not path.is_symlink():
                archive.write(path, path.name)
    return 1


def workload_xrays(sandbox: Sandbox, count: int = 200) -> int:
    folder = sandbox.check(f"Radiographies/Import {time.strftime('%Y-%m-%d %H%M%S')}")
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        label = f"Rempart synthetic x-ray, import #{n}, capteur RVG (synthetique)"
        _write_chunked(sandbox.check(folder / f"IMG{n:05d}.jpg"), xray_jpeg(n, label))
    return count


def _practice_files(sandbox: Sandbox, *kinds: str) -> list[Path]:
    """The practice's own files of these kinds (from the manifest: never a canary or any
    file the sentinel placed, which no one at the practice would open)."""
    manifest = sandbox.manifest()
    return [sandbox.data / rel for rel, e in sorted(manifest.items()) if e.kind in kinds]


def _office_documents(sandbox: Sandbox) -> list[Path]:
    return [p for p in _practice_files(sandbox, "docx", "xlsx") if p.is_file()][:30]


def _new_content(path: Path, rng: random.Random) -> bytes:
    if path.suffix == ".docx":
        return docx([f"Courrier modifié ({rng.randint(1, 10**6)})", "Texte revu et complété."] * 20)
    rows: list[list[str | float | int]] = [["Date", "Acte", "Montant"]]
    rows += [["2026-11-28", "Consultation", round(rng.uniform(20, 60), 2)] for _ in range(40)]
    return xlsx(rows)


def workload_office(sandbox: Sandbox) -> int:
    """Saves as the three office suites do (see the module docstring)."""
    rng = random.Random()
    saved = 0
    for number, path in enumerate(_office_documents(sandbox)):
        target = sandbox.check(path)
        content = _new_content(target, rng)
        style = number % 3
        if style == 0:  # Word: owner file, temporary file, renames, delete
            owner = sandbox.check(target.with_name("~$" + target.name[2:]))
            owner.write_bytes(b"\x0bsecretaire" + bytes(150))
            tmp = sandbox.check(target.with_name(f"~WRD{rng.randint(0, 9999):04d}.tmp"))
            _write_chunked(tmp, content, 4096)
            backup = sandbox.check(target.with_name(f"~WRL{rng.randint(0, 9999):04d}.tmp"))
            os.rename(target, backup)
            os.rename(tmp, target)
            backup.unlink()
            owner.unlink()
        elif style == 1:  # Excel: temporary name without extension, swap, delete
            tmp = sandbox.check(target.with_name(secrets.token_hex(4).upper()))
            _write_chunked(tmp, content)
            old = sandbox.check(target.with_name(secrets.token_hex(4).upper() + ".tmp"))
            os.rename(target, old)
            os.rename(tmp, target)
            old.unlink()
        else:  # LibreOffice: lock file, write a temporary, rename over the document
            lock = sandbox.check(target.with_name(f".~lock.{target.name}#"))
            lock.write_text("secretaire,poste-accueil,28.11.2026 09:00,file:///;\n")
            tmp = sandbox.check(target.with_name(f"lu{rng.randint(10**5, 10**6)}.tmp"))
            _write_chunked(tmp, content)
            os.replace(tmp, target)
            lock.unlink()
        saved += 1
    return saved


def workload_sqlite(sandbox: Sandbox) -> int:
    databases = [p for p in _practice_files(sandbox, "db") if p.is_file()]
    if databases:
        path = sandbox.check(databases[0])
    else:
        path = sandbox.check("Logiciel/cabinet-benin.db")
        path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random()
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE IF NOT EXISTS journal_benin (id INTEGER PRIMARY KEY, at TEXT, "
            "payload BLOB, note TEXT)"
        )
    db.close()
    updates = 0
    for mode in ("DELETE", "WAL"):
        db = sqlite3.connect(path)
        try:
            db.execute(f"PRAGMA journal_mode={mode}")
            for _batch in range(60):
                with db:
                    for _ in range(25):
                        db.execute(
                            "INSERT INTO journal_benin (at, payload, note) VALUES (?, ?, ?)",
                            (
                                time.strftime("%H:%M:%S"),
                                zlib.compress(rng.randbytes(200)),  # compressed blobs
                                "mise à jour du dossier patient (synthétique)",
                            ),
                        )
                        updates += 1
                    db.execute(
                        "UPDATE journal_benin SET note = note || '.' WHERE id % 7 = ?",
                        (rng.randrange(7),),
                    )
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)" if mode == "WAL" else "SELECT 1")
            db.execute("PRAGMA journal_mode=DELETE")
        finally:
            db.close()
    return updates


def workload_copy(sandbox: Sandbox) -> int:
    invoices = sorted({p.parent for p in sandbox.data_files() if p.suffix == ".pdf"})
    if not invoices:
        return 0
    source = invoices[0]
    target = sandbox.check(source.with_name(source.name + f" - Copie {secrets.token_hex(2)}"))
    copied = 0
    target.mkdir()
    for path in sorted(source.iterdir()):
        if path.is_file() and not path.is_symlink():
            shutil.copy2(path, sandbox.check(target / path.name))
            copied += 1
    return copied


def _software_archive(rng: random.Random) -> bytes:
    """A vendor's update: an executable, libraries, compressed resources, text files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        pe = bytearray(b"MZ" + bytes(58) + (128).to_bytes(4, "little") + bytes(64))
        pe += b"PE\x00\x00" + bytes(20)
        code = bytes(rng.choice(b"\x48\x89\x5c\x24\x08\x57\x48\x83\xec\x20\xe8\xc3\x00")
                     for _ in range(300_000))  # fmt: skip
        archive.writestr("Programme/cabinet.exe", bytes(pe) + code)
        archive.writestr("Programme/imagerie.dll", bytes(pe) + code[:120_000])
        resources = zlib.compress(rng.randbytes(150_000), 9)  # already compressed: random-like
        archive.writestr("Programme/ressources.pak", b"PAK1" + resources)
        archive.writestr("Programme/config.json", '{"version": "4.2.0", "serveur": "SERVEUR"}')
        archive.writestr("Programme/LISEZMOI.txt", "Mise à jour 4.2 (synthétique).\n" * 40)
    return buffer.getvalue()


def workload_unpack(sandbox: Sandbox) -> int:
    rng = random.Random(42)
    folder = sandbox.check("Logiciel/Mises a jour")
    folder.mkdir(parents=True, exist_ok=True)
    archive_path = sandbox.check(folder / f"maj-4.2-{secrets.token_hex(2)}.zip")
    _write_chunked(archive_path, _software_archive(rng))
    target = sandbox.check(folder / archive_path.stem)
    written = 0
    with zipfile.ZipFile(archive_path) as archive:
        for member in archive.infolist():
            out = sandbox.check(target / member.filename)  # refuses "../" members
            out.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as src, out.open("wb") as dst:
                shutil.copyfileobj(src, dst, 65536)
            written += 1
    return written


def workload_logs(sandbox: Sandbox, rotations: int = 5) -> int:
    folder = sandbox.check("Logiciel/logs")
    folder.mkdir(parents=True, exist_ok=True)
    log = sandbox.check(folder / "cabinet.log")
    rng = random.Random()
    for rotation in range(rotations):
        with log.open("a", encoding="utf-8") as handle:
            for line in range(800):
                handle.write(
                    f"2026-11-28 09:{line % 60:02d}:00 INFO poste-{rng.randint(1, 5)} "
                    f"ouverture dossier SYN{rng.randint(1, 300):05d} ({rotation}.{line})\n"
                )
        for n in range(rotations, 0, -1):  # cabinet.log.N.gz → N+1
            older = folder / f"cabinet.log.{n}.gz"
            if older.exists():
                os.replace(sandbox.check(older), sandbox.check(folder / f"cabinet.log.{n + 1}.gz"))
        rotated = sandbox.check(folder / "cabinet.log.1")
        os.replace(log, rotated)
        log.touch()
        with rotated.open("rb") as src, gzip.open(sandbox.check(f"{rotated}.gz"), "wb") as dst:
            shutil.copyfileobj(src, dst)
        rotated.unlink()
    return rotations


_RUNNERS: dict[str, Callable[[Sandbox], int]] = {
    "zip": workload_zip,
    "7z": workload_7z,
    "xrays": workload_xrays,
    "office": workload_office,
    "sqlite": workload_sqlite,
    "copy": workload_copy,
    "unpack": workload_unpack,
    "logs": workload_logs,
}


@dataclass(frozen=True)
class WorkloadRun:
    """One workload as it ran: its process, when (monotonic), how it ended."""

    name: str
    pid: int
    started: float
    ended: float
    returncode: int
    stderr: str


def run_workload(sandbox: Sandbox, name: str, *, timeout: float = 300.0) -> WorkloadRun:
    """Run one workload in its own process and wait for it."""
    if name not in _RUNNERS:
        raise ValueError(name)
    sandbox = open_sandbox(sandbox.root)
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "rempart.lab.benign", "--sandbox", str(sandbox.root),
         "--workload", name],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        _out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        _out, err = process.communicate()
    return WorkloadRun(
        name,
        process.pid,
        started,
        time.monotonic(),
        process.returncode,
        err.decode("utf-8", "replace")[-2000:],
    )


def run_suite(
    sandbox: Sandbox,
    names: Sequence[str] = WORKLOAD_NAMES,
    *,
    on_done: Callable[[WorkloadRun], None] | None = None,
) -> list[WorkloadRun]:
    """Every workload, one after the other, each in its own process."""
    runs = []
    for name in names:
        result = run_workload(sandbox, name)
        runs.append(result)
        if on_done is not None:
            on_done(result)
    return runs


class Watching(Protocol):
    def wait_incident(self, timeout: float) -> Any: ...


@dataclass(frozen=True)
class BenignResult:
    """One workload under the sentinel's eye: a false alarm is any incident during it."""

    name: str
    seconds: float
    ok: bool  # the workload finished by itself (not stopped, no error)
    alarms: int
    reasons: tuple[str, ...]
    stopped_by_sentinel: bool
    error: str = ""


def _last_line(run: WorkloadRun) -> str:
    if run.returncode == 0:
        return ""
    lines = run.stderr.strip().splitlines()
    return lines[-1] if lines else f"exit {run.returncode}"


def run_benign_drill(
    sandbox: Sandbox,
    sentinel: Watching,
    names: Sequence[str] = WORKLOAD_NAMES,
    *,
    settle: float = 1.0,
    on_done: Callable[[BenignResult], None] | None = None,
) -> list[BenignResult]:
    """Every workload, one process each, while ``sentinel`` watches the sandbox's data
    folder; incidents are given to the workload during which (or within ``settle`` s
    after which) they were detected."""
    results = []
    for name in names:
        run = run_workload(sandbox, name)
        incidents = []
        deadline = time.monotonic() + settle  # late verdicts on this workload's files
        while True:
            incident = sentinel.wait_incident(max(0.0, deadline - time.monotonic()))
            if incident is None:
                break
            incidents.append(incident)
        stopped = run.returncode is not None and run.returncode < 0
        result = BenignResult(
            name=name,
            seconds=run.ended - run.started,
            ok=run.returncode == 0,
            alarms=len(incidents),
            reasons=tuple(r for i in incidents for r in getattr(i, "reasons", ()) or ()),
            stopped_by_sentinel=stopped
            or any(getattr(i, "actor_pid", None) == run.pid for i in incidents),
            error=_last_line(run),
        )
        results.append(result)
        if on_done is not None:
            on_done(result)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rempart.lab.benign")
    parser.add_argument("--sandbox", required=True, type=Path)
    parser.add_argument("--workload", required=True, choices=WORKLOAD_NAMES)
    args = parser.parse_args(argv)
    try:
        sandbox = open_sandbox(args.sandbox)
        _RUNNERS[args.workload](sandbox)
    except SandboxError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

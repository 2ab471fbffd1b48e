"""Rempart's vault beside restic, on the same generated practice data, in one run.

    uv run python benchmarks/vault_vs_restic/run.py                  # ~2 GB (the issue's)
    uv run python benchmarks/vault_vs_restic/run.py --size-scale 0.1 # a quick run (~200 MB)

1. generates, in a temporary folder (or ``--workdir``), a practice's data:
   * images of 1–8 MB of random content (X-rays as stored: already compressed), ~1.2 GB;
   * compressible CSV-like exports, ~400 MB;
   * one 400 MiB database file of 8 KiB pages (``cabinet.mdf``, as SQL Server names them);
2. ``rempart backup init/run`` and ``restic init/backup`` (Debian's restic) of it: first backup;
3. the day's change (1 %): 512 random pages of the database rewritten, 2 new images, 4 files
   appended; then the incremental backup of both;
4. restore of the latest snapshot into an empty folder, by both;
5. prints seconds, bytes added by the incremental (size of the repository folder before and
   after), peak memory of each command (``ru_maxrss`` of that child, from ``os.wait4``), the
   ratios and whether the issue's targets are met:
   first backup throughput ≥ 1.2× restic's; incremental bytes ≤ 10 % of restic's;
   restore ≥ 1.0× restic's speed; Rempart's peak memory ≤ 500 MB.

Both tools run with their defaults (restic: repository v2, compression auto), a
passphrase from the environment, caches inside the work folder, the same warm page cache;
the disk is flushed (``sync``, not timed) before every command, so that none pays for data the
previous step left unwritten. Rempart's restore fsyncs every file before it says "done";
restic's leaves them to the kernel: the time until the restored files are on disk (command,
then ``sync``) is printed beside the targets as information.
Nothing leaves this computer. Results are printed, not committed.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

MiB = 1024 * 1024
PAGE = 8192
PASSWORD = "benchmark passphrase, not a secret"
TARGETS = {
    "first_backup_speed": 1.2,  # restic's time / ours, at least
    "incremental_bytes": 0.10,  # ours / restic's, at most
    "restore_speed": 1.0,  # restic's time / ours, at least
    "peak_memory_mb": 500,  # ours, at most
}

# Bytes → CSV-like text: digits mostly, separators and line ends; ~3.6 bits of entropy per
# byte, so that it compresses about 2:1 like real exports, at C speed (bytes.translate).
_CSV_TABLE = bytes(
    (b"0123456789" * 24 + b";;;;;;;;;;" + b"\n\n\n\n" + b",,")[i] for i in range(256)
)
# Database pages: rows of names, dates and amounts; compressible like a real page.
_DB_TABLE = bytes(
    (b"abcdefghijklmnop" * 8 + b"0123456789" * 12 + b"  ;;;;;;")[i] for i in range(256)
)


@dataclass
class Run:
    seconds: float
    maxrss_mb: float
    output: str


def measure(cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> Run:
    """Run ``cmd``; its wall time and its own peak resident memory (and its children's).

    The disk is flushed first (not timed): a command must not pay for the data the previous
    step left in the page cache (the 2 GB just generated, the other tool's restore)."""
    if hasattr(os, "sync"):
        os.sync()
    start = time.monotonic()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])}… failed ({proc.returncode}):\n{text[-3000:]}")
    return Run(seconds, usage.ru_maxrss / 1024, text)


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# -- the data --------------------------------------------------------------------------------


def generate(data: Path, scale: float, rng: random.Random) -> dict[str, int]:
    images, exports, db = data / "radios", data / "exports", data / "base"
    for folder in (images, exports, db):
        folder.mkdir(parents=True)
    total = 0
    budget = int(1200 * MiB * scale)
    n = 0
    while budget > 0:
        size = min(budget, rng.randrange(1 * MiB, 8 * MiB))
        (images / f"radio-{n:04d}.jpg").write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(size - 4))
        budget -= size
        total += size
        n += 1
    budget = int(400 * MiB * scale)
    m = 0
    while budget > 0:
        size = min(budget, rng.randrange(256 * 1024, 4 * MiB))
        text = rng.randbytes(size).translate(_CSV_TABLE)
        (exports / f"export-{m:04d}.csv").write_bytes(b"date;patient;acte;montant\n" + text)
        budget -= size
        total += size
        m += 1
    pages = int(400 * MiB * scale) // PAGE
    with (db / "cabinet.mdf").open("wb") as fh:
        for start in range(0, pages, 1024):
            count = min(1024, pages - start)
            block = rng.randbytes(count * PAGE).translate(_DB_TABLE)
            fh.write(block)
    total += pages * PAGE
    return {"images": n, "exports": m, "pages": pages, "bytes": total}


def change(data: Path, info: dict[str, int], rng: random.Random) -> dict[str, int]:
    """The day's change: 1 % of the pages, 2 new images, 4 appended files."""
    pages = info["pages"]
    rewritten = max(1, round(pages * 0.01)) if pages < 51200 else 512
    with (data / "base" / "cabinet.mdf").open("r+b") as fh:
        for page in rng.sample(range(pages), rewritten):
            fh.seek(page * PAGE)
            fh.write(rng.randbytes(PAGE).translate(_DB_TABLE))
    for i in range(2):
        size = rng.randrange(1 * MiB, 8 * MiB)
        (data / "radios" / f"nouvelle-{i}.jpg").write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(size))
    exports = sorted((data / "exports").iterdir())
    for path in rng.sample(exports, min(4, len(exports))):
        with path.open("ab") as fh:
            fh.write(rng.randbytes(64 * 1024).translate(_CSV_TABLE))
    return {"pages_rewritten": rewritten}


# -- the two tools ---------------------------------------------------------------------------


def rempart_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "rempart", *args]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-scale", type=float, default=1.0, help="1.0: ~2 GB of data")
    parser.add_argument("--workdir", type=Path, help="where to work (default: a temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    restic = shutil.which("restic")
    if restic is None:
        print("restic is missing: apt-get install -y restic", file=sys.stderr)
        return 2
    version = subprocess.run([restic, "version"], capture_output=True, text=True).stdout.strip()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="rempart-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    env = dict(os.environ)
    # An installed Rempart runs from compiled bytecode; a shell that forbids writing it
    # would make every command compile ~600 modules again (seconds, not the vault's work).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        REMPART_HOME=str(work / "home"),
        REMPART_VAULT_PASSPHRASE=PASSWORD,
        RESTIC_PASSWORD=PASSWORD,
        XDG_CACHE_HOME=str(work / "cache"),
        REMPART_LANG="en",
    )
    data, ours, theirs = work / "data", work / "repo-rempart", work / "repo-restic"
    try:
        print(f"load average: {os.getloadavg()}; cores: {os.cpu_count()}; {version}")
        t = time.monotonic()
        info = generate(data, args.size_scale, rng)
        print(
            f"data: {info['bytes'] / MiB:,.0f} MiB ({info['images']} images, {info['exports']} "
            f"exports, a database of {info['pages']} pages) in {time.monotonic() - t:.1f} s"
        )
        startup = min(measure(rempart_cmd("backup", "--help"), env).seconds for _ in range(3))
        print(f"rempart start-up (Python + CLI import, best of 3): {startup:.2f} s")
        measure(rempart_cmd("backup", "init", "--repo", str(ours)), env)
        measure([restic, "init", "--repo", str(theirs)], env)

        results: dict[str, dict[str, float]] = {"rempart": {}, "restic": {}}

        def both(step: str, mine: list[str], peer: list[str]) -> None:
            for tool, cmd in (("rempart", mine), ("restic", peer)):
                repo = ours if tool == "rempart" else theirs
                before = du(repo)
                run = measure(cmd, env)
                # what the tool left unwritten when it said "done" (Rempart fsyncs what it
                # writes; restic leaves its restored files to the kernel)
                flush = time.monotonic()
                os.sync()
                results[tool][f"{step}_flush_s"] = time.monotonic() - flush
                results[tool][f"{step}_s"] = run.seconds
                results[tool][f"{step}_added"] = du(repo) - before
                results[tool][f"{step}_rss"] = run.maxrss_mb
                print(
                    f"  {tool:8s} {step:12s} {run.seconds:8.2f} s  {run.maxrss_mb:7.0f} MB"
                    f"   (then {results[tool][f'{step}_flush_s']:.2f} s to flush the disk)"
                )

        print("first backup")
        both(
            "first",
            rempart_cmd("backup", "run", str(data), "--repo", str(ours), "--no-progress"),
            [restic, "backup", "--repo", str(theirs), "--quiet", str(data)],
        )
        changed = change(data, info, rng)
        print(f"change: {changed['pages_rewritten']} pages, 2 new images, 4 files appended")
        print("incremental backup")
        both(
            "incremental",
            rempart_cmd("backup", "run", str(data), "--repo", str(ours), "--no-progress"),
            [restic, "backup", "--repo", str(theirs), "--quiet", str(data)],
        )
        print("restore of the latest snapshot")
        both(
            "restore",
            rempart_cmd(
                "backup",
                "restore",
                "latest",
                "--repo",
                str(ours),
                "--target",
                str(work / "restored-rempart"),
                "--no-progress",
            ),
            [
                restic,
                "restore",
                "latest",
                "--repo",
                str(theirs),
                "--target",
                str(work / "restored-restic"),
                "--quiet",
            ],
        )
        for tool in ("rempart", "restic"):
            restored = work / f"restored-{tool}"
            files = sum(1 for p in restored.rglob("*") if p.is_file())
            size = du(restored)
            expected = du(data)
            mark = "ok" if size == expected else "MISMATCH"
            print(f"  {tool:8s} restored {files} files, {size:,} bytes ({mark})")

        r, p = results["rempart"], results["restic"]
        peak = max(r["first_rss"], r["incremental_rss"], r["restore_rss"])
        ratios = {
            "first_backup_speed": p["first_s"] / r["first_s"],
            "incremental_bytes": r["incremental_added"] / max(1, p["incremental_added"]),
            "restore_speed": p["restore_s"] / r["restore_s"],
            "peak_memory_mb": peak,
        }
        size_mb = info["bytes"] / MiB
        print()
        print(f"{'':28s}{'rempart':>14s}{'restic':>14s}")
        print(f"{'first backup (s)':28s}{r['first_s']:14.2f}{p['first_s']:14.2f}")
        print(
            f"{'  throughput (MiB/s)':28s}{size_mb / r['first_s']:14.1f}"
            f"{size_mb / p['first_s']:14.1f}"
        )
        print(
            f"{'  repository (MiB)':28s}{r['first_added'] / MiB:14.1f}"
            f"{p['first_added'] / MiB:14.1f}"
        )
        print(f"{'incremental (s)':28s}{r['incremental_s']:14.2f}{p['incremental_s']:14.2f}")
        print(
            f"{'  bytes added (MiB)':28s}{r['incremental_added'] / MiB:14.2f}"
            f"{p['incremental_added'] / MiB:14.2f}"
        )
        print(f"{'restore (s)':28s}{r['restore_s']:14.2f}{p['restore_s']:14.2f}")
        print(
            f"{'  restored and on disk (s)':28s}"
            f"{r['restore_s'] + r['restore_flush_s']:14.2f}"
            f"{p['restore_s'] + p['restore_flush_s']:14.2f}"
        )
        print(
            f"{'peak memory (MB)':28s}{peak:14.0f}"
            f"{max(p['first_rss'], p['incremental_rss'], p['restore_rss']):14.0f}"
        )
        print()
        met = 0
        for name, value in ratios.items():
            target = TARGETS[name]
            ok = (
                value <= target
                if name in ("incremental_bytes", "peak_memory_mb")
                else value >= target
            )
            met += ok
            sign = "≤" if name in ("incremental_bytes", "peak_memory_mb") else "≥"
            print(
                f"{name:22s} {value:10.3f}   target {sign} {target}   {'met' if ok else 'NOT met'}"
            )
        print(f"\n{met}/{len(ratios)} targets met; load average now {os.getloadavg()}")
        net_first = p["first_s"] / max(0.01, r["first_s"] - startup)
        net_restore = p["restore_s"] / max(0.01, r["restore_s"] - startup)
        print(
            f"without rempart's start-up ({startup:.2f} s per command): first backup speed "
            f"{net_first:.3f}, restore speed {net_restore:.3f}"
        )
        durable = (p["restore_s"] + p["restore_flush_s"]) / (r["restore_s"] + r["restore_flush_s"])
        print(
            f"restore speed counting the time until the restored files are on disk: {durable:.3f}"
        )
        return 0
    finally:
        if args.keep or args.workdir:
            print(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())

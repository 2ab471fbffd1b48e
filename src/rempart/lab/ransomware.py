"""The ransomware simulator: real, reversible AES-CTR encryption of a sandbox's synthetic
files, the ways real families do it, in a separate process that the sentinel can stop.

Each family is a named strategy (:data:`FAMILIES`): how a file is rewritten (in place,
new file then delete, rename, move out and back), which bytes are encrypted (all, 16 of
every 32, 64 of every 192, the first 4 KiB, one 64 KiB block in ten, base64 of the
ciphertext), how fast, with how many threads, with ransom notes, as another user.

The worker (``python -m rempart.lab.ransomware --sandbox DIR --family NAME``) writes a
progress journal (``<sandbox>/journal/<run>.jsonl``, outside the protected folder) line
by line: ``begin`` before it touches a file, ``done`` after, with monotonic times, so
that the drill knows what was touched and when the first write happened. It refuses any
path that :meth:`Sandbox.check` does not prove to be inside the sandbox.

:func:`undo` puts every file back bit for bit with the key kept beside the sandbox,
checked against the manifest; a file torn by a kill in the middle of a write is written
again from the seed (:meth:`Sandbox.regenerate`) and counted apart.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import dataclasses
import hashlib
import hmac
import json
import os
import secrets
import string
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from rempart.core.errors import UsageError
from rempart.i18n import _
from rempart.lab.sandbox import Sandbox, SandboxError, open_sandbox

NOTE_NAME = "LISEZ-MOI_RESTAURER_FICHIERS.txt"
NOTE_TEXT = (
    "!!! EXERCICE REMPART - AUCUNE DONNEE REELLE !!!\n"
    "Vos fichiers ont été chiffrés (simulation).\n"
    "Your files have been encrypted (drill). To recover them, pay 0.5 BTC to "
    "bc1qrempartdrill0000000000000000000000000 and contact us on "
    "rempartdrillxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.onion\n"
    "Ceci est un exercice : `rempart drill ransomware --undo` remet tout en place.\n"
)
NEW_EXTENSION = ".locked"


@dataclass(frozen=True)
class Family:
    """A way of encrypting files that a real family uses (``en``/``fr``: what it does)."""

    name: str
    en: str
    fr: str
    write: str = "inplace"  # "inplace" | "new-delete" | "rename" | "move-out-back"
    pattern: str = (
        "full"  # "full" | "stripes:ENC:PERIOD" | "head:N" | "blocks:SIZE:EVERY" | "base64"
    )
    threads: int = 1
    interval: float = 0.0  # seconds between two files
    notes: bool = False
    other_user: bool = False
    order: str = "sorted"  # how it walks the folders: see ORDERS

    def describe(self, lang: str) -> str:
        return self.fr if lang == "fr" else self.en


FAMILIES: tuple[Family, ...] = (
    Family("overwrite", "overwrites each file in place with its ciphertext",
           "réécrit chaque fichier sur place avec son chiffré"),
    Family("new-delete", "writes an encrypted copy (.locked), then deletes the original",
           "écrit une copie chiffrée (.locked) puis supprime l'original", write="new-delete"),
    Family("rename", "encrypts in place, then renames to a new random extension",
           "chiffre sur place puis renomme avec une nouvelle extension aléatoire",
           write="rename"),
    Family("move-out-back", "moves each file out of the folder, encrypts it, moves it back",
           "sort chaque fichier du dossier, le chiffre et le remet en place",
           write="move-out-back"),
    Family("lockfile", "encrypts 16 bytes of every 32 (LockFile)",
           "chiffre 16 octets sur 32 (LockFile)", pattern="stripes:16:32"),
    Family("blackbasta", "encrypts 64 bytes of every 192 (BlackBasta)",
           "chiffre 64 octets sur 192 (BlackBasta)", pattern="stripes:64:192"),
    Family("lockbit2", "encrypts the first 4 KiB only (LockBit 2)",
           "chiffre seulement les 4 premiers Kio (LockBit 2)", pattern="head:4096"),
    Family("intermittent", "encrypts 10% of each file, in 64 KiB blocks",
           "chiffre 10 % de chaque fichier, par blocs de 64 Kio", pattern="blocks:65536:10"),
    Family("base64", "writes the ciphertext encoded in base64 (entropy 6.0)",
           "écrit le chiffré encodé en base64 (entropie 6,0)", pattern="base64"),
    Family("slow", "encrypts one file every 10 seconds", "chiffre un fichier toutes les 10 s",
           interval=10.0),
    Family("threads", "encrypts with 8 threads at once", "chiffre avec 8 fils d'exécution",
           threads=8, order="random"),
    Family("ransom-note", "drops a ransom note in every folder, then encrypts",
           "dépose une demande de rançon dans chaque dossier puis chiffre", notes=True),
    Family("other-user", "runs as another user (nobody)",
           "s'exécute sous un autre utilisateur (nobody)", other_user=True),
)  # fmt: skip
FAMILY_NAMES = tuple(f.name for f in FAMILIES)

# How a family walks the folders. "sorted": each folder's files in name order, then its
# subfolders (what FindFirstFile gives on NTFS: canaries named to sort first are met
# first); "deep": the deepest folders first, the protected folder's own files last (a
# family going for the x-ray and invoice folders: canaries met last, if at all);
# "random": work queues shared by threads.
ORDERS = ("sorted", "deep", "random")


def family(name: str) -> Family:
    for candidate in FAMILIES:
        if candidate.name == name:
            return candidate
    raise UsageError(
        _("Unknown ransomware family '{name}': choose one of {names} or all.").format(
            name=name, names=", ".join(FAMILY_NAMES)
        )
    )


# --------------------------------------------------------------------------- encryption


def nonce_for(key: bytes, rel: str) -> bytes:
    """The CTR initial block of a file: derived from its original path, so that undo
    needs only the key and the journal's path."""
    return hmac.new(key, rel.encode("utf-8"), hashlib.sha256).digest()[:16]


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    encryptor = Cipher(algorithms.AES(key), modes.CTR(nonce)).encryptor()
    return encryptor.update(bytes(length)) + encryptor.finalize()


def _mask(pattern: str, length: int) -> bytes | None:
    """Which bytes a pattern encrypts (0xFF) or leaves (0x00); ``None``: all of them."""
    kind, _sep, rest = pattern.partition(":")
    if kind in ("full", "base64"):
        return None
    if kind == "stripes":
        enc, period = (int(v) for v in rest.split(":"))
        unit = b"\xff" * enc + b"\x00" * (period - enc)
        return (unit * (length // period + 1))[:length]
    if kind == "head":
        size = int(rest)
        return (b"\xff" * min(size, length)).ljust(length, b"\x00")
    if kind == "blocks":
        size, every = (int(v) for v in rest.split(":"))
        unit = b"\xff" * size + b"\x00" * (size * (every - 1))
        return (unit * (length // len(unit) + 1))[:length]
    raise ValueError(f"unknown pattern {pattern!r}")


def _xor(data: bytes, stream: bytes) -> bytes:
    n = len(data)
    return (int.from_bytes(data, "little") ^ int.from_bytes(stream[:n], "little")).to_bytes(
        n, "little"
    )


def _crypt(pattern: str, key: bytes, nonce: bytes, data: bytes) -> bytes:
    stream = _keystream(key, nonce, len(data))
    mask = _mask(pattern, len(data))
    if mask is not None:
        n = len(data)
        stream = (int.from_bytes(stream, "little") & int.from_bytes(mask, "little")).to_bytes(
            n, "little"
        )
    return _xor(data, stream)


def encrypt(pattern: str, key: bytes, nonce: bytes, data: bytes) -> bytes:
    """What the family writes in place of ``data``."""
    out = _crypt(pattern, key, nonce, data)
    return base64.b64encode(out) if pattern == "base64" else out


def decrypt(pattern: str, key: bytes, nonce: bytes, data: bytes) -> bytes:
    """The inverse of :func:`encrypt` (raises ``ValueError`` on bytes it did not write)."""
    if pattern == "base64":
        try:
            data = base64.b64decode(data, validate=True)
        except binascii.Error as exc:
            raise ValueError("not base64") from exc
    return _crypt(pattern, key, nonce, data)


# --------------------------------------------------------------------------- the worker


class _Journal:
    """The progress log: one JSON object a line, flushed at once (readers poll it)."""

    def __init__(self, handle: int) -> None:
        self._fd = handle
        self._lock = threading.Lock()

    def write(self, **record: object) -> None:
        record.setdefault("at", time.monotonic())
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            os.write(self._fd, line)


def _random_extension() -> str:
    return "." + "".join(secrets.choice(string.ascii_letters) for _ in range(9))


def _attack_file(
    sandbox: Sandbox, fam: Family, key: bytes, path: Path, journal: _Journal, ext: str
) -> None:
    rel = path.relative_to(sandbox.data).as_posix()
    target = sandbox.check(rel)
    try:
        data = target.read_bytes()
    except OSError:
        return  # vanished or unreadable: real ransomware moves on too
    out = encrypt(fam.pattern, key, nonce_for(key, rel), data)
    journal.write(op="begin", path=rel)
    if fam.write == "new-delete":
        copy = sandbox.check(rel + NEW_EXTENSION)
        copy.write_bytes(out)
        target.unlink()
        journal.write(op="done", path=rel, final=rel + NEW_EXTENSION, sha=_sha(out))
        return
    if fam.write == "move-out-back":
        parked = sandbox.check(f"{secrets.token_hex(8)}-{target.name}", area="transit")
        os.rename(target, parked)
        journal.write(op="moved", path=rel, transit=parked.name)
        _overwrite(parked, out)
        os.rename(parked, sandbox.check(rel))
        journal.write(op="done", path=rel, final=rel, sha=_sha(out))
        return
    _overwrite(target, out)
    if fam.write == "rename":
        renamed = sandbox.check(rel + ext)
        os.rename(target, renamed)
        journal.write(op="done", path=rel, final=rel + ext, sha=_sha(out))
        return
    journal.write(op="done", path=rel, final=rel, sha=_sha(out))


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _overwrite(path: Path, content: bytes) -> None:
    """Rewrite a file in place (same inode), in one write (a short write is continued):
    what most families do."""
    fd = os.open(path, os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view) :]
        os.ftruncate(fd, len(content))
    finally:
        os.close(fd)


def _drop_privileges(sandbox: Sandbox) -> Sandbox:
    """Give the data folder to ``nobody``, then become ``nobody`` (needs root)."""
    import pwd

    nobody = pwd.getpwnam("nobody")
    for folder, _dirs, names in os.walk(sandbox.data, followlinks=False):
        os.chown(folder, nobody.pw_uid, nobody.pw_gid, follow_symlinks=False)
        for name in names:
            os.chown(Path(folder) / name, nobody.pw_uid, nobody.pw_gid, follow_symlinks=False)
    os.chdir(sandbox.data)
    os.setgroups([])
    os.setgid(nobody.pw_gid)
    os.setuid(nobody.pw_uid)
    return dataclasses.replace(sandbox, relative=True)


def pace(fam: Family, interval: float | None) -> float:
    """Seconds between two files: ``interval`` changes the pace of a slow family only."""
    return fam.interval if interval is None or fam.interval <= 0 else interval


def _ordered(sandbox: Sandbox, order: str) -> list[Path]:
    files = sandbox.data_files()
    if order == "deep":
        return sorted(files, key=lambda p: (-len(p.parts), p.parent.as_posix(), p.name))
    if order == "random":
        secrets.SystemRandom().shuffle(files)
    return files


class _Pacer:
    """The family's own pace (the slow family; ``--rate``): at most one file every ``gap``
    seconds, across threads. A pace, not a synchronisation: it sleeps on purpose."""

    def __init__(self, gap: float) -> None:
        self.gap = gap
        self._next: float | None = None
        self._lock = threading.Lock()

    def wait(self) -> None:
        if self.gap <= 0:
            return
        with self._lock:
            now = time.monotonic()
            slot = now if self._next is None else max(self._next, now)
            self._next = slot + self.gap
        delay = slot - time.monotonic()
        if delay > 0:
            time.sleep(delay)


def run(
    sandbox: Sandbox,
    fam: Family,
    journal_path: Path,
    *,
    interval: float | None = None,
    order: str | None = None,
    rate: float | None = None,
) -> int:
    """The worker's body: encrypt the sandbox's files the family's way. Returns the count."""
    key = sandbox.key()
    fd = os.open(
        sandbox.check(journal_path.name, area="journal"),
        os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0),
        0o644,
    )
    journal = _Journal(fd)
    if fam.other_user:
        sandbox = _drop_privileges(sandbox)
    order = order or fam.order
    files = _ordered(sandbox, order)
    journal.write(
        op="start", pid=os.getpid(), family=fam.name, files=len(files), uid=os.getuid(), order=order
    )
    pacer = _Pacer(max(pace(fam, interval), 1.0 / rate if rate else 0.0))
    if fam.notes:
        for folder in sandbox.folders():
            note = sandbox.check(folder / NOTE_NAME)
            note.write_text(NOTE_TEXT, encoding="utf-8")
            journal.write(op="note", path=note.relative_to(sandbox.data).as_posix())
    ext = _random_extension()

    def one(path: Path) -> None:
        pacer.wait()
        _attack_file(sandbox, fam, key, path, journal, ext)

    if fam.threads > 1:
        with ThreadPoolExecutor(fam.threads) as pool:
            for _done in pool.map(one, files):
                pass
    else:
        for path in files:
            one(path)
    journal.write(op="end", files=len(files))
    os.close(fd)
    return len(files)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rempart.lab.ransomware")
    parser.add_argument("--sandbox", required=True, type=Path)
    parser.add_argument("--family", choices=FAMILY_NAMES)
    parser.add_argument("--journal", help="journal file name (in <sandbox>/journal)")
    parser.add_argument("--interval", type=float, default=None)
    parser.add_argument("--order", choices=ORDERS, default=None)
    parser.add_argument("--rate", type=float, default=None, help="files per second, at most")
    parser.add_argument("--undo", action="store_true")
    args = parser.parse_args(argv)
    try:
        sandbox = open_sandbox(args.sandbox)
        if args.undo:
            report = undo(sandbox)
            print(json.dumps(dataclasses.asdict(report)))
            return 0 if not report.unrecovered else 1
        if not args.family:
            parser.error("--family or --undo is required")
        name = args.journal or f"{time.strftime('%Y%m%d-%H%M%S')}-{args.family}.jsonl"
        run(
            sandbox,
            family(args.family),
            sandbox.journal_dir / name,
            interval=args.interval,
            order=args.order,
            rate=args.rate,
        )
    except SandboxError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    return 0


# --------------------------------------------------------------------------- the driver


@dataclass
class Attack:
    """A running simulator process and its journal."""

    sandbox: Sandbox
    family: Family
    process: subprocess.Popen[bytes]
    journal: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def records(self) -> list[dict[str, object]]:
        return read_journal(self.journal)

    def started(self) -> bool:
        return any(r.get("op") == "start" for r in self.records())

    def first_write_at(self) -> float | None:
        """Monotonic time of the first file the worker touched (``None``: none yet)."""
        for record in self.records():
            if record.get("op") in ("begin", "note"):
                return float(str(record["at"]))
        return None

    def finished(self) -> bool:
        return self.process.poll() is not None

    def touched(self) -> list[str]:
        return [str(r["path"]) for r in self.records() if r.get("op") == "begin"]

    def kill(self) -> None:
        """Stop the worker for good (also when the sentinel only suspended it)."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


def start_attack(
    sandbox: Sandbox,
    fam: Family,
    *,
    interval: float | None = None,
    order: str | None = None,
    rate: float | None = None,
) -> Attack:
    """Start the family in its own process (so that the sentinel can stop it)."""
    sandbox = open_sandbox(sandbox.root)
    if fam.other_user and not can_run_other_user():
        raise UsageError(other_user_skip_reason())
    name = f"{time.strftime('%Y%m%d-%H%M%S')}-{fam.name}-{secrets.token_hex(3)}.jsonl"
    journal = sandbox.check(name, area="journal")
    command = [
        sys.executable, "-m", "rempart.lab.ransomware",
        "--sandbox", str(sandbox.root), "--family", fam.name, "--journal", name,
    ]  # fmt: skip
    if interval is not None:
        command += ["--interval", str(interval)]
    if order is not None:
        command += ["--order", order]
    if rate:
        command += ["--rate", str(rate)]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    return Attack(sandbox, fam, process, journal)


def can_run_other_user() -> bool:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return False
    try:
        import pwd

        pwd.getpwnam("nobody")
    except (ImportError, KeyError):
        return False
    return True


def other_user_skip_reason() -> str:
    return _("The 'other-user' family needs root (to run the simulator as 'nobody'): skipped.")


def read_journal(path: Path) -> list[dict[str, object]]:
    """The journal's complete lines (a line being written is left for later)."""
    try:
        raw = path.read_bytes()
    except OSError:
        return []
    out = []
    for line in raw.split(b"\n")[:-1]:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            out.append(record)
    return out


# --------------------------------------------------------------------------- undo and losses


@dataclass(frozen=True)
class UndoReport:
    decrypted: int = 0  # files put back with the key
    regenerated: int = 0  # torn by a kill mid-write: written again from the seed
    notes_removed: int = 0
    unrecovered: tuple[str, ...] = field(default_factory=tuple)


def _locations(sandbox: Sandbox, rel: str, records: list[dict[str, object]]) -> list[Path]:
    """Where the file ``rel`` (or what the simulator made of it) may be now."""
    out: list[Path] = []
    for record in records:
        if record.get("path") != rel:
            continue
        if record.get("op") == "done" and isinstance(record.get("final"), str):
            out.append(sandbox.data / str(record["final"]))
        if record.get("op") == "moved" and isinstance(record.get("transit"), str):
            out.append(sandbox.transit / str(record["transit"]))
    out.append(sandbox.data / (rel + NEW_EXTENSION))
    out.append(sandbox.data / rel)
    seen: list[Path] = []
    for path in out:
        if path not in seen:
            seen.append(path)
    return seen


def _all_records(sandbox: Sandbox) -> list[tuple[Family, list[dict[str, object]]]]:
    out = []
    for journal in sorted(sandbox.journal_dir.glob("*.jsonl")):
        records = read_journal(journal)
        start = next((r for r in records if r.get("op") == "start"), None)
        if start is None:
            continue
        try:
            fam = family(str(start.get("family")))
        except UsageError:
            continue
        out.append((fam, records))
    return out


def lost_files(sandbox: Sandbox) -> list[str]:
    """Generated (non-canary) files whose original content is nowhere any more: what the
    attack cost, whether or not a backup could bring it back."""
    manifest = sandbox.manifest()
    changed = sandbox.changed(manifest)
    if not changed:
        return []
    runs = _all_records(sandbox)
    lost = []
    for rel in changed:
        entry = manifest[rel]
        intact = False
        for _fam, records in runs:
            for path in _locations(sandbox, rel, records):
                try:
                    if path.is_file() and not path.is_symlink():
                        intact = hashlib.sha256(path.read_bytes()).hexdigest() == entry.sha256
                except OSError:
                    intact = False
                if intact:
                    break
            if intact:
                break
        if not intact:
            lost.append(rel)
    return lost


def _restore_owner(sandbox: Sandbox) -> None:
    """Give the data folder back to the sandbox's owner (after the other-user family)."""
    if not hasattr(os, "chown") or not hasattr(os, "geteuid") or os.geteuid() != 0:
        return
    owner = sandbox.root.stat()
    for folder, _dirs, names in os.walk(sandbox.data, followlinks=False):
        for path in (Path(folder), *(Path(folder) / n for n in names)):
            st = path.lstat()
            if (st.st_uid, st.st_gid) != (owner.st_uid, owner.st_gid):
                os.chown(path, owner.st_uid, owner.st_gid, follow_symlinks=False)


def undo(sandbox: Sandbox) -> UndoReport:
    """Put back every file the simulator touched, bit for bit; remove its notes."""
    sandbox = open_sandbox(sandbox.root)
    _restore_owner(sandbox)
    key = sandbox.key()
    manifest = sandbox.manifest()
    decrypted = notes = 0
    for fam, records in _all_records(sandbox):
        for record in records:
            if record.get("op") == "note":
                note = sandbox.check(str(record["path"]))
                if note.is_file():
                    note.unlink()
                    notes += 1
        touched = list(dict.fromkeys(str(r["path"]) for r in records if r.get("op") == "begin"))
        for rel in touched:
            if _undo_file(sandbox, fam, key, rel, records, manifest.get(rel)):
                decrypted += 1
    unrecovered = []
    regenerated = 0
    for rel in sandbox.changed(manifest):
        if sandbox.regenerate(rel, manifest):
            regenerated += 1
        else:
            unrecovered.append(rel)
    for journal in sandbox.journal_dir.glob("*.jsonl"):
        sandbox.check(journal.name, area="journal").unlink()
    for parked in sandbox.transit.iterdir():
        sandbox.check(parked.name, area="transit").unlink()
    return UndoReport(decrypted, regenerated, notes, tuple(unrecovered))


def _undo_file(
    sandbox: Sandbox,
    fam: Family,
    key: bytes,
    rel: str,
    records: list[dict[str, object]],
    expected: object,
) -> bool:
    """Decrypt one touched file back to its original path; True when done with the key."""
    original = sandbox.check(rel)
    want = getattr(expected, "sha256", None)
    written = {str(r.get("sha")) for r in records if r.get("op") == "done" and r.get("path") == rel}
    nonce = nonce_for(key, rel)
    candidates = [p for p in _locations(sandbox, rel, records) if p.is_file()]
    if want is not None and original.is_file():
        if hashlib.sha256(original.read_bytes()).hexdigest() == want:
            _remove_others(sandbox, original, candidates)
            return False  # never changed (or written back already)
    for path in candidates:
        try:
            content = path.read_bytes()
            if want is None and _sha(content) not in written:
                continue  # not in the manifest (a canary): only what the worker wrote
            plain = decrypt(fam.pattern, key, nonce, content)
        except (OSError, ValueError):
            continue
        if want is not None and _sha(plain) != want:
            continue
        tmp = sandbox.check(f".{original.name}.{secrets.token_hex(4)}.undo")
        tmp.write_bytes(plain)
        os.replace(tmp, original)
        _remove_others(sandbox, original, candidates)
        return True
    return False


def _remove_others(sandbox: Sandbox, keep: Path, paths: list[Path]) -> None:
    for path in paths:
        if path == keep or not path.exists():
            continue
        area = "transit" if sandbox.transit in path.parents else "data"
        sandbox.check(path if area == "data" else path.name, area=area).unlink()


# --------------------------------------------------------------------------- the drill


class Watching(Protocol):
    """What a drill needs of the sentinel (the CLI wires the real one: the lab does not
    import the sentinel)."""

    def wait_incident(self, timeout: float) -> Any: ...


@dataclass(frozen=True)
class DrillResult:
    """One family against the sentinel: what a person wants to know after a drill."""

    family: str
    order: str
    files: int  # synthetic files in the sandbox
    detected: bool
    latency: float | None  # seconds from the first write to the verdict
    stopped: bool  # the sentinel itself suspended or killed the culprit
    action: str  # the incident's action ("killed", "suspended", "named", "none")
    lost: tuple[str, ...]  # real files whose content changed before the culprit stopped
    touched: int  # files the simulator had begun to encrypt
    reasons: tuple[str, ...]
    restored: bool  # undo put every file back bit for bit
    regenerated: int = 0  # files torn by the kill, written again from the seed
    skipped: str | None = None
    rate: float | None = None  # files per second the simulator reached
    stop_time: float | None = None  # seconds from the first write to the culprit stopped

    @property
    def lost_count(self) -> int:
        return len(self.lost)


def _culprit_stopped(attack: Attack, incident: Any) -> bool:
    """Did the sentinel stop *our* simulator (killed, or frozen by a suspend)?"""
    if getattr(incident, "action", None) not in ("killed", "suspended"):
        return False
    if getattr(incident, "actor_pid", None) != attack.pid:
        return False
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        if attack.process.poll() is not None:
            return True
        try:
            import psutil  # type: ignore[import-untyped, unused-ignore]

            if psutil.Process(attack.pid).status() == psutil.STATUS_STOPPED:
                return True
        except Exception:  # the process is gone between the two checks
            return attack.process.poll() is not None
        time.sleep(0.01)  # a kill is under way: poll its state until the deadline
    return False


def deadline_for(fam: Family, files: int, interval: float | None) -> float:
    """Seconds a drill waits for a verdict: time for the family to touch a dozen files."""
    return 60.0 + 12 * pace(fam, interval)


def run_drill(
    sandbox: Sandbox,
    fam: Family,
    sentinel: Watching,
    *,
    interval: float | None = None,
    order: str | None = None,
    timeout: float | None = None,
    rate: float | None = None,
) -> DrillResult:
    """Run ``fam`` in its own process while ``sentinel`` (started, watching the sandbox's
    data folder) watches; wait for its incident; count the files lost once the culprit is
    stopped (by the sentinel, or by the drill itself when the sentinel could only name
    it); undo everything."""
    files = len(sandbox.manifest())
    if fam.other_user and not can_run_other_user():
        return DrillResult(
            fam.name, order or fam.order, files, False, None, False, "none", (), 0, (), True,
            skipped=other_user_skip_reason(),
        )  # fmt: skip
    attack = start_attack(sandbox, fam, interval=interval, order=order, rate=rate)
    deadline = time.monotonic() + (timeout or deadline_for(fam, files, interval))
    incident = None
    finished_at: float | None = None
    while time.monotonic() < deadline:
        incident = sentinel.wait_incident(0.05)
        if incident is not None:
            break
        if attack.finished():
            finished_at = finished_at or time.monotonic()
            if time.monotonic() - finished_at > 3.0:  # events still queued get 3 s
                break
    stopped = incident is not None and _culprit_stopped(attack, incident)
    attack.kill()  # whatever the sentinel did, the drill ends the simulator now
    records = attack.records()
    first = attack.first_write_at()
    start = next((r for r in records if r.get("op") == "start"), {})
    lost = tuple(lost_files(sandbox))
    touched = len({r["path"] for r in records if r.get("op") == "begin"})
    begins = [float(str(r["at"])) for r in records if r.get("op") == "begin"]
    rate = (len(begins) - 1) / (begins[-1] - begins[0]) if len(begins) > 2 else None
    stopped_mono = getattr(incident, "stopped_mono", None) if stopped else None
    report = undo(sandbox)
    latency = None
    if incident is not None and first is not None:
        latency = max(0.0, float(incident.detected_mono) - first)
    return DrillResult(
        family=fam.name,
        order=str(start.get("order", order or fam.order)),
        files=files,
        detected=incident is not None,
        latency=latency,
        stopped=stopped,
        action=str(getattr(incident, "action", "none")) if incident is not None else "none",
        lost=lost,
        touched=touched,
        reasons=tuple(getattr(incident, "reasons", ()) or ()),
        restored=not report.unrecovered,
        regenerated=report.regenerated,
        rate=rate if rate is None or rate < 1e6 else None,
        stop_time=None if stopped_mono is None or first is None else stopped_mono - first,
    )


if __name__ == "__main__":
    raise SystemExit(main())

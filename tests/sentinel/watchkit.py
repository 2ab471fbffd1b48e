"""Helpers for the watcher, response and service tests: an event collector that waits on a
condition (never a sleep), a backend running in a thread, and a tiny encryptor process."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest

from rempart.sentinel.watcher import FileEvent, available_modes, choose_backend
from tests.support import IN_CI


class Collector:
    """Collects events from a backend; :meth:`wait_for` waits on a condition with a deadline."""

    def __init__(self) -> None:
        self.events: list[FileEvent] = []
        self._cond = threading.Condition()

    def __call__(self, event: FileEvent) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[list[FileEvent]], bool], timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self.events):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def kinds(self, path: Path) -> list[str]:
        with self._cond:
            return [e.kind for e in self.events if e.path == path]


def require_mode(mode: str) -> None:
    reason = available_modes()[mode]
    if reason is not None:
        if IN_CI and mode == "fanotify":
            pytest.fail(f"fanotify unavailable in CI (runs as root): {reason}")
        pytest.skip(f"{mode} unavailable: {reason}")


@contextmanager
def running(roots: list[Path], mode: str, **kw: float) -> Iterator[Collector]:
    require_mode(mode)
    backend, _note = choose_backend(roots, mode, **kw)
    backend.arm()
    collector = Collector()
    thread = threading.Thread(target=backend.run, args=(collector,), daemon=True)
    thread.start()
    try:
        yield collector
    finally:
        backend.close()
        thread.join(timeout=10)
        backend.release()


def run_python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60, check=True
    )


# A tiny ransomware for tests: encrypts every file of a folder in place (AES-CTR, random
# key thrown away), slowly enough to be stopped part-way, then writes a ransom note. It
# prints its PID first and touches a "ready" file after the first file, so that the test
# waits on a condition. The full simulator of all families is `rempart drill`'s.
ENCRYPTOR = r"""
import os, sys, time
from pathlib import Path
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
folder = Path(sys.argv[1])
delay = float(sys.argv[2]) if len(sys.argv) > 2 else 0.02
key = os.urandom(32)
print(os.getpid(), flush=True)
files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
for n, path in enumerate(files):
    data = path.read_bytes()
    enc = Cipher(algorithms.AES(key), modes.CTR(os.urandom(16))).encryptor()
    with open(path, "r+b") as fh:
        fh.write(enc.update(data) + enc.finalize())
    time.sleep(delay)
(folder / "HOW_TO_DECRYPT.txt").write_text("pay bitcoin to abc.onion")
print("done", flush=True)
"""


def start_encryptor(folder: Path, delay: float = 0.02) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", ENCRYPTOR, str(folder), str(delay)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return proc


def finish(proc: subprocess.Popen[str]) -> None:
    """Kill a test's process (if still there) and reap it."""
    try:
        psutil.Process(proc.pid).kill()
    except psutil.Error:
        pass
    proc.wait(10)


# A practice folder of 40 plain-text reports (synthetic), for the service tests.
TEXT = "Compte rendu de consultation (patient fictif n° {i}) : détartrage, contrôle. " * 60
REPORTS = 40


def make_patients(tmp_path: Path) -> Path:
    """``tmp_path/patients/2026`` with :data:`REPORTS` reports; returns ``patients``."""
    folder = tmp_path / "patients"
    (folder / "2026").mkdir(parents=True)
    for i in range(REPORTS):
        (folder / "2026" / f"compte_rendu_{i:03}.txt").write_text(TEXT.format(i=i))
    return folder


def originals_changed(folder: Path) -> list[str]:
    """The reports of :func:`make_patients` whose content is no longer the original (or that
    cannot be read any more)."""
    changed = []
    for i in range(REPORTS):
        path = folder / "2026" / f"compte_rendu_{i:03}.txt"
        try:
            if path.read_bytes() != TEXT.format(i=i).encode():
                changed.append(path.name)
        except OSError:
            changed.append(path.name)
    return changed

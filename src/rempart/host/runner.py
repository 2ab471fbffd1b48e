"""Running the commands and reading the files the collectors need, safely and boundedly.

Collectors never call :mod:`subprocess` or :func:`open` themselves: they ask a
:class:`Runner`. :class:`SystemRunner` does it for real (no shell, a timeout, output cut at
:data:`MAX_OUTPUT` bytes, decoded without ever failing); tests inject a runner that replays
recorded outputs, so that the Windows collector is exercised on Linux.

A failure is never raised: it comes back as :attr:`Result.error`, a short reason that ends up
in ``HostFacts.unknown``.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

MAX_OUTPUT = 4 * 1024 * 1024
MAX_FILE = 2 * 1024 * 1024
MAX_LISTING = 1000
DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class Result:
    """What a command printed, or why there is nothing to read (``error``)."""

    text: str = ""
    error: str | None = None
    returncode: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None


class Runner(Protocol):
    """Where collectors get their raw material (see :class:`SystemRunner`)."""

    def run(self, name: str, argv: Sequence[str], timeout: float = DEFAULT_TIMEOUT) -> Result:
        """Run ``argv`` (``name`` identifies the command in recordings and messages)."""
        ...

    def read(self, path: str) -> Result:
        """The text of a file; for a large file, its last :data:`MAX_FILE` bytes."""
        ...

    def listdir(self, path: str) -> Result:
        """The names in a folder, one a line, sorted."""
        ...


def decode(raw: bytes) -> str:
    """Decode command output whatever it is: UTF-8 (with or without BOM), UTF-16 as
    PowerShell may write it, else the console code page (never fails)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", "replace")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(raw) > 3 and raw[1:4:2] == b"\x00\x00"):
        return raw.decode("utf-16", "replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Console tools on a French Windows write in the OEM code page (850): it maps every
    # byte, so decoding cannot fail; accents may be wrong elsewhere, labels stay readable.
    return raw.decode("cp850", "replace")


def _drain(stream: IO[bytes] | None, sink: bytearray, limit: int) -> None:
    """Keep the first ``limit`` bytes of ``stream`` and discard the rest, so that a chatty
    command neither blocks on a full pipe nor fills memory."""
    if stream is None:
        return
    with stream:
        while chunk := stream.read(65536):
            room = limit - len(sink)
            if room > 0:
                sink += chunk[:room]


class SystemRunner:
    """Runs real commands: no shell, English messages where the tool allows it, bounded."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        base = dict(os.environ)
        base.update({"LC_ALL": "C", "LANG": "C"})  # Linux tools: stable, parseable messages
        if env:
            base.update(env)
        self._env = base

    def run(self, name: str, argv: Sequence[str], timeout: float = DEFAULT_TIMEOUT) -> Result:
        try:
            proc = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=self._env,
            )
        except FileNotFoundError:
            return Result(error=f"command not found: {argv[0]}")
        except OSError as exc:
            return Result(error=f"cannot run {argv[0]}: {exc.strerror or exc}")
        out, err = bytearray(), bytearray()
        readers = [
            threading.Thread(target=_drain, args=(proc.stdout, out, MAX_OUTPUT), daemon=True),
            threading.Thread(target=_drain, args=(proc.stderr, err, 64 * 1024), daemon=True),
        ]
        for reader in readers:
            reader.start()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            for reader in readers:
                reader.join(timeout=5)  # a grandchild may still hold the pipe open
            return Result(error=f"{argv[0]} did not answer within {timeout:g} s")
        for reader in readers:
            reader.join(timeout=5)
        text = decode(bytes(out))
        if proc.returncode != 0:
            detail = " ".join(decode(bytes(err[:2000])).split()) or " ".join(text[:300].split())
            reason = f"{argv[0]} failed (exit status {proc.returncode})"
            return Result(
                text=text,
                error=f"{reason}: {detail[:200]}" if detail else reason,
                returncode=proc.returncode,
            )
        return Result(text=text)

    def read(self, path: str) -> Result:
        try:
            with Path(path).open("rb") as handle:
                size = handle.seek(0, os.SEEK_END)
                handle.seek(max(0, size - MAX_FILE))
                raw = handle.read(MAX_FILE)
        except FileNotFoundError:
            return Result(error=f"{path} does not exist", returncode=2)
        except PermissionError:
            return Result(error=f"no permission to read {path}", returncode=13)
        except OSError as exc:
            return Result(error=f"cannot read {path}: {exc.strerror or exc}", returncode=5)
        return Result(text=decode(raw))

    def listdir(self, path: str) -> Result:
        try:
            names = sorted(os.listdir(path))[:MAX_LISTING]
        except FileNotFoundError:
            return Result(error=f"{path} does not exist", returncode=2)
        except PermissionError:
            return Result(error=f"no permission to list {path}", returncode=13)
        except OSError as exc:
            return Result(error=f"cannot list {path}: {exc.strerror or exc}", returncode=5)
        return Result(text="\n".join(names))


class RecordedRunner:
    """Replays recorded outputs: ``commands`` by name, ``files`` and ``folders`` by path.

    Anything not recorded behaves as missing (command not found, file absent), which is
    exactly what a collector meets on a stripped-down computer.
    """

    def __init__(
        self,
        commands: Mapping[str, str | Result] | None = None,
        files: Mapping[str, str] | None = None,
        folders: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.commands = dict(commands or {})
        self.files = dict(files or {})
        self.folders = {k: list(v) for k, v in (folders or {}).items()}
        self.calls: list[str] = []

    def run(self, name: str, argv: Sequence[str], timeout: float = DEFAULT_TIMEOUT) -> Result:
        self.calls.append(name)
        found = self.commands.get(name)
        if found is None:
            return Result(error=f"command not found: {argv[0]}")
        return found if isinstance(found, Result) else Result(text=found)

    def read(self, path: str) -> Result:
        if path not in self.files:
            return Result(error=f"{path} does not exist", returncode=2)
        return Result(text=self.files[path])

    def listdir(self, path: str) -> Result:
        if path not in self.folders:
            return Result(error=f"{path} does not exist", returncode=2)
        return Result(text="\n".join(sorted(self.folders[path])))

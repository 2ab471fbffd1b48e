"""Drive ``rempart survey`` in a real pseudo-terminal, as a person at the keyboard would.

The command runs in its own session with the pty as its controlling terminal, so that
typing Ctrl-C (``\\x03``) sends SIGINT through the terminal driver exactly as a keyboard
does. Output is read until an expected text appears; the deadline only guards against a
hang (a test that waits forever), it is not a timing assertion.
"""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")
HANG_GUARD = 60.0  # seconds: a hang fails the test instead of blocking the run

RUNNER = "import rempart.cli.survey; from rempart.cli.main import run; run()"


def _controlling_tty() -> None:
    import fcntl  # POSIX only: imported here so that Windows can skip the tests
    import termios

    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    """One ``rempart`` process on a pty: :meth:`expect` output, :meth:`type` keys."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.master, slave = os.openpty()
        full_env = {**os.environ, "COLUMNS": "250", "LINES": "50", "TERM": "xterm"}
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [sys.executable, "-c", RUNNER, *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=full_env,
            start_new_session=True,
            preexec_fn=_controlling_tty,
            close_fds=True,
        )
        os.close(slave)
        self.seen = ""  # everything read, ANSI codes removed
        self._pos = 0  # where the next expect starts looking

    def _read(self, deadline_left: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], deadline_left)
        if not ready:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: the child closed the terminal
            return False
        if not data:
            return False
        self.seen += ANSI.sub("", data.decode("utf-8", errors="replace"))
        return True

    def expect(self, text: str, *, regex: bool = False) -> str:
        """Wait until ``text`` appears after the previous match; return what came before."""
        pattern = re.compile(text if regex else re.escape(text))
        deadline = time.monotonic() + HANG_GUARD
        while True:
            found = pattern.search(self.seen, self._pos)
            if found:
                before = self.seen[self._pos : found.start()]
                self._pos = found.end()
                return before
            left = deadline - time.monotonic()
            if left <= 0 or not self._read(left):
                raise AssertionError(f"never saw {text!r}; output:\n{self.seen[-3000:]}")

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode("utf-8"))

    def answer(self, question: str, keys: str) -> str:
        """Wait for ``question`` and its prompt, type ``keys`` and Enter; the prompt's text."""
        self.expect(question)
        start = self._pos
        self.expect(r"[\])]: ", regex=True)
        self.type(keys + "\r")
        return self.seen[start : self._pos]

    def finish(self) -> int:
        """Read until the process ends; its exit code."""
        while self._read(HANG_GUARD):
            pass
        code = self.proc.wait(timeout=HANG_GUARD)
        os.close(self.master)
        return code

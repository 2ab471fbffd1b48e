"""What every probe shares: the budget it runs under and the socket helpers that enforce it.

A probe is a module in this package exposing:

* ``NAME``: the protocol it identifies (``"smb"``, ``"ssh"``…), used as ``Service.name``;
* ``PORTS``: the ports where it is tried first (a hint for ordering, never a verdict:
  a probe also runs on other ports when the banner or the port leave the service unknown);
* ``TRANSPORT``: ``"tcp"`` (default) or ``"udp"``;
* ``SERVER_SPEAKS_FIRST``: ``True`` when the service greets the client (SSH, FTP…);
* ``def claims(banner: bytes) -> bool``: for server-first protocols, whether a greeting
  belongs to this protocol;
* ``def probe(address: str, port: int, ctx: ProbeContext, banner: bytes = b"") ->
  Observation | None``: talk to the service, return what was seen, or ``None`` when the
  service does not speak this protocol. Raise nothing but :class:`ProbeError` subclasses
  for expected failures; anything else is caught and logged by the dispatcher.

Probes are synchronous (plain sockets with timeouts); the dispatcher runs them in a
bounded thread pool. Every byte read goes through :meth:`ProbeContext.recv` so that the
per-host caps on time and bytes hold.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field


class ProbeError(Exception):
    """An expected failure while probing (timeout, reset, garbage): the service is unknown."""


class BudgetExceeded(ProbeError):
    """The per-host cap on time or bytes read was reached."""


@dataclass
class HostBudget:
    """Caps shared by every probe of one host: a deadline and a byte allowance."""

    deadline: float  # time.monotonic() value
    max_bytes: int
    bytes_read: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def start(cls, seconds: float, max_bytes: int) -> HostBudget:
        return cls(deadline=time.monotonic() + seconds, max_bytes=max_bytes)

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def charge(self, n: int) -> None:
        with self._lock:
            self.bytes_read += n
            if self.bytes_read > self.max_bytes:
                raise BudgetExceeded(f"byte cap of {self.max_bytes} reached")


# Bounds applied to any text kept from the network.
MAX_BANNER = 1024
MAX_TEXT = 256


@dataclass
class ProbeContext:
    """How a probe may talk to one host: timeout per operation, shared caps, options."""

    budget: HostBudget
    timeout: float = 3.0
    try_default_credentials: bool = False

    def op_timeout(self) -> float:
        """The timeout for the next socket operation: never past the host's deadline."""
        left = self.budget.remaining()
        if left <= 0:
            raise BudgetExceeded("time cap for this host reached")
        return max(0.05, min(self.timeout, left))

    def connect(self, address: str, port: int) -> socket.socket:
        """A connected TCP socket with the operation timeout set."""
        try:
            sock = socket.create_connection((address, port), timeout=self.op_timeout())
        except OSError as exc:
            raise ProbeError(f"connect failed: {exc}") from exc
        sock.settimeout(self.op_timeout())
        return sock

    def recv(self, sock: socket.socket, n: int = 4096) -> bytes:
        """Read up to ``n`` bytes; ``b""`` on EOF. Charges the host's byte cap."""
        sock.settimeout(self.op_timeout())
        try:
            data = sock.recv(n)
        except TimeoutError as exc:
            raise ProbeError("timed out") from exc
        except OSError as exc:
            raise ProbeError(f"read failed: {exc}") from exc
        self.budget.charge(len(data))
        return data

    def recv_exact(self, sock: socket.socket, n: int) -> bytes:
        """Read exactly ``n`` bytes or raise :class:`ProbeError`."""
        chunks: list[bytes] = []
        got = 0
        while got < n:
            data = self.recv(sock, n - got)
            if not data:
                raise ProbeError("connection closed early")
            chunks.append(data)
            got += len(data)
        return b"".join(chunks)

    def recv_until(self, sock: socket.socket, marker: bytes, limit: int = MAX_BANNER) -> bytes:
        """Read until ``marker`` is seen, EOF, or ``limit`` bytes; returns what was read."""
        buf = b""
        while marker not in buf and len(buf) < limit:
            data = self.recv(sock, min(4096, limit - len(buf)))
            if not data:
                break
            buf += data
        return buf

    def sendall(self, sock: socket.socket, data: bytes) -> None:
        sock.settimeout(self.op_timeout())
        try:
            sock.sendall(data)
        except OSError as exc:
            raise ProbeError(f"write failed: {exc}") from exc


def clean_text(data: bytes | str | None, limit: int = MAX_TEXT) -> str:
    """Decode network bytes defensively: bounded, no control characters but tab/newline.

    The result is still untrusted (it may hold HTML): escape it wherever it is shown.
    """
    if data is None:
        return ""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    text = text[:limit]
    return "".join(ch if (ch.isprintable() or ch in "\t\n") else "\ufffd" for ch in text)

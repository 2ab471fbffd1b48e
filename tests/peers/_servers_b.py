"""Small local servers and helpers for the HTTP/TLS/SNMP/DICOM/database/remote probe tests.

Everything binds 127.0.4.x (this part's addresses) on an ephemeral port and is torn
down by its context manager. Readiness is polled with a deadline, never slept for.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from rempart.discover.probes.base import HostBudget, ProbeContext

Handler = Callable[[socket.socket], None]


def ctx(
    timeout: float = 2.0, seconds: float = 20.0, max_bytes: int = 1 << 20, creds: bool = False
) -> ProbeContext:
    return ProbeContext(
        budget=HostBudget.start(seconds, max_bytes), timeout=timeout, try_default_credentials=creds
    )


class TcpServer:
    """Accepts connections on ``address`` and runs ``handler(conn)`` in a thread each."""

    def __init__(
        self, handler: Handler, address: str = "127.0.4.1", tls: ssl.SSLContext | None = None
    ):
        self.handler = handler
        self.tls = tls
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((address, 0))
        self.listener.listen(16)
        self.listener.settimeout(0.2)
        self.address, self.port = self.listener.getsockname()
        self.stopping = threading.Event()
        self.connections = 0
        self.requests: list[bytes] = []
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(5)
            if self.tls is not None:
                try:
                    conn = self.tls.wrap_socket(conn, server_side=True)
                except (ssl.SSLError, OSError):
                    return
            self.handler(conn)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    def _loop(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def __enter__(self) -> TcpServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)
        self.listener.close()


def read_request(conn: socket.socket, limit: int = 65536) -> bytes:
    """An HTTP request head (and a body up to Content-Length) from a test client."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < limit:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            want = int(line.split(b":", 1)[1])
            while len(body) < want:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                body += chunk
    return head + b"\r\n\r\n" + body


def http_answer(status: str, headers: dict[str, str], body: bytes | str) -> bytes:
    payload = body.encode() if isinstance(body, str) else body
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers.items())]
    if "Content-Length" not in headers and "Transfer-Encoding" not in headers:
        lines.append(f"Content-Length: {len(payload)}")
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


def make_certificate(
    directory: Path, common_name: str = "nas.local", *, issuer_cn: str | None = None
) -> tuple[Path, Path]:
    """A certificate and key in ``directory``: self-signed unless ``issuer_cn`` is given
    (then signed by a throwaway CA of that name)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    if issuer_cn is None:
        issuer, signer = subject, key
    else:
        signer = ec.generate_private_key(ec.SECP256R1())
        issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_cn)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(signer, hashes.SHA256())
    )
    cert_path = directory / f"{common_name}.crt"
    key_path = directory / f"{common_name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def server_tls_context(
    cert: Path, key: Path, minimum: ssl.TLSVersion, maximum: ssl.TLSVersion = ssl.TLSVersion.TLSv1_3
) -> ssl.SSLContext:
    import warnings

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = minimum
        context.maximum_version = maximum
    context.set_ciphers("ALL:@SECLEVEL=0")
    return context


def wait_tcp(
    address: str, port: int, deadline_s: float = 15.0, proc: subprocess.Popen[bytes] | None = None
) -> None:
    """Poll until ``address:port`` accepts a TCP connection, or fail at the deadline."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            socket.create_connection((address, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)  # poll interval, not synchronisation
    raise TimeoutError(f"{address}:{port} never accepted a connection")


def free_port(address: str, kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind((address, 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def process(args: list[str], **kwargs: object) -> Iterator[subprocess.Popen[bytes]]:
    """A child process, terminated (then killed) on exit."""
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kwargs)  # type: ignore[call-overload]
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

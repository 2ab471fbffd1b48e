"""TLS: which protocol versions a service accepts, and the certificate it presents.

Old versions (TLS 1.0, 1.1) are still common on NAS and printer admin pages; a
self-signed or expired certificate on an admin page teaches staff to click through
warnings. We audit, we do not trust: certificates are never verified.

The handshake runs over :class:`ssl.MemoryBIO` so that every byte goes through
:class:`ProbeContext` (the per-host caps on time and bytes hold); :class:`TlsChannel`
is reused by the HTTP probe for HTTPS. One handshake per version, each pinned with
``minimum_version = maximum_version`` and ``@SECLEVEL=0`` so that OpenSSL 3 still
offers TLS 1.0 and 1.1 (checked against OpenSSL 3.0 in the tests).
"""

from __future__ import annotations

import contextlib
import hashlib
import socket
import ssl
import warnings
from dataclasses import dataclass
from datetime import UTC

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa

from rempart.core.observations import TlsObservation
from rempart.discover.probes.base import MAX_TEXT, ProbeContext, ProbeError, clean_text

NAME = "tls"
PORTS: tuple[int, ...] = (443, 8443, 5001, 5986, 636, 993, 995, 465, 7070)
TRANSPORT = "tcp"
SERVER_SPEAKS_FIRST = False

MAX_HANDSHAKE_BYTES = 64 * 1024  # a certificate chain larger than this is hostile

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    VERSIONS: tuple[tuple[str, ssl.TLSVersion], ...] = (
        ("TLSv1.0", ssl.TLSVersion.TLSv1),
        ("TLSv1.1", ssl.TLSVersion.TLSv1_1),
        ("TLSv1.2", ssl.TLSVersion.TLSv1_2),
        ("TLSv1.3", ssl.TLSVersion.TLSv1_3),
    )


def claims(banner: bytes) -> bool:
    """TLS is client-first: a greeting never belongs to it."""
    return False


def client_context(version: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    """A client context that verifies nothing and offers old versions and ciphers too."""
    sslctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    sslctx.check_hostname = False
    sslctx.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        if version is not None:
            sslctx.minimum_version = version
            sslctx.maximum_version = version
        else:
            sslctx.minimum_version = ssl.TLSVersion.TLSv1
    with contextlib.suppress(ssl.SSLError):
        sslctx.set_ciphers("ALL:@SECLEVEL=0")
    return sslctx


class TlsChannel:
    """A TLS session over a connected socket, every byte charged to the probe's budget."""

    def __init__(self, sock: socket.socket, ctx: ProbeContext, sslctx: ssl.SSLContext) -> None:
        self.sock = sock
        self.ctx = ctx
        self._in = ssl.MemoryBIO()
        self._out = ssl.MemoryBIO()
        self.obj = sslctx.wrap_bio(self._in, self._out, server_side=False)
        self.bytes_in = 0

    def _flush(self) -> None:
        data = self._out.read()
        if data:
            self.ctx.sendall(self.sock, data)

    def _feed(self) -> bool:
        data = self.ctx.recv(self.sock, 16384)
        if not data:
            self._in.write_eof()
            return False
        self._in.write(data)
        self.bytes_in += len(data)
        return True

    def handshake(self) -> None:
        """Complete the handshake or raise :class:`ProbeError` (refused, garbage, cap)."""
        while True:
            try:
                self.obj.do_handshake()
                self._flush()
                return
            except ssl.SSLWantReadError:
                self._flush()
                if not self._feed():
                    raise ProbeError("connection closed during the TLS handshake") from None
                if self.bytes_in > MAX_HANDSHAKE_BYTES:
                    raise ProbeError("TLS handshake too large") from None
            except ssl.SSLError as exc:
                with contextlib.suppress(ProbeError):
                    self._flush()  # send our alert, politely
                raise ProbeError(f"TLS handshake failed: {exc.reason or exc}") from exc
            except (ValueError, OSError) as exc:
                raise ProbeError(f"TLS handshake failed: {exc}") from exc

    def sendall(self, data: bytes) -> None:
        try:
            self.obj.write(data)
        except ssl.SSLError as exc:
            raise ProbeError(f"TLS write failed: {exc}") from exc
        self._flush()

    def recv(self, n: int = 16384) -> bytes:
        """Up to ``n`` bytes of plaintext; ``b""`` at the end of the stream."""
        while True:
            try:
                return self.obj.read(n)
            except ssl.SSLWantReadError:
                self._flush()
                if not self._feed():
                    return b""
            except ssl.SSLZeroReturnError:
                return b""
            except ssl.SSLError as exc:
                if "UNEXPECTED_EOF" in str(exc) or "EOF" in str(exc.reason or ""):
                    return b""
                raise ProbeError(f"TLS read failed: {exc}") from exc

    def peer_certificate(self) -> bytes | None:
        try:
            return self.obj.getpeercert(binary_form=True)
        except (ValueError, ssl.SSLError):
            return None

    def version(self) -> str | None:
        return self.obj.version()


def open_channel(
    address: str, port: int, ctx: ProbeContext, version: ssl.TLSVersion | None = None
) -> TlsChannel:
    """Connect and complete a TLS handshake (any version unless one is pinned)."""
    sock = ctx.connect(address, port)
    try:
        channel = TlsChannel(sock, ctx, client_context(version))
        channel.handshake()
    except BaseException:
        sock.close()
        raise
    return channel


@dataclass(frozen=True, slots=True)
class CertificateFacts:
    subject: str
    issuer: str
    not_before: str
    not_after: str
    self_signed: bool
    sha256: str


def _signed_by_own_key(cert: x509.Certificate) -> bool:
    key = cert.public_key()
    algorithm = cert.signature_hash_algorithm
    try:
        if isinstance(key, rsa.RSAPublicKey) and algorithm is not None:
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey) and algorithm is not None:
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(algorithm))
        elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes)
        elif isinstance(key, dsa.DSAPublicKey) and algorithm is not None:
            key.verify(cert.signature, cert.tbs_certificate_bytes, algorithm)
        else:
            return False
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False
    return True


def parse_certificate(der: bytes) -> CertificateFacts | None:
    """Facts of a DER certificate, or ``None`` when it cannot be parsed (hostile bytes)."""
    if not der or len(der) > MAX_HANDSHAKE_BYTES:
        return None
    try:
        cert = x509.load_der_x509_certificate(der)
        subject = cert.subject.rfc4514_string()
        issuer = cert.issuer.rfc4514_string()
        not_before = cert.not_valid_before_utc.astimezone(UTC).isoformat()
        not_after = cert.not_valid_after_utc.astimezone(UTC).isoformat()
        same_name = cert.issuer == cert.subject
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return None
    return CertificateFacts(
        subject=clean_text(subject, MAX_TEXT),
        issuer=clean_text(issuer, MAX_TEXT),
        not_before=not_before,
        not_after=not_after,
        self_signed=same_name and _signed_by_own_key(cert),
        sha256=hashlib.sha256(der).hexdigest(),
    )


def certificate_common_name(der: bytes) -> str | None:
    """The subject CN of a DER certificate (AnyDesk's is ``AnyDesk Client``)."""
    try:
        cert = x509.load_der_x509_certificate(der)
        names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return None
    if not names:
        return None
    value = names[0].value
    return clean_text(value if isinstance(value, str) else bytes(value))


def _accepts(address: str, port: int, ctx: ProbeContext, version: ssl.TLSVersion) -> bytes | None:
    """The certificate when a handshake pinned to ``version`` succeeds, else ``None``."""
    try:
        channel = open_channel(address, port, ctx, version)
    except ProbeError:
        if ctx.budget.remaining() <= 0:
            raise
        return None
    try:
        return channel.peer_certificate() or b""
    finally:
        channel.sock.close()


def probe(address: str, port: int, ctx: ProbeContext, banner: bytes = b"") -> TlsObservation | None:
    """Try each TLS version in turn; ``None`` when none completes a handshake."""
    if banner:
        return None  # the server spoke first: not TLS
    # One unpinned handshake first: a service that is not TLS costs one attempt, not four.
    try:
        channel = open_channel(address, port, ctx)
    except ProbeError:
        if ctx.budget.remaining() <= 0:
            raise
        return None
    try:
        negotiated = {"TLSv1": "TLSv1.0"}.get(channel.version() or "", channel.version())
        certificate = channel.peer_certificate()
    finally:
        channel.sock.close()
    versions: list[str] = []
    for label, version in VERSIONS:
        if label == negotiated:
            versions.append(label)
            continue
        if _accepts(address, port, ctx, version) is not None:
            versions.append(label)
    facts = parse_certificate(certificate) if certificate else None
    if facts is None:
        return TlsObservation(versions=tuple(versions))
    return TlsObservation(
        versions=tuple(versions),
        subject=facts.subject,
        issuer=facts.issuer,
        not_before=facts.not_before,
        not_after=facts.not_after,
        self_signed=facts.self_signed,
        sha256=facts.sha256,
    )

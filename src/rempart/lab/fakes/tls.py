"""Self-signed certificates made when the lab starts, and the deliberately weak server
TLS settings of old devices (TLS 1.0–1.2, every cipher OpenSSL still has)."""

from __future__ import annotations

import datetime as dt
import os
import ssl
import tempfile
import warnings
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


@lru_cache(maxsize=1)
def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def self_signed(common_name: str, organisation: str = "") -> tuple[bytes, bytes]:
    """(certificate PEM, key PEM) for ``common_name``, valid for ten years from yesterday."""
    key = _key()
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organisation:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    name = x509.Name(attrs)
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def server_context(common_name: str, organisation: str = "", legacy: bool = True) -> ssl.SSLContext:
    """A server context with a fresh self-signed certificate.

    ``legacy``: accept TLS 1.0 and 1.1 and every cipher (``@SECLEVEL=0``), like an old NAS.
    """
    cert_pem, key_pem = self_signed(common_name, organisation)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if legacy:
        with warnings.catch_warnings():  # TLS 1.0 is deprecated: that is the point here
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        # Every cipher OpenSSL still has, but no anonymous ones: a real device has a certificate.
        ctx.set_ciphers("ALL:!aNULL:@SECLEVEL=0")
    # load_cert_chain reads files only: write them to a private folder and remove at once.
    with tempfile.TemporaryDirectory(prefix="rempart-lab-tls-") as tmp:
        cert_path = os.path.join(tmp, "cert.pem")
        key_path = os.path.join(tmp, "key.pem")
        with open(cert_path, "wb") as handle:
            handle.write(cert_pem)
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key_pem)
        ctx.load_cert_chain(cert_path, key_path)
    return ctx

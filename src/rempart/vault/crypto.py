"""Keys and encryption of the vault (docs/vault-format.md, sections 2 and 4).

The master key (data, id and chunker keys) is random; it is wrapped by scrypt-derived keys,
one per secret (the passphrase, the recovery key). Every encryption is AES-256-GCM with a
fresh random 96-bit nonce and associated data naming what is encrypted, so that no
ciphertext can be replayed in another role.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import blake3
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

NONCE = 12
TAG = 16
OVERHEAD = NONCE + TAG

AAD_KEY = b"rempart-key-v1"
AAD_PACK = b"rempart-pack-v1"
AAD_INDEX = b"rempart-index-v1"
AAD_SNAPSHOT = b"rempart-snapshot-v1"
AAD_LOCK = b"rempart-lock-v1"

PASSPHRASE_N = 2**15
RECOVERY_N = 2**14


class DecryptError(Exception):
    """A GCM tag did not verify: wrong key, truncated or altered data (callers say which)."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


_local = threading.local()


def _aead(key: bytes) -> AESGCM:
    """This thread's AESGCM for ``key`` (its key schedule computed once, not per blob)."""
    cache: dict[bytes, AESGCM] | None = getattr(_local, "aead", None)
    if cache is None:
        cache = _local.aead = {}
    aead = cache.get(key)
    if aead is None:
        if len(cache) >= 8:
            cache.clear()
        aead = cache[key] = AESGCM(key)
    return aead


def encrypt(key: bytes, plaintext: bytes | memoryview, aad: bytes) -> bytes:
    """``nonce(12) || AES-256-GCM(key, nonce, plaintext, aad)`` with a random nonce."""
    nonce = os.urandom(NONCE)
    return nonce + _aead(key).encrypt(nonce, plaintext, aad)


def encrypt_buffer(key: bytes, plaintext: bytes | memoryview, aad: bytes) -> bytearray:
    """:func:`encrypt`, the ciphertext written straight behind the nonce (no copy of it):
    for blobs, the bulk of a backup. AES-GCM releases the GIL on large inputs."""
    nonce = os.urandom(NONCE)
    out = bytearray(NONCE + len(plaintext) + TAG)
    out[:NONCE] = nonce
    _aead(key).encrypt_into(nonce, plaintext, aad, memoryview(out)[NONCE:])
    return out


def decrypt(key: bytes, blob: bytes | bytearray | memoryview, aad: bytes) -> bytes:
    if len(blob) < OVERHEAD:
        raise DecryptError("too short")
    try:
        return _aead(key).decrypt(blob[:NONCE], blob[NONCE:], aad)
    except InvalidTag as exc:
        raise DecryptError("tag") from exc


@dataclass(frozen=True)
class MasterKey:
    """The three keys of a repository (never stored unwrapped)."""

    data: bytes
    id: bytes
    chunker: bytes

    @classmethod
    def generate(cls) -> MasterKey:
        raw = os.urandom(96)
        return cls(data=raw[:32], id=raw[32:64], chunker=raw[64:])

    def to_json(self) -> bytes:
        return json.dumps(
            {"data": _b64(self.data), "id": _b64(self.id), "chunker": _b64(self.chunker)},
            sort_keys=True,
        ).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> MasterKey:
        obj = json.loads(raw)
        return cls(data=_unb64(obj["data"]), id=_unb64(obj["id"]), chunker=_unb64(obj["chunker"]))

    def blob_id(self, plaintext: bytes | memoryview) -> bytes:
        """Keyed BLAKE3 of a blob's plaintext (32 bytes)."""
        return blake3.blake3(plaintext, key=self.id, max_threads=1).digest()


def _kek(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(secret.encode("utf-8"))


def normalise_recovery(text: str) -> str:
    """``k7qz-m2xd …`` → ``K7QZM2XD…``: a typed recovery key need not be exact in form."""
    return "".join(c for c in text.upper() if c.isalnum())


def new_recovery_key() -> str:
    """160 random bits in base32, 8 groups of 4 characters (shown once at init)."""
    raw = base64.b32encode(secrets.token_bytes(20)).decode("ascii").rstrip("=")
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def wrap(master: MasterKey, secret: str, kind: str) -> bytes:
    """A key file (JSON) wrapping ``master`` with ``secret`` (``passphrase`` or ``recovery``)."""
    n = PASSPHRASE_N if kind == "passphrase" else RECOVERY_N
    if kind == "recovery":
        secret = normalise_recovery(secret)
    salt = os.urandom(16)
    kek = _kek(secret, salt, n, 8, 1)
    doc: dict[str, Any] = {
        "version": 1,
        "kind": kind,
        "created": datetime.now(UTC).isoformat(),
        "kdf": {"name": "scrypt", "n": n, "r": 8, "p": 1, "salt": _b64(salt)},
        "wrapped": _b64(encrypt(kek, master.to_json(), AAD_KEY)),
    }
    return json.dumps(doc, sort_keys=True).encode()


def unwrap(key_file: bytes, secret: str) -> MasterKey:
    """The master key from a key file; :class:`DecryptError` when the secret is wrong."""
    doc = json.loads(key_file)
    kdf = doc["kdf"]
    if kdf.get("name") != "scrypt":
        raise DecryptError("kdf")
    if doc.get("kind") == "recovery":
        secret = normalise_recovery(secret)
    kek = _kek(secret, _unb64(kdf["salt"]), int(kdf["n"]), int(kdf["r"]), int(kdf["p"]))
    return MasterKey.from_json(decrypt(kek, _unb64(doc["wrapped"]), AAD_KEY))


def key_kind(key_file: bytes) -> str:
    try:
        kind = json.loads(key_file).get("kind", "")
    except (ValueError, AttributeError):
        return ""
    return str(kind)

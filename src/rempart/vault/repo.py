"""A repository: its keys, index, packs, trees, snapshots and locks (docs/vault-format.md).

:class:`Repository` reads everything; :class:`PackWriter` adds blobs (packs first, index
next; the caller writes the snapshot last). Only whole, content-named objects are ever written.
"""

from __future__ import annotations

import getpass
import json
import os
import secrets
import socket
import struct
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import blake3
import zstandard

from rempart.i18n import _
from rempart.vault import crypto
from rempart.vault.backends.base import Backend
from rempart.vault.chunker import Chunker, ChunkerParams
from rempart.vault.crypto import DecryptError, MasterKey
from rempart.vault.errors import (
    ObjectExists,
    RepositoryCorrupt,
    RepositoryExists,
    RepositoryLocked,
    RepositoryNotFound,
    RetentionRefused,
    VaultError,
    WrongPassphrase,
)
from rempart.vault.model import DATA, TREE, BlobRef, Node, Snapshot, decode_tree

PACK_SIZE = 16 * 1024 * 1024
INDEX_EVERY = 8  # packs between two index files during a backup
UPLOADS = 4  # packs stored at once: a disk (or S3) is fastest with several writes queued
HEADER_ENTRY = struct.Struct("<B32sII")  # type, id, length, raw_length
INDEX_ENTRY = struct.Struct("<B32sIII")  # type, id, offset, length, raw_length
LOCK_TTL = timedelta(minutes=15)
LOCK_REFRESH = timedelta(minutes=5)
TRIAL = 16 * 1024
TRIAL_FROM = 64 * 1024

Buffer = bytes | bytearray | memoryview  # what a blob's plaintext is handed around as

_local = threading.local()


def object_name(data: bytes) -> str:
    """Unkeyed BLAKE3 hex of an object's bytes (its name, section 1)."""
    return blake3.blake3(data).hexdigest()


def _compressor() -> zstandard.ZstdCompressor:
    comp: zstandard.ZstdCompressor | None = getattr(_local, "zc", None)
    if comp is None:
        comp = zstandard.ZstdCompressor(level=1, write_content_size=True)
        _local.zc = comp
    return comp


def _decompressor() -> zstandard.ZstdDecompressor:
    dec: zstandard.ZstdDecompressor | None = getattr(_local, "zd", None)
    if dec is None:
        dec = zstandard.ZstdDecompressor()
        _local.zd = dec
    return dec


def host_name() -> str:
    return socket.gethostname()


def user_name() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return ""


@dataclass(frozen=True)
class RepoConfig:
    version: int
    id: str
    created: str
    chunker: ChunkerParams
    pack_size: int

    def to_json(self) -> bytes:
        doc = {
            "version": self.version,
            "id": self.id,
            "created": self.created,
            "chunker": {
                "algorithm": "fastcdc-1.7-permuted-gear",
                "min": self.chunker.min_size,
                "avg": self.chunker.avg_size,
                "max": self.chunker.max_size,
                "pages_per_chunk": self.chunker.pages_per_chunk,
            },
            "pack_size": self.pack_size,
            "compression": "zstd",
        }
        return json.dumps(doc, sort_keys=True, indent=1).encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes) -> RepoConfig:
        obj = json.loads(raw)
        ch = obj["chunker"]
        return cls(
            version=int(obj["version"]),
            id=str(obj["id"]),
            created=str(obj.get("created", "")),
            chunker=ChunkerParams(
                min_size=int(ch["min"]),
                avg_size=int(ch["avg"]),
                max_size=int(ch["max"]),
                pages_per_chunk=int(ch.get("pages_per_chunk", 2)),
            ),
            pack_size=int(obj.get("pack_size", PACK_SIZE)),
        )


# -- blobs -------------------------------------------------------------------------------


def blob_aad(type_: int, blob_id: bytes) -> bytes:
    return bytes((type_,)) + blob_id


def seal_blob(master: MasterKey, type_: int, blob_id: bytes, plaintext: Buffer) -> bytearray:
    """Compress when it pays, then encrypt (section 4). Thread-safe; releases the GIL."""
    payload: Buffer = plaintext
    flag = b"\x00"
    n = len(plaintext)
    worth = True
    if n > TRIAL_FROM:
        trial = _compressor().compress(plaintext[:TRIAL])
        worth = len(trial) < TRIAL * 0.97
    if worth and n > 64:
        packed = _compressor().compress(plaintext)
        if len(packed) < n:
            payload, flag = packed, b"\x01"
    return crypto.encrypt_buffer(master.data, flag + payload, blob_aad(type_, blob_id))


def open_blob(master: MasterKey, type_: int, blob_id: bytes, sealed: bytes) -> bytes:
    """Decrypt and decompress; :class:`DecryptError` when altered or not this blob."""
    inner = crypto.decrypt(master.data, sealed, blob_aad(type_, blob_id))
    if not inner:
        raise DecryptError("empty")
    if inner[0] == 1:
        try:
            return _decompressor().decompress(inner[1:])
        except zstandard.ZstdError as exc:
            raise DecryptError("zstd") from exc
    return inner[1:]


def open_blob_buffer(master: MasterKey, type_: int, blob_id: bytes, sealed: Buffer) -> Buffer:
    """:func:`open_blob` without the copy of a raw blob's plaintext (a view of the decrypted
    bytes): restore writes it straight to disk."""
    inner = crypto.decrypt(master.data, sealed, blob_aad(type_, blob_id))
    if not inner:
        raise DecryptError("empty")
    payload = memoryview(inner)[1:]
    if inner[0] == 1:
        try:
            return _decompressor().decompress(payload)
        except zstandard.ZstdError as exc:
            raise DecryptError("zstd") from exc
    return payload


def encode_pack_header(entries: Iterable[tuple[int, bytes, int, int]]) -> bytes:
    return b"".join(HEADER_ENTRY.pack(t, i, length, raw) for t, i, length, raw in entries)


def decode_pack_header(master: MasterKey, pack: bytes) -> list[tuple[int, bytes, int, int, int]]:
    """``[(type, id, offset, length, raw_length)]`` read from a whole pack (section 5)."""
    if len(pack) < 4:
        raise DecryptError("short pack")
    (hlen,) = struct.unpack("<I", pack[-4:])
    if hlen + 4 > len(pack):
        raise DecryptError("header length")
    header = crypto.decrypt(master.data, pack[-4 - hlen : -4], crypto.AAD_PACK)
    if len(header) % HEADER_ENTRY.size:
        raise DecryptError("header size")
    out = []
    offset = 0
    for pos in range(0, len(header), HEADER_ENTRY.size):
        t, blob_id, length, raw = HEADER_ENTRY.unpack_from(header, pos)
        out.append((t, blob_id, offset, length, raw))
        offset += length
    if offset != len(pack) - 4 - hlen:
        raise DecryptError("blob lengths")
    return out


def encode_index(
    master: MasterKey, packs: dict[str, list[tuple[int, bytes, int, int, int]]]
) -> bytes:
    parts = [struct.pack("<II", 1, len(packs))]
    for pack, entries in packs.items():
        parts.append(bytes.fromhex(pack) + struct.pack("<I", len(entries)))
        parts.extend(INDEX_ENTRY.pack(t, i, off, length, raw) for t, i, off, length, raw in entries)
    payload = zstandard.ZstdCompressor(level=3).compress(b"".join(parts))
    return crypto.encrypt(master.data, payload, crypto.AAD_INDEX)


def decode_index(
    master: MasterKey, raw: bytes
) -> dict[str, list[tuple[int, bytes, int, int, int]]]:
    payload = crypto.decrypt(master.data, raw, crypto.AAD_INDEX)
    try:
        data = zstandard.ZstdDecompressor().decompress(payload)
        version, count = struct.unpack_from("<II", data, 0)
        if version != 1:
            raise DecryptError("index version")
        pos = 8
        out: dict[str, list[tuple[int, bytes, int, int, int]]] = {}
        for _i in range(count):
            pack = data[pos : pos + 32].hex()
            (n,) = struct.unpack_from("<I", data, pos + 32)
            pos += 36
            entries = []
            for _j in range(n):
                entries.append(INDEX_ENTRY.unpack_from(data, pos))
                pos += INDEX_ENTRY.size
            out[pack] = entries
        if pos != len(data):
            raise DecryptError("index trailing bytes")
        return out
    except (struct.error, zstandard.ZstdError) as exc:
        raise DecryptError("index structure") from exc


# -- the repository ---------------------------------------------------------------------


class Repository:
    """An opened repository: the master key, the config and the index in memory."""

    def __init__(self, backend: Backend, config: RepoConfig, master: MasterKey) -> None:
        self.backend = backend
        self.config = config
        self.master = master
        self.chunker = Chunker(master.chunker, config.chunker)
        self.index: dict[bytes, BlobRef] = {}
        self.index_files: dict[str, dict[str, list[tuple[int, bytes, int, int, int]]]] = {}
        self._lock_name: str | None = None
        self._lock_session = ""
        self.damaged_snapshots: list[str] = []
        self._lock_exclusive = False
        self._lock_written: datetime | None = None

    @property
    def location(self) -> str:
        return self.backend.location

    @property
    def immutable(self) -> bool:
        return self.backend.immutable

    # -- creating and opening ----------------------------------------------------------

    @classmethod
    def init(
        cls,
        backend: Backend,
        passphrase: str,
        params: ChunkerParams | None = None,
        pack_size: int = PACK_SIZE,
    ) -> tuple[Repository, str]:
        """A new repository; returns it and the recovery key (to show once)."""
        if backend.exists("config", "config"):
            raise RepositoryExists(
                _("A backup repository already exists at {location}.").format(
                    location=backend.location
                )
            )
        master = MasterKey.generate()
        recovery = crypto.new_recovery_key()
        config = RepoConfig(
            version=1,
            id=secrets.token_hex(16),
            created=datetime.now(UTC).isoformat(),
            chunker=params or ChunkerParams(),
            pack_size=pack_size,
        )
        for secret, kind in ((passphrase, "passphrase"), (recovery, "recovery")):
            raw = crypto.wrap(master, secret, kind)
            backend.put("keys", object_name(raw), raw)
        try:  # config last: a repository exists once it is there
            backend.put("config", "config", config.to_json())
        except ObjectExists:
            raise RepositoryExists(
                _("A backup repository already exists at {location}.").format(
                    location=backend.location
                )
            ) from None
        return cls(backend, config, master), recovery

    @classmethod
    def open(cls, backend: Backend, secret: str, *, load_index: bool = True) -> Repository:
        """Open with the passphrase or the recovery key (both are tried)."""
        if not backend.exists("config", "config"):
            raise RepositoryNotFound(
                _(
                    "No backup repository at {location}: create one with "
                    "'rempart backup init' or check the path."
                ).format(location=backend.location)
            )
        try:
            config = RepoConfig.from_json(backend.get("config", "config"))
        except (ValueError, KeyError, TypeError) as exc:
            raise RepositoryCorrupt(
                _("The repository configuration at {location} is unreadable.").format(
                    location=backend.location
                )
            ) from exc
        if config.version != 1:
            raise VaultError(
                _(
                    "The repository at {location} has format version {version}: update Rempart."
                ).format(location=backend.location, version=config.version)
            )
        files = [(name, backend.get("keys", name)) for name in backend.list("keys")]
        order = sorted(files, key=lambda f: crypto.key_kind(f[1]) != "passphrase")
        master = None
        for _name, raw in order:
            try:
                master = crypto.unwrap(raw, secret)
                break
            except (DecryptError, ValueError, KeyError, TypeError):
                continue
        if master is None:
            raise WrongPassphrase(
                _(
                    "Wrong passphrase for the repository at {location}: try again, or use "
                    "the recovery key printed at init."
                ).format(location=backend.location)
            )
        repo = cls(backend, config, master)
        if load_index:
            repo.load_index()
        return repo

    def add_key(self, secret: str, kind: str = "passphrase") -> str:
        raw = crypto.wrap(self.master, secret, kind)
        name = object_name(raw)
        self.backend.put("keys", name, raw)
        return name

    def change_passphrase(self, new_secret: str) -> int:
        """Wrap the master key with ``new_secret`` and remove the other passphrase key files
        (the recovery key stays). Returns how many old ones the storage refused to delete
        (retention): those still open the repository until their lock ends."""
        keep = self.add_key(new_secret, "passphrase")
        refused = 0
        for name in list(self.backend.list("keys")):
            if name == keep or crypto.key_kind(self.backend.get("keys", name)) != "passphrase":
                continue
            try:
                self.backend.delete("keys", name)
            except RetentionRefused:
                refused += 1
        return refused

    # -- index -------------------------------------------------------------------------

    def corrupt(self, kind: str, name: str) -> RepositoryCorrupt:
        return RepositoryCorrupt(
            _(
                "The object {kind}/{name} in {location} is damaged (truncated or altered): "
                "run 'rempart backup check' to see what is affected."
            ).format(kind=kind, name=name[:16], location=self.location)
        )

    def read_index_file(self, name: str) -> dict[str, list[tuple[int, bytes, int, int, int]]]:
        try:
            return decode_index(self.master, self.backend.get("index", name))
        except DecryptError:
            raise self.corrupt("index", name) from None

    def load_index(self, *, strict: bool = True) -> list[str]:
        """Read every index file; returns the names of damaged ones (raises if ``strict``)."""
        self.index.clear()
        self.index_files.clear()
        bad: list[str] = []
        for name in list(self.backend.list("index")):
            try:
                packs = self.read_index_file(name)
            except RepositoryCorrupt:
                if strict:
                    raise
                bad.append(name)
                continue
            self.index_files[name] = packs
            for pack, entries in packs.items():
                for t, blob_id, off, length, raw in entries:
                    self.index[blob_id] = BlobRef(pack, off, length, raw, t)
        return bad

    def has_blob(self, blob_id: bytes) -> bool:
        return blob_id in self.index

    def not_indexed(self, blob_id: bytes) -> RepositoryCorrupt:
        return RepositoryCorrupt(
            _(
                "A chunk ({id}) is not in the index of {location}: run 'rempart backup check'."
            ).format(id=blob_id.hex()[:16], location=self.location)
        )

    def read_blob(self, blob_id: bytes, expected_type: int = DATA) -> bytes:
        ref = self.index.get(blob_id)
        if ref is None:
            raise self.not_indexed(blob_id)
        sealed = self.backend.get_range("data", ref.pack, ref.offset, ref.length)
        return self.open_sealed(blob_id, ref, sealed, expected_type)

    def open_sealed_buffer(self, blob_id: bytes, ref: BlobRef, sealed: Buffer) -> Buffer:
        """A data blob's plaintext as a buffer (see :func:`open_blob_buffer`)."""
        try:
            return open_blob_buffer(self.master, DATA, blob_id, sealed)
        except DecryptError:
            raise self.corrupt("data", ref.pack) from None

    def open_sealed(self, blob_id: bytes, ref: BlobRef, sealed: bytes, expected_type: int) -> bytes:
        try:
            return open_blob(self.master, expected_type, blob_id, sealed)
        except DecryptError:
            raise self.corrupt("data", ref.pack) from None

    # -- trees and snapshots -------------------------------------------------------------

    def load_tree(self, tree_id: str) -> tuple[Node, ...]:
        raw = self.read_blob(bytes.fromhex(tree_id), TREE)
        try:
            return decode_tree(raw)
        except (ValueError, KeyError, TypeError):
            raise RepositoryCorrupt(
                _("A folder listing ({id}) in {location} is unreadable.").format(
                    id=tree_id[:16], location=self.location
                )
            ) from None

    def walk(self, tree_id: str, prefix: str = "") -> Iterator[tuple[str, Node]]:
        """Every node below a tree, depth first, with its path (``/``-separated)."""
        for node in self.load_tree(tree_id):
            path = f"{prefix}/{node.name}" if prefix else node.name
            yield path, node
            if node.type == "dir" and node.subtree:
                yield from self.walk(node.subtree, path)

    def load_snapshot(self, name: str) -> Snapshot:
        try:
            raw = crypto.decrypt(
                self.master.data, self.backend.get("snapshots", name), crypto.AAD_SNAPSHOT
            )
            return Snapshot.from_json(name, raw)
        except (DecryptError, ValueError, KeyError, TypeError):
            raise self.corrupt("snapshots", name) from None

    def snapshots(self) -> list[Snapshot]:
        """Every readable snapshot, oldest first. A damaged one does not hide the others: its
        name goes to :attr:`damaged_snapshots` (``check`` reports it)."""
        snaps = []
        self.damaged_snapshots = []
        for name in list(self.backend.list("snapshots")):
            try:
                snaps.append(self.load_snapshot(name))
            except RepositoryCorrupt:
                self.damaged_snapshots.append(name)
        return sorted(snaps, key=lambda s: s.time)

    def find_snapshot(self, ref: str) -> Snapshot:
        """``latest``, a full name or a unique prefix of at least 4 characters."""
        snaps = self.snapshots()
        if not snaps:
            raise VaultError(
                _("The repository at {location} holds no snapshot yet.").format(
                    location=self.location
                )
            )
        if ref in ("latest", ""):
            return snaps[-1]
        ref = ref.lower()
        found = [s for s in snaps if s.name.startswith(ref)] if len(ref) >= 4 else []
        if len(found) != 1:
            raise VaultError(
                _(
                    "No single snapshot matches '{ref}': see 'rempart backup list' for the IDs."
                ).format(ref=ref)
            )
        return found[0]

    def save_snapshot(self, snapshot: Snapshot) -> Snapshot:
        raw = crypto.encrypt(self.master.data, snapshot.to_json(), crypto.AAD_SNAPSHOT)
        name = object_name(raw)
        self.backend.put("snapshots", name, raw)
        return Snapshot(**{**snapshot.__dict__, "name": name})

    # -- locks ---------------------------------------------------------------------------

    def locks(self) -> list[dict[str, Any]]:
        """Live locks of other processes (section 9): per lock session, its latest record
        decides; expired and released sessions are ignored."""
        now = datetime.now(UTC)
        latest: dict[str, dict[str, Any]] = {}
        for name in list(self.backend.list("locks")):
            try:
                raw = crypto.decrypt(
                    self.master.data, self.backend.get("locks", name), crypto.AAD_LOCK
                )
                doc = json.loads(raw)
                session = str(doc.get("session", name))
                if session == self._lock_session:
                    continue
                doc["time_parsed"] = datetime.fromisoformat(doc["time"])
                doc["expires_parsed"] = datetime.fromisoformat(doc["expires"])
            except (DecryptError, ValueError, KeyError, TypeError, VaultError):
                continue
            seen = latest.get(session)
            if seen is None or doc["time_parsed"] > seen["time_parsed"]:
                latest[session] = doc
        return [d for d in latest.values() if d["expires_parsed"] > now]

    def lock(self, exclusive: bool) -> None:
        """Take a lock, refusing when a conflicting live lock exists."""
        for other in self.locks():
            if exclusive or other.get("exclusive"):
                raise RepositoryLocked(
                    _(
                        "The repository at {location} is in use by {host} (process {pid}) "
                        "until {until}: wait for it to finish."
                    ).format(
                        location=self.location,
                        host=other.get("host", "?"),
                        pid=other.get("pid", "?"),
                        until=str(other.get("expires", "?"))[:19],
                    )
                )
        self._lock_exclusive = exclusive
        self._lock_session = secrets.token_hex(8)
        self._write_lock()

    def _write_lock(self, *, release: bool = False) -> None:
        now = datetime.now(UTC)
        doc = {
            "session": self._lock_session,
            "time": now.isoformat(),
            "expires": (now if release else now + LOCK_TTL).isoformat(),
            "host": host_name(),
            "pid": os.getpid(),
            "exclusive": self._lock_exclusive,
        }
        raw = crypto.encrypt(self.master.data, json.dumps(doc).encode(), crypto.AAD_LOCK)
        name = secrets.token_hex(16)
        self.backend.put("locks", name, raw)
        previous, self._lock_name, self._lock_written = self._lock_name, name, now
        if previous:
            self._drop_lock(previous)  # if refused, the newer record of the session decides

    def refresh_lock(self) -> None:
        if self._lock_name and self._lock_written:
            if datetime.now(UTC) - self._lock_written >= LOCK_REFRESH:
                self._write_lock()

    def _drop_lock(self, name: str) -> bool:
        try:
            self.backend.delete("locks", name)
            return True
        except VaultError:
            return False  # an immutable repository keeps it

    def unlock(self) -> None:
        """Release: delete the lock, or where the storage refuses, record the release."""
        if self._lock_name:
            if not self._drop_lock(self._lock_name):
                try:
                    self._write_lock(release=True)
                    self._drop_lock(self._lock_name or "")
                except VaultError:
                    pass  # it expires on its own
            self._lock_name = None
            self._lock_session = ""


# -- writing -----------------------------------------------------------------------------


class PackWriter:
    """Collects sealed blobs into packs, uploads them in the background, writes index files.

    Call :meth:`add` from one thread. :meth:`flush` uploads what is pending and writes the
    index of every pack uploaded since the last index (call it before saving a snapshot).
    """

    def __init__(self, repo: Repository, uploads: int = UPLOADS) -> None:
        self.repo = repo
        self.pack_size = repo.config.pack_size
        self._blobs: list[Buffer] = []
        self._entries: list[tuple[int, bytes, int, int]] = []
        self._size = 0
        self._pending: set[bytes] = set()
        self._uploads: list[Future[tuple[str, list[tuple[int, bytes, int, int, int]], int]]] = []
        self._pool = ThreadPoolExecutor(max_workers=uploads, thread_name_prefix="rempart-upload")
        self._done: dict[str, list[tuple[int, bytes, int, int, int]]] = {}
        self._max_inflight = uploads + 1
        self.bytes_added = 0
        self.blobs_added = 0
        self.packs_added = 0
        self.index_files: list[str] = []
        self.repacking = False  # prune: blobs already indexed elsewhere are written again

    def known(self, blob_id: bytes) -> bool:
        if self.repacking:
            return blob_id in self._pending
        return blob_id in self.repo.index or blob_id in self._pending

    def pending(self, blob_id: bytes) -> bool:
        return blob_id in self._pending

    def add(self, type_: int, blob_id: bytes, sealed: Buffer, raw_length: int) -> bool:
        """Queue a sealed blob; ``False`` when the repository already has it."""
        if self.known(blob_id):
            return False
        self._pending.add(blob_id)
        self._blobs.append(sealed)
        self._entries.append((type_, blob_id, len(sealed), raw_length))
        self._size += len(sealed)
        self.blobs_added += 1
        if self._size >= self.pack_size:
            self._seal_pack()
        return True

    def _seal_pack(self) -> None:
        if not self._entries:
            return
        blobs, entries = self._blobs, self._entries
        self._blobs, self._entries, self._size = [], [], 0
        while len(self._uploads) >= self._max_inflight:
            self._collect(self._uploads.pop(0))
        self._uploads.append(self._pool.submit(self._build_and_put, blobs, entries))

    def _build_and_put(
        self, blobs: list[Buffer], entries: list[tuple[int, bytes, int, int]]
    ) -> tuple[str, list[tuple[int, bytes, int, int, int]], int]:
        header = crypto.encrypt(self.repo.master.data, encode_pack_header(entries), crypto.AAD_PACK)
        pack = b"".join([*blobs, header, struct.pack("<I", len(header))])
        blobs.clear()  # the pack holds them now: half the memory while it is stored
        name = object_name(pack)
        self.repo.backend.put("data", name, pack)
        placed = []
        offset = 0
        for t, blob_id, length, raw in entries:
            placed.append((t, blob_id, offset, length, raw))
            offset += length
        return name, placed, len(pack)

    def _collect(
        self, fut: Future[tuple[str, list[tuple[int, bytes, int, int, int]], int]]
    ) -> None:
        name, placed, size = fut.result()
        self._done[name] = placed
        self.bytes_added += size
        self.packs_added += 1
        for t, blob_id, off, length, raw in placed:
            self.repo.index[blob_id] = BlobRef(name, off, length, raw, t)
            self._pending.discard(blob_id)
        if len(self._done) >= INDEX_EVERY:
            self._write_index()

    def _write_index(self) -> None:
        if not self._done:
            return
        raw = encode_index(self.repo.master, self._done)
        name = object_name(raw)
        self.repo.backend.put("index", name, raw)
        self.repo.index_files[name] = dict(self._done)
        self.index_files.append(name)
        self.bytes_added += len(raw)
        self._done = {}

    def flush(self) -> None:
        """Every queued blob is in a stored pack, and every stored pack in an index file."""
        self._seal_pack()
        try:
            while self._uploads:
                self._collect(self._uploads.pop(0))
        finally:
            pass
        self._write_index()

    def close(self) -> None:
        """Stop background uploads (after an error: waits for those already started)."""
        for fut in self._uploads:
            fut.cancel()
        self._pool.shutdown(wait=True)
        self._uploads.clear()

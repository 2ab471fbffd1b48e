"""The code against docs/vault-format.md: a repository written by the engine is read back
here with nothing but the document and the primitives it names (scrypt, AES-256-GCM,
BLAKE3, zstd, FastCDC) — no function of rempart.vault is used to decode."""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path

import blake3
import zstandard
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from fastcdc.fastcdc_cy import fastcdc_cy

from rempart.vault import Repository, run_backup
from tests.vault.conftest import PASSPHRASE, SMALL


def _gcm(key: bytes, obj: bytes, aad: bytes) -> bytes:
    return AESGCM(key).decrypt(obj[:12], obj[12:], aad)


def _master(root: Path, secret: str = PASSPHRASE) -> dict[str, bytes]:
    for path in (root / "keys").iterdir():
        doc = json.loads(path.read_bytes())
        assert blake3.blake3(path.read_bytes()).hexdigest() == path.name  # section 1
        if doc["kind"] != "passphrase":
            continue
        kdf = doc["kdf"]
        assert kdf["name"] == "scrypt"
        kek = Scrypt(
            salt=base64.b64decode(kdf["salt"]), length=32, n=kdf["n"], r=kdf["r"], p=kdf["p"]
        ).derive(secret.encode())
        raw = _gcm(kek, base64.b64decode(doc["wrapped"]), b"rempart-key-v1")
        return {k: base64.b64decode(v) for k, v in json.loads(raw).items()}
    raise AssertionError("no passphrase key file")


def _index(root: Path, data_key: bytes) -> dict[bytes, tuple[str, int, int, int, int]]:
    out: dict[bytes, tuple[str, int, int, int, int]] = {}
    for path in (root / "index").iterdir():
        payload = zstandard.ZstdDecompressor().decompress(
            _gcm(data_key, path.read_bytes(), b"rempart-index-v1")
        )
        version, count = struct.unpack_from("<II", payload, 0)
        assert version == 1
        pos = 8
        for _ in range(count):
            pack = payload[pos : pos + 32].hex()
            (n,) = struct.unpack_from("<I", payload, pos + 32)
            pos += 36
            for _ in range(n):
                t, blob_id, off, length, raw = struct.unpack_from("<B32sIII", payload, pos)
                pos += 45
                out[blob_id] = (pack, off, length, raw, t)
        assert pos == len(payload)
    return out


def _blob(root: Path, keys: dict[str, bytes], index: dict, blob_id: bytes, t: int) -> bytes:
    pack, off, length, raw_len, stored_type = index[blob_id]
    assert stored_type == t
    with (root / "data" / pack[:2] / pack).open("rb") as fh:
        fh.seek(off)
        sealed = fh.read(length)
    inner = _gcm(keys["data"], sealed, bytes((t,)) + blob_id)
    plain = zstandard.ZstdDecompressor().decompress(inner[1:]) if inner[0] == 1 else inner[1:]
    assert inner[0] in (0, 1)
    assert len(plain) == raw_len
    assert blake3.blake3(plain, key=keys["id"]).digest() == blob_id  # keyed BLAKE3 ID
    return plain


def test_a_repository_reads_back_with_the_format_document_alone(
    repo: Repository, source: Path, repo_path: Path
) -> None:
    snap = run_backup(repo, [str(source)]).snapshot
    config = json.loads((repo_path / "config").read_bytes())
    assert config["version"] == 1 and config["chunker"]["avg"] == SMALL.avg_size
    keys = _master(repo_path)
    assert sorted(keys) == ["chunker", "data", "id"] and all(len(k) == 32 for k in keys.values())
    index = _index(repo_path, keys["data"])

    # every pack: named by its BLAKE3, header at the end, blobs back to back (section 5)
    for pack_file in (repo_path / "data").rglob("*"):
        if not pack_file.is_file():
            continue
        data = pack_file.read_bytes()
        assert blake3.blake3(data).hexdigest() == pack_file.name
        (hlen,) = struct.unpack("<I", data[-4:])
        header = _gcm(keys["data"], data[-4 - hlen : -4], b"rempart-pack-v1")
        offset = 0
        for pos in range(0, len(header), 41):
            t, blob_id, length, raw = struct.unpack_from("<B32sII", header, pos)
            assert index[blob_id] == (pack_file.name, offset, length, raw, t)
            offset += length
        assert offset == len(data) - 4 - hlen

    # the snapshot, its trees, and every file's bytes (sections 7 and 8)
    snap_files = list((repo_path / "snapshots").iterdir())
    assert [p.name for p in snap_files] == [snap.name]
    doc = json.loads(_gcm(keys["data"], snap_files[0].read_bytes(), b"rempart-snapshot-v1"))
    assert doc["paths"] == [str(source)]

    def files(tree_hex: str, prefix: str) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        nodes = json.loads(_blob(repo_path, keys, index, bytes.fromhex(tree_hex), 1))["nodes"]
        assert [n["name"] for n in nodes] == sorted(n["name"] for n in nodes)
        for node in nodes:
            path = f"{prefix}/{node['name']}"
            if node["type"] == "dir":
                out.update(files(node["subtree"], path))
            elif node["type"] == "file":
                content = b"".join(
                    _blob(repo_path, keys, index, bytes.fromhex(c), 0) for c in node["content"]
                )
                assert blake3.blake3(content).hexdigest() == node["hash"]
                out[path] = content
        return out

    decoded = files(doc["tree"], "")
    for path in source.rglob("*"):
        if path.is_file() and not path.is_symlink():
            assert decoded[str(path)] == path.read_bytes()


def test_chunks_follow_the_keyed_gear_table_and_database_pages(
    repo: Repository, source: Path, repo_path: Path
) -> None:
    snap = run_backup(repo, [str(source)]).snapshot
    keys = _master(repo_path)
    index = _index(repo_path, keys["data"])
    nodes = {p: n for p, n in repo.walk(snap.tree)}
    # π by Fisher–Yates over BLAKE3(key = chunker key) (section 3.1)
    stream = blake3.blake3(b"rempart chunker permutation v1", key=keys["chunker"]).digest(
        length=1024
    )
    words = struct.unpack("<256I", stream)
    perm = list(range(256))
    for i in range(255, 0, -1):
        j = words[i] % (i + 1)
        perm[i], perm[j] = perm[j], perm[i]
    jpg = next((source / "Radios" / "2026").glob("*.jpg"))
    data = jpg.read_bytes()
    expected = [
        c.length
        for c in fastcdc_cy(
            data.translate(bytes(perm)),
            min_size=SMALL.min_size,
            avg_size=SMALL.avg_size,
            max_size=SMALL.max_size,
        )
    ]
    node = nodes[str(jpg).lstrip("/")]
    assert [index[bytes.fromhex(c)][3] for c in node.content] == expected
    assert len(expected) > 2
    # the unkeyed table would cut elsewhere: the key matters
    plain = [c.length for c in fastcdc_cy(data, min_size=SMALL.min_size, avg_size=SMALL.avg_size)]
    assert plain != expected
    # a database file: 2 pages of 8 KiB per chunk, at fixed offsets (section 3.2)
    mdf = nodes[str(source / "Base.mdf").lstrip("/")]
    sizes = [index[bytes.fromhex(c)][3] for c in mdf.content]
    assert set(sizes) == {16 * 1024}


def test_no_two_encryptions_share_a_nonce(repo: Repository, source: Path, repo_path: Path) -> None:
    run_backup(repo, [str(source)])
    (source / "Base.mdf").write_bytes(b"\x01" * 65536)
    run_backup(repo, [str(source)])
    nonces: list[bytes] = []
    for pack_file in (repo_path / "data").rglob("*"):
        if pack_file.is_file():
            data = pack_file.read_bytes()
            (hlen,) = struct.unpack("<I", data[-4:])
            keys = _master(repo_path)
            header = _gcm(keys["data"], data[-4 - hlen : -4], b"rempart-pack-v1")
            nonces.append(data[-4 - hlen : -4 - hlen + 12])
            offset = 0
            for pos in range(0, len(header), 41):
                (length,) = struct.unpack_from("<I", header, pos + 33)
                nonces.append(data[offset : offset + 12])
                offset += length
    for folder in ("index", "snapshots", "locks"):
        for path in (repo_path / folder).glob("*"):
            nonces.append(path.read_bytes()[:12])
    assert len(nonces) > 20
    assert len(set(nonces)) == len(nonces)

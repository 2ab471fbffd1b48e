"""Plain data of a repository: snapshots, tree nodes, blob locations (no I/O here)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

DATA = 0
TREE = 1


class BlobRef(NamedTuple):
    """Where a blob is stored: pack name, byte offset and stored length, plaintext size."""

    pack: str
    offset: int
    length: int
    raw_length: int
    type: int


@dataclass(frozen=True)
class Node:
    """One entry of a tree (docs/vault-format.md, section 7)."""

    name: str
    type: str  # "file" | "dir" | "symlink"
    mode: int = 0
    mtime_ns: int = 0
    size: int = 0
    inode: int = 0
    content: tuple[str, ...] = ()
    hash: str = ""
    subtree: str = ""
    target: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "mode": self.mode,
            "mtime_ns": self.mtime_ns,
        }
        if self.type == "file":
            out.update(size=self.size, inode=self.inode, content=list(self.content), hash=self.hash)
        elif self.type == "dir":
            out["subtree"] = self.subtree
        elif self.type == "symlink":
            out["target"] = self.target
        return out

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Node:
        return cls(
            name=str(obj["name"]),
            type=str(obj["type"]),
            mode=int(obj.get("mode", 0)),
            mtime_ns=int(obj.get("mtime_ns", 0)),
            size=int(obj.get("size", 0)),
            inode=int(obj.get("inode", 0)),
            content=tuple(str(c) for c in obj.get("content", ())),
            hash=str(obj.get("hash", "")),
            subtree=str(obj.get("subtree", "")),
            target=str(obj.get("target", "")),
        )


def encode_tree(nodes: Sequence[Node]) -> bytes:
    ordered = sorted(nodes, key=lambda n: n.name)
    return json.dumps(
        {"nodes": [n.to_json() for n in ordered]}, sort_keys=True, separators=(",", ":")
    ).encode("utf-8")


def decode_tree(raw: bytes) -> tuple[Node, ...]:
    obj = json.loads(raw)
    return tuple(Node.from_json(n) for n in obj["nodes"])


@dataclass(frozen=True)
class SnapshotStats:
    files: int = 0
    dirs: int = 0
    bytes: int = 0
    bytes_added: int = 0
    blobs_added: int = 0
    packs_added: int = 0
    files_unchanged: int = 0
    errors: int = 0


@dataclass(frozen=True)
class Snapshot:
    """One backup (docs/vault-format.md, section 8). ``name`` is its object name."""

    name: str
    time: datetime
    host: str
    user: str
    paths: tuple[str, ...]
    tags: tuple[str, ...]
    tree: str
    parent: str | None = None
    source: str = "direct"
    stats: SnapshotStats = field(default_factory=SnapshotStats)

    @property
    def short_id(self) -> str:
        return self.name[:8]

    def to_json(self) -> bytes:
        doc = {
            "version": 1,
            "time": self.time.isoformat(),
            "host": self.host,
            "user": self.user,
            "paths": list(self.paths),
            "tags": list(self.tags),
            "tree": self.tree,
            "parent": self.parent,
            "source": self.source,
            "stats": self.stats.__dict__,
        }
        return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_json(cls, name: str, raw: bytes) -> Snapshot:
        obj = json.loads(raw)
        known = SnapshotStats.__dataclass_fields__
        stats = {k: int(v) for k, v in obj.get("stats", {}).items() if k in known}
        return cls(
            name=name,
            time=datetime.fromisoformat(obj["time"]),
            host=str(obj.get("host", "")),
            user=str(obj.get("user", "")),
            paths=tuple(obj.get("paths", ())),
            tags=tuple(obj.get("tags", ())),
            tree=str(obj["tree"]),
            parent=obj.get("parent"),
            source=str(obj.get("source", "direct")),
            stats=SnapshotStats(**stats),
        )

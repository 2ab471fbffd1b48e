"""What changed between two snapshots: files added, removed, modified (by content hash)."""

from __future__ import annotations

from dataclasses import dataclass

from rempart.vault.model import Node, Snapshot
from rempart.vault.repo import Repository


@dataclass(frozen=True)
class Change:
    kind: str  # "+" added, "-" removed, "M" modified
    path: str
    node: Node


def diff_snapshots(repo: Repository, old: Snapshot, new: Snapshot) -> list[Change]:
    """Changes from ``old`` to ``new``, by path; identical subtrees are not descended."""
    out: list[Change] = []

    def visit(a: str | None, b: str | None, prefix: str) -> None:
        if a == b:
            return
        left = {n.name: n for n in repo.load_tree(a)} if a else {}
        right = {n.name: n for n in repo.load_tree(b)} if b else {}
        for name in sorted(set(left) | set(right)):
            path = f"{prefix}/{name}" if prefix else name
            x, y = left.get(name), right.get(name)
            if x is not None and y is not None and x.type == "dir" and y.type == "dir":
                visit(x.subtree, y.subtree, path)
                continue
            if x is not None and x.type == "dir":
                visit(x.subtree, None, path)
            elif x is not None and (y is None or y.type != x.type):
                out.append(Change("-", path, x))
            if y is not None and y.type == "dir" and (x is None or x.type != "dir"):
                visit(None, y.subtree, path)
            elif y is not None and (x is None or x.type != y.type):
                out.append(Change("+", path, y))
            elif x is not None and y is not None and x.type == y.type and y.type != "dir":
                if (x.hash, x.target) != (y.hash, y.target):
                    out.append(Change("M", path, y))

    visit(old.tree, new.tree, "")
    return out

"""`checks` stays free of I/O (DESIGN.md): no network, file, process or clock access.

The only file read is the end-of-life table shipped inside the package
(:func:`rempart.checks.eol.builtin_eol`); the clock comes from ``CheckContext.now``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import rempart.checks

ROOT = Path(rempart.checks.__file__).parent
FORBIDDEN_MODULES = {
    "socket", "ssl", "subprocess", "os", "shutil", "pathlib", "urllib", "http", "requests",
    "httpx", "asyncio", "threading", "sqlite3", "sqlalchemy", "time", "random", "logging",
}  # fmt: skip
FORBIDDEN_CALLS = {"open", "print", "input", "exec", "eval"}


def _modules() -> list[Path]:
    return sorted(ROOT.rglob("*.py"))


def test_check_modules_import_nothing_that_does_io() -> None:
    offenders = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [(path.name, n) for n in names if n.split(".")[0] in FORBIDDEN_MODULES]
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in FORBIDDEN_CALLS
            ):
                offenders.append((path.name, node.func.id))
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("now", "today", "utcnow")
                and isinstance(node.value, ast.Name)
                and node.value.id in ("datetime", "date")
            ):  # the clock: only as the CheckContext default
                offenders.append((path.name, node.attr))
    assert offenders == [("base.py", "now")]


def test_the_only_clock_is_the_context_default() -> None:
    source = (ROOT / "base.py").read_text(encoding="utf-8")
    assert source.count("datetime.now(") == 1
    assert "default_factory=lambda: datetime.now(UTC)" in source

"""The three watch backends on real files, real processes and the real kernel."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from rempart import i18n
from rempart.sentinel.watcher import (
    PollBackend,
    WatchError,
    check_folder,
    choose_backend,
    walk_dirs,
)
from tests.sentinel.watchkit import Collector, require_mode, run_python, running

CHANGES = r"""
import os, sys
p = sys.argv[1]
with open(p + "/sub/new.docx", "wb") as fh:
    fh.write(b"PK" + os.urandom(500))
os.rename(p + "/sub/new.docx", p + "/sub/new.docx.lockbit")
os.mkdir(p + "/fresh")
with open(p + "/fresh/inside.txt", "w") as fh:
    fh.write("written straight after the folder was made")
os.remove(p + "/a.txt")
print(os.getpid())
"""


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "patients"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("hello")
    return root


@pytest.mark.parametrize("mode", ["fanotify", "inotify", "poll"])
def test_each_backend_reports_writes_renames_new_folders_and_deletions(
    tree: Path, mode: str
) -> None:
    with running([tree], mode, poll_interval=0.1) as events:
        child_pid = int(run_python(CHANGES, str(tree)).stdout.split()[0])
        inside = tree / "fresh" / "inside.txt"
        locked = tree / "sub" / "new.docx.lockbit"
        assert events.wait_for(
            lambda evs: {e.path for e in evs} >= {inside, locked, tree / "a.txt"}
        ), [(e.kind, e.path) for e in events.events]
    assert "delete" in events.kinds(tree / "a.txt")
    assert "close_write" in events.kinds(inside)  # written before the folder was watched
    if mode != "poll":
        assert "moved_to" in events.kinds(locked)
        assert "moved_from" in events.kinds(tree / "sub" / "new.docx")
        assert "write" in events.kinds(tree / "sub" / "new.docx")
    pids = {e.pid for e in events.events}
    if mode == "fanotify":
        assert pids == {child_pid}  # the kernel names the writer
        assert all(e.process and e.process.startswith("python") for e in events.events)
    else:
        assert pids == {None}


def test_fanotify_names_each_writer_separately(tree: Path) -> None:
    code = "import os,sys; open(sys.argv[1], 'w').write('x'); print(os.getpid())"
    with running([tree], "fanotify") as events:
        one = int(run_python(code, str(tree / "one.txt")).stdout)
        two = int(run_python(code, str(tree / "two.txt")).stdout)
        assert events.wait_for(
            lambda evs: (
                {e.path.name for e in evs if e.kind == "close_write"} >= {"one.txt", "two.txt"}
            )
        )
    by_file = {e.path.name: e.pid for e in events.events if e.kind == "close_write"}
    assert by_file == {"one.txt": one, "two.txt": two}


def test_fanotify_ignores_the_sentinels_own_writes(tree: Path) -> None:
    with running([tree], "fanotify") as events:
        (tree / "ours.txt").write_text("restored by rempart")
        run_python("import sys; open(sys.argv[1], 'w').write('x')", str(tree / "theirs.txt"))
        assert events.wait_for(lambda evs: any(e.path.name == "theirs.txt" for e in evs))
    assert not any(e.path.name == "ours.txt" for e in events.events)


@pytest.mark.parametrize("mode", ["fanotify", "inotify"])
def test_kernel_queue_overflow_becomes_one_rescan_event_per_root(tree: Path, mode: str) -> None:
    require_mode(mode)
    backend, _ = choose_backend([tree], mode)
    backend.arm()
    seen = Collector()
    thread = threading.Thread(target=backend.run, args=(seen,), daemon=True)
    try:
        # Nobody reads while 20,000 events pile up: more than the kernel keeps (16,384).
        run_python(
            "import sys\nfor i in range(20000):\n    open(f'{sys.argv[1]}/f{i}', 'w').close()",
            str(tree / "sub"),
        )
        thread.start()
        assert seen.wait_for(lambda evs: any(e.kind == "overflow" for e in evs))
    finally:
        backend.close()
        thread.join(timeout=10)
        backend.release()
    overflows = [e for e in seen.events if e.kind == "overflow"]
    assert [e.path for e in overflows] == [tree]


@pytest.mark.parametrize("mode", ["fanotify", "inotify", "poll"])
def test_symlinks_never_lead_out_of_the_tree_and_loops_do_not_hang(
    tmp_path: Path, tree: Path, mode: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (tree / "to_outside").symlink_to(outside)
    (tree / "sub" / "loop").symlink_to(tree)
    assert sorted(walk_dirs(tree)) == [tree, tree / "sub"]
    with running([tree], mode, poll_interval=0.1) as events:
        run_python(
            "import sys; open(sys.argv[1], 'w').write('x'); open(sys.argv[2], 'w').write('y')",
            str(outside / "secret.txt"),
            str(tree / "marker.txt"),
        )
        assert events.wait_for(lambda evs: any(e.path.name == "marker.txt" for e in evs))
    assert not any("secret" in str(e.path) for e in events.events)


@pytest.mark.parametrize("mode", ["fanotify", "inotify"])
def test_folders_that_vanish_while_being_watched_do_not_stop_the_watch(
    tree: Path, mode: str
) -> None:
    churn = (
        "import os, shutil, sys\n"
        "for i in range(300):\n"
        "    d = os.path.join(sys.argv[1], f'tmp{i}', 'deeper')\n"
        "    os.makedirs(d)\n"
        "    shutil.rmtree(os.path.dirname(d))\n"
        "open(os.path.join(sys.argv[1], 'after.txt'), 'w').write('still here')\n"
    )
    with running([tree], mode) as events:
        run_python(churn, str(tree))
        assert events.wait_for(
            lambda evs: any(e.path.name == "after.txt" and e.kind == "close_write" for e in evs)
        )


def test_poll_backend_sees_a_change_of_size_or_time(tree: Path) -> None:
    backend = PollBackend([tree], interval=0.05)
    backend.arm()
    collector = Collector()
    thread = threading.Thread(target=backend.run, args=(collector,), daemon=True)
    thread.start()
    try:
        (tree / "a.txt").write_text("hello, changed")
        assert collector.wait_for(lambda evs: any(e.path == tree / "a.txt" for e in evs))
    finally:
        backend.close()
        thread.join(timeout=5)


def test_bad_folders_are_one_clear_line(tmp_path: Path) -> None:
    i18n.set_language("en")
    with pytest.raises(WatchError, match="does not exist"):
        check_folder(tmp_path / "missing")
    file = tmp_path / "file.txt"
    file.write_text("x")
    with pytest.raises(WatchError, match="not a folder"):
        check_folder(file)
    with pytest.raises(WatchError, match="Unknown watch mode"):
        choose_backend([tmp_path], "dtrace")


def test_without_root_the_sentinel_says_it_falls_back_to_inotify(tmp_path: Path) -> None:
    if sys.platform != "linux":
        pytest.skip("Linux only")
    code = (
        "import os, sys\n"
        "from rempart import i18n; i18n.set_language('en')\n"
        "from rempart.sentinel import fanotify, inotify\n"
        "from rempart.sentinel.watcher import choose_backend\n"
        "fanotify._lib(); inotify._lib()\n"
        "os.setgid(65534); os.setuid(65534)\n"
        "backend, note = choose_backend([sys.argv[1]])\n"
        "print(backend.mode); print(note)\n"
    )
    if os.geteuid() != 0:
        code = code.replace("os.setgid(65534); os.setuid(65534)\n", "")
    tmp_path.chmod(0o755)
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out[0] == "inotify"
    assert "inotify" in out[1] and "root" in out[1]


def test_fanotify_forgets_folders_that_are_deleted(tree: Path) -> None:
    require_mode("fanotify")
    from rempart.sentinel.fanotify import FanotifyBackend

    backend = FanotifyBackend([tree])
    backend.arm()
    assert backend.folders_marked == 2
    seen = Collector()
    thread = threading.Thread(target=backend.run, args=(seen,), daemon=True)
    thread.start()
    try:
        run_python(
            "import os, shutil, sys\n"
            "for i in range(200):\n"
            "    d = os.path.join(sys.argv[1], f'tmp{i}', 'inner')\n"
            "    os.makedirs(d); open(os.path.join(d, 'f'), 'w').close()\n"
            "    shutil.rmtree(os.path.dirname(d))\n"
            "open(os.path.join(sys.argv[1], 'end.txt'), 'w').close()\n",
            str(tree),
        )
        assert seen.wait_for(lambda evs: any(e.path.name == "end.txt" for e in evs))
        # Memory stays bounded by the live folders, not by every folder ever seen (the
        # deletions came before end.txt, in the same queue).
        assert backend.folders_marked == 2
    finally:
        backend.close()
        thread.join(timeout=10)
        backend.release()

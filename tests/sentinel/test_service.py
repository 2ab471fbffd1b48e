"""The sentinel end to end: a real process encrypts a folder and is stopped (fanotify), or
named (inotify); incidents and runs in the store; hooks, alerts, floods and hostile files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil
import pytest

from rempart import i18n
from rempart.config import AlertSettings, SentinelSettings
from rempart.sentinel import canaries
from rempart.sentinel import service as service_module
from rempart.sentinel.service import ACTORS_MAX, FILES_PER_ACTOR, Sentinel, _ActorFiles
from rempart.store import Store
from rempart.store.incidents import latest_run, recent_incidents
from rempart.store.status import sentinel_status
from tests.sentinel.watchkit import (
    TEXT,
    finish,
    make_patients,
    originals_changed,
    require_mode,
    run_python,
    start_encryptor,
)


@pytest.fixture
def patients(tmp_path: Path) -> Path:
    return make_patients(tmp_path)


@pytest.fixture
def store() -> Iterator[Store]:
    with Store.open() as s:
        yield s


def test_fanotify_kills_the_encryptor_within_two_files(patients: Path, store: Store) -> None:
    require_mode("fanotify")
    i18n.set_language("en")  # the reasons are read in English
    with Sentinel([patients], store=store, settings=SentinelSettings(canaries=False)) as s:
        assert s.mode == "fanotify"
        proc = start_encryptor(patients, delay=0.02)
        try:
            incident = s.wait_incident(20)
            assert incident is not None
            assert proc.wait(10) in (-9, 0)  # killed (0 when psutil reaped it first)
        finally:
            finish(proc)
        assert incident.action == "killed"
        assert incident.actor_pid == proc.pid
        assert incident.actor_name and incident.actor_name.startswith("python")
        assert "done" not in (proc.stdout.read() if proc.stdout else "")
        lost = len(originals_changed(patients))
        assert 1 <= lost <= 3, lost
        assert incident.stopped_mono is not None
        assert incident.stopped_mono - incident.started_mono < 1.0
        assert any("encrypted" in r for r in incident.reasons)
    [record] = recent_incidents(store)
    assert record.action == "killed" and record.actor_pid == proc.pid
    assert record.files_affected >= 1
    kinds = [e["kind"] for e in record.timeline]
    assert kinds[:3] == ["first_event", "detected", "killed"]


def test_a_canary_stops_the_encryptor_before_any_patient_file(patients: Path, store: Store) -> None:
    require_mode("fanotify")
    i18n.set_language("en")  # the reasons are read in English
    with Sentinel([patients], store=store) as s:
        placed = sorted(p.name for p in s.canary_files)
        assert placed and all(canaries.is_canary(patients / n) for n in placed)
        proc = start_encryptor(patients, delay=0.05)
        try:
            incident = s.wait_incident(20)
        finally:
            finish(proc)
    assert incident is not None and incident.action == "killed"
    assert any("canary" in r for r in incident.reasons)
    assert len(originals_changed(patients)) <= 1
    # Ctrl-C / stop leaves the canaries in place.
    assert all((patients / n).exists() for n in placed)


def test_inotify_detects_and_names_candidates_without_stopping(
    patients: Path, store: Store
) -> None:
    require_mode("inotify")
    with Sentinel(
        [patients], store=store, mode="inotify", settings=SentinelSettings(canaries=False)
    ) as s:
        assert s.mode == "inotify"
        proc = start_encryptor(patients, delay=0.05)
        try:
            incident = s.wait_incident(20)
            assert incident is not None
            assert proc.poll() is None  # named, not stopped
        finally:
            finish(proc)
    assert incident.action == "named"
    assert incident.actor_pid is None
    assert incident.candidates  # who wrote lately, for a person to check
    assert incident.folder == patients.resolve()


def test_response_suspend_freezes_the_culprit(patients: Path) -> None:
    require_mode("fanotify")
    settings = SentinelSettings(canaries=False, response="suspend")
    with Sentinel([patients], settings=settings) as s:
        proc = start_encryptor(patients, delay=0.02)
        try:
            incident = s.wait_incident(20)
            assert incident is not None and incident.action == "suspended"
            # Stopped as soon as it leaves the kernel: it may be waiting at the gate (its open
            # held until the verdict, then denied) when the signal is sent.
            culprit = psutil.Process(proc.pid)
            deadline = time.monotonic() + 5
            tick = threading.Event()
            while culprit.status() != psutil.STATUS_STOPPED and time.monotonic() < deadline:
                tick.wait(0.005)
            assert culprit.status() == psutil.STATUS_STOPPED
        finally:
            finish(proc)


def test_allow_listed_process_is_not_stopped(patients: Path) -> None:
    require_mode("fanotify")
    name = psutil.Process().name()  # the encryptor runs the same interpreter
    settings = SentinelSettings(allow_processes=(name, "python", "python3"))
    with Sentinel([patients], settings=settings) as s:
        proc = start_encryptor(patients, delay=0.0)
        try:
            # The canary is still a strong verdict, but the response only names the writer.
            incident = s.wait_incident(20)
            assert proc.wait(30) == 0  # finished its work: it was not stopped
        finally:
            finish(proc)
    assert incident is not None and incident.action == "named"


def test_snapshot_hook_alerts_and_callback_follow_the_response(
    patients: Path, store: Store
) -> None:
    require_mode("fanotify")
    hooked: list[int | None] = []
    called = threading.Event()
    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def snapshot(incident: service_module.Incident) -> None:
        hooked.append(incident.actor_pid)
        raise RuntimeError("vault offline")  # a failing hook must not stop the alerts

    alerts = AlertSettings(desktop=False, webhook_url=f"http://127.0.0.1:{server.server_port}/")
    try:
        with Sentinel(
            [patients],
            store=store,
            alerts=alerts,
            snapshot_hook=snapshot,
            on_incident=lambda incident: called.set(),
            drill=True,
        ) as s:
            proc = start_encryptor(patients, delay=0.02)
            try:
                incident = s.wait_incident(20)
            finally:
                finish(proc)
            assert called.wait(20)
    finally:
        server.shutdown()
        server.server_close()
    assert incident is not None and hooked == [proc.pid]
    assert received and received[0]["drill"] is True and received[0]["actor"]["pid"] == proc.pid
    [record] = recent_incidents(store, include_drills=True)
    details = {e["kind"]: e.get("detail", "") for e in record.timeline}
    assert details["snapshot"].startswith("failed: RuntimeError: vault offline")
    assert details["alert_webhook"] == "sent: HTTP 200"
    assert recent_incidents(store) == []  # drills are left out of the practice's record


def test_run_heartbeat_and_stop_are_recorded(patients: Path, store: Store) -> None:
    with Sentinel([patients], store=store, mode="poll", poll_interval=0.2) as s:
        status = sentinel_status(store)
        assert status.running and status.mode == "poll"
        assert status.folders == (str(patients.resolve()),)
        run = latest_run(store)
        assert run is not None and run.pid == os.getpid() and run.stopped_at is None
        assert s.run_id == run.id
    assert not sentinel_status(store).running
    run = latest_run(store)
    assert run is not None and run.stopped_at is not None


def test_benign_writes_raise_no_incident_and_update_the_baseline(patients: Path) -> None:
    require_mode("fanotify")
    with Sentinel([patients]) as s:
        marker = patients / "fin.txt"
        run_python(
            "import sys, zipfile, gzip, pathlib\n"
            "root = pathlib.Path(sys.argv[1])\n"
            "for i in range(20):\n"
            "    p = root / '2026' / f'compte_rendu_{i:03}.txt'\n"
            "    p.write_text(p.read_text() + ' Relu et complété.')\n"
            "with zipfile.ZipFile(root / 'export.zip', 'w', zipfile.ZIP_DEFLATED) as z:\n"
            "    z.write(root / '2026' / 'compte_rendu_000.txt', 'cr.txt')\n"
            "(root / 'journal.log.gz').write_bytes(gzip.compress(b'ok ' * 5000))\n"
            "(root / 'fin.txt').write_text('fin')\n",
            str(patients),
        )
        assert s.wait_until(lambda: s.has_seen(marker), 20)
        assert s.incidents == []
        entry = s.baseline.get(patients / "2026" / "compte_rendu_000.txt")
        assert entry is not None and entry.size == len(TEXT.format(i=0).encode()) + len(
            " Relu et complété.".encode()
        )


def test_a_full_event_queue_makes_the_sentinel_rescan(
    patients: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_mode("inotify")
    monkeypatch.setattr(service_module, "QUEUE_MAX", 1)  # the first file only
    gate = threading.Event()
    original = Sentinel._handle

    def slow_handle(self: Sentinel, event) -> None:  # the analyser falls behind
        gate.wait(10)
        original(self, event)

    monkeypatch.setattr(Sentinel, "_handle", slow_handle)
    with Sentinel([patients], mode="inotify", settings=SentinelSettings(canaries=False)) as s:
        proc = start_encryptor(patients, delay=0.0)
        try:
            assert proc.wait(30) == 0  # encrypted everything while we were stuck
        finally:
            finish(proc)
        gate.set()
        incident = s.wait_incident(30)
    assert incident is not None
    assert s.rescans >= 1
    assert incident.files_affected >= 2


def test_hostile_entries_do_not_stop_the_watch(patients: Path, tmp_path: Path) -> None:
    require_mode("fanotify")
    outside = tmp_path / "outside"
    outside.mkdir()
    (patients / "vers_dehors").symlink_to(outside)
    (patients / "boucle").symlink_to(patients)
    with Sentinel([patients], settings=SentinelSettings(canaries=False)) as s:
        os.mkfifo(patients / "tube")  # opening a FIFO to read would block forever
        run_python(
            "import os, sys\n"
            "p = sys.argv[1]\n"
            "open(os.path.join(p, 'tube2'), 'w').close(); os.remove(os.path.join(p, 'tube2'))\n"
            "for i in range(50):\n"
            "    d = os.path.join(p, f'ephemere{i}')\n"
            "    os.mkdir(d); open(os.path.join(d, 'x'), 'w').write('x')\n"
            "    os.remove(os.path.join(d, 'x')); os.rmdir(d)\n",
            str(patients),
        )
        proc = start_encryptor(patients / "2026", delay=0.02)
        try:
            incident = s.wait_incident(20)
        finally:
            finish(proc)
    assert incident is not None and incident.action == "killed"
    assert not any("outside" in str(p) for p in s.recent_paths)


def test_memory_is_bounded_per_actor_and_in_actors() -> None:
    files = _ActorFiles()
    for actor in range(ACTORS_MAX * 2):
        files.add(actor, Path(f"/p/{actor}"), 0.0)
    assert files.get(0) == (None, [])
    assert files.get(ACTORS_MAX * 2 - 1)[1] == [Path(f"/p/{ACTORS_MAX * 2 - 1}")]
    for i in range(FILES_PER_ACTOR + 50):
        files.add("folder", Path(f"/p/f{i}"), float(i))
    first, paths = files.get("folder")
    assert first == 0.0 and len(paths) == FILES_PER_ACTOR


def test_wait_incident_returns_none_after_its_timeout(patients: Path) -> None:
    with Sentinel([patients], mode="poll", settings=SentinelSettings(canaries=False)) as s:
        began = datetime.now(UTC)
        assert s.wait_incident(0.3) is None
        assert (datetime.now(UTC) - began).total_seconds() >= 0.3


def test_one_encrypted_file_freezes_the_writer_until_evidence_clears_it(patients: Path) -> None:
    """A file of no known structure turned into random bytes: encrypted-looking, yet not the
    specific evidence that one file is enough (tests/sentinel/test_service_one_file.py)."""
    require_mode("fanotify")
    (patients / "2026" / "releve.dat").write_bytes(b"ENREG;0001;" + bytes(3000))
    one_file = (
        "import os, sys\n"
        "path = os.path.join(sys.argv[1], '2026', 'releve.dat')\n"
        "data = open(path, 'rb').read()\n"
        "open(path, 'wb').write(os.urandom(len(data)))\n"
        "print('written', flush=True)\n"
        "sys.stdin.readline()\n"
        "print('ran again', flush=True)\n"
    )
    with Sentinel([patients], settings=SentinelSettings(canaries=False)) as s:
        proc = subprocess.Popen(
            [sys.executable, "-c", one_file, str(patients)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "written"
            # Frozen at once on the first encrypted file (no verdict yet: one file only)...
            assert s.wait_until(lambda: s.provisional_freezes == 1, 20)
            # ...then running again once the grace is over without more evidence.
            assert s.wait_until(lambda: not s._frozen, 20)
            out, _err = proc.communicate("go\n", timeout=20)
        finally:
            finish(proc)
        assert out.strip() == "ran again"
        assert s.incidents == []


AS_NOBODY = r"""
import json, os, sys
from pathlib import Path
import psutil
import rempart.sentinel.service as service
from rempart.config import SentinelSettings
from rempart.sentinel import fanotify, inotify  # imported while the files may be read
fanotify._lib(), inotify._lib()
psutil.Process().name(), psutil.Process().username()  # loaded while we may still read them
folder = Path(sys.argv[1])
os.setgid(65534)
os.setuid(65534)
s = service.Sentinel([folder], settings=SentinelSettings(canaries=False))
s.start()
print(json.dumps({"mode": s.mode, "notes": s.notes}), flush=True)
sys.stdin.readline()
seen = s.wait_until(lambda: s.has_seen(folder / "marker.txt"), 20)
s.stop()
print(json.dumps({"seen": seen, "errors": s.errors, "incidents": len(s.incidents)}), flush=True)
"""


def test_unreadable_files_are_passed_over_and_the_fallback_is_said() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to run the sentinel as another user")
    import shutil
    import tempfile

    top = Path(tempfile.mkdtemp(prefix="rempart-unreadable-"))  # in /tmp: nobody can reach it
    try:
        top.chmod(0o755)
        folder = top / "patients"
        folder.mkdir()
        folder.chmod(0o777)
        locked = folder / "verrouille.txt"
        locked.write_text("lisible par root seulement")
        locked.chmod(0o000)
        (folder / "ouvert.txt").write_text("lisible")
        proc = subprocess.Popen(
            [sys.executable, "-c", AS_NOBODY, str(folder)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line, proc.communicate(timeout=30)[1][-3000:]
        started = json.loads(line)
        assert started["mode"] == "inotify"
        assert "fanotify needs root" in started["notes"][0] or "root" in started["notes"][0]
        with open(locked, "a") as fh:  # root writes to what the sentinel cannot read
            fh.write(" et modifié")
        (folder / "marker.txt").write_text("fin")
        out, err = proc.communicate("go\n", timeout=60)
        result = json.loads(out.strip().splitlines()[-1])
        assert result == {"seen": True, "errors": [], "incidents": 0}, err
    finally:
        shutil.rmtree(top, ignore_errors=True)

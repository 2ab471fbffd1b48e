"""One file is enough, end to end: a real process that turns one existing patient file into
ciphertext is killed on that file; one that writes an encrypted copy and deletes the
original is killed on the deletion; a process writing new encrypted archives, opaque files
and ordinary saves runs to its end untouched."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rempart import i18n
from rempart.config import SentinelSettings
from rempart.sentinel.service import Sentinel
from tests.sentinel.watchkit import (
    TEXT,
    finish,
    make_patients,
    originals_changed,
    require_mode,
    start_encryptor,
)


@pytest.fixture
def patients(tmp_path: Path) -> Path:
    return make_patients(tmp_path)


def test_the_encryptor_is_killed_on_its_first_file(patients: Path) -> None:
    require_mode("fanotify")
    i18n.set_language("en")
    with Sentinel([patients], settings=SentinelSettings(canaries=False)) as s:
        proc = start_encryptor(patients, delay=0.05)
        try:
            incident = s.wait_incident(20)
            assert incident is not None
            assert proc.wait(10) in (-9, 0)
        finally:
            finish(proc)
    assert incident.action == "killed" and incident.actor_pid == proc.pid
    assert originals_changed(patients) == ["compte_rendu_000.txt"]  # one file lost, not two
    assert any("turned into ciphertext" in r for r in incident.reasons)
    # Frozen as soon as the report lost its first bytes, before the full look: the freeze
    # became the kill.
    assert s.provisional_freezes == 1 and not s._frozen
    assert incident.stopped_mono is not None and incident.stopped_mono <= incident.detected_mono


NEW_THEN_DELETE = r"""
import os, sys, time
from pathlib import Path
folder = Path(sys.argv[1]) / "2026"
for path in sorted(folder.glob("compte_rendu_*.txt")):
    data = path.read_bytes()
    (folder / (path.name + ".qzvkwyrtb")).write_bytes(os.urandom(len(data)))  # an unknown extension
    path.unlink()
    time.sleep(0.02)  # 50 files a second: a file or two must be the loss, not a race
print("done", flush=True)
"""


def test_an_encrypted_copy_then_the_original_deleted_is_stopped_on_the_first_deletion(
    patients: Path,
) -> None:
    require_mode("fanotify")
    i18n.set_language("en")
    with Sentinel([patients], settings=SentinelSettings(canaries=False)) as s:
        proc = subprocess.Popen(
            [sys.executable, "-c", NEW_THEN_DELETE, str(patients)],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            incident = s.wait_incident(20)
            assert incident is not None
            assert proc.wait(10) in (-9, 0)
        finally:
            finish(proc)
        out = proc.stdout.read() if proc.stdout else ""
    assert "done" not in out
    assert incident.action == "killed" and incident.actor_pid == proc.pid
    assert len(originals_changed(patients)) == 1
    assert any("replaced by its encrypted copy" in r for r in incident.reasons)


BENIGN = r"""
import os, sqlite3, struct, sys, zipfile, zlib
from pathlib import Path
root = Path(sys.argv[1])
# A 7z-like archive with an encrypted body, written by Python: start header filled in last.
body = os.urandom(200_000)
with open(root / "sauvegarde.7z", "wb") as fh:
    fh.write(b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(24))
    for i in range(0, len(body), 16384):
        fh.write(body[i:i + 16384])
        fh.flush()
    start = struct.pack("<QQI", len(body) - 64, 64, zlib.crc32(body[-64:]))
    fh.seek(8)
    fh.write(struct.pack("<I", zlib.crc32(start)) + start)
# The same with py7zr, AES and encrypted headers, as the benign drill does.
import py7zr
with py7zr.SevenZipFile(root / "radios.7z", "w", password="exercice") as archive:
    archive.set_encrypted_header(True)
    for p in sorted((root / "2026").glob("*.txt")):
        archive.write(p, p.name)
    archive.writestr(os.urandom(300_000), "image.bin")
# A zip of the folder, opaque resources of unpacked software.
with zipfile.ZipFile(root / "export.zip", "w", zipfile.ZIP_DEFLATED) as z:
    for p in sorted((root / "2026").glob("*.txt")):
        z.write(p, p.name)
(root / "logiciel").mkdir()
for i in range(30):
    (root / "logiciel" / f"res{i}.pak2").write_bytes(os.urandom(20_000 + i))
# Reports saved again, a database under update.
for i in range(10):
    p = root / "2026" / f"compte_rendu_{i:03}.txt"
    p.write_text(p.read_text() + " Relu.")
db = sqlite3.connect(root / "cabinet.sqlite")
db.execute("CREATE TABLE IF NOT EXISTS rdv (id INTEGER PRIMARY KEY, acte TEXT)")
for i in range(200):
    db.execute("INSERT INTO rdv (acte) VALUES (?)", (os.urandom(40).hex(),))
    db.commit()
db.close()
(root / "fin.txt").write_text("fin")
print("done", flush=True)
"""


def test_a_process_writing_encrypted_archives_and_ordinary_saves_is_left_alone(
    patients: Path,
) -> None:
    require_mode("fanotify")
    with Sentinel([patients], settings=SentinelSettings(canaries=False)) as s:
        proc = subprocess.run(
            [sys.executable, "-c", BENIGN, str(patients)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert proc.stdout.strip() == "done"
        assert s.wait_until(lambda: s.has_seen(patients / "fin.txt"), 20)
    assert s.incidents == []
    assert s.provisional_freezes == 0


RENAME_OVER = r"""
import os, sys, time
from pathlib import Path
folder = Path(sys.argv[1]) / "2026"
encrypt = sys.argv[2] == "encrypt"
for i, path in enumerate(sorted(folder.glob("compte_rendu_*.txt"))[:10]):
    data = path.read_bytes()
    temp = folder / f"~sauve{i}.tmp"
    temp.write_bytes(os.urandom(len(data)) if encrypt else data + b" Relu.")
    os.replace(temp, path)  # written new, then put in the original's place
    time.sleep(0.02)
print("done", flush=True)
"""


@pytest.mark.parametrize("encrypt", [True, False])
def test_a_new_file_renamed_over_a_known_one_is_judged_against_what_it_replaced(
    patients: Path, encrypt: bool
) -> None:
    require_mode("fanotify")
    i18n.set_language("en")
    with Sentinel([patients], settings=SentinelSettings(canaries=False)) as s:
        proc = subprocess.Popen(
            [sys.executable, "-c", RENAME_OVER, str(patients), "encrypt" if encrypt else "save"],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            incident = s.wait_incident(20 if encrypt else 0)
            code = proc.wait(30)
        finally:
            finish(proc)
        if not encrypt:
            last = patients / "2026" / "compte_rendu_009.txt"
            assert s.wait_until(lambda: s.has_seen(last), 20)
            assert code == 0 and s.incidents == []
            entry = s.baseline.get(last)  # the saved file is its new normal
            assert entry is not None and entry.size == len(TEXT.format(i=9).encode()) + 6
            return
    assert incident is not None and incident.action == "killed" and code in (-9, 0)
    assert 1 <= len(originals_changed(patients)) <= 3, originals_changed(
        patients
    )  # one, but the rename is two events
    assert any("turned into ciphertext" in r for r in incident.reasons)


# Writes an encrypted copy under a temporary name, waits to be told, then puts it in the
# place of the report it encrypted.
RENAME_AFTER_A_LOOK = r"""
import os, sys
from pathlib import Path
folder = Path(sys.argv[1]) / "2026"
path = folder / "compte_rendu_000.txt"
temp = folder / "~sauve0.tmp"
temp.write_bytes(os.urandom(path.stat().st_size))
print("written", flush=True)
sys.stdin.readline()
os.replace(temp, path)
print("replaced", flush=True)
sys.stdin.readline()
"""


def test_a_new_file_seen_and_learned_then_renamed_over_a_known_one_is_judged_against_it(
    patients: Path,
) -> None:
    """The sentinel may look at the new file before the rename (it does, once the gate
    keeps it up with the writer) and learn it as a new file: the rename over the report
    must still be judged against the report it replaces, not against that new file."""
    require_mode("fanotify")
    i18n.set_language("en")
    temp = patients / "2026" / "~sauve0.tmp"
    with Sentinel([patients], settings=SentinelSettings(canaries=False)) as s:
        proc = subprocess.Popen(
            [sys.executable, "-c", RENAME_AFTER_A_LOOK, str(patients)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdin is not None and proc.stdout is not None
        try:
            assert proc.stdout.readline().strip() == "written"
            assert s.wait_until(lambda: s.baseline.get(temp) is not None, 20)  # learned
            proc.stdin.write("go\n")
            proc.stdin.flush()
            incident = s.wait_incident(20)
        finally:
            finish(proc)
    assert incident is not None and incident.actor_pid == proc.pid
    assert any(
        "turned into ciphertext by one process: compte_rendu_000.txt" in r for r in incident.reasons
    ), incident.reasons

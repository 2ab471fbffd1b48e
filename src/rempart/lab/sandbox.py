"""The ransomware drill's sandbox: a folder the simulator created, marked and may touch —
and the only one.

Layout (everything the simulator needs lives beside the protected folder, not in it, so
that the sentinel watching ``Cabinet/`` sees only what an attack would do there)::

    <sandbox>/
      rempart-sandbox.json     marker: random id, fingerprint of the key, seed, file count
      rempart-sandbox.key      the AES-256 key (hex), mode 0600: kept to undo the drill
      manifest.json            every synthetic file: size and SHA-256 as generated
      journal/                 the simulator's progress logs (what it touched, in order)
      transit/                 where "move out and back" parks files outside the folder
      Cabinet/                 the synthetic practice files: what the sentinel protects

A path is accepted only after :func:`open_sandbox` has verified the marker and the key
(absolute path, symlinks resolved), and every path written is checked to lie inside the
sandbox with no symlink on the way (:meth:`Sandbox.check`): a drill must never encrypt a
real file, whatever folder it is given.

The synthetic files are a practice's mix — JPEG x-rays, DICOM images, PDF invoices,
letters (.docx), spreadsheets (.xlsx), agendas (.csv), notes (.txt) and the practice
software's SQLite database — generated from a seed, file by file, so that any one of
them can be written again identically (:meth:`Sandbox.regenerate`).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import io
import json
import math
import os
import random
import re
import secrets
import shutil
import sqlite3
import stat
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rempart import config
from rempart.core.errors import LabError
from rempart.i18n import _
from rempart.lab.documents import docx, simple_pdf, xlsx
from rempart.lab.jpeg import encode_grey

MARKER_NAME = "rempart-sandbox.json"
KEY_NAME = "rempart-sandbox.key"
MANIFEST_NAME = "manifest.json"
DATA_NAME = "Cabinet"
JOURNAL_NAME = "journal"
TRANSIT_NAME = "transit"
MARKER_VERSION = 1
DEFAULT_FILES = 240
_ID = re.compile(r"^[0-9a-f]{32}$")


class SandboxError(LabError):
    """A path is not a drill sandbox, or a write would leave it."""


@dataclass(frozen=True)
class ManifestEntry:
    """One synthetic file as generated: where, how big, its SHA-256 and its kind."""

    path: str  # relative to the data folder, POSIX separators
    size: int
    sha256: str
    kind: str
    index: int


@dataclass(frozen=True)
class Sandbox:
    """A verified sandbox (see the module's docstring for its layout)."""

    root: Path  # resolved
    id: str
    seed: int
    files: int
    relative: bool = False  # the simulator's worker runs inside the data folder (cwd)

    @property
    def data(self) -> Path:
        """The folder of synthetic practice files: what the sentinel protects."""
        return Path(".") if self.relative else self.root / DATA_NAME

    @property
    def marker_path(self) -> Path:
        return self.root / MARKER_NAME

    @property
    def key_path(self) -> Path:
        return self.root / KEY_NAME

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST_NAME

    @property
    def journal_dir(self) -> Path:
        return self.root / JOURNAL_NAME

    @property
    def transit(self) -> Path:
        return self.root / TRANSIT_NAME

    def key(self) -> bytes:
        """The AES-256 key, checked against the marker's fingerprint."""
        key = _read_key(self.key_path)
        marker = _read_marker(self.root)
        if hashlib.sha256(key).hexdigest() != marker.get("key_sha256"):
            raise SandboxError(
                _("The key of the sandbox {path} does not match its marker.").format(path=self.root)
            )
        return key

    def check(self, path: Path | str, *, area: str = "data") -> Path:
        """``path`` proven to lie in the sandbox's ``area`` folder (``"data"``,
        ``"transit"`` or ``"journal"``): no ``..``, no symlink on the way below the
        verified folder, none as the last component. Raises :class:`SandboxError`.

        The check is lexical from the verified (resolved) folder, then ``lstat`` on each
        component that exists: a symlink anywhere stops the write. A relative ``path``
        is taken from the area's folder."""
        base = {"data": self.data, "transit": self.transit, "journal": self.journal_dir}[area]
        given = Path(path)
        candidate = given if given.is_absolute() else base / given  # named so in a refusal
        if given.is_absolute():
            try:
                rel = given.relative_to(base)
            except ValueError as exc:
                raise SandboxError(_refusal(candidate)) from exc
        else:
            rel = given
        parts = rel.parts
        if not parts or any(part in ("", ".", "..") for part in parts):
            raise SandboxError(_refusal(candidate))
        current = base
        for part in parts:
            current = current / part
            try:
                mode = os.lstat(current).st_mode
            except FileNotFoundError:
                break  # what is missing will be created below a checked folder
            except OSError as exc:
                raise SandboxError(_refusal(candidate)) from exc
            if stat.S_ISLNK(mode):
                raise SandboxError(_refusal(candidate))
        return base / rel

    def manifest(self) -> dict[str, ManifestEntry]:
        """The files as generated, by relative path."""
        try:
            raw = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SandboxError(
                _("The manifest of the sandbox {path} is missing or damaged.").format(
                    path=self.root
                )
            ) from exc
        return {
            rel: ManifestEntry(rel, int(v["size"]), str(v["sha256"]), str(v["kind"]), int(v["i"]))
            for rel, v in raw.items()
        }

    def changed(self, manifest: dict[str, ManifestEntry] | None = None) -> list[str]:
        """Relative paths of generated files that are missing or whose content differs."""
        out = []
        for rel, entry in (manifest or self.manifest()).items():
            path = self.data / rel
            try:
                if path.is_symlink() or path.stat().st_size != entry.size:
                    out.append(rel)
                    continue
                if _sha256_file(path) != entry.sha256:
                    out.append(rel)
            except OSError:
                out.append(rel)
        return out

    def regenerate(self, rel: str, manifest: dict[str, ManifestEntry] | None = None) -> bool:
        """Write one generated file again from the seed; True if it matches the manifest."""
        entry = (manifest or self.manifest()).get(rel)
        if entry is None:
            return False
        made = _make_file(self.seed, entry.index, self.files, scratch=self.root)
        if made.rel != rel:
            return False
        target = self.check(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(target, made.content)
        return hashlib.sha256(made.content).hexdigest() == entry.sha256

    def data_files(self) -> list[Path]:
        """Regular files under the data folder (symlinks skipped), folder by folder, sorted
        as Windows lists them: what a ransomware's enumeration meets."""
        out: list[Path] = []
        for folder, dirs, names in os.walk(self.data, followlinks=False):
            dirs.sort()
            for name in sorted(names):
                path = Path(folder) / name
                if path.is_symlink() or not path.is_file():
                    continue
                out.append(path)
        return out

    def folders(self) -> list[Path]:
        """The data folder and every folder below it (symlinks skipped)."""
        out = [self.data]
        for folder, dirs, _names in os.walk(self.data, followlinks=False):
            dirs[:] = sorted(d for d in dirs if not (Path(folder) / d).is_symlink())
            out.extend(Path(folder) / d for d in dirs)
        return out


def _refusal(path: Path) -> str:
    return _(
        "Refused: {path} is outside the drill's sandbox (the simulator only touches the "
        "folder it created and marked)."
    ).format(path=path)


def default_parent() -> Path:
    """Where drills create their sandboxes unless told otherwise."""
    return config.data_dir() / "drills"


def _read_marker(root: Path) -> dict[str, object]:
    marker = root / MARKER_NAME
    try:
        if stat.S_ISLNK(marker.lstat().st_mode) or not marker.is_file():
            raise ValueError("not a regular file")
        raw = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SandboxError(
            _(
                "{path} is not a Rempart drill sandbox (no valid marker {marker}): "
                "give a new folder, or none to let the drill create one."
            ).format(path=root, marker=MARKER_NAME)
        ) from exc
    if (
        not isinstance(raw, dict)
        or raw.get("rempart_sandbox") != MARKER_VERSION
        or not isinstance(raw.get("id"), str)
        or not _ID.match(str(raw.get("id")))
        or not isinstance(raw.get("seed"), int)
        or not isinstance(raw.get("files"), int)
    ):
        raise SandboxError(
            _(
                "{path} is not a Rempart drill sandbox (no valid marker {marker}): "
                "give a new folder, or none to let the drill create one."
            ).format(path=root, marker=MARKER_NAME)
        )
    return raw


def _read_key(path: Path) -> bytes:
    try:
        if stat.S_ISLNK(path.lstat().st_mode):
            raise ValueError("symlink")
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError) as exc:
        raise SandboxError(
            _("The key of the sandbox is missing or unreadable: {path}.").format(path=path)
        ) from exc
    if len(key) != 32:
        raise SandboxError(
            _("The key of the sandbox is missing or unreadable: {path}.").format(path=path)
        )
    return key


def _forbidden(path: Path) -> bool:
    """Folders no sandbox can ever be, marker or not: a filesystem root, the home folder,
    the temporary folder, or any of their ancestors."""
    forbidden = {Path(path.anchor)}
    for special in (Path.home(), Path(tempfile.gettempdir())):
        try:
            resolved = special.resolve()
        except OSError:
            continue
        forbidden.add(resolved)
        forbidden.update(resolved.parents)
    return path in forbidden


def open_sandbox(path: Path | str) -> Sandbox:
    """The sandbox at ``path`` after checking its marker and key; else :class:`SandboxError`."""
    given = Path(path).expanduser()
    try:
        root = given.resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise SandboxError(
            _("{path} does not exist: no sandbox there.").format(path=given)
        ) from exc
    if _forbidden(root) or not root.is_dir():
        raise SandboxError(
            _(
                "{path} is not a Rempart drill sandbox (no valid marker {marker}): "
                "give a new folder, or none to let the drill create one."
            ).format(path=root, marker=MARKER_NAME)
        )
    marker = _read_marker(root)
    key = _read_key(root / KEY_NAME)
    if hashlib.sha256(key).hexdigest() != marker.get("key_sha256"):
        raise SandboxError(
            _("The key of the sandbox {path} does not match its marker.").format(path=root)
        )
    data = root / DATA_NAME
    if data.is_symlink():
        raise SandboxError(_refusal(data))
    return Sandbox(root, str(marker["id"]), int(str(marker["seed"])), int(str(marker["files"])))


def create_sandbox(
    path: Path | str | None = None,
    *,
    files: int = DEFAULT_FILES,
    seed: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Sandbox:
    """Create (or renew) a sandbox holding ``files`` synthetic practice files.

    ``path`` must not exist, or must be an existing sandbox (its files are then written
    anew); ``None`` creates one under the data dir's ``drills/`` folder.
    """
    if files < 1 or files > 100_000:
        raise SandboxError(_("The number of files must be between 1 and 100000."))
    seed = secrets.randbits(31) if seed is None else seed
    if path is None:
        parent = default_parent()
        parent.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        target = parent / f"sandbox-{stamp}-{secrets.token_hex(3)}"
    else:
        target = Path(path).expanduser().absolute()
    if target.exists() or target.is_symlink():
        existing = open_sandbox(target)
        _clear(existing)
        root = existing.root
        sandbox_id = existing.id
        key = existing.key()
    else:
        if _forbidden(target.resolve()):
            raise SandboxError(_refusal(target))
        try:
            target.mkdir(parents=True)
        except OSError as exc:
            raise SandboxError(
                _("Cannot create the sandbox {path}: {error}.").format(path=target, error=exc)
            ) from exc
        root = target.resolve(strict=True)
        sandbox_id = secrets.token_hex(16)
        key = secrets.token_bytes(32)
        key_path = root / KEY_NAME
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key.hex() + "\n")
    marker = {
        "rempart_sandbox": MARKER_VERSION,
        "id": sandbox_id,
        "key_sha256": hashlib.sha256(key).hexdigest(),
        "seed": seed,
        "files": files,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "note": "Rempart ransomware drill sandbox: synthetic data only.",
    }
    _write_atomic(root / MARKER_NAME, json.dumps(marker, indent=2).encode())
    sandbox = Sandbox(root, sandbox_id, seed, files)
    for sub in (DATA_NAME, JOURNAL_NAME, TRANSIT_NAME):
        (root / sub).mkdir(exist_ok=True)
    manifest: dict[str, dict[str, object]] = {}
    for made in generate(seed, files, scratch=root, progress=progress):
        target_file = sandbox.check(made.rel)
        target_file.parent.mkdir(parents=True, exist_ok=True)
        target_file.write_bytes(made.content)
        manifest[made.rel] = {
            "size": len(made.content),
            "sha256": hashlib.sha256(made.content).hexdigest(),
            "kind": made.kind,
            "i": made.index,
        }
    _write_atomic(sandbox.manifest_path, json.dumps(manifest, indent=0).encode())
    return sandbox


def _clear(sandbox: Sandbox) -> None:
    """Empty the data, journal and transit folders of a verified sandbox."""
    for sub in (sandbox.data, sandbox.journal_dir, sandbox.transit):
        if sub.is_symlink():
            raise SandboxError(_refusal(sub))
        if sub.exists():
            shutil.rmtree(sub)


def remove_sandbox(sandbox: Sandbox) -> None:
    """Delete a verified sandbox and everything in it."""
    checked = open_sandbox(sandbox.root)
    if checked.id != sandbox.id:
        raise SandboxError(_refusal(sandbox.root))
    shutil.rmtree(checked.root)


def _write_atomic(path: Path, content: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    tmp.write_bytes(content)
    os.replace(tmp, path)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --------------------------------------------------------------------------- generation


@dataclass(frozen=True)
class Made:
    rel: str
    content: bytes
    kind: str
    index: int


# One slot per file index, cycling: the mix of a practice's shared folder. Every 100th
# block of slots one is the practice software's database.
_SLOTS = (
    "jpg", "pdf", "txt", "jpg", "dcm", "docx", "pdf", "csv", "jpg", "txt",
    "xlsx", "pdf", "jpg", "dcm", "txt", "docx", "pdf", "jpg", "csv", "db",
)  # fmt: skip
FIRST = ("Camille", "Léa", "Manon", "Inès", "Jade", "Louise", "Hugo", "Louis", "Jules", "Théo")
LAST = ("DUPONT", "MARTIN", "BERNARD", "PETIT", "DURAND", "MOREAU", "SIMON", "ROUX", "LEROY")
ACTS = ("Consultation", "Détartrage", "Composite 1 face", "Radiographie", "Extraction")
WORDS = (
    "patient revu ce jour douleur molaire inférieure gauche traitement canalaire prévu "
    "contrôle dans trois mois hygiène correcte détartrage effectué radiographie panoramique "
    "demandée devis prothèse remis mutuelle consultée rendez-vous confirmé par téléphone"
).split()


def _kind(index: int) -> str:
    kind = _SLOTS[index % len(_SLOTS)]
    if kind == "db" and (index // len(_SLOTS)) % 5:
        return "txt"
    return kind


def _person(rng: random.Random, patients: int) -> tuple[int, str, str]:
    number = rng.randrange(1, patients + 1)
    prng = random.Random(number * 7919)
    return number, prng.choice(LAST), prng.choice(FIRST)


@functools.lru_cache(maxsize=4)
def _xray(variant: int) -> tuple[int, int, list[int], bytes]:
    """A noisy synthetic x-ray (two tooth shapes), its pixels and its JPEG; cached because
    the pure-Python encoder takes a few tenths of a second per image."""
    rng = random.Random(4242 + variant)
    width, height = 160, 120
    centres = [(width * (0.25 + 0.25 * k) + rng.uniform(-6, 6), height * 0.55) for k in range(3)]
    pixels = []
    for y in range(height):
        for x in range(width):
            value = 28.0 + 10 * math.sin(x / 7.0 + variant) * math.cos(y / 9.0)
            for cx, cy in centres:
                d = math.hypot((x - cx) / (width * 0.1), (y - cy) / (height * 0.38))
                if d < 1.0:
                    value += 160 * (1 - d * d) + (45 if d < 0.4 else 0)
            pixels.append(max(0, min(255, int(value + rng.gauss(0, 9)))))
    return width, height, pixels, encode_grey(width, height, pixels, quality=90)


def xray_jpeg(index: int, label: str) -> bytes:
    """A valid JPEG x-ray (one of four synthetic images) with ``label`` in a comment
    segment: what imaging software saves, made fast enough for hundreds of files."""
    base = _xray(index % 4)[3]
    comment = label.encode("utf-8")[:60000]
    com = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    app0_end = 2 + 2 + int.from_bytes(base[4:6], "big")
    return base[:app0_end] + com + base[app0_end:]


def _jpeg(rng: random.Random, patient: tuple[int, str, str], index: int) -> bytes:
    return xray_jpeg(
        index,
        f"Rempart synthetic x-ray SYN{patient[0]:05d} {patient[1]} {patient[2]} #{index} "
        f"kV=60 mA=7 t={rng.randint(80, 250)}ms",
    )


def _dicom(rng: random.Random, patient: tuple[int, str, str], index: int, seed: int) -> bytes:
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

    width, height, pixels, _jpg = _xray(index % 4)
    sop_class = UID("1.2.840.10008.5.1.4.1.1.1.3")  # intra-oral x-ray, for presentation
    sop_instance = generate_uid(entropy_srcs=["rempart-drill", str(seed), str(index)])
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_instance
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_instance
    ds.StudyInstanceUID = generate_uid(entropy_srcs=["rempart-drill-study", str(patient[0])])
    ds.SeriesInstanceUID = generate_uid(entropy_srcs=["rempart-drill-series", str(index)])
    ds.PatientName = f"{patient[1]}^{patient[2]} (synthétique)"
    ds.PatientID = f"SYN{patient[0]:05d}"
    ds.PatientSex = "O"
    ds.StudyDate = ds.ContentDate = f"2026{rng.randint(1, 11):02d}{rng.randint(1, 28):02d}"
    ds.Modality = "IO"
    ds.InstitutionName = "Cabinet dentaire (exercice Rempart, synthétique)"
    ds.InstanceNumber = index
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = height, width
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = bytes(pixels)
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def _sentences(rng: random.Random, count: int) -> list[str]:
    return [
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 18))).capitalize() + "."
        for _ in range(count)
    ]


def _database(rng: random.Random, scratch: Path, index: int) -> bytes:
    """The practice software's SQLite database (patients, appointments, acts)."""
    path = scratch / f".drill-db-{index}-{secrets.token_hex(4)}.tmp"
    try:
        with sqlite3.connect(path) as db:
            db.executescript(
                "CREATE TABLE patients (id INTEGER PRIMARY KEY, nom TEXT, prenom TEXT,"
                " naissance TEXT, synthetique INTEGER DEFAULT 1);"
                "CREATE TABLE actes (id INTEGER PRIMARY KEY, patient_id INTEGER, date TEXT,"
                " acte TEXT, montant REAL, note TEXT);"
            )
            db.executemany(
                "INSERT INTO patients (id, nom, prenom, naissance) VALUES (?, ?, ?, ?)",
                [
                    (n, rng.choice(LAST), rng.choice(FIRST), f"19{rng.randint(40, 99)}-01-01")
                    for n in range(1, 301)
                ],
            )
            db.executemany(
                "INSERT INTO actes (patient_id, date, acte, montant, note) VALUES (?,?,?,?,?)",
                [
                    (
                        rng.randint(1, 300),
                        f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}",
                        rng.choice(ACTS),
                        round(rng.uniform(20, 500), 2),
                        " ".join(_sentences(rng, 1)),
                    )
                    for _ in range(1200)
                ],
            )
        db.close()
        return path.read_bytes()
    finally:
        path.unlink(missing_ok=True)


def _make_file(seed: int, index: int, total: int, *, scratch: Path) -> Made:
    """File number ``index`` of a sandbox of ``total`` files: always the same bytes."""
    rng = random.Random(f"{seed}:{index}")
    kind = _kind(index)
    patients = max(4, total // 12)
    patient = _person(rng, patients)
    who = f"SYN{patient[0]:05d} {patient[1]} {patient[2]}"
    month = 1 + index % 11
    if kind == "jpg":
        rel = f"Radiographies/{who}/RX-2026-{month:02d}-{index:05d}.jpg"
        content = _jpeg(rng, patient, index)
    elif kind == "dcm":
        rel = f"Radiographies/{who}/IO-2026-{month:02d}-{index:05d}.dcm"
        content = _dicom(rng, patient, index, seed)
    elif kind == "pdf":
        lines = [
            "Cabinet dentaire - exercice Rempart (données synthétiques)",
            f"Facture n° 2026-{index:05d}",
            f"Patient : {patient[2]} {patient[1]} (fictif)",
            "",
        ]
        total_eur = 0.0
        for _ in range(rng.randint(1, 4)):
            amount = round(rng.uniform(20, 500), 2)
            total_eur += amount
            lines.append(f"{rng.choice(ACTS):<40} {amount:>10.2f} EUR")
        lines += ["", f"{'Total':<40} {total_eur:>10.2f} EUR"]
        rel = f"Factures/2026-{month:02d}/facture-2026-{index:05d}.pdf"
        content = simple_pdf(lines, f"Facture 2026-{index:05d}")
    elif kind == "docx":
        rel = f"Courriers/courrier-{index:05d}.docx"
        content = docx(
            [f"Objet : suivi de {patient[2]} {patient[1]} (fictif)", *_sentences(rng, 12)]
        )
    elif kind == "xlsx":
        rows: list[list[str | float | int]] = [["Date", "Patient", "Acte", "Montant (EUR)"]]
        rows += [
            [f"2026-{month:02d}-{d:02d}", f"SYN{rng.randint(1, patients):05d}", rng.choice(ACTS),
             round(rng.uniform(20, 500), 2)]
            for d in range(1, rng.randint(20, 60))
        ]  # fmt: skip
        rel = f"Comptabilite/recettes-{index:05d}.xlsx"
        content = xlsx(rows, "Recettes")
    elif kind == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        writer.writerow(["date", "heure", "patient", "acte"])
        for _ in range(rng.randint(60, 250)):
            writer.writerow(
                [
                    f"2026-{month:02d}-{rng.randint(1, 28):02d}",
                    f"{rng.randint(8, 18):02d}:{rng.choice((0, 30)):02d}",
                    f"SYN{rng.randint(1, patients):05d}",
                    rng.choice(ACTS),
                ]
            )
        rel = f"Agenda/agenda-{index:05d}.csv"
        content = buffer.getvalue().encode("utf-8-sig")
    elif kind == "db":
        rel = f"Logiciel/cabinet-{index:05d}.db"
        content = _database(rng, scratch, index)
    else:
        rel = f"Notes/{who}/note-{index:05d}.txt"
        text = "\n".join(_sentences(rng, rng.randint(10, 60)))
        content = f"Note clinique (synthétique) - {who}\n\n{text}\n".encode()
    return Made(rel, content, kind, index)


def generate(
    seed: int,
    count: int,
    *,
    scratch: Path,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[Made]:
    """The ``count`` synthetic files of a sandbox, one by one."""
    for index in range(count):
        yield _make_file(seed, index, count, scratch=scratch)
        if progress is not None:
            progress(index + 1, count)

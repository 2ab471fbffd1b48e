"""Synthetic practice data: what a dental practice's shared folder holds, with made-up
people only, for the sentinel and the vault to protect and the demo to show.

Everything is generated from a fixed seed, so two runs write the same bytes (except the
SQLite file's internal layout, which SQLite decides). Total size stays around a few
hundred KiB; generation takes well under two seconds.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import random
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from rempart.lab.documents import docx, simple_pdf, xlsx
from rempart.lab.jpeg import encode_grey

PRACTICE = "Cabinet Dentaire des Vignes (démo)"
MARKER = ".rempart-synthetic.json"
README = "LISEZ-MOI - DONNEES SYNTHETIQUES.txt"
SEED = 20261128
VERSION = 1

FIRST_NAMES = (
    "Camille", "Léa", "Manon", "Chloé", "Inès", "Jade", "Louise", "Emma", "Zoé", "Alice",
    "Lucas", "Hugo", "Louis", "Gabriel", "Arthur", "Jules", "Nathan", "Raphaël", "Théo", "Paul",
)  # fmt: skip
LAST_NAMES = (
    "DUPONT", "MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DURAND", "DUBOIS",
    "MOREAU", "LAURENT", "SIMON", "MICHEL", "LEFEBVRE", "LEROY", "ROUX", "DAVID", "BERTRAND",
)  # fmt: skip
ACTS = (
    ("Consultation", 23.0),
    ("Détartrage", 28.92),
    ("Composite 1 face", 26.97),
    ("Radiographie rétro-alvéolaire", 20.0),
    ("Extraction", 33.44),
    ("Couronne céramique", 500.0),
)
PRACTITIONERS = ("Dr Vigneron", "Dr Lambert")
PATIENTS = 40
APPOINTMENTS = 96
INVOICES = 12
XRAYS = 4


@dataclass(frozen=True)
class Patient:
    id: int
    last: str
    first: str
    birth: dt.date
    phone: str

    @property
    def dicom_name(self) -> str:
        return f"{self.last}^{self.first} (synthétique)"


def _patients(rng: random.Random) -> list[Patient]:
    out = []
    for i in range(1, PATIENTS + 1):
        birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 80 * 365))
        phone = "06 00 " + " ".join(
            f"{rng.randrange(100):02d}" for _ in range(3)
        )  # 06 00: unassigned
        out.append(Patient(i, rng.choice(LAST_NAMES), rng.choice(FIRST_NAMES), birth, phone))
    return out


def _appointments(
    rng: random.Random, patients: list[Patient]
) -> list[tuple[int, Patient, dt.datetime, int, str, str]]:
    out = []
    day = dt.date(2026, 11, 2)
    for i in range(1, APPOINTMENTS + 1):
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        start = dt.datetime.combine(
            day, dt.time(8 + (i % 8) + (1 if i % 8 >= 4 else 0), rng.choice((0, 30)))
        )
        act = rng.choice(ACTS)[0]
        out.append(
            (
                i,
                rng.choice(patients),
                start,
                rng.choice((30, 30, 45, 60)),
                rng.choice(PRACTITIONERS),
                act,
            )
        )
        if i % 8 == 0:
            day += dt.timedelta(days=1)
    return out


def _agenda_csv(appointments: list[tuple[int, Patient, dt.datetime, int, str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(["date", "heure", "duree_min", "patient", "praticien", "acte"])
    for _, p, start, minutes, doctor, act in appointments:
        writer.writerow(
            [
                start.date().isoformat(),
                start.strftime("%H:%M"),
                minutes,
                f"{p.last} {p.first}",
                doctor,
                act,
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")  # Excel opens UTF-8 CSV with a BOM


def _ics_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")


def _agenda_ics(appointments: list[tuple[int, Patient, dt.datetime, int, str, str]]) -> bytes:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Rempart//Lab synthetic agenda//FR",
        "CALSCALE:GREGORIAN",
    ]
    for number, p, start, minutes, doctor, act in appointments:
        end = start + dt.timedelta(minutes=minutes)
        lines += [
            "BEGIN:VEVENT",
            f"UID:rdv-{number:04d}@cabinet-des-vignes.lab",
            "DTSTAMP:20261101T080000Z",
            f"DTSTART;TZID=Europe/Paris:{start:%Y%m%dT%H%M%S}",
            f"DTEND;TZID=Europe/Paris:{end:%Y%m%dT%H%M%S}",
            f"SUMMARY:{_ics_text(f'{act} - {p.last} {p.first}')}",
            f"DESCRIPTION:{_ics_text(f'{doctor} (données synthétiques)')}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _xray_pixels(rng: random.Random, width: int, height: int) -> list[int]:
    """A dark field with two bright tooth-like shapes and noise: plausible, clearly fake."""
    centres = [(width * (0.3 + 0.4 * k) + rng.uniform(-4, 4), height * 0.55) for k in range(2)]
    pixels = []
    for y in range(height):
        for x in range(width):
            value = 30.0
            for cx, cy in centres:
                d = math.hypot((x - cx) / (width * 0.14), (y - cy) / (height * 0.38))
                if d < 1.0:
                    value += 170 * (1 - d * d) + (40 if d < 0.45 else 0)
            pixels.append(max(0, min(255, int(value + rng.uniform(-6, 6)))))
    return pixels


def _dicom(
    path: Path, patient: Patient, number: int, width: int, height: int, pixels: list[int]
) -> None:
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

    # Digital Intra-Oral X-Ray Image Storage - For Presentation
    sop_class = UID("1.2.840.10008.5.1.4.1.1.1.3")
    sop_instance = generate_uid(entropy_srcs=["rempart-lab", str(SEED), str(number)])
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_instance
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_instance
    ds.StudyInstanceUID = generate_uid(entropy_srcs=["rempart-lab-study", str(patient.id)])
    ds.SeriesInstanceUID = generate_uid(entropy_srcs=["rempart-lab-series", str(number)])
    ds.PatientName = patient.dicom_name
    ds.PatientID = f"SYN{patient.id:05d}"
    ds.PatientBirthDate = patient.birth.strftime("%Y%m%d")
    ds.PatientSex = "O"
    ds.StudyDate = ds.ContentDate = "20261105"
    ds.StudyTime = ds.ContentTime = f"{9 + number:02d}1500"
    ds.Modality = "IO"
    ds.InstitutionName = PRACTICE
    ds.StudyDescription = "Radiographie rétro-alvéolaire (synthétique)"
    ds.SeriesNumber = 1
    ds.InstanceNumber = number
    ds.PresentationIntentType = "FOR PRESENTATION"
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = height, width
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = bytes(pixels)
    ds.save_as(path, enforce_file_format=True)


def _invoice(number: str, patient: Patient, date: dt.date, lines: list[tuple[str, float]]) -> bytes:
    total = sum(amount for _, amount in lines)
    text = [
        PRACTICE,
        "12 rue des Vignes, 00000 Exempleville - données synthétiques",
        "",
        f"Facture n° {number} du {date:%d/%m/%Y}",
        f"Patient : {patient.first} {patient.last} (fictif)",
        "",
    ]
    text += [f"{label:<40} {amount:>10.2f} EUR" for label, amount in lines]
    text += ["", f"{'Total':<40} {total:>10.2f} EUR"]
    return simple_pdf(text, f"Facture {number}")


def _database(path: Path, patients: list[Patient], appointments, invoices) -> None:  # type: ignore[no-untyped-def]
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as db:
        db.executescript(
            """
            CREATE TABLE patients (id INTEGER PRIMARY KEY, nom TEXT NOT NULL,
                prenom TEXT NOT NULL, date_naissance TEXT NOT NULL, telephone TEXT,
                synthetique INTEGER NOT NULL DEFAULT 1);
            CREATE TABLE rendez_vous (id INTEGER PRIMARY KEY,
                patient_id INTEGER NOT NULL REFERENCES patients(id), debut TEXT NOT NULL,
                duree_min INTEGER NOT NULL, praticien TEXT NOT NULL, acte TEXT NOT NULL);
            CREATE TABLE factures (id INTEGER PRIMARY KEY, numero TEXT UNIQUE NOT NULL,
                patient_id INTEGER NOT NULL REFERENCES patients(id), date TEXT NOT NULL,
                montant_eur REAL NOT NULL, fichier TEXT NOT NULL);
            """
        )
        db.executemany(
            "INSERT INTO patients (id, nom, prenom, date_naissance, telephone) "
            "VALUES (?, ?, ?, ?, ?)",
            [(p.id, p.last, p.first, p.birth.isoformat(), p.phone) for p in patients],
        )
        db.executemany(
            "INSERT INTO rendez_vous VALUES (?, ?, ?, ?, ?, ?)",
            [
                (n, p.id, s.isoformat(timespec="minutes"), m, d, a)
                for n, p, s, m, d, a in appointments
            ],
        )
        db.executemany("INSERT INTO factures VALUES (?, ?, ?, ?, ?, ?)", invoices)
    db.close()


def _marker_ok(root: Path) -> bool:
    try:
        marker = json.loads((root / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(marker, dict)
        and marker.get("version") == VERSION
        and marker.get("synthetic") is True
    )


def write_practice_data(dest: Path, *, force: bool = False) -> Path:
    """Write the synthetic practice folder under ``dest``; return its path.

    An existing, complete folder of the same version is kept as is (unless ``force``):
    ``lab up`` may run often and the other pillars may be watching the files.
    """
    root = dest / PRACTICE
    if not force and _marker_ok(root):
        return root
    rng = random.Random(SEED)
    patients = _patients(rng)
    appointments = _appointments(rng, patients)
    for sub in ("Agenda", "Factures", "Radiographies", "Logiciel", "Documents"):
        (root / sub).mkdir(parents=True, exist_ok=True)

    (root / "Agenda" / "agenda-2026-11.csv").write_bytes(_agenda_csv(appointments))
    (root / "Agenda" / "agenda-2026-11.ics").write_bytes(_agenda_ics(appointments))

    invoices = []
    for n in range(1, INVOICES + 1):
        patient = rng.choice(patients)
        date = dt.date(2026, 11, 2) + dt.timedelta(days=n)
        lines = [(label, price) for label, price in rng.sample(ACTS, rng.randint(1, 3))]
        number = f"2026-{n:04d}"
        name = f"facture-{number}.pdf"
        (root / "Factures" / name).write_bytes(_invoice(number, patient, date, lines))
        invoices.append(
            (
                n,
                number,
                patient.id,
                date.isoformat(),
                round(sum(a for _, a in lines), 2),
                f"Factures/{name}",
            )
        )

    for n in range(1, XRAYS + 1):
        patient = patients[(n * 7) % len(patients)]
        width, height = 96, 64
        pixels = _xray_pixels(rng, width, height)
        stem = f"RX-{patient.last}-{patient.first}-{n:02d}"
        _dicom(root / "Radiographies" / f"{stem}.dcm", patient, n, width, height, pixels)
        (root / "Radiographies" / f"{stem}.jpg").write_bytes(encode_grey(width, height, pixels))

    _database(root / "Logiciel" / "cabinet.db", patients, appointments, invoices)

    (root / "Documents" / "consentement-eclaire-modele.docx").write_bytes(
        docx(
            [
                f"{PRACTICE} - Consentement éclairé (modèle)",
                "Je soussigné(e) ______ reconnais avoir été informé(e) du plan de traitement.",
                "Document de démonstration : aucune donnée réelle.",
            ]
        )
    )
    rows: list[list[str | float | int]] = [["Numéro", "Date", "Patient (fictif)", "Montant (EUR)"]]
    rows += [[num, date, f"ID {pid}", amount] for _, num, pid, date, amount, _ in invoices]
    (root / "Documents" / "recettes-2026-11.xlsx").write_bytes(xlsx(rows, "Recettes"))

    (root / README).write_text(
        "Données SYNTHÉTIQUES générées par Rempart (rempart lab) pour la démonstration.\n"
        "Aucun patient réel : noms, dates, montants et images sont inventés.\n"
        "Synthetic data generated by Rempart's lab: no real patient.\n",
        encoding="utf-8",
    )
    (root / MARKER).write_text(
        json.dumps(
            {"synthetic": True, "generator": "rempart.lab.data", "version": VERSION, "seed": SEED}
        ),
        encoding="utf-8",
    )
    return root

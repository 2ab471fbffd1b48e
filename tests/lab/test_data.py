"""The synthetic practice data is valid for each file's format, reproducible and marked."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
import subprocess
import time
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rempart.cli.main import app
from rempart.lab.data import MARKER, PRACTICE, write_practice_data
from rempart.lab.jpeg import AC_BITS, AC_VALUES, encode_grey
from tests.support import require_binary


@pytest.fixture(scope="module")
def practice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    started = time.perf_counter()
    root = write_practice_data(tmp_path_factory.mktemp("data"))
    elapsed = time.perf_counter() - started
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    print(f"\n[figure] synthetic data: {size / 1024:.0f} KiB written in {elapsed:.2f} s")
    return root


def test_folder_has_every_kind_of_practice_file_and_a_synthetic_marker(practice: Path) -> None:
    assert practice.name == PRACTICE
    assert json.loads((practice / MARKER).read_text(encoding="utf-8"))["synthetic"] is True
    for pattern in (
        "Agenda/agenda-2026-11.csv",
        "Agenda/agenda-2026-11.ics",
        "Factures/facture-2026-0001.pdf",
        "Radiographies/*.dcm",
        "Radiographies/*.jpg",
        "Logiciel/cabinet.db",
        "Documents/*.docx",
        "Documents/*.xlsx",
    ):
        assert list(practice.glob(pattern)), pattern
    total = sum(p.stat().st_size for p in practice.rglob("*") if p.is_file())
    assert total < 5 * 1024 * 1024


def test_invoices_are_pdfs_whose_xref_points_at_their_objects(practice: Path) -> None:
    for pdf in practice.glob("Factures/*.pdf"):
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF-1.4") and data.rstrip().endswith(b"%%EOF")
        startxref = int(re.search(rb"startxref\s+(\d+)", data).group(1))  # type: ignore[union-attr]
        assert data[startxref:].startswith(b"xref")
        table = data[startxref:].split(b"trailer")[0].split(b"\n")[3:]
        offsets = [int(line[:10]) for line in table if line.endswith(b" n ")]
        assert len(offsets) == 6
        for number, offset in enumerate(offsets, start=1):
            assert data[offset:].startswith(f"{number} 0 obj".encode())


def test_xrays_are_dicom_files_pydicom_reads_with_synthetic_patients(practice: Path) -> None:
    import pydicom

    files = sorted(practice.glob("Radiographies/*.dcm"))
    assert files
    for path in files:
        raw = path.read_bytes()
        assert raw[128:132] == b"DICM"
        ds = pydicom.dcmread(path)
        assert "synthétique" in str(ds.PatientName)
        assert ds.Modality == "IO"
        assert len(ds.PixelData) == ds.Rows * ds.Columns


def test_jpeg_huffman_tables_are_the_annex_k_ones() -> None:
    every_ac_symbol = {0x00, 0xF0} | {
        (run << 4) | size for run in range(16) for size in range(1, 11)
    }
    assert sum(AC_BITS) == len(AC_VALUES) == 162
    assert set(AC_VALUES) == every_ac_symbol


def test_xray_jpegs_decode_with_libjpeg_to_the_source_image(practice: Path, tmp_path: Path) -> None:
    djpeg = require_binary("djpeg")
    width, height = 40, 24
    pixels = [(x * 6 + y * 3) % 256 for y in range(height) for x in range(width)]
    sample = tmp_path / "sample.jpg"
    sample.write_bytes(encode_grey(width, height, pixels, quality=90))
    for path in [sample, *practice.glob("Radiographies/*.jpg")]:
        result = subprocess.run([djpeg, "-pnm", str(path)], capture_output=True, timeout=10)
        assert result.returncode == 0 and not result.stderr, (
            result.stderr
        )  # no corrupt-data warning
        assert result.stdout.startswith(b"P5\n")
    decoded = subprocess.run([djpeg, "-pnm", str(sample)], capture_output=True, timeout=10).stdout
    grey = decoded[-width * height :]
    error = sum(abs(a - b) for a, b in zip(grey, pixels, strict=True)) / len(pixels)
    assert error < 8


def test_practice_database_opens_with_patients_appointments_and_invoices(practice: Path) -> None:
    with sqlite3.connect(practice / "Logiciel" / "cabinet.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        patients = db.execute("SELECT count(*) FROM patients WHERE synthetique = 1").fetchone()[0]
        appointments = db.execute("SELECT count(*) FROM rendez_vous").fetchone()[0]
        invoices = db.execute("SELECT numero, fichier FROM factures ORDER BY numero").fetchall()
    db.close()
    assert patients >= 20 and appointments >= 50
    assert invoices[0] == ("2026-0001", "Factures/facture-2026-0001.pdf")
    assert all((practice / fichier).exists() for _, fichier in invoices)


def test_office_documents_are_valid_zip_containers(practice: Path) -> None:
    import xml.etree.ElementTree as ET

    expected = {".docx": "word/document.xml", ".xlsx": "xl/worksheets/sheet1.xml"}
    for path in practice.glob("Documents/*"):
        with zipfile.ZipFile(path) as archive:
            assert archive.testzip() is None
            names = set(archive.namelist())
            assert {"[Content_Types].xml", "_rels/.rels", expected[path.suffix]} <= names
            for name in names:
                ET.fromstring(archive.read(name))  # every part is well-formed XML


def test_agenda_exports_parse(practice: Path) -> None:
    text = (practice / "Agenda" / "agenda-2026-11.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(text.splitlines(), delimiter=";"))
    assert rows and rows[0]["date"].startswith("2026-11-")
    ics = (practice / "Agenda" / "agenda-2026-11.ics").read_bytes()
    assert ics.startswith(b"BEGIN:VCALENDAR\r\n") and ics.endswith(b"END:VCALENDAR\r\n")
    assert ics.count(b"BEGIN:VEVENT") == len(rows)


def test_generation_is_reproducible(practice: Path, tmp_path: Path) -> None:
    again = write_practice_data(tmp_path)
    for relative in (
        "Factures/facture-2026-0003.pdf",
        "Agenda/agenda-2026-11.ics",
        "Documents/recettes-2026-11.xlsx",
    ):
        assert (again / relative).read_bytes() == (practice / relative).read_bytes()
    for jpg in practice.glob("Radiographies/*.jpg"):
        assert (again / "Radiographies" / jpg.name).read_bytes() == jpg.read_bytes()


def test_lab_data_command_writes_the_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--lang", "en", "lab", "data", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "synthetic files written" in result.output
    assert (tmp_path / PRACTICE / "Logiciel" / "cabinet.db").exists()

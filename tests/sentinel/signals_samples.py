"""Real files of the practice's types, made in the test (no imaging dependency), and the ways
ransomware families encrypt them (real AES-CTR from ``cryptography``)."""

from __future__ import annotations

import base64
import gzip
import io
import os
import random
import sqlite3
import struct
import zlib
from functools import cache
from pathlib import Path

import numpy as np
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from rempart.lab import documents, jpeg

KEY = bytes(range(32))
NONCE = bytes(16)


def aes_ctr(data: bytes) -> bytes:
    enc = Cipher(algorithms.AES(KEY), modes.CTR(NONCE)).encryptor()
    return enc.update(data) + enc.finalize()


# -- families ------------------------------------------------------------------------------------


def full(data: bytes) -> bytes:
    return aes_ctr(data)


def every(data: bytes, n: int, period: int) -> bytes:
    """Encrypt the first ``n`` bytes of every ``period`` (LockFile 16/32, BlackBasta 64/192)."""
    stream = np.frombuffer(aes_ctr(bytes(len(data))), dtype=np.uint8)
    mask = (np.arange(len(data)) % period) < n
    out = np.frombuffer(data, dtype=np.uint8).copy()
    out[mask] ^= stream[mask]
    return out.tobytes()


def lockfile(data: bytes) -> bytes:
    return every(data, 16, 32)


def blackbasta(data: bytes) -> bytes:
    return every(data, 64, 192)


def lockbit2(data: bytes) -> bytes:
    return aes_ctr(data[:4096]) + data[4096:]


def intermittent(data: bytes) -> bytes:
    """10% of every 64 KiB block."""
    return every(data, 6554, 65536)


def base64_family(data: bytes) -> bytes:
    return base64.b64encode(aes_ctr(data))


FAMILIES = {
    "full": full,
    "lockfile-16-of-32": lockfile,
    "blackbasta-64-of-192": blackbasta,
    "lockbit2-first-4k": lockbit2,
    "10pct-per-64k": intermittent,
    "base64": base64_family,
}


# -- files ---------------------------------------------------------------------------------------


@cache
def small_jpeg() -> bytes:
    """A genuine 128×128 greyscale x-ray-like JPEG (the lab's baseline encoder)."""
    r = random.Random(7)
    pixels = [
        min(255, max(0, int(110 + 70 * ((x * y) % 9 - 4) / 4 + r.gauss(0, 30))))
        for y in range(128)
        for x in range(128)
    ]
    return jpeg.encode_grey(128, 128, pixels, 92)


def big_jpeg(size: int, seed: int = 1) -> bytes:
    """A structurally valid JPEG of about ``size`` bytes: the small one's headers, then an
    entropy-coded scan of that length (byte-stuffed as T.81 requires), then EOI."""
    head = small_jpeg()
    sos = head.index(b"\xff\xda")
    (length,) = struct.unpack(">H", head[sos + 2 : sos + 4])
    headers = head[: sos + 2 + length]
    rnd = random.Random(seed)
    scan = bytearray()
    while len(scan) < size:
        chunk = rnd.randbytes(4096)
        scan += chunk.replace(b"\xff", b"\xff\x00")
    return headers + bytes(scan) + b"\xff\xd9"


def png(width: int = 96, height: int = 64) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    r = random.Random(3)
    rows = b"".join(b"\x00" + bytes(r.randrange(256) for _ in range(width)) for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"tEXt", b"Comment\x00synthetic")
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def docx(paragraphs: int = 200) -> bytes:
    return documents.docx(
        [
            f"Compte rendu de soins, patient fictif {i}, dent {11 + i % 38}."
            for i in range(paragraphs)
        ]
    )


def xlsx(rows: int = 300) -> bytes:
    return documents.xlsx([[f"Patient {i}", i * 17 % 400, "FSE"] for i in range(rows)])


def pdf(lines: int = 120) -> bytes:
    return documents.simple_pdf(
        [f"Facture {i:05d} - acte HBJD001 - {i * 23 % 300} EUR" for i in range(lines)], "Facture"
    )


def csv_text(rows: int = 2000) -> bytes:
    lines = ["nom;prenom;date;acte;montant"]
    for i in range(rows):
        lines.append(f"Patient{i};Prénom{i % 37};2026-0{1 + i % 9}-1{i % 9};HBQK002;{i % 97},50")
    return ("\n".join(lines) + "\n").encode("utf-8")


def sqlite_db(path: Path, rows: int = 3000) -> bytes:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE rdv (id INTEGER PRIMARY KEY, patient TEXT, quand TEXT, acte TEXT)")
    conn.executemany(
        "INSERT INTO rdv (patient, quand, acte) VALUES (?, ?, ?)",
        [
            (f"Patient {i}", f"2026-11-{1 + i % 28:02d} 09:{i % 60:02d}", "détartrage")
            for i in range(rows)
        ],
    )
    conn.commit()
    conn.close()
    return path.read_bytes()


def dicom_raw(pixels: int = 128) -> bytes:
    """The same image as a bare dataset (implicit VR, no preamble), as older software writes."""
    from pydicom import dcmread
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import ImplicitVRLittleEndian

    ds = dcmread(io.BytesIO(dicom(pixels)))
    ds.preamble = None
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    buffer = io.BytesIO()
    ds.save_as(buffer, implicit_vr=True, little_endian=True, enforce_file_format=False)
    raw = buffer.getvalue()
    if raw[128:132] == b"DICM":  # pragma: no cover - depends on pydicom's defaults
        raise AssertionError("pydicom wrote a preamble")
    return raw


def dicom(pixels: int = 256) -> bytes:
    """A DICOM Part 10 file written by pydicom (explicit VR little endian), 16-bit pixels."""
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset("radio.dcm", {}, file_meta=meta, preamble=b"\x00" * 128)
    ds.PatientName = "Fictif^Patient"
    ds.PatientID = "SYN-0001"
    ds.Modality = "IO"
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Rows = ds.Columns = pixels
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    rng = np.random.default_rng(5)
    y, x = np.mgrid[0:pixels, 0:pixels]
    values = 1800 + 900 * (((x // 16 + y // 16) % 3) - 1) + rng.normal(0, 60, (pixels, pixels))
    ds.PixelData = np.clip(values, 0, 4095).astype("<u2").tobytes()
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def gzip_log(lines: int = 4000) -> bytes:
    text = "".join(f"2026-11-28 10:{i % 60:02d} INFO rdv {i} confirmé\n" for i in range(lines))
    return gzip.compress(text.encode(), mtime=0)


def seven_zip_encrypted(size: int = 40000) -> bytes:
    """A 7z archive's layout with an AES-encrypted body (as 7-Zip writes with a password):
    a valid signature header (CRC of the start header) followed by ciphertext."""
    body = os.urandom(size)
    next_offset, next_size = size - 64, 64
    start = struct.pack("<QQI", next_offset, next_size, zlib.crc32(body[-64:]))
    return b"7z\xbc\xaf\x27\x1c\x00\x04" + struct.pack("<I", zlib.crc32(start)) + start + body


def zip_of(files: dict[str, bytes]) -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()

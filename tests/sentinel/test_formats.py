"""Format checkers on real files: valid as written, invalid where encryption or damage broke the
structure, and the end record told apart from the head (a file being written is truncated)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from rempart.sentinel import formats, magic
from tests.sentinel import signals_samples as S


def reader(data: bytes) -> formats.Reader:
    def read_at(offset: int, length: int) -> bytes:
        return data[offset : offset + length]

    return formats.Reader(len(data), data[:8192], data[-4096:], read_at)


def flip(data: bytes, at: int, count: int = 1) -> bytes:
    out = bytearray(data)
    for i in range(at, at + count):
        out[i] ^= 0x5A
    return bytes(out)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    work = tmp_path_factory.mktemp("formats")
    return {
        "jpeg": S.small_jpeg(),
        "png": S.png(),
        "zip": S.docx(),
        "pdf": S.pdf(),
        "dicom": S.dicom(64),
        "sqlite": S.sqlite_db(work / "db.sqlite", 200),
        "gzip": S.gzip_log(),
        "7z": S.seven_zip_encrypted(5000),
    }


@pytest.mark.parametrize("kind", ["jpeg", "png", "zip", "pdf", "dicom", "sqlite", "gzip", "7z"])
def test_real_files_are_recognised_and_valid(files: dict[str, bytes], kind: str) -> None:
    data = files[kind]
    assert magic.sniff(data[:8192]) == kind
    assert formats.check_head(kind, reader(data)) is True
    assert formats.check_tail(kind, reader(data)) in (True, None)


@pytest.mark.parametrize(
    ("kind", "offset"),
    [
        ("jpeg", 0),  # SOI
        ("jpeg", 5),  # the first segment's length: the next marker is not where it says
        ("png", 20),  # inside IHDR: its CRC no longer matches
        ("zip", 8),  # compression method of the first local header
        ("pdf", 1),
        ("dicom", 129),  # DICM
        ("dicom", 136),  # the VR of the first meta element
        ("sqlite", 16),  # page size
        ("gzip", 12),  # the deflate stream
        ("7z", 14),  # the start header, under its CRC
    ],
)
def test_a_damaged_head_is_invalid(files: dict[str, bytes], kind: str, offset: int) -> None:
    assert formats.check_head(kind, reader(flip(files[kind], offset, 2))) is False


def test_dicom_meta_chain_broken_by_64_of_192_while_dicm_survives(
    files: dict[str, bytes],
) -> None:
    data = S.blackbasta(files["dicom"])
    assert data[128:132] == b"DICM"  # bytes 64..191 are left plain
    assert formats.check_head("dicom", reader(data)) is False


@pytest.mark.parametrize("kind", ["jpeg", "png", "zip", "pdf"])
def test_a_truncated_file_has_a_valid_head_and_a_missing_end(
    files: dict[str, bytes], kind: str
) -> None:
    data = files[kind][: len(files[kind]) * 2 // 3]
    assert formats.check_head(kind, reader(data)) is True
    assert formats.check_tail(kind, reader(data)) is False


def test_zip_end_record_must_point_at_the_central_directory(files: dict[str, bytes]) -> None:
    data = bytearray(files["zip"])
    eocd = data.rfind(b"PK\x05\x06")
    (cd_offset,) = struct.unpack("<I", data[eocd + 16 : eocd + 20])
    data[eocd + 16 : eocd + 20] = struct.pack("<I", cd_offset + 7)
    assert formats.check_tail("zip", reader(bytes(data))) is False


def test_pdf_startxref_must_point_at_the_xref(files: dict[str, bytes]) -> None:
    data = files["pdf"]
    at = data.rfind(b"startxref\n") + len(b"startxref\n")
    end = data.index(b"\n", at)
    wrong = data[:at] + str(int(data[at:end]) + 3).encode() + data[end:]
    assert formats.check_tail("pdf", reader(wrong)) is False


def test_sqlite_size_must_be_a_multiple_of_its_page_size(files: dict[str, bytes]) -> None:
    assert formats.check_tail("sqlite", reader(files["sqlite"] + b"x" * 100)) is False


def test_kinds_and_promises_from_names() -> None:
    assert magic.expected_kind(Path("radio.jpg")) == "jpeg"
    assert magic.expected_kind(Path("radio.jpg.lockbit")) == "jpeg"
    assert magic.expected_kind(Path("compte.docx")) == "zip"
    assert magic.expected_kind(Path("notes")) is None
    assert magic.expected_kind(Path("x.unknownext")) is None
    assert magic.sniff(b"") == "empty"
    assert magic.sniff("Nom;Prénom\nDupont;Élise\n".encode()) == "text"
    assert magic.sniff("Nom;Prénom\nDupont;Élise\n".encode("cp1252")) == "text"
    assert magic.same_family("text", "rtf") and not magic.same_family("jpeg", "data")


def test_garbage_never_raises_in_any_checker() -> None:
    import random

    r = random.Random(11)
    for kind in formats.HEAD_CHECKS:
        for size in (0, 1, 7, 31, 200, 5000):
            data = r.randbytes(size)
            assert formats.check_head(kind, reader(data)) in (True, False, None)
            assert formats.check_tail(kind, reader(data)) in (True, False, None)


def test_a_7z_archive_being_written_is_not_judged_on_its_blank_start_header(
    files: dict[str, bytes],
) -> None:
    data = files["7z"]
    in_progress = data[:8] + bytes(24) + data[32:]
    assert formats.check_head("7z", reader(in_progress)) is None


def test_a_dicom_dataset_without_preamble_is_recognised_and_checked() -> None:
    raw = S.dicom_raw()
    assert raw[128:132] != b"DICM"
    assert magic.sniff(raw[:8192]) == "dicom"
    assert formats.check_head("dicom", reader(raw)) is True
    for family in S.FAMILIES.values():
        assert formats.check_head("dicom", reader(family(raw))) is False

"""The practice report as a PDF, read back as a person would: poppler's pdftotext for the words,
pdftoppm for the picture, pdffonts and pdfinfo for what the file carries (A4, fonts embedded)."""

from __future__ import annotations

import dataclasses
import http.server
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from rempart import i18n
from rempart.checks import CheckContext, run_checks
from rempart.report.files import ReportError
from rempart.report.pdf import pdf_bytes, render_pdf
from rempart.report.practice import PracticeReport, build_report
from tests.checks.practice import NOW, demo_audit

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils is not installed (.ci/run does it)"
)


def poppler(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=120).stdout


def demo_report() -> PracticeReport:
    base = demo_audit()
    audit = dataclasses.replace(base, findings=run_checks(base.assets, CheckContext(now=NOW)))
    return build_report(audit, store=None, lang="fr", now=NOW)


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> tuple[PracticeReport, Path]:
    """The demo practice's report, printed once for the tests of this module."""
    report = demo_report()
    path = tmp_path_factory.mktemp("pdf") / "rapport.pdf"
    render_pdf(report, path)
    return report, path


def test_page_one_reads_the_grade_and_the_first_action_with_french_accents(
    printed: tuple[PracticeReport, Path],
) -> None:
    report, path = printed
    first_page = " ".join(poppler("pdftotext", "-f", "1", "-l", "1", str(path), "-").split())
    assert re.search(rf"\b{report.score.grade}\b", first_page)
    assert report.plan[0].title.replace("'", "’") in first_page.replace("'", "’")
    # accents, as drawn and extracted: no "?" or missing glyph in place of é, à, ç
    assert "Protéger par un mot de passe la prise en main VNC" in first_page
    everything = poppler("pdftotext", str(path), "-")
    assert "Prise en main à distance (VNC) sans mot de passe" in " ".join(everything.split())
    assert "\ufffd" not in everything


def test_a4_with_every_font_embedded(printed: tuple[PracticeReport, Path]) -> None:
    _report, path = printed
    info = poppler("pdfinfo", str(path))
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info)
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) >= 3  # summary, plan, details
    fonts = poppler("pdffonts", str(path)).splitlines()[2:]
    assert fonts, "the PDF names no font"
    for line in fonts:
        emb = line.split()[-5]  # columns: name type encoding emb sub uni object ID
        assert emb == "yes", line
    # the fonts shipped with Rempart (DejaVu, under the report's family names), subsetted:
    # the PDF looks the same whatever fonts the machine that made it has
    assert all(re.match(r"[A-Z]{6}\+Rempart-(Sans|Mono)", line) for line in fonts), fonts


def test_page_one_shows_the_energy_label_in_colour(
    printed: tuple[PracticeReport, Path], tmp_path: Path
) -> None:
    """Rasterised at 30 dpi, page one holds the grade's colour from the label."""
    report, path = printed
    subprocess.run(
        ["pdftoppm", "-r", "30", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")],
        check=True,
        timeout=120,
    )
    ppm = next(tmp_path.glob("p*.ppm")).read_bytes()
    width, height, pixels = _parse_ppm(ppm)
    assert width in (248, 249) and height == 351  # A4 at 30 dpi
    colours = {
        "A": (0x00, 0xA6, 0x51),
        "B": (0x4C, 0xB8, 0x48),
        "C": (0xBF, 0xD7, 0x30),
        "D": (0xFF, 0xF2, 0x00),
        "E": (0xFD, 0xB9, 0x13),
        "F": (0xF3, 0x70, 0x21),
        "G": (0xED, 0x1C, 0x24),
    }
    wanted = colours[report.score.grade]
    near = sum(
        1
        for i in range(0, len(pixels), 3)
        if all(abs(pixels[i + k] - wanted[k]) <= 12 for k in range(3))
    )
    assert near > 40  # a bar of the label, not a stray pixel


def _parse_ppm(data: bytes) -> tuple[int, int, bytes]:
    fields: list[bytes] = []
    pos = 0
    while len(fields) < 4:
        while data[pos : pos + 1].isspace():
            pos += 1
        if data[pos : pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while not data[end : end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    assert fields[0] == b"P6"
    return int(fields[1]), int(fields[2]), data[pos + 1 :]


def test_an_unwritable_path_is_one_clear_error_and_leaves_nothing(tmp_path: Path) -> None:
    report = demo_report()
    i18n.set_language("en")
    folder = tmp_path / "out"
    folder.mkdir()
    blocker = folder / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(ReportError, match="Cannot write"):
        render_pdf(report, blocker / "rapport.pdf")
    assert sorted(p.name for p in folder.iterdir()) == ["not-a-folder"]


class _Counter(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def loopback_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_renderer_fetches_nothing_even_from_markup_that_asks(loopback_server: str) -> None:
    """Defence in depth: were markup ever to slip past the escaping, WeasyPrint would still
    not reach the network (its fetcher serves the shipped fonts and nothing else)."""
    _Counter.hits.clear()
    html = (
        f'<html><head><link rel="stylesheet" href="{loopback_server}/s.css">'
        f"<style>@import url({loopback_server}/i.css); body {{ background: "
        f"url({loopback_server}/b.png) }}</style></head><body>"
        f'<img src="{loopback_server}/x.png"><img src="file:///etc/passwd">'
        f"<p>Évaluation</p></body></html>"
    )
    data = pdf_bytes(html)
    assert data.startswith(b"%PDF")
    assert _Counter.hits == []

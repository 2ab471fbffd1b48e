"""The practice report as a PDF: the HTML page printed by WeasyPrint, A4, fonts embedded.

The PDF is the HTML report's print version (``render_html(report, paper=True)``: one template,
the same content in the same order, in far fewer boxes, with print rules at the end of its
stylesheet), with the DejaVu fonts shipped in ``report/fonts`` declared on top: the document
carries its fonts (French accents right on any reader) and looks the same on every machine.
WeasyPrint's time goes by boxes, lines and glyphs (``benchmarks/report/README.md``): 50 devices
and 1,000 findings print in 7-8 s on two quiet cores.

WeasyPrint fetches nothing here: its URL fetcher serves the shipped font files and refuses
every other address, so that no text in a report (a banner, a host name) can make the
renderer reach the network even if it ever escaped the template's escaping.

WeasyPrint needs the Pango library (on Windows: the GTK runtime); when it cannot load, the
error says so in one line and the HTML report remains available.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from rempart.i18n import _
from rempart.report.files import ReportError
from rempart.report.practice import PracticeReport
from rempart.report.practice_html import render_html

FONTS_DIR = Path(__file__).with_name("fonts")

# The report's families ("Rempart Sans", "Rempart Mono", first in the stylesheet) bound to
# the shipped files. WeasyPrint subsets and embeds them.
_FONT_CSS = """
@font-face { font-family: "Rempart Sans"; font-weight: normal; src: url("DejaVuSans.ttf"); }
@font-face { font-family: "Rempart Sans"; font-weight: bold; src: url("DejaVuSans-Bold.ttf"); }
@font-face { font-family: "Rempart Mono"; src: url("DejaVuSansMono.ttf"); }
"""


def render_pdf(report: PracticeReport, path: Path) -> None:
    """Write the report to ``path`` as a PDF, atomically (a temporary file, then a rename)."""
    html = render_html(report, paper=True)
    pdf = pdf_bytes(html)
    _write_atomic(Path(path), pdf)


def pdf_bytes(html: str) -> bytes:
    """Print an HTML page of Rempart's to PDF bytes (A4, fonts embedded, nothing fetched)."""
    weasyprint = _weasyprint()
    fetcher = _fetcher_class(weasyprint)()
    fonts = weasyprint.text.fonts.FontConfiguration()
    base = FONTS_DIR.resolve().as_uri() + "/"
    stylesheet = weasyprint.CSS(
        string=_FONT_CSS, base_url=base, url_fetcher=fetcher, font_config=fonts
    )
    document = weasyprint.HTML(string=html, base_url=base, url_fetcher=fetcher)
    data = document.write_pdf(stylesheets=[stylesheet], font_config=fonts)
    assert isinstance(data, bytes)
    return data


def _weasyprint() -> Any:
    """WeasyPrint, imported on first use (it takes a second or two, and needs Pango)."""
    try:
        import weasyprint
        import weasyprint.text.fonts
    except (ImportError, OSError) as exc:
        raise ReportError(
            _(
                "Cannot make a PDF: WeasyPrint or the Pango library it needs is missing "
                "({error}). Install Pango (on Windows the GTK runtime) or use --format html."
            ).format(error=str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        ) from exc
    return weasyprint


@cache
def _fetcher_class(weasyprint: Any) -> type:
    """A URL fetcher that serves the shipped fonts and refuses everything else."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    fonts_dir = FONTS_DIR.resolve()

    class FontsOnly(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            parts = urlsplit(url)
            if parts.scheme == "file" and not parts.netloc:
                wanted = Path(unquote(parts.path)).resolve()
                if wanted.parent == fonts_dir and wanted.suffix == ".ttf" and wanted.is_file():
                    return URLFetcherResponse(
                        url, wanted.read_bytes(), {"Content-Type": "font/ttf"}
                    )
            raise ValueError(f"Rempart's report fetches nothing: {url[:80]!r} refused")

    return FontsOnly


def _write_atomic(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise ReportError(
            _("Cannot write {path}: {error}. Choose another folder.").format(
                path=path, error=exc.strerror or exc
            )
        ) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise ReportError(
            _("Cannot write {path}: {error}. Choose another folder.").format(
                path=path, error=exc.strerror or exc
            )
        ) from exc


__all__ = ["FONTS_DIR", "pdf_bytes", "render_pdf"]

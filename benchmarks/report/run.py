"""The practice report on a large network: HTML and PDF rendering time, and the dashboard's p95.

    uv run python benchmarks/report/run.py                      # 50 hosts, 1,000 findings
    uv run python benchmarks/report/run.py --runs 5 --no-dashboard
    uv run python benchmarks/report/run.py --hosts 10 --findings 200

1. generates an audit of ``--hosts`` devices and ``--findings`` findings (``synthetic.py``:
   real check IDs, CVEs on the vulnerability findings, seeded), and the audit a month before,
   and stores both in a new store (temporary REMPART_HOME): history, change and finding life
   are those of a real second audit;
2. times, median of ``--runs`` runs in this process (the first PDF run, which pays for
   importing WeasyPrint and loading the fonts, is shown apart):
   * HTML: ``build_report`` (store queries, grade, plan) + ``render_html`` — target < 2 s;
   * PDF: ``build_report`` + ``render_pdf`` (HTML, layout, A4 PDF with embedded fonts)
     — target < 15 s;
3. peers, in the same run: the audit's previous ``report.html`` renderer
   (``rempart.report.html``) on the same audit, and Debian's Chromium printing to PDF
   (``--print-to-pdf``, when ``/usr/bin/chromium`` exists) the page WeasyPrint prints: the
   report's print version (``render_html(report, paper=True)``);
4. the dashboard: ``rempart serve`` on 127.0.0.1 over the same store, p95 of each page under
   20 concurrent requests, through ``dashboard.measure`` (``benchmarks/report/dashboard.py``,
   when present) — target < 300 ms.

Prints a table with ratios (ours / peer; below 1.0 is faster) and whether each target is met;
exits 1 when one is not. Only 127.0.0.1 is contacted. CPU seconds are printed beside wall
seconds: on a loaded machine (the load average is printed) wall time is not the program's.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
TARGET_HTML_S = 2.0
TARGET_PDF_S = 15.0
TARGET_DASHBOARD_MS = 300.0
CHROMIUM = Path("/usr/bin/chromium")


def timed(func: Callable[[], Any], runs: int) -> tuple[float, float, list[float]]:
    """Median wall and CPU seconds of ``runs`` calls, and every wall time."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        func()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), walls


def chromium_pdf(html: Path, out: Path) -> float:
    """Chromium headless printing the same HTML file to PDF (no network, no profile kept)."""
    with tempfile.TemporaryDirectory(prefix="rempart-chromium-") as profile:
        started = time.perf_counter()
        subprocess.run(
            [
                str(CHROMIUM),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--no-pdf-header-footer",
                f"--user-data-dir={profile}",
                f"--print-to-pdf={out}",
                html.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=600,
        )
        return time.perf_counter() - started


def _dashboard_module() -> ModuleType | None:
    path = HERE / "dashboard.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("report_dashboard_bench", path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module if hasattr(module, "measure") else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--findings", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each renderer")
    parser.add_argument("--lang", default="fr")
    parser.add_argument("--no-dashboard", action="store_true")
    parser.add_argument("--no-chromium", action="store_true")
    parser.add_argument("--keep", type=Path, help="copy the HTML and PDF here")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(HERE))
    from synthetic import generate_audit, previous_of

    rows: list[tuple[str, str, str, str, str]] = []
    met = True
    with tempfile.TemporaryDirectory(prefix="rempart-report-bench-") as tmp:
        work = Path(tmp)
        home = work / "home"
        home.mkdir()
        os.environ["REMPART_HOME"] = str(home)

        from rempart.report.html import render_html as audit_report_html
        from rempart.report.pdf import render_pdf
        from rempart.report.practice import build_report
        from rempart.report.practice_html import render_html
        from rempart.store import Store

        audit = generate_audit(args.hosts, args.findings)
        store = Store.open()
        store.save_audit(previous_of(audit))
        store.save_audit(audit)
        now = audit.finished_at
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(
            f"report: {len(audit.assets)} hosts, {len(audit.findings)} findings, "
            f"{args.runs} runs each (median); load average {load:.2f}, {os.cpu_count()} CPUs"
        )

        def html_once() -> str:
            return render_html(build_report(audit, store=store, lang=args.lang, now=now))

        html_path, pdf_path = work / "rapport.html", work / "rapport.pdf"
        html_path.write_text(html_once(), encoding="utf-8")
        report = build_report(audit, store=store, lang=args.lang, now=now)
        # The page both printers print: the HTML report's print version (render_pdf's input).
        paper_path = work / "rapport-imprime.html"
        paper_path.write_text(render_html(report, paper=True), encoding="utf-8")
        build_s, _, _ = timed(
            lambda: build_report(audit, store=store, lang=args.lang, now=now), args.runs
        )
        render_s, _, _ = timed(lambda: render_html(report), args.runs)
        html_s, html_cpu, _ = timed(html_once, args.runs)
        old_s, _, _ = timed(lambda: audit_report_html(audit, args.lang, now), args.runs)

        first = time.perf_counter()
        render_pdf(build_report(audit, store=store, lang=args.lang, now=now), pdf_path)
        first_pdf_s = time.perf_counter() - first
        pdf_s, pdf_cpu, _ = timed(
            lambda: render_pdf(build_report(audit, store=store, lang=args.lang, now=now), pdf_path),
            args.runs,
        )
        pages = _pages(pdf_path)
        chromium_s: float | None = None
        if not args.no_chromium and CHROMIUM.exists():
            try:
                chromium_s = statistics.median(
                    chromium_pdf(paper_path, work / f"chromium{i}.pdf") for i in range(args.runs)
                )
            except (subprocess.SubprocessError, OSError) as exc:
                print(f"chromium peer skipped: {exc}")
        store.close()

        ok = html_s < TARGET_HTML_S
        met &= ok
        rows.append(
            (
                "HTML report (build + render)",
                f"{html_s:.2f} s (cpu {html_cpu:.2f})",
                f"report.html {old_s:.2f} s",
                f"{html_s / old_s:.1f}" if old_s else "-",
                f"< {TARGET_HTML_S:.0f} s {'met' if ok else 'NOT met'}",
            )
        )
        rows.append(("  of which build_report", f"{build_s:.2f} s", "", "", ""))
        rows.append(("  of which render_html", f"{render_s:.2f} s", "", "", ""))
        ok = pdf_s < TARGET_PDF_S
        met &= ok
        rows.append(
            (
                f"PDF report ({pages} pages A4)",
                f"{pdf_s:.2f} s (cpu {pdf_cpu:.2f})",
                f"chromium {chromium_s:.2f} s" if chromium_s is not None else "chromium -",
                f"{pdf_s / chromium_s:.1f}" if chromium_s else "-",
                f"< {TARGET_PDF_S:.0f} s {'met' if ok else 'NOT met'}",
            )
        )
        rows.append(("  first PDF of the process", f"{first_pdf_s:.2f} s", "", "", ""))

        dashboard = None if args.no_dashboard else _dashboard_module()
        if dashboard is not None:
            pages_to_ask = (*dashboard.PAGES, f"/audits/{audit.id}")
            with dashboard.dashboard_process(home) as url:
                p95s = dashboard.measure(url, pages_to_ask)
            worst_page = max(p95s, key=lambda p: p95s[p])
            ok = p95s[worst_page] < TARGET_DASHBOARD_MS
            met &= ok
            rows.append(
                (
                    f"dashboard p95, worst page ({worst_page})",
                    f"{p95s[worst_page]:.0f} ms",
                    "",
                    "",
                    f"< {TARGET_DASHBOARD_MS:.0f} ms {'met' if ok else 'NOT met'}",
                )
            )
            for page, value in p95s.items():
                rows.append((f"  {page}", f"{value:.0f} ms", "", "", ""))
        elif not args.no_dashboard:
            rows.append(("dashboard", "benchmarks/report/dashboard.py missing", "", "", ""))

        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            shutil.copy(html_path, args.keep / "rapport.html")
            shutil.copy(paper_path, args.keep / "rapport-imprime.html")
            shutil.copy(pdf_path, args.keep / "rapport.pdf")

    heads = ("what", "ours", "peer", "ratio", "target")
    widths = [max(len(r[i]) for r in (heads, *rows)) for i in range(5)]
    for r in (heads, *rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    print("all targets met" if met else "some targets NOT met")
    return 0 if met else 1


def _pages(pdf: Path) -> str:
    if shutil.which("pdfinfo") is None:
        return "?"
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith("Pages:"):
            return line.split()[1]
    return "?"


if __name__ == "__main__":
    raise SystemExit(main())

"""The report's pictures as inline SVG: the grade label, the grade's trend, findings by severity.

Drawn here as text rather than by a charting library: the pictures are a few rectangles,
they must sit inside one self-contained HTML file (no script, no image file, no font to
fetch), and WeasyPrint draws the same SVG into the PDF. Every word put into a picture
goes through :func:`markupsafe.escape` (a host name or a date is still text); the result
is :class:`markupsafe.Markup` so that the template inserts it as is.

The label copies the French energy label (DPE) that every practitioner has seen: seven
bars from A (green, short) to G (red, long), and a black arrow pointing at the grade.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

GRADES = ("A", "B", "C", "D", "E", "F", "G")

# The colours of the EU energy label, A to G.
GRADE_COLOURS = {
    "A": "#00a651",
    "B": "#4cb848",
    "C": "#bfd730",
    "D": "#fff200",
    "E": "#fdb913",
    "F": "#f37021",
    "G": "#ed1c24",
}
# Letters drawn dark where white would not read (light yellow and lime).
_DARK_LETTERS = frozenset({"C", "D"})

SEVERITY_COLOURS = {
    "critical": "#8b0000",
    "high": "#c0392b",
    "medium": "#d35400",
    "low": "#7f8c8d",
    "info": "#2c7fb8",
}

_FONT = "font-family=\"'Rempart Sans', 'DejaVu Sans', Arial, sans-serif\""


def _num(value: float) -> str:
    """A coordinate with at most one decimal: small SVG, same text on every run."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _svg(parts: list[str]) -> Markup:
    """Close the picture. Safe to mark: every word in ``parts`` went through ``escape``; the
    rest is numbers, constant colours and letters of :data:`GRADES`."""
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704


def letter_colour(grade: str) -> str:
    """The letter's colour on a bar of ``grade``'s colour."""
    return "#1d1d1d" if grade in _DARK_LETTERS else "#ffffff"


def grade_label(grade: str | None, *, title: str, scale: Sequence[str] = ()) -> Markup:
    """The energy-label picture with an arrow at ``grade`` (no arrow when ``None``).

    ``title`` is the accessible name ("Note : D, sur une échelle de A à G"); ``scale``
    the words beside the first and last bars (for example "moins exposé", "très exposé").
    """
    bar_h, gap, left = 26.0, 5.0, 3.0
    caption = 14.0 if scale else 0.0  # a line above A and one below G for the scale's words
    tip = bar_h / 2
    widths = [70.0 + 24.0 * i for i in range(len(GRADES))]
    arrow_x = left + widths[-1] + tip + 14.0
    width = arrow_x + 66.0
    height = len(GRADES) * (bar_h + gap) + gap + 2 * caption
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="grade-label" role="img" '
        f'width="{_num(width)}" height="{_num(height)}" viewBox="0 0 {_num(width)} '
        f'{_num(height)}" {_FONT}>',
        f"<title>{escape(title)}</title>",
    ]
    if scale:
        parts.append(
            f'<text x="{_num(left)}" y="10" font-size="10" fill="#4a4f55">{escape(scale[0])}</text>'
        )
        parts.append(
            f'<text x="{_num(left)}" y="{_num(height - 3)}" font-size="10" fill="#4a4f55">'
            f"{escape(scale[-1])}</text>"
        )
    for i, (letter, w) in enumerate(zip(GRADES, widths, strict=True)):
        y = caption + gap + i * (bar_h + gap)
        points = (
            f"{_num(left)},{_num(y)} {_num(left + w)},{_num(y)} "
            f"{_num(left + w + tip)},{_num(y + bar_h / 2)} {_num(left + w)},{_num(y + bar_h)} "
            f"{_num(left)},{_num(y + bar_h)}"
        )
        current = letter == grade
        outline = ' stroke="#1d1d1d" stroke-width="2"' if current else ""
        parts.append(
            f'<polygon points="{points}" fill="{GRADE_COLOURS[letter]}"{outline} '
            f'data-grade="{letter}"/>'
        )
        parts.append(
            f'<text x="{_num(left + 9)}" y="{_num(y + bar_h - 7)}" font-size="18" '
            f'font-weight="bold" fill="{letter_colour(letter)}">{letter}</text>'
        )
        if current:
            ax, top, bottom = arrow_x, y - 3, y + bar_h + 3
            parts.append(
                f'<polygon class="grade-arrow" points="{_num(ax)},{_num(y + bar_h / 2)} '
                f"{_num(ax + 16)},{_num(top)} {_num(width - 2)},{_num(top)} "
                f'{_num(width - 2)},{_num(bottom)} {_num(ax + 16)},{_num(bottom)}" '
                f'fill="#1d1d1d"/>'
            )
            parts.append(
                f'<text x="{_num(ax + 38)}" y="{_num(y + bar_h - 3)}" font-size="26" '
                f'font-weight="bold" text-anchor="middle" fill="#ffffff">{letter}</text>'
            )
    return _svg(parts)


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One audit on the trend chart: its date as the reader reads it, and its grade."""

    label: str
    grade: str


def grade_trend(points: Sequence[TrendPoint], *, title: str) -> Markup:
    """The grade of each audit, oldest on the left, A at the top, on the label's colours.

    Letters rather than raw points on the axis: the practitioner reads "from E to C".
    Empty when there is no audit to show.
    """
    shown = [p for p in points if p.grade in GRADES][-12:]
    if not shown:
        return Markup("")
    band, top, left, right, bottom = 18.0, 8.0, 26.0, 16.0, 30.0
    step = 64.0
    width = left + right + max(step * (len(shown) - 1), 0.0) + 40.0
    width = max(width, 240.0)
    height = top + band * len(GRADES) + bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="grade-trend" role="img" '
        f'width="{_num(width)}" height="{_num(height)}" viewBox="0 0 {_num(width)} '
        f'{_num(height)}" {_FONT}>',
        f"<title>{escape(title)}</title>",
    ]
    for i, letter in enumerate(GRADES):
        y = top + i * band
        parts.append(
            f'<rect x="{_num(left)}" y="{_num(y)}" width="{_num(width - left - 2)}" '
            f'height="{_num(band)}" fill="{GRADE_COLOURS[letter]}" fill-opacity="0.18"/>'
        )
        parts.append(
            f'<text x="{_num(left - 14)}" y="{_num(y + band - 4)}" font-size="11" '
            f'fill="#444444">{letter}</text>'
        )
    xs = [left + 20.0 + step * i for i in range(len(shown))]
    ys = [top + GRADES.index(p.grade) * band + band / 2 for p in shown]
    if len(shown) > 1:
        line = " ".join(f"{_num(x)},{_num(y)}" for x, y in zip(xs, ys, strict=True))
        parts.append(f'<polyline points="{line}" fill="none" stroke="#1d1d1d" stroke-width="1.5"/>')
    for x, y, point in zip(xs, ys, shown, strict=True):
        parts.append(
            f'<circle cx="{_num(x)}" cy="{_num(y)}" r="7" fill="{GRADE_COLOURS[point.grade]}" '
            f'stroke="#1d1d1d" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{_num(x)}" y="{_num(y + 3.5)}" font-size="9" font-weight="bold" '
            f'text-anchor="middle" fill="{letter_colour(point.grade)}">{point.grade}</text>'
        )
        parts.append(
            f'<text x="{_num(x)}" y="{_num(height - bottom + 16)}" font-size="10" '
            f'text-anchor="middle" fill="#444444">{escape(point.label)}</text>'
        )
    return _svg(parts)


@dataclass(frozen=True, slots=True)
class SeverityCount:
    """One bar: a severity's code ("high"), its label in the reader's language, a count."""

    code: str
    label: str
    count: int


def severity_bars(counts: Sequence[SeverityCount], *, title: str) -> Markup:
    """Horizontal bars, one per severity, most severe first, the count at the bar's end."""
    bar_h, gap, label_w, bar_max = 18.0, 6.0, 110.0, 220.0
    width = label_w + bar_max + 50.0
    height = gap + len(counts) * (bar_h + gap)
    most = max((c.count for c in counts), default=0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="severity-bars" role="img" '
        f'width="{_num(width)}" height="{_num(height)}" viewBox="0 0 {_num(width)} '
        f'{_num(height)}" {_FONT}>',
        f"<title>{escape(title)}</title>",
    ]
    for i, c in enumerate(counts):
        y = gap + i * (bar_h + gap)
        w = 0.0 if most == 0 else max(bar_max * c.count / most, 2.0 if c.count else 0.0)
        colour = SEVERITY_COLOURS.get(c.code, "#555555")
        parts.append(
            f'<text x="0" y="{_num(y + bar_h - 5)}" font-size="12" fill="#1d1d1d">'
            f"{escape(c.label)}</text>"
        )
        parts.append(
            f'<rect x="{_num(label_w)}" y="{_num(y)}" width="{_num(w)}" height="{_num(bar_h)}" '
            f'rx="2" fill="{colour}" data-severity="{escape(c.code)}"/>'
        )
        parts.append(
            f'<text x="{_num(label_w + w + 6)}" y="{_num(y + bar_h - 5)}" font-size="12" '
            f'font-weight="bold" fill="#1d1d1d">{c.count}</text>'
        )
    return _svg(parts)


__all__ = [
    "GRADES",
    "GRADE_COLOURS",
    "SEVERITY_COLOURS",
    "SeverityCount",
    "TrendPoint",
    "grade_label",
    "grade_trend",
    "letter_colour",
    "severity_bars",
]

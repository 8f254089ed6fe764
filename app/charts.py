"""Small charts drawn on the server as SVG, for the board, the dashboards and the PDFs.

No charting library: the charts Minqing needs are a line of twelve months and a row of bars,
and the libraries that draw SVG on the server (pygal, matplotlib's SVG backend) put a <style>
element and, for pygal, a <script> in each chart — refused by the pages' Content-Security-Policy
(nonces, no 'unsafe-inline') and dead weight on a phone. These charts use presentation
attributes only (fill=, stroke=: not subject to style-src), carry no script, stay under a
kilobyte or two each, and render the same in a browser and in WeasyPrint.

Every chart has a <title> (read by screen readers) and the page gives the numbers in a table
next to it; the numbers come from app.matters.rates, the same functions as the tables.
"""

from __future__ import annotations

from markupsafe import Markup, escape

# One colour per rate, kept apart for colour-blind readers (blue, orange, green-grey).
COLOURS = ("#1f5fa8", "#d9731a", "#2e7d5b", "#7a4ea3")
GRID = "#c8ccd2"
TEXT = "#333"


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def trend(title: str, labels: list[str], series: list[tuple[str, list[float | None]]], *,
          width: int = 320, height: int = 110, top: float = 100.0) -> Markup:
    """Lines of percentages (0–top) over the labels (months, quarters); None leaves a gap."""
    left, right, up, down = 26, 6, 8, 18
    plot_w, plot_h = width - left - right, height - up - down
    step = plot_w / max(len(labels) - 1, 1)

    def x(i):
        return left + i * step

    def y(v):
        return up + plot_h * (1 - min(max(v, 0), top) / top)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} '
             f'{height}" width="{width}" height="{height}" role="img" font-size="9" '
             f'font-family="sans-serif"><title>{escape(title)}</title>']
    for mark in (0, 50, 100):
        if mark <= top:
            parts.append(f'<line x1="{left}" x2="{width - right}" y1="{_n(y(mark))}" '
                         f'y2="{_n(y(mark))}" stroke="{GRID}" stroke-width="0.5"/>'
                         f'<text x="{left - 3}" y="{_n(y(mark) + 3)}" text-anchor="end" '
                         f'fill="{TEXT}">{mark}</text>')
    every = max(1, len(labels) // 6)
    for i, label in enumerate(labels):
        if i % every == 0 or i == len(labels) - 1:
            parts.append(f'<text x="{_n(x(i))}" y="{height - 5}" text-anchor="middle" '
                         f'fill="{TEXT}">{escape(label)}</text>')
    for k, (name, values) in enumerate(series):
        colour = COLOURS[k % len(COLOURS)]
        runs, run = [], []
        for i, v in enumerate(values):
            if v is None:
                if run:
                    runs.append(run)
                run = []
            else:
                run.append(f"{_n(x(i))},{_n(y(v))}")
        if run:
            runs.append(run)
        parts.append(f'<g stroke="{colour}" fill="{colour}"><title>{escape(name)}</title>')
        for r in runs:
            if len(r) == 1:
                cx, cy = r[0].split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="2"/>')
            else:
                parts.append(f'<polyline fill="none" stroke-width="1.5" points="{" ".join(r)}"/>')
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))


def legend(names: list[str]) -> Markup:
    """The colour key of a trend, as text (the colours carry no meaning on their own)."""
    return Markup(" ".join(
        f'<span class="chart-key"><svg width="10" height="10" aria-hidden="true"><rect '
        f'width="10" height="10" fill="{COLOURS[k % len(COLOURS)]}"/></svg> {escape(n)}</span>'
        for k, n in enumerate(names)))


def bars(title: str, items: list[tuple[str, float | None, str | None, str]], *,
         width: int = 320, top: float = 100.0, row: int = 16, label_w: int = 80) -> Markup:
    """Horizontal bars, one per (label, value, link or None, text shown after the bar).

    A bar with a link is an <a>: clicking it opens the rows the figure counts.
    """
    height = row * len(items) + 4
    bar_w = width - label_w - 70
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} '
             f'{height}" width="{width}" height="{height}" role="img" font-size="10" '
             f'font-family="sans-serif"><title>{escape(title)}</title>']
    # Shared attributes sit on the groups: a village's row is then a few dozen bytes.
    parts.append(f'<g fill="{TEXT}"><g text-anchor="end">')
    parts += [f'<text x="{label_w - 4}" y="{2 + i * row + row - 5}">{escape(label)}</text>'
              for i, (label, _v, _h, _t) in enumerate(items)]
    parts.append(f'</g><g fill="{COLOURS[0]}">')
    ends = []
    for i, (label, value, href, text) in enumerate(items):
        y = 2 + i * row
        length = 0 if value is None or not top else bar_w * min(max(value, 0), top) / top
        ends.append((y, length, text))
        rect = (f'<rect x="{label_w}" y="{y + 2}" width="{_n(max(length, 1))}" '
                f'height="{row - 5}"><title>{escape(label)} {escape(text)}</title></rect>')
        parts.append(f'<a href="{escape(href)}">{rect}</a>' if href else rect)
    parts.append("</g>")
    parts += [f'<text x="{_n(label_w + length + 3)}" y="{y + row - 5}">{escape(text)}</text>'
              for y, length, text in ends]
    parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))

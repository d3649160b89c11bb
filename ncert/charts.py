"""Server-rendered SVG charts: bars, lines over months, and the risk heat map.

Each chart is a ``Chart``: its SVG (with ``<title>`` and ``<desc>``, named by
``aria-labelledby`` as WAI-ARIA's graphics role ``img`` asks,
https://www.w3.org/TR/graphics-aria-1.0/) and the same numbers as a table for
screen readers. No script and no external asset, so the console keeps its
strict CSP and works offline; the quarterly PDF embeds the same SVG drawn
with the print palette.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from flask_babel import gettext, ngettext  # the console's language; English outside a request (the PDF)
from markupsafe import Markup, escape

from ncert.i18n import marked


@dataclass(frozen=True)
class Palette:
    background: str
    text: str
    muted: str
    grid: str
    series: tuple[str, ...]


SCREEN = Palette("#121820", "#d5dce5", "#8494a7", "#232f3d",
                 ("#4da3ff", "#ffb020", "#3ccf7a", "#ff5a5a", "#b48cff", "#5ad1d1", "#e8661a", "#dfe4ea"))
PRINT = Palette("#ffffff", "#111111", "#555555", "#cccccc",
                ("#1f5fa8", "#d98a00", "#2f8f4e", "#c0392b", "#7d4fc4", "#238a8a", "#e8661a", "#666666"))
# Risk levels in the severity colours the console already uses (CISA NCISS, console.css).
LEVEL_COLOURS = {"low": "#2f8f4e", "medium": "#e6c619", "high": "#e8661a", "critical": "#b3121b"}
LEVEL_TEXT = {"low": "#ffffff", "medium": "#111111", "high": "#111111", "critical": "#ffffff"}
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"


@dataclass(frozen=True)
class Chart:
    key: str  # unique on its page: the ids of the title and description derive from it
    title: str
    desc: str
    body: str  # the SVG's drawing, without title and description
    width: int
    height: int
    headers: list[str]
    rows: list[list[tuple[str, str | None]]]  # (text, link or None) per cell

    def svg(self, *, accessible: bool = True) -> str:
        """The SVG document; ``accessible=False`` leaves out what only a screen reader uses (for print)."""
        attributes, label = "", ""
        if accessible:
            attributes = f' role="img" aria-labelledby="{self.key}-title {self.key}-desc"'
            label = (f'<title id="{self.key}-title">{escape(self.title)}</title>'
                     f'<desc id="{self.key}-desc">{escape(self.desc)}</desc>')
        return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {self.width} {self.height}" '
                f'width="{self.width}" height="{self.height}" font-family="{FONT}"{attributes}>'
                f"{label}{self.body}</svg>")

    def html(self) -> Markup:
        """The chart for a page: the SVG, and its numbers as a table only screen readers are given
        (hidden in a clipped box: a table itself would widen the page whatever its width says)."""
        head = "".join(f'<th scope="col">{escape(h)}</th>' for h in self.headers)
        rows = "".join("<tr>" + "".join(_cell(i, text, link) for i, (text, link) in enumerate(row)) + "</tr>"
                       for row in self.rows)
        return Markup(f'<figure class="chart" id="{self.key}">{self.svg()}'
                      f'<div class="sr-only"><table><caption>{escape(self.title)}</caption>'
                      f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div></figure>")


def _cell(index: int, text: str, link: str | None) -> str:
    content = f'<a href="{escape(link)}">{escape(text)}</a>' if link else str(escape(text))
    return f'<th scope="row">{content}</th>' if index == 0 else f"<td>{content}</td>"


def _text(x: float, y: float, text: str, fill: str, *, size: int = 11, anchor: str = "start") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{fill}" text-anchor="{anchor}">'
            f"{escape(text)}</text>")


def _ceiling(top: float) -> float:
    """The axis maximum: the data's, rounded up to a multiple of 4 so the four grid lines fall on whole numbers."""
    return max(4, math.ceil(top / 4) * 4)


def _number(value: float) -> str:
    return f"{value:g}" if value != int(value) else str(int(value))


def bar_chart(key: str, title: str, desc: str, bars: list[tuple[str, float]], *, palette: Palette = SCREEN,
              label_header: str | None = None, value_header: str | None = None, width: int = 520,
              links: list[str | None] | None = None) -> Chart:
    """Horizontal bars, one per (label, value), in the order given; with ``links`` (one per bar),
    each bar and its table row link to it."""
    row_h, label_w, pad = 22, 190, 8
    height = max(1, len(bars)) * row_h + 2 * pad
    top = max((v for _, v in bars), default=0) or 1
    span = width - label_w - 60
    body = [f'<rect width="{width}" height="{height}" fill="{palette.background}"/>']
    links = links or [None] * len(bars)
    for i, ((label, value), link) in enumerate(zip(bars, links)):
        y = pad + i * row_h
        shown = label if len(label) <= 30 else label[:29] + "…"
        row = (_text(label_w - 8, y + 15, shown, palette.text, anchor="end")
               + f'<rect x="{label_w}" y="{y + 4}" width="{max(1.0, span * value / top):.1f}" height="{row_h - 8}" '
               f'fill="{palette.series[0]}"/>'
               + _text(label_w + span * value / top + 6, y + 15, _number(value), palette.muted))
        body.append(f'<a href="{escape(link)}"><title>{escape(label)}: {_number(value)}</title>{row}</a>' if link
                    else row)
    if not bars:
        body.append(_text(width / 2, height / 2 + 4, gettext("Nothing to show"), palette.muted, anchor="middle"))
    rows = [[(label, link), (_number(value), None)] for (label, value), link in zip(bars, links)]
    return Chart(key, title, desc, "".join(body), width, height,
                 [label_header or gettext("Name"), value_header or gettext("Incidents")], rows)


def line_chart(key: str, title: str, desc: str, x_labels: list[str], series: list[tuple[str, list[float]]], *,
               palette: Palette = SCREEN, width: int = 560, height: int = 240) -> Chart:
    """One line per series over the x labels (months), with a legend on the right."""
    left, right, top_pad, bottom = 36, 170, 12, 28
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    top = _ceiling(max((v for _, values in series for v in values), default=0))
    body = [f'<rect width="{width}" height="{height}" fill="{palette.background}"/>']
    for step in range(5):  # four grid lines and the axis, labelled
        value = top * step / 4
        y = top_pad + plot_h - plot_h * step / 4
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="{palette.grid}"/>')
        body.append(_text(left - 4, y + 4, _number(round(value, 1)), palette.muted, size=10, anchor="end"))

    def x_of(i: int) -> float:
        return left + (plot_w * i / (len(x_labels) - 1) if len(x_labels) > 1 else plot_w / 2)

    for i, label in enumerate(x_labels):
        body.append(_text(x_of(i), height - 10, label, palette.muted, size=10, anchor="middle"))
    for n, (name, values) in enumerate(series):
        colour = palette.series[n % len(palette.series)]
        points = " ".join(f"{x_of(i):.1f},{top_pad + plot_h - plot_h * v / top:.1f}" for i, v in enumerate(values))
        if len(values) > 1:
            body.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for i, v in enumerate(values):
            body.append(f'<circle cx="{x_of(i):.1f}" cy="{top_pad + plot_h - plot_h * v / top:.1f}" r="3" '
                        f'fill="{colour}"/>')
        y = top_pad + 6 + n * 16
        body.append(f'<rect x="{width - right + 12}" y="{y - 8}" width="10" height="10" fill="{colour}"/>')
        shown = name if len(name) <= 24 else name[:23] + "…"
        body.append(_text(width - right + 27, y + 1, shown, palette.text, size=10))
    if not series:
        body.append(_text(left + plot_w / 2, top_pad + plot_h / 2, gettext("Nothing to show"), palette.muted,
                          anchor="middle"))
    rows = [[(name, None), *((_number(v), None) for v in values)] for name, values in series]
    return Chart(key, title, desc, "".join(body), width, height, [gettext("Series"), *x_labels], rows)


def heat_map(key: str, title: str, desc: str, matrix: dict, counts: list[list[int]], *,
             link: Callable[[int, int], str] | None = None, palette: Palette = SCREEN, cell: int = 64) -> Chart:
    """The risk matrix (likelihood up, impact across) with the count of risks in each
    cell on its level's colour; with ``link``, each non-empty cell links to its risks."""
    size = len(matrix["cells"])
    # The default matrix's wording and the cells' levels are marked texts (ncert.services.risk_matrix): in the
    # page's language; an admin's own wording as written.
    likelihoods = [marked(step["label"]) for step in matrix["likelihood"]]
    impacts = [marked(step["label"]) for step in matrix["impact"]]
    left, bottom, top_pad = 120, 50, 8
    width, height = left + size * cell + 8, top_pad + size * cell + bottom
    body = [f'<rect width="{width}" height="{height}" fill="{palette.background}"/>']
    for li in range(1, size + 1):
        y = top_pad + (size - li) * cell
        body.append(_text(left - 6, y + cell / 2 + 4, f"{li} {likelihoods[li - 1]}", palette.text,
                          size=10, anchor="end"))
        for im in range(1, size + 1):
            x = left + (im - 1) * cell
            level = matrix["cells"][li - 1][im - 1]
            n = counts[li - 1][im - 1]
            square = (f'<rect x="{x + 1}" y="{y + 1}" width="{cell - 2}" height="{cell - 2}" '
                      f'fill="{LEVEL_COLOURS[level]}" fill-opacity="{1 if n else 0.35}"/>'
                      + _text(x + cell / 2, y + cell / 2 + 6, str(n) if n else "", LEVEL_TEXT[level], size=17,
                              anchor="middle"))
            if link and n:
                said = ngettext("%(num)s risk: likelihood %(likelihood)s, impact %(impact)s (%(level)s)",
                                "%(num)s risks: likelihood %(likelihood)s, impact %(impact)s (%(level)s)", n,
                                likelihood=li, impact=im, level=marked(level))
                square = f'<a href="{escape(link(li, im))}"><title>{escape(said)}</title>{square}</a>'
            body.append(square)
    for im in range(1, size + 1):
        x = left + (im - 1) * cell + cell / 2
        body.append(_text(x, top_pad + size * cell + 13, str(im), palette.text, size=10, anchor="middle"))
        body.append(_text(x, top_pad + size * cell + 25, impacts[im - 1], palette.text, size=9,
                          anchor="middle"))
    body.append(_text(left + size * cell / 2, height - 4, gettext("Impact →"), palette.muted, size=10, anchor="middle"))
    body.append(_text(10, top_pad + 12, gettext("Likelihood ↑"), palette.muted, size=10))
    rows = []
    for li in range(size, 0, -1):
        row: list[tuple[str, str | None]] = [(gettext("Likelihood %(level)s (%(label)s)", level=li,
                                                      label=likelihoods[li - 1]), None)]
        for im in range(1, size + 1):
            n = counts[li - 1][im - 1]
            row.append((f"{n} ({marked(matrix['cells'][li - 1][im - 1])})", link(li, im) if link and n else None))
        rows.append(row)
    headers = ["", *(gettext("Impact %(level)s (%(label)s)", level=im, label=impacts[im - 1])
                     for im in range(1, size + 1))]
    return Chart(key, title, desc, "".join(body), width, height, headers, rows)

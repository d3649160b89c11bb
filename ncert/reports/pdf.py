"""The quarterly national report as PDF (fpdf2, pure Python): a cover, the KPI
summary, the risk heat maps, the top risks, the landscape charts and one card per
sector. Charts are the console's SVG (``ncert.charts``) in the print palette.

Text is set in DejaVu Sans when the system has it (any script); otherwise in the
PDF core font Helvetica, which holds only Latin-1, so other characters print as "?".
"""

from __future__ import annotations

import io
from pathlib import Path

from fpdf import FPDF

from ncert import charts
from ncert.reports import figures
from ncert.reports.landscape_charts import top_charts, trend_charts
from ncert.reports.quarterly import QuarterlyReport
from ncert.services import kpi

FONT_FILES = (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
              Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
              Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"))
MARKING = "TLP:AMBER"  # the report names organisations and the national register: their recipients only
# The summary's figures, in order, with the short headings its table has room for.
HEADLINES = {"incidents": "Incidents", "time_to_acknowledge_median": "To acknowledge",
             "time_to_contain_median": "To contain", "reporting_delay_median": "Reporting delay",
             "nis2_early_warning_on_time": "NIS2 warning", "open_criticals": "Open criticals"}
STATUS_FILL = {"green": (198, 239, 206), "amber": (255, 235, 156), "red": (255, 199, 206)}
LEVEL_FILL = {"low": (198, 239, 206), "medium": (255, 235, 156), "high": (252, 213, 180), "critical": (255, 199, 206)}


class _Document(FPDF):
    def __init__(self, title: str):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.report_title = title
        self.set_auto_page_break(auto=True, margin=16)
        self.set_title(title)
        self.set_creator("ncert")
        font = next((f for f in FONT_FILES if f.exists()), None)
        if font is not None:
            self.add_font("DejaVu Sans", fname=str(font))
            self.family, self.unicode = "DejaVu Sans", True
        else:
            self.family, self.unicode = "helvetica", False

    def say(self, value: object) -> str:
        text = "—" if value is None else str(value)
        return text if self.unicode else text.replace("—", "-").encode("latin-1", "replace").decode("latin-1")

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(self.family, size=8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, self.say(f"{MARKING} · {self.report_title} · page {self.page_no()}"), align="C")

    def heading(self, text: str, size: int = 15) -> None:
        self.set_font(self.family, size=size)
        self.set_text_color(17, 17, 17)
        self.multi_cell(0, size * 0.5, self.say(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def paragraph(self, text: str, size: int = 10) -> None:
        self.set_font(self.family, size=size)
        self.set_text_color(40, 40, 40)
        self.multi_cell(0, 5, self.say(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def chart(self, chart: charts.Chart, width: float) -> None:
        svg = chart.svg(accessible=False)
        if not self.unicode:
            svg = self.say(svg)
        if self.get_y() + width * chart.height / chart.width > self.h - 20:
            self.add_page()
        self.set_font(self.family, size=10)
        self.cell(0, 6, self.say(chart.title), new_x="LMARGIN", new_y="NEXT")
        self.image(io.BytesIO(svg.encode()), x=self.l_margin, w=width)
        self.ln(3)

    def table(self, headers: list[str], rows: list[list[tuple[str, tuple[int, int, int] | None]]],
              widths: list[float]) -> None:
        """A table with a header row; each cell is (text, background colour or None)."""
        self.set_font(self.family, size=8)
        self.set_fill_color(230, 234, 240)
        self.set_text_color(17, 17, 17)
        for header, width in zip(headers, widths):
            self.cell(width, 6, self.say(header), border=1, fill=True)
        self.ln()
        for row in rows:
            if self.get_y() > self.h - 24:
                self.add_page()
            for (text, fill), width in zip(row, widths):
                if fill:
                    self.set_fill_color(*fill)
                self.cell(width, 5.5, self.say(_fit(text, width)), border=1, fill=bool(fill))
            self.ln()
        self.ln(3)


def _fit(text: str, width_mm: float) -> str:
    """Cut a cell's text to roughly what fits in 8 pt type."""
    limit = max(4, int(width_mm / 1.6))
    return text if len(text) <= limit else text[:limit - 1] + "…"


def render(report: QuarterlyReport) -> bytes:
    doc = _Document(f"National cyber-security report {report.period.label}")
    _cover(doc, report)
    _kpi_summary(doc, report)
    _risks(doc, report)
    _landscape(doc, report)
    for card in report.sector_cards:
        _sector_card(doc, card)
    return bytes(doc.output())


def _cover(doc: _Document, report: QuarterlyReport) -> None:
    doc.add_page()
    doc.ln(50)
    doc.heading("National cyber-security report", 26)
    doc.heading(f"Quarter {report.period.label}", 18)
    found = report.landscape
    doc.paragraph(f"{report.period.start:%d %B %Y} to {report.period.end:%d %B %Y} (exclusive), UTC. "
                  f"Generated {report.generated_at:%Y-%m-%d %H:%M} UTC.")
    doc.ln(8)
    doc.paragraph(f"{found.total} incidents were reported in the quarter ({found.previous_total} in "
                  f"{found.previous_period.label}). The national register holds {report.register_size} risks. "
                  "Figures count the incidents reported in the quarter, merged duplicates excluded.", 12)
    doc.ln(20)
    doc.heading(MARKING, 14)
    doc.paragraph("Contents: KPI summary; risk heat maps; top risks; threat landscape; one KPI card per sector.")


def _kpi_summary(doc: _Document, report: QuarterlyReport) -> None:
    doc.add_page()
    doc.heading("KPI summary by sector")
    doc.paragraph("Each figure against its target: green met, amber within the margin, red past it. "
                  "Times are medians; NIS2 warning is the share of early warnings on time; the value in "
                  "brackets is the previous quarter's.")
    widths = [40] + [25] * len(HEADLINES)
    rows = []
    for card in report.sector_cards:
        by_key = {f.key: f for f in card.figures}
        row = [(card.name, None)]
        for key in HEADLINES:
            f = by_key[key]
            row.append((f"{figures.text(f.value, f.unit)} ({figures.text(f.previous, f.unit)})",
                        STATUS_FILL.get(f.status or "")))
        rows.append(row)
    doc.table(["Sector", *HEADLINES.values()], rows, widths)


def _risks(doc: _Document, report: QuarterlyReport) -> None:
    doc.add_page()
    doc.heading("National risk heat maps")
    for found in report.heat_maps:
        unscored = f" {found.unscored} risks are not assessed yet." if found.unscored else ""
        doc.chart(charts.heat_map(f"pdf-{found.kind}", f"{found.kind.title()} risk ({found.kind} likelihood and "
                                  f"impact).{unscored}", "", found.matrix, found.counts, palette=charts.PRINT), 115)
    if not report.top_risks:
        doc.paragraph("No risk is assessed yet, so there are no top risks.")
        return
    doc.add_page()
    doc.heading(f"Top {len(report.top_risks)} risks by current score")
    rows = []
    for r in report.top_risks:
        current, residual = r.assessment["current"], r.assessment["residual"]
        owner = r.owner_org or r.owner_team
        rows.append([(r.reference, None), (r.title, None), (owner.name if owner else "", None),
                     (f"{current['level']} L{current['likelihood']}×I{current['impact']}",
                      LEVEL_FILL[current["level"]]),
                     (f"{residual['level']} L{residual['likelihood']}×I{residual['impact']}",
                      LEVEL_FILL[residual["level"]]),
                     (r.status.replace("_", " "), None), ((r.treatment or {}).get("strategy", "—"), None)])
    doc.table(["Reference", "Title", "Owner", "Current", "Residual", "Status", "Treatment"], rows,
              [22, 58, 32, 24, 24, 16, 14])


def _landscape(doc: _Document, report: QuarterlyReport) -> None:
    found = report.landscape
    doc.add_page()
    doc.heading(f"Threat landscape {found.period.label}")
    for chart in trend_charts(found, report.generated_at, charts.PRINT):
        doc.chart(chart, 140)
    for chart in top_charts(found, charts.PRINT):
        if chart.rows:
            doc.chart(chart, 115)
        else:  # a sentence, not an empty chart that could fill a page of its own
            doc.paragraph(f"{chart.title}: none in {found.period.label}.")
    if found.national_incidents:
        doc.heading("National incidents", 12)
        doc.table(["Reference", "Title", "Incidents", "Sectors"],
                  [[(c.reference, None), (c.title, None), (str(c.incidents), None), (", ".join(c.sectors), None)]
                   for c in found.national_incidents], [28, 80, 20, 52])


def _sector_card(doc: _Document, card: kpi.Card) -> None:
    doc.add_page()
    doc.heading(f"{card.name}: KPI card {card.period.label}")
    rows = []
    for group, title in figures.GROUPS.items():
        for f in (f for f in card.figures if f.group == group):
            rows.append([(title, None), (f.label, None),
                         (figures.text(f.value, f.unit), STATUS_FILL.get(f.status or "")),
                         (figures.text(f.previous, f.unit), None),
                         (figures.text(f.target.target, f.unit) if f.target else "—", None), (f.status or "—", None)])
    doc.table(["Group", "Figure", "Value", card.previous_period.label, "Target", "Status"], rows,
              [34, 70, 22, 22, 20, 14])
    if card.history:
        latest = card.history[0]
        doc.paragraph(f"Last signed-off review: {latest.period}, by {latest.signed_off_by}. {latest.comments}")

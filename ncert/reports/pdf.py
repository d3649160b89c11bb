"""The quarterly national report as PDF (fpdf2, pure Python): a cover, the KPI
summary, the risk heat maps, the top risks, the landscape charts and one card per
sector. Charts are the console's SVG (``ncert.charts``) in the print palette.

Every text is in the requesting user's language (the request's, ``ncert.i18n``; English
outside a request, as for ``ncert report``), dates and numbers as that language writes them.

Text is set in DejaVu Sans when the system has it (any script); otherwise in the
PDF core font Helvetica, which holds only Latin-1, so other characters print as "?".
"""

from __future__ import annotations

import io
from pathlib import Path

from babel.dates import format_date
from flask_babel import gettext
from fpdf import FPDF

from ncert import charts
from ncert.i18n import N_, SOURCE_LOCALE, current_locale, format_utc, term, vocabulary
from ncert.reports import figures
from ncert.reports.landscape_charts import top_charts, trend_charts
from ncert.reports.quarterly import QuarterlyReport
from ncert.services import kpi

FONT_FILES = (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
              Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
              Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"))
MARKING = "TLP:AMBER"  # the report names organisations and the national register: their recipients only
# The summary's figures, in order, with the short headings its table has room for.
HEADLINES = {"incidents": N_("Incidents"), "time_to_acknowledge_median": N_("To acknowledge"),
             "time_to_contain_median": N_("To contain"), "reporting_delay_median": N_("Reporting delay"),
             "nis2_early_warning_on_time": N_("NIS2 warning"), "open_criticals": N_("Open criticals")}
STATUS_FILL = {"green": (198, 239, 206), "amber": (255, 235, 156), "red": (255, 199, 206)}
HEAT_MAP_TITLES = {"current": N_("Current risk (current likelihood and impact)."),
                   "residual": N_("Residual risk (residual likelihood and impact).")}
RISK_LEVELS = {"low": N_("low"), "medium": N_("medium"), "high": N_("high"), "critical": N_("critical")}
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
        self.cell(0, 5, self.say(gettext("%(marking)s · %(title)s · page %(page)s", marking=MARKING,
                                         title=self.report_title, page=self.page_no())), align="C")

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
    doc = _Document(gettext("National cybersecurity report %(period)s", period=report.period.label))
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
    doc.heading(gettext("National cybersecurity report"), 26)
    doc.heading(gettext("Quarter %(period)s", period=report.period.label), 18)
    found = report.landscape
    lang = current_locale()
    doc.paragraph(gettext("%(start)s to %(end)s (exclusive), UTC. Generated %(generated)s.",
                          start=format_date(report.period.start, "long", locale=lang),
                          end=format_date(report.period.end, "long", locale=lang),
                          generated=format_utc(report.generated_at)))
    doc.ln(8)
    doc.paragraph(gettext("%(total)s incidents were reported in the quarter (%(previous)s in %(previous_period)s). "
                          "The national register holds %(risks)s risks. Figures count the incidents reported in "
                          "the quarter, merged duplicates excluded.", total=found.total,
                          previous=found.previous_total, previous_period=found.previous_period.label,
                          risks=report.register_size), 12)
    doc.ln(20)
    doc.heading(MARKING, 14)
    doc.paragraph(gettext("Contents: KPI summary; risk heat maps; top risks; threat landscape; one KPI card per "
                          "sector."))


def _kpi_summary(doc: _Document, report: QuarterlyReport) -> None:
    doc.add_page()
    doc.heading(gettext("KPI summary by sector"))
    doc.paragraph(gettext("Each figure against its target: green met, amber within the margin, red past it. "
                          "Times are medians; NIS2 warning is the share of early warnings on time; the value in "
                          "brackets is the previous quarter's."))
    widths = [40] + [25] * len(HEADLINES)
    rows = []
    for card in report.sector_cards:
        by_key = {f.key: f for f in card.figures}
        row = [(card_name(card), None)]
        for key in HEADLINES:
            f = by_key[key]
            row.append((f"{figures.text(f.value, f.unit)} ({figures.text(f.previous, f.unit)})",
                        STATUS_FILL.get(f.status or "")))
        rows.append(row)
    doc.table([gettext("Sector"), *(gettext(h) for h in HEADLINES.values())], rows, widths)


def _risks(doc: _Document, report: QuarterlyReport) -> None:
    doc.add_page()
    doc.heading(gettext("National risk heat maps"))
    for found in report.heat_maps:
        title = gettext(HEAT_MAP_TITLES[found.kind])
        if found.unscored:
            title += " " + gettext("%(n)s risks are not assessed yet.", n=found.unscored)
        doc.chart(charts.heat_map(f"pdf-{found.kind}", title, "", found.matrix, found.counts, palette=charts.PRINT),
                  115)
    if not report.top_risks:
        doc.paragraph(gettext("No risk is assessed yet, so there are no top risks."))
        return
    doc.add_page()
    doc.heading(gettext("Top %(n)s risks by current score", n=len(report.top_risks)))
    rows = []
    for r in report.top_risks:
        current, residual = r.assessment["current"], r.assessment["residual"]
        owner = r.owner_org or r.owner_team
        strategy = (r.treatment or {}).get("strategy")
        rows.append([(r.reference, None), (r.title, None), (owner.name if owner else "", None),
                     (_scored(current), LEVEL_FILL[current["level"]]),
                     (_scored(residual), LEVEL_FILL[residual["level"]]),
                     (term("risk_status", r.status), None),
                     (term("risk_strategy", strategy) if strategy else "—", None)])
    doc.table([gettext("Reference"), gettext("Title"), gettext("Owner"), gettext("Current"), gettext("Residual"),
               gettext("Status"), gettext("Treatment")], rows, [22, 58, 32, 24, 24, 16, 14])


def _scored(level: dict) -> str:
    """``high L4×I3``: the level's name, likelihood and impact."""
    return gettext("%(level)s L%(likelihood)s×I%(impact)s", level=gettext(RISK_LEVELS[level["level"]]),
                   likelihood=level["likelihood"], impact=level["impact"])


def _landscape(doc: _Document, report: QuarterlyReport) -> None:
    found = report.landscape
    doc.add_page()
    doc.heading(gettext("Threat landscape %(period)s", period=found.period.label))
    for chart in trend_charts(found, report.generated_at, charts.PRINT):
        doc.chart(chart, 140)
    for chart in top_charts(found, charts.PRINT):
        if chart.rows:
            doc.chart(chart, 115)
        else:  # a sentence, not an empty chart that could fill a page of its own
            doc.paragraph(gettext("%(title)s: none in %(period)s.", title=chart.title, period=found.period.label))
    if found.national_incidents:
        doc.heading(gettext("National incidents"), 12)
        doc.table([gettext("Reference"), gettext("Title"), gettext("Incidents"), gettext("Sectors")],
                  [[(c.reference, None), (c.title, None), (str(c.incidents), None), (", ".join(c.sectors), None)]
                   for c in found.national_incidents], [28, 80, 20, 52])


def _sector_card(doc: _Document, card: kpi.Card) -> None:
    doc.add_page()
    doc.heading(gettext("%(name)s: KPI card %(period)s", name=card_name(card), period=card.period.label))
    rows = []
    for group, title in figures.GROUPS.items():
        for f in (f for f in card.figures if f.group == group):
            rows.append([(gettext(title), None), (figures.label(f), None),
                         (figures.text(f.value, f.unit), STATUS_FILL.get(f.status or "")),
                         (figures.text(f.previous, f.unit), None),
                         (figures.text(f.target.target, f.unit) if f.target else "—", None),
                         (gettext(figures.STATUSES[f.status]) if f.status in figures.STATUSES else "—", None)])
    doc.table([gettext("Group"), gettext("Figure"), gettext("Value"), card.previous_period.label, gettext("Target"),
               gettext("Status")], rows, [34, 70, 22, 22, 20, 14])
    if card.history:
        latest = card.history[0]
        doc.paragraph(gettext("Last signed-off review: %(period)s, by %(who)s.", period=latest.period,
                              who=latest.signed_off_by) + f" {latest.comments}")


def card_name(card: kpi.Card) -> str:
    """A sector card's name: the shipped registry's term in the report's language, else as stored."""
    lang = current_locale()
    if card.kind == "sector" and lang != SOURCE_LOCALE and card.slug in vocabulary(lang).get("sector", {}):
        return term("sector", card.slug, lang)
    return card.name

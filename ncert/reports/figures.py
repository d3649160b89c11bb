"""KPI figures written for people: a duration, a percentage or a count, and their groups."""

from __future__ import annotations

from flask_babel import gettext

from ncert.i18n import N_, format_number, option_label, term
from ncert.services.kpi import KPIS

# The card's figure groups (``ncert.services.kpi.Figure.group``) as headings, in reading order.
# Marked for the catalogues; whoever shows one translates it (``gettext(GROUPS[group])``).
GROUPS = {"incidents": N_("Incidents"), "severity": N_("By national severity"), "rsit_class": N_("By RSIT class"),
          "response": N_("Response"), "reporting": N_("Reporting"), "nis2": N_("NIS2 stages on time"),
          "rfi": N_("Requests for information"), "open": N_("Open at the period's end")}

STATUSES = {"green": N_("green"), "amber": N_("amber"), "red": N_("red")}  # a figure against its target


def label(figure) -> str:
    """A KPI figure's name in the page's language: the KPI's own (``kpi.KPIS``, marked for the catalogues),
    a severity level with its term, an RSIT class from the vocabulary."""
    if figure.group == "severity":
        level = figure.key.removeprefix("severity_")
        return gettext("Level %(level)s (%(name)s)", level=level, name=term("severity", level))
    if figure.group == "rsit_class":
        return option_label("rsit_class", figure.key.removeprefix("rsit_"))
    return gettext(KPIS[figure.key].label) if figure.key in KPIS else figure.label


def duration(seconds: float) -> str:
    """``2d 3h``, ``3h 20m`` or ``45m``: the two largest units, as the console writes durations (with the
    locale's unit letters)."""
    minutes = int(seconds // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    d, h, m = (gettext("%(n)sd", n=days), gettext("%(n)sh", n=hours), gettext("%(n)sm", n=minutes))
    if days:
        return f"{d} {h}"
    return f"{h} {m}" if hours else m


def text(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "seconds":
        return duration(value)
    if unit == "percent":
        return f"{format_number(value, '0')} %"
    return format_number(value, "#,##0.###")

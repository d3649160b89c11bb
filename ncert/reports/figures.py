"""KPI figures written for people: a duration, a percentage or a count, and their groups."""

from __future__ import annotations

# The card's figure groups (``ncert.services.kpi.Figure.group``) as headings, in reading order.
GROUPS = {"incidents": "Incidents", "severity": "By national severity", "rsit_class": "By RSIT class",
          "response": "Response", "reporting": "Reporting", "nis2": "NIS2 stages on time",
          "rfi": "Requests for information", "open": "Open at the period's end"}


def duration(seconds: float) -> str:
    """``2d 3h``, ``3h 20m`` or ``45m``: the two largest units, as the console writes durations."""
    minutes = int(seconds // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {minutes}m" if hours else f"{minutes}m"


def text(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "seconds":
        return duration(value)
    if unit == "percent":
        return f"{value:.0f} %"
    return f"{value:g}"

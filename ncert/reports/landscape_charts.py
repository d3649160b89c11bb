"""The threat landscape's charts, for the console page and the quarterly PDF alike."""

from __future__ import annotations

from datetime import datetime

from ncert import charts
from ncert.services import landscape as landscape_service

SERIES_SHOWN = 6  # more lines than this on one chart cannot be told apart


def trend_charts(found: landscape_service.Landscape, now: datetime,
                 palette: charts.Palette = charts.SCREEN) -> list[charts.Chart]:
    """Incidents per month by RSIT class, sector and severity (the busiest series of each),
    up to the month of ``now``: a month still to come is not a month without incidents."""
    months = [m for m in found.months if m <= f"{now:%Y-%m}"]
    out = []
    for key, name, trends in (("trend-class", "RSIT class", found.by_class),
                              ("trend-sector", "sector", found.by_sector),
                              ("trend-severity", "national severity", found.by_severity)):
        shown = trends[:SERIES_SHOWN]
        rest = f" The {len(trends) - len(shown)} quieter ones are left out." if len(trends) > len(shown) else ""
        out.append(charts.line_chart(
            key, f"Incidents per month by {name}",
            f"Incidents reported in {found.period.label} per calendar month, one line per {name}.{rest}",
            months, [(t.label, t.per_month[:len(months)]) for t in shown], palette=palette))
    return out


def top_charts(found: landscape_service.Landscape, palette: charts.Palette = charts.SCREEN) -> list[charts.Chart]:
    """The most reported CVEs, malware families and ATT&CK techniques, by incidents."""
    return [charts.bar_chart(key, title, f"{title} in {found.period.label}, by the number of incidents naming them.",
                             [(t.name, t.incidents) for t in tops], palette=palette, label_header=header)
            for key, title, header, tops in (
                ("top-cves", "Most reported CVEs", "CVE", found.top_cves),
                ("top-malware", "Most reported malware families", "Malware family", found.top_malware),
                ("top-techniques", "Most reported ATT&CK techniques", "Technique", found.top_techniques))]

"""The threat landscape's charts, for the console page and the quarterly PDF alike."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext

from ncert import charts
from ncert.i18n import SOURCE_LOCALE, current_locale, option_label, term, vocabulary
from ncert.services import landscape as landscape_service

SERIES_SHOWN = 6  # more lines than this on one chart cannot be told apart


def trend_charts(found: landscape_service.Landscape, now: datetime,
                 palette: charts.Palette = charts.SCREEN) -> list[charts.Chart]:
    """Incidents per month by RSIT class, sector and severity (the busiest series of each),
    up to the month of ``now``: a month still to come is not a month without incidents."""
    months = [m for m in found.months if m <= f"{now:%Y-%m}"]
    out = []
    label = found.period.label
    for key, title, desc, trends in (
            ("trend-class", gettext("Incidents per month by RSIT class"),
             gettext("Incidents reported in %(period)s per calendar month, one line per RSIT class.", period=label),
             found.by_class),
            ("trend-sector", gettext("Incidents per month by sector"),
             gettext("Incidents reported in %(period)s per calendar month, one line per sector.", period=label),
             found.by_sector),
            ("trend-severity", gettext("Incidents per month by national severity"),
             gettext("Incidents reported in %(period)s per calendar month, one line per national severity.",
                     period=label),
             found.by_severity)):
        shown = trends[:SERIES_SHOWN]
        if len(trends) > len(shown):
            desc += " " + gettext("The %(n)s quieter ones are left out.", n=len(trends) - len(shown))
        out.append(charts.line_chart(key, title, desc, months,
                                     [(series_label(key, t), t.per_month[:len(months)]) for t in shown],
                                     palette=palette))
    return out


def series_label(chart: str, trend: landscape_service.Trend) -> str:
    """A line's name in the page's language: the RSIT class and the shipped registry's sectors from the
    vocabularies (a sector the registry does not know keeps its stored name), the national severity as
    its level and term."""
    if chart == "trend-severity":
        return gettext("Level %(level)s (%(name)s)", level=trend.key, name=term("severity", trend.key))
    if chart == "trend-class":
        return option_label("rsit_class", trend.key)
    lang = current_locale()
    if lang != SOURCE_LOCALE and trend.key in vocabulary(lang).get("sector", {}):
        return term("sector", trend.key, lang)
    return trend.label


def top_charts(found: landscape_service.Landscape, palette: charts.Palette = charts.SCREEN) -> list[charts.Chart]:
    """The most reported CVEs, malware families and ATT&CK techniques, by incidents."""
    return [charts.bar_chart(key, title, gettext("%(title)s in %(period)s, by the number of incidents naming them.",
                                                 title=title, period=found.period.label),
                             [(t.name, t.incidents) for t in tops], palette=palette, label_header=header)
            for key, title, header, tops in (
                ("top-cves", gettext("Most reported CVEs"), gettext("CVE"), found.top_cves),
                ("top-malware", gettext("Most reported malware families"), gettext("Malware family"),
                 found.top_malware),
                ("top-techniques", gettext("Most reported ATT&CK techniques"), gettext("Technique"),
                 found.top_techniques))]

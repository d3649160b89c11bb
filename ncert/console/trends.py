"""Trends: one question (free text, status, sector, category, severity, period) answered with its
counts over time, by sector (reporting or affected, as ``queue.in_sectors``), RSIT class and severity
(``ncert.services.trends``, through the search interface), each bucket linking to the queue filtered the same way."""

from __future__ import annotations

from dataclasses import replace

from flask import render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from ncert import charts, i18n
from ncert.console import period_picker
from ncert.console.blueprint import bp
from ncert.console.context import current_actor
from ncert.console.forms import TrendFilterForm, category_choices, options
from ncert.db import utcnow
from ncert.errors import BadRequest
from ncert.services import directory
from ncert.services import trends as trends_service
from ncert.taxonomy import OPEN_STATUSES, Status
from ncert.web.session import db

STATUS_TABS = {"open": OPEN_STATUSES, "all": ()}  # as the queue's status tabs


@bp.get("/trends")
@login_required
def trends():
    now, session, actor = utcnow(), db(), current_actor()
    period = period_picker.picked(now)
    form = TrendFilterForm(request.args)
    sectors = directory.sectors(session)
    form.sector.choices = options(("", _l("any")), *((s.slug, i18n.sector_name(s)) for s in sectors))
    form.category.choices = [*options(("", _l("any"))), *category_choices(whole_classes=True)]
    if not form.validate():
        raise BadRequest("; ".join(f"{form[name].label.text}: {' '.join(map(str, errors))}"
                                   for name, errors in form.errors.items()))
    status = form.status.data
    found = trends_service.trends(session, actor, period, trends_service.TrendFilter(
        text=form.q.data or None, status=STATUS_TABS[status] if status in STATUS_TABS else (Status(status),),
        sector=form.sector.data or None, category=form.category.data or None,
        severity=int(form.severity.data) if form.severity.data else None), interval=form.interval.data or None,
        now=now)
    asked = {"q": form.q.data, "status": status, "sector": form.sector.data, "category": form.category.data,
             "severity": form.severity.data}
    return render_template("console/trends.html", t=found, form=form, period=period,
                           quarters=period_picker.quarters(now), asked={k: v for k, v in asked.items() if v},
                           charts=_charts(_in_words(found, sectors), asked))


def _in_words(found: trends_service.Trends, sectors) -> trends_service.Trends:
    """The buckets labelled for the reader: sectors by the registry's term, RSIT classes as the filter names them
    (the key in English, the term otherwise), severities by their level's term; each keeps its key for the link."""
    names = {s.slug: i18n.sector_name(s) for s in sectors}
    return replace(
        found, by_sector=[replace(b, label=names.get(b.key, b.label)) for b in found.by_sector],
        by_category=[replace(b, label=i18n.option_label("rsit_class", b.key)) for b in found.by_category],
        by_severity=[replace(b, label=f"{b.key} · {i18n.term('severity', b.key)}") for b in found.by_severity])


def _charts(found: trends_service.Trends, asked: dict[str, str]) -> list[charts.Chart]:
    def queue(bucket: trends_service.Bucket, **change: str) -> str:
        args = {**asked, "since": bucket.first.isoformat(), "until": bucket.last.isoformat(), **change}
        return url_for("console.queue", **{k: v for k, v in args.items() if v})

    where = gettext("Incidents reported in %(period)s that match the search", period=found.period.label)
    interval = {"day": gettext("day"), "week": gettext("week"), "month": gettext("month")}.get(found.interval,
                                                                                               found.interval)
    return [
        charts.bar_chart("trend-time", gettext("Incidents per %(interval)s", interval=interval),
                         gettext("%(where)s, per %(interval)s (each labelled by its first day).", where=where,
                                 interval=interval),
                         [(b.label, b.count) for b in found.over_time], label_header=interval.title(),
                         links=[queue(b) for b in found.over_time]),
        charts.bar_chart("trend-sector", gettext("By sector, reporting or affected"),
                         gettext("%(where)s, by sector: an incident counts in its reporting organisation's sector "
                                 "and in each other sector it affects, as the queue's sector filter lists them; each "
                                 "links to that queue.", where=where),
                         [(b.label, b.count) for b in found.by_sector], label_header=gettext("Sector"),
                         links=[queue(b, sector=b.key) for b in found.by_sector]),
        charts.bar_chart("trend-category", gettext("By RSIT class"), gettext("%(where)s, by RSIT class.", where=where),
                         [(b.label, b.count) for b in found.by_category], label_header=gettext("RSIT class"),
                         links=[queue(b, category=b.key) for b in found.by_category]),
        charts.bar_chart("trend-severity", gettext("By severity"),
                         gettext("%(where)s, by the severity you see.", where=where),
                         [(b.label, b.count) for b in found.by_severity], label_header=gettext("Severity"),
                         links=[queue(b, severity=b.key) for b in found.by_severity]),
    ]

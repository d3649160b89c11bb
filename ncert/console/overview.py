"""The leadership overview: a period at a glance (the last 90 days, a quarter or
a custom range picked on the page), scoped to the viewer."""

from __future__ import annotations

from flask import render_template, request
from flask_login import login_required

from ncert import periods
from ncert.console.blueprint import bp
from ncert.console.context import current_actor
from ncert.db import utcnow
from ncert.errors import BadRequest
from ncert.i18n import N_
from ncert.services import overview as overview_service
from ncert.taxonomy import OPEN_STATUSES
from ncert.web.session import db

QUARTERS_OFFERED = 8
MAX_DAYS = 3660


@bp.get("/overview")
@login_required
def overview():
    now = utcnow()
    figures = overview_service.overview(db(), current_actor(), _period(now))
    quarters = [periods.quarter_of(now)]
    while len(quarters) < QUARTERS_OFFERED:
        quarters.append(quarters[-1].previous())
    return render_template("console/overview.html", o=figures, open_statuses=[str(s) for s in OPEN_STATUSES],
                           quarters=[q.label for q in quarters], picked=request.args)


def _period(now) -> periods.Period | None:
    """``?period=2026Q3``, ``?from=&to=`` (days, both included) or ``?days=N``; none: the last 90 days."""
    args = {name: request.args.get(name, "").strip() or None for name in ("period", "from", "to", "days")}
    if args["days"] and not (args["period"] or args["from"] or args["to"]):
        if not args["days"].isdigit() or not 1 <= int(args["days"]) <= MAX_DAYS:
            raise BadRequest(N_("days: a whole number of days from 1 to %(days)s"), days=MAX_DAYS)
        return overview_service.recent(int(args["days"]), now)
    if args["period"] or args["from"] or args["to"]:
        return periods.parse(args["period"], args["from"], args["to"], now=now)
    return None

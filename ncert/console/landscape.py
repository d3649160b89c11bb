"""The threat landscape for a period: trends by RSIT class, sector and severity as
charts, the most reported CVEs, malware families and ATT&CK techniques, and the
national incidents; all counted by ``ncert.services.landscape`` within the viewer's scope."""

from __future__ import annotations

from flask import render_template
from flask_login import login_required

from ncert.access import national_incidents_readable
from ncert.console import period_picker
from ncert.console.blueprint import bp
from ncert.console.context import current_actor
from ncert.db import utcnow
from ncert.reports.landscape_charts import top_charts, trend_charts
from ncert.services import landscape as landscape_service
from ncert.web.session import db


@bp.get("/landscape")
@login_required
def landscape():
    now = utcnow()
    period = period_picker.picked(now)
    actor = current_actor()
    found = landscape_service.landscape(db(), actor, period)
    return render_template("console/landscape.html", l=found, period=period, quarters=period_picker.quarters(now),
                           trends=trend_charts(found, now), tops=top_charts(found),
                           campaigns_shown=national_incidents_readable(actor))

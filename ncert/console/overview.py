"""The leadership overview: the last 90 days at a glance, scoped to the viewer."""

from __future__ import annotations

from flask import render_template
from flask_login import login_required

from ncert.console.blueprint import bp
from ncert.console.context import current_actor
from ncert.services import overview as overview_service
from ncert.taxonomy import OPEN_STATUSES
from ncert.web.session import db


@bp.get("/overview")
@login_required
def overview():
    figures = overview_service.overview(db(), current_actor())
    return render_template("console/overview.html", o=figures, open_statuses=[str(s) for s in OPEN_STATUSES])

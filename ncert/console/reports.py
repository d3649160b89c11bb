"""The quarterly national report as PDF and the quarter's KPI cards as CSV, for
national staff (``ncert.reports.quarterly`` answers anyone else with a 404).

The PDF is in the user's language, and so is the CSV's header row; ``?headers=keys`` gives the
column keys instead (``card``, ``kpi``, ``value``…), the same in every language, for a script
or a spreadsheet lookup that reads the export by these names (``?headers=names``: the default)."""

from __future__ import annotations

from flask import Response, request
from flask_login import login_required

from ncert.console.blueprint import bp
from ncert.console.context import current_actor
from ncert.errors import BadRequest
from ncert.i18n import N_
from ncert.reports import csv_export, quarterly
from ncert.web.session import db


@bp.get("/reports/quarterly/<period>.pdf")
@login_required
def quarterly_report_pdf(period: str):
    from ncert.reports import pdf  # fpdf: ~0.4 s to import, paid by the first report, not at start

    report = quarterly.build(db(), current_actor(), period)
    body = pdf.render(report)  # in the request's language, the user's own
    return Response(body, content_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="ncert-{report.period.label}.pdf"'})


@bp.get("/reports/quarterly/<period>.csv")
@login_required
def quarterly_report_csv(period: str):
    quarter, cards = quarterly.all_cards(db(), current_actor(), period)
    return Response(csv_export.kpi_cards(cards, keys=header_keys()), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="ncert-kpi-{quarter.label}.csv"'})


def header_keys() -> bool:
    """Whether a CSV export's header row is the column keys (``?headers=keys``) rather than their names in
    the user's language (``?headers=names``, the default)."""
    asked = request.args.get("headers", "names")
    if asked not in ("keys", "names"):
        raise BadRequest(N_("headers: '%(value)s' is neither 'keys' nor 'names'"), value=asked[:40])
    return asked == "keys"

"""The quarterly national report as PDF and the quarter's KPI cards as CSV, for
national staff (``ncert.reports.quarterly`` answers anyone else with a 404).

The PDF is in the user's language. The CSV's header row is its column keys
(``card``, ``kpi``, ``value``…), the same in every language, as a script or a
spreadsheet lookup reading the export names them."""

from __future__ import annotations

from flask import Response
from flask_login import login_required

from ncert.console.blueprint import bp
from ncert.console.context import current_actor
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
    return Response(csv_export.kpi_cards(cards), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="ncert-kpi-{quarter.label}.csv"'})

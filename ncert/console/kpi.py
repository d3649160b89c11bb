"""KPI cards: the cards the viewer may read for a period (``/kpi``, with each sector's
incident count from one landscape query rather than every card computed), one card with
its figures, responsible person and quarterly reviews (``/kpi/<slug>``), and
leadership's review and sign-off of it. Figures and who reads which card are
``ncert.services.kpi``'s; a card the viewer may not read is a 404."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from wtforms import BooleanField, HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from ncert import charts, i18n, periods
from ncert.access import quarterly_report_readable
from ncert.console import period_picker
from ncert.console.blueprint import bp
from ncert.console.context import current_actor, return_to
from ncert.console.forms import FlaskForm
from ncert.db import utcnow
from ncert.errors import NotFound
from ncert.reports import figures
from ncert.services import kpi, landscape
from ncert.web.session import db


class ReviewForm(FlaskForm):
    period = HiddenField(validators=[DataRequired()])
    comments = TextAreaField(_l("Comments"), [Length(max=20_000)], filters=[lambda v: (v or "").strip()])
    sign_off = BooleanField(_l("Sign off: the review and the figures become read-only"))


@bp.app_template_filter("kpi_value")
def kpi_value(value: float | None, unit: str) -> str:
    return figures.text(value, unit)


@bp.app_template_filter("figure_label")
def figure_label(figure) -> str:
    return figures.label(figure)


@bp.get("/kpi")
@login_required
def kpi_cards():
    actor, session, now = current_actor(), db(), utcnow()
    period = period_picker.picked(now)
    orgs, sectors = kpi.readable_cards(session, actor)
    counts = {t.key: t for t in landscape.landscape(session, actor, period).by_sector} if sectors else {}
    return render_template("console/kpi_cards.html", period=period, quarters=period_picker.quarters(now),
                           orgs=orgs, sectors=[(s, counts.get(s.slug)) for s in sectors],
                           query=period_picker.query(period), reports_shown=quarterly_report_readable(actor))


@bp.get("/kpi/<slug>")
@login_required
def kpi_card(slug: str):
    actor, now = current_actor(), utcnow()
    period = period_picker.picked(now)
    card = _card(slug, period)
    form = None
    if actor.role in kpi.REVIEWERS and period.is_quarter and period.start <= now and not _signed(card.review):
        form = ReviewForm(data={"period": period.label, "comments": card.review.comments if card.review else ""})
    return render_template("console/kpi_card.html", card=card, card_name=card_name, period=period,
                           quarters=period_picker.quarters(now),
                           groups=figures.GROUPS, form=form, charts=_charts(card), query=period_picker.query(period),
                           kind_query={"kind": card.kind} if request.args.get("kind") else {})


@bp.post("/kpi/<slug>/review")
@login_required
def kpi_review(slug: str):
    """Leadership records the quarter's review of a card, and may sign it off (read-only after)."""
    form = ReviewForm()
    card = _card(slug, periods.parse(form.period.data or None, now=utcnow()))
    back = return_to(url_for("console.kpi_card", slug=slug, period=card.period.label, kind=card.kind))
    if not form.validate_on_submit():
        for field, errors in form.errors.items():
            flash(f"{form[field].label.text if field in form else field}: {'; '.join(map(str, errors))}", "error")
        return redirect(back)
    row, _ = kpi.review(db(), current_actor(), card.kind, card.slug, card.period.label,
                        comments=form.comments.data, sign_off=form.sign_off.data)
    flash(gettext("The %(period)s review of %(card)s is signed off.", period=row.period, card=card_name(card))
          if row.signed_off_at else
          gettext("The %(period)s review of %(card)s is saved as a draft.", period=row.period, card=card_name(card)),
          "success")
    return redirect(back)


def card_name(card: kpi.Card) -> str:
    """A sector card by the registry's term for the sector in the page's language, an organisation's as stored."""
    return i18n.sector_name(card) if card.kind == "sector" else card.name


def _card(slug: str, period) -> kpi.Card:
    """The organisation's card of that slug, else the sector's (``?kind=`` picks one)."""
    actor, session = current_actor(), db()
    kind = request.args.get("kind")
    if kind != "sector":
        try:
            return kpi.organization_card(session, actor, slug, period)
        except NotFound:
            if kind == "organization":
                raise
    return kpi.sector_card(session, actor, slug, period)


def _signed(review) -> bool:
    return review is not None and review.signed_off_at is not None


def _charts(card: kpi.Card) -> list[charts.Chart]:
    def bars(group: str) -> list[tuple[str, float]]:
        return [(figures.label(f), f.value or 0) for f in card.figures if f.group == group]

    return [
        charts.bar_chart("chart-severity", gettext("Incidents by national severity"),
                         gettext("Incidents reported in %(period)s by %(card)s, per severity level.",
                                 period=card.period.label, card=card_name(card)),
                         bars("severity"), label_header=gettext("Severity")),
        charts.bar_chart("chart-class", gettext("Incidents by RSIT class"),
                         gettext("Incidents reported in %(period)s by %(card)s, per RSIT class.",
                                 period=card.period.label, card=card_name(card)),
                         sorted(bars("rsit_class"), key=lambda b: -b[1]), label_header=gettext("RSIT class")),
    ]

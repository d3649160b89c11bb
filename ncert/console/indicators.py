"""The indicator pivot: values searched through ``ncert.search.search_indicators`` (whichever backend
is configured), and the indicator page: one value across the incidents the user may see, its MISP
warninglists, and for operators the national false-positive mark (``ncert.services.indicator_profile``,
``ncert.services.false_positives``)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from wtforms import StringField
from wtforms.validators import Length

from ncert.console.blueprint import bp
from ncert.console.context import current_actor
from ncert.console.forms import FlaskForm
from ncert.errors import Invalid
from ncert.observables import INDICATOR_TYPES
from ncert.search import IndicatorQuery, search_indicators
from ncert.search.indicators import page_facts
from ncert.services import false_positives
from ncert.services.indicator_profile import profile
from ncert.web.session import db

PAGE = "/indicators/<type>/<path:value>"
PAGE_SIZE = 50
SORTS = {"-last_seen": _l("Last seen, newest first"), "last_seen": _l("Last seen, oldest first"),
         "value": _l("Value")}


class FalsePositiveForm(FlaskForm):
    reason = StringField(_l("Reason"), [Length(max=2000)], render_kw={"autocomplete": "off"})


@bp.get("/indicators", endpoint="indicators")
@login_required
def search():
    """Values the user may see, by value (exact, prefix, CIDR) and type, newest last seen first."""
    actor, session = current_actor(), db()
    q, kind = request.args.get("q", "").strip(), request.args.get("type", "")
    sort, cursor = request.args.get("sort", "-last_seen"), request.args.get("cursor") or None
    result = search_indicators(session, actor, IndicatorQuery(
        text=q or None, type=(kind,) if kind else (), sort=sort, limit=PAGE_SIZE, cursor=cursor,
        aggregations=("type",)))
    facts = page_facts(session, actor, result.ids)
    return render_template("console/indicators.html", q=q, kind=kind, sort=sort, sorts=SORTS, types=INDICATOR_TYPES,
                           rows=[facts[i] for i in result.ids if i in facts], result=result, first_page=bool(cursor))


# merge_slashes=False: a URL value's "//" must reach the view as typed, not be redirected away.
@bp.get(PAGE, endpoint="indicator", merge_slashes=False)
@login_required
def indicator(type: str, value: str):  # noqa: A002 (the URL's name)
    actor = current_actor()
    found = profile(db(), actor, type, value)
    form = FalsePositiveForm(prefix="fp") if actor.can_triage else None
    return render_template("console/indicator.html", p=found, form=form)


@bp.post(PAGE + "/false-positive", endpoint="indicator_false_positive", merge_slashes=False)
@login_required
def mark_false_positive(type: str, value: str):  # noqa: A002
    form = FalsePositiveForm(prefix="fp")
    if not form.validate_on_submit():
        raise Invalid("; ".join(e for errs in form.errors.values() for e in errs) or "invalid form")
    marked = false_positives.mark(db(), current_actor(), type, value, form.reason.data or "")
    flash(gettext("%(value)s marked a false positive nationally.", value=marked.value), "success")
    return redirect(url_for("console.indicator", type=marked.type, value=marked.value))


@bp.post(PAGE + "/false-positive/clear", endpoint="indicator_clear_false_positive", merge_slashes=False)
@login_required
def clear_false_positive(type: str, value: str):  # noqa: A002
    form = FalsePositiveForm(prefix="fp")
    if not form.validate_on_submit():
        raise Invalid("; ".join(e for errs in form.errors.values() for e in errs) or "invalid form")
    cleared = false_positives.clear(db(), current_actor(), type, value, form.reason.data or "")
    flash(gettext("%(value)s counts again.", value=cleared.value), "success")
    return redirect(url_for("console.indicator", type=cleared.type, value=cleared.value))

"""The categoriser's suggestion on the incident page, and the one-click decision.

The queue marks an undecided category with ``unconfirmed_categories(page.items)``.
``console/_category_suggestion.html`` asks ``category_suggestion(i)`` for what to show: the
suggestion the viewer may see (``detection.categorisation.shown``: national staff the national
model's, everyone else the reporter model's) and, for operators and admins while nobody decided,
an Accept button and a Correct form. Both post to ``decide_category``."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from wtforms import SelectField
from wtforms.validators import DataRequired

from detection import categorisation
from ncert.console import forms
from ncert.console.blueprint import bp
from ncert.console.context import current_actor, return_to
from ncert.console.forms import FlaskForm
from ncert.errors import Invalid
from ncert.i18n import N_
from ncert.models import Incident
from ncert.records import Category
from ncert.services import incidents
from ncert.taxonomy import RSIT
from ncert.web.session import db

PAIRS = [f"{c}/{t}" for c, types in RSIT.items() for t in types]


class CorrectCategoryForm(FlaskForm):
    category = SelectField(_l("Correct to"), [DataRequired()], choices=forms.options(*((p, p) for p in PAIRS)))


@bp.app_template_global("category_suggestion")
def category_suggestion(incident: Incident) -> dict | None:
    """What the include shows about ``incident`` (read by the page through access already)."""
    actor = current_actor()
    shown = categorisation.of(db(), actor, incident)
    if shown is None:
        return None
    can_decide = actor.can_triage and shown.decision is None
    form = CorrectCategoryForm(data={"category": shown.pair}) if can_decide else None
    return {"shown": shown, "can_decide": can_decide, "accept": forms.ButtonForm(), "correct": form}


@bp.app_template_global("unconfirmed_categories")
def unconfirmed_categories(page: list[Incident]) -> dict:
    """The queue's marker: incident id → the undecided suggestion the viewer may see, for one page."""
    return categorisation.of_many(db(), current_actor(), [i.id for i in page])


@bp.post("/incidents/<reference>/category-decision")
@login_required
def decide_category(reference: str):
    """Accept the suggestion (the Accept button) or correct it (the form's category)."""
    session, actor = db(), current_actor()
    inc = incidents.get(session, actor, reference)
    return_to(url_for("console.incident", reference=inc.reference))
    chosen = None
    if "category" in request.form:
        form = CorrectCategoryForm()
        if not form.validate_on_submit():
            raise Invalid("; ".join(str(e) for errors in form.errors.values() for e in errors))
        chosen = Category.model_validate(form.category.data)
    elif not forms.ButtonForm().validate_on_submit():
        raise Invalid(N_("the form expired; reload the page and try again"))
    categorisation.decide(session, actor, inc.reference, chosen)
    flash(gettext("Category %(category)s confirmed.", category=inc.category), "success")
    return redirect(url_for("console.incident", reference=inc.reference))

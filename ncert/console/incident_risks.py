"""The risks panel of the incident page: national staff see the risks the incident
is linked to; operators and admins get a form to link it to a risk they may read
(the actions, in ``ncert.console.incident``, call ``ncert.services.risk_links``).
Nobody else is shown the panel or its links."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import DataRequired

from ncert.actor import Actor
from ncert.console import forms
from ncert.console.forms import FlaskForm
from ncert.models import Incident
from ncert.services import risk_links, risks


class RiskLinkForm(FlaskForm):
    # The choices are a convenience: which risk may be linked, and by whom, is risk_links' call.
    risk = SelectField(_l("Link to risk"), [DataRequired()], validate_choice=False)


def panel(session, actor: Actor, inc: Incident) -> dict:
    """What console/_incident_risks.html shows (national staff only), with the link form for operators."""
    if not actor.is_national:
        return {"risk_panel": False}
    linked = risk_links.risks_of(session, actor, inc)
    return {"risk_panel": True, "linked_risks": linked,
            "risk_link_form": _link_form(session, actor, linked) if actor.can_triage else None}


def _link_form(session, actor: Actor, linked: list) -> RiskLinkForm:
    """Offers the risks the operator may read that the incident is not linked to yet."""
    form = RiskLinkForm(prefix="risk-link")
    taken = {r.reference for r in linked}
    form.risk.choices = forms.options(*((r.reference, f"{r.reference} · {r.title}")
                                        for r in risks.list_risks(session, actor) if r.reference not in taken))
    return form

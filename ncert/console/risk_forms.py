"""The register's console forms, and their translation into the service's input
(``ncert.services.risk_records``), which checks every value once."""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, ValidationError
from wtforms import BooleanField, DateField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ncert import i18n
from ncert.console.forms import TEXT, FlaskForm, options
from ncert.errors import Invalid
from ncert.i18n import N_
from ncert.services.risk_records import ACTION_STATUSES, STATUSES, STRATEGIES

LEVELS = ("inherent", "current", "residual")
REASON = _l("Why (kept in the history)")


class RiskForm(FlaskForm):
    """A new register entry, or a change to its description, owner and status."""

    title = StringField(_l("Title"), [DataRequired(), Length(max=300)], **TEXT)
    scenario = TextAreaField(_l("Scenario"), [Length(max=20_000)], **TEXT)
    # The service checks the owner exists, and names a missing one (``risks._org``).
    owner_org = SelectField(_l("Owner organisation"), choices=[], default="", validate_choice=False)
    owner_team = SelectField(_l("or owner team"), choices=[], default="", validate_choice=False)
    owner_person = StringField(_l("Named owner"), [DataRequired(), Length(max=300)], **TEXT)
    owner_email = StringField(_l("Owner's e-mail"), [Length(max=320)], **TEXT)
    shared_with_owner = BooleanField(_l("Share with the owner organisation (read-only)"))
    sectors = SelectMultipleField(_l("Sectors"), choices=[], widget=ListWidget(prefix_label=False),
                                  option_widget=CheckboxInput())
    threat = TextAreaField(_l("Threat (RSIT)"), [Length(max=5000)], **TEXT,
                           description=_l("One RSIT class or class/type per line, e.g. malicious-code/infected-system"))
    attack = StringField(_l("ATT&CK techniques"), [Length(max=2000)], **TEXT, description=_l("e.g. T1486, T1566.001"))
    status = SelectField(_l("Status"), choices=options(*((s, LazyString(i18n.term, "risk_status", s))
                                                         for s in STATUSES)))
    review_frequency_days = IntegerField(_l("Review every (days)"), [Optional(), NumberRange(min=1, max=3650)])
    next_review_on = DateField(_l("Next review"), [Optional()])
    reason = StringField(REASON, [Length(max=2000)], **TEXT)

    def fields(self) -> dict:
        return {
            "title": self.title.data, "scenario": self.scenario.data,
            "owner": {"org": self.owner_org.data or None, "team": self.owner_team.data or None,
                      "person": self.owner_person.data, "email": self.owner_email.data or None},
            "shared_with_owner": self.shared_with_owner.data, "sectors": self.sectors.data,
            "threat": {"rsit": lines(self.threat.data),
                       "attack": [t.strip().upper() for t in self.attack.data.split(",") if t.strip()]},
            "status": self.status.data, "review_frequency_days": self.review_frequency_days.data,
            "next_review_on": self.next_review_on.data, "reason": self.reason.data,
        }


def _level_choices() -> list:
    return options(*((n, str(n)) for n in range(1, 6)))


class AssessmentForm(FlaskForm):
    """Likelihood and impact at the three levels, each with its rationale."""

    inherent_likelihood = SelectField(_l("Likelihood"), choices=_level_choices())
    inherent_impact = SelectField(_l("Impact"), choices=_level_choices())
    inherent_rationale = TextAreaField(_l("Rationale"), [DataRequired(), Length(max=5000)], **TEXT)
    current_likelihood = SelectField(_l("Likelihood"), choices=_level_choices())
    current_impact = SelectField(_l("Impact"), choices=_level_choices())
    current_rationale = TextAreaField(_l("Rationale"), [DataRequired(), Length(max=5000)], **TEXT)
    residual_likelihood = SelectField(_l("Likelihood"), choices=_level_choices())
    residual_impact = SelectField(_l("Impact"), choices=_level_choices())
    residual_rationale = TextAreaField(_l("Rationale"), [DataRequired(), Length(max=5000)], **TEXT)
    reason = StringField(REASON, [DataRequired(), Length(max=2000)], **TEXT)

    def fields(self) -> dict:
        return {"assessment": {level: {"likelihood": int(self[f"{level}_likelihood"].data),
                                       "impact": int(self[f"{level}_impact"].data),
                                       "rationale": self[f"{level}_rationale"].data} for level in LEVELS},
                "reason": self.reason.data}


class TreatmentForm(FlaskForm):
    strategy = SelectField(_l("Strategy"), choices=options(*((s, LazyString(i18n.term, "risk_strategy", s))
                                                             for s in STRATEGIES)))
    actions = TextAreaField(_l("Plan of actions"), [Length(max=20_000)], **TEXT,
                            description=_l("One per line: action | owner | due YYYY-MM-DD | %(statuses)s",
                                            statuses=" / ".join(ACTION_STATUSES)))
    approver = StringField(_l("Accepted by"), [Length(max=300)], **TEXT, description=_l("Accept only"))
    expires_on = DateField(_l("Acceptance expires on"), [Optional()])
    reason = StringField(REASON, [DataRequired(), Length(max=2000)], **TEXT)

    def fields(self) -> dict:
        acceptance = None
        if self.strategy.data == "accept" or self.approver.data or self.expires_on.data:
            acceptance = {"approver": self.approver.data, "expires_on": self.expires_on.data}
        return {"treatment": {"strategy": self.strategy.data, "actions": [_action(n, line) for n, line in
                                                                         enumerate(lines(self.actions.data), 1)],
                              "acceptance": acceptance},
                "reason": self.reason.data}


def lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _action(number: int, line: str) -> dict:
    parts = [p.strip() for p in line.split("|")]
    if len(parts) not in (3, 4):
        raise Invalid(N_("plan of actions, line %(number)s: write 'action | owner | due YYYY-MM-DD | status'"),
                      number=number)
    return {"title": parts[0], "owner": parts[1], "due": parts[2], "status": parts[3] if len(parts) == 4 else "planned"}


def action_lines(treatment: dict | None) -> str:
    """A treatment's actions written back as the form's lines."""
    return "\n".join(f"{a['title']} | {a['owner']} | {a['due']} | {a['status']}"
                     for a in (treatment or {}).get("actions", []))


def validated(model: type[BaseModel], data: dict) -> BaseModel:
    """``data`` as the service's input model; the first fault is a 422 naming its field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "risk"
        raise Invalid("%(where)s: %(msg)s", where=where, msg=first['msg']) from None

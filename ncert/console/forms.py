"""The console's forms. Every POST form is a FlaskForm, so it renders and checks
the CSRF token; the queue's and the audit page's filter forms are plain GET forms without one."""

from __future__ import annotations

import flask_wtf
import wtforms
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from ncert import i18n, scoring
from ncert.services.assessments import MAX_MEMBER_STATES
from ncert.services.directory import MIN_PASSWORD_LENGTH
from ncert.taxonomy import RSIT, SEVERITY_LEVELS, TLP, OrgKind, Role, Status

SLUG = Regexp(r"^[a-z0-9][a-z0-9-]*$", message=_l("lower-case letters, digits and hyphens only"))
EMAIL = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("not an e-mail address"))
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def clean(value: str | None) -> str:
    """A text field's value trimmed, and "" when the field was not sent at all."""
    return (value or "").strip()


TEXT = {"filters": [clean]}


class FlaskForm(flask_wtf.FlaskForm):
    """Every console POST form: Flask-WTF's, with WTForms' own messages in the page's language."""

    class Meta:
        def get_translations(self, form):
            return i18n.FORM_TRANSLATIONS


class Form(wtforms.Form):
    """The console's GET filter forms (no CSRF token), with WTForms' messages in the page's language."""

    class Meta:
        def get_translations(self, form):
            return i18n.FORM_TRANSLATIONS


def options(*pairs: tuple[object, str]) -> list[SelectChoice]:
    """Select options from (value, label) pairs; values are submitted as strings."""
    return [SelectChoice(str(value), label) for value, label in pairs]


def values(enum_cls, vocabulary: str | None = None) -> list[SelectChoice]:
    """One option per member; with ``vocabulary`` its label is translated (``ncert.i18n.option_label``)."""
    if vocabulary is None:
        return [SelectChoice(member.value) for member in enum_cls]
    return [SelectChoice(member.value, LazyString(i18n.option_label, vocabulary, member.value)) for member in enum_cls]


def category_choices(*, whole_classes: bool = False) -> list[SelectChoice]:
    """RSIT categories as ``class/type`` values, one optgroup per class; with
    ``whole_classes`` each group starts with the bare class (for filtering)."""
    out = []
    for rsit_class, types in RSIT.items():
        if whole_classes:
            out.append(SelectChoice(rsit_class, LazyString(i18n.class_label, rsit_class), optgroup=rsit_class))
        out.extend(SelectChoice(f"{rsit_class}/{t}", LazyString(i18n.category_label, f"{rsit_class}/{t}"),
                                optgroup=rsit_class) for t in types)
    return out


def severity_choices() -> list[SelectChoice]:
    return options(*((level, LazyString(lambda level: f"{level} · {i18n.term('severity', level)}", level))
                     for level in SEVERITY_LEVELS))


class LoginForm(FlaskForm):
    email = StringField(_l("E-mail"), [DataRequired(), Length(max=320)], **TEXT)
    password = PasswordField(_l("Password"), [InputRequired(), Length(max=1024)])


class ButtonForm(FlaskForm):
    """A form with nothing but its CSRF token: sign out, assign to me, revoke…"""


# -- incident actions ----------------------------------------------------------------


class TriageForm(FlaskForm):
    """The incident page's one triage form; the view fills the status, assignee and team
    choices, and sends the service only what differs from the incident."""

    # Every status is accepted here; whether the move is allowed is the service's call.
    status = SelectField(_l("Status"), choices=values(Status, "status"))
    assignee = SelectField(_l("Assignee"), default="", choices=[])
    team = SelectField(_l("Team"), default="", choices=[])
    category = SelectField(_l("RSIT category"), choices=category_choices())
    severity = SelectField(_l("National severity"), choices=severity_choices())
    communicated = SelectField(_l("Severity shown to the reporter"), choices=severity_choices())
    tlp = SelectField(_l("TLP"), choices=values(TLP))
    reason = StringField(_l("Reason"), [Length(max=2000)], **TEXT)


class NewTeamForm(FlaskForm):
    slug = StringField(_l("Slug"), [DataRequired(), Length(max=80), SLUG], **TEXT)
    name = StringField(_l("Name"), [DataRequired(), Length(max=200)], **TEXT)
    email = StringField(_l("Mailbox"), [Optional(), Length(max=320), EMAIL], **TEXT,
                        description=_l("The desk's shared address; without one, notifications go to its members"))


class TeamMemberForm(FlaskForm):
    email = SelectField(_l("Member"), choices=[])


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Comment"), [DataRequired(), Length(max=20_000)], **TEXT)
    internal = BooleanField(_l("Internal note (national staff only)"))


class MergeForm(FlaskForm):
    into = StringField(_l("Merge into reference"), [DataRequired(), Length(max=20)], **TEXT)
    reason = StringField(_l("Reason"), [Length(max=2000)], **TEXT)


class SplitForm(FlaskForm):
    reason = StringField(_l("Reason"), [DataRequired(), Length(max=2000)], **TEXT)


class SavedFilterForm(FlaskForm):
    name = StringField(_l("Save these filters as"), [DataRequired(), Length(max=80)], **TEXT)
    query = HiddenField(_l("Filters"), [Length(max=2000)])


class ReopenForm(FlaskForm):
    reason = StringField(_l("Reason"), [DataRequired(), Length(max=2000)], **TEXT)


class PublishForm(FlaskForm):
    """Share over TAXII with a national audience; only CLEAR and GREEN may go there."""

    collection = SelectField(_l("National collection"), choices=[
        SelectChoice("national-sector-certs", _l("Sector CERTs")),
        SelectChoice("national-partners", _l("International partners"))])
    tlp = SelectField(_l("Publish as"), choices=[SelectChoice(TLP.GREEN.value), SelectChoice(TLP.CLEAR.value)])


class ReceiveForm(FlaskForm):
    """A regulatory report received for one deadline stage (rendered once per open stage)."""

    regime = HiddenField(_l("Regime"), [DataRequired(), Length(max=64)], **TEXT)
    stage = HiddenField(_l("Stage"), [DataRequired(), Length(max=64)], **TEXT)
    at = DateTimeLocalField(_l("Received at (UTC)"), [InputRequired()], format=DATETIME_LOCAL)


def answers(scale) -> list[SelectChoice]:
    """An assessment scale's answers: the key is submitted, its term (``assessment_answer``) shown."""
    return [SelectChoice(value, LazyString(i18n.term, "assessment_answer", value)) for value in scale]


class AssessmentForm(FlaskForm):
    """The analyst's answers for the national severity score; the other factors are derived from the data."""

    functional_impact = SelectField(_l("Functional impact"), choices=answers(scoring.FUNCTIONAL_IMPACT))
    information_impact = SelectField(_l("Information impact"), choices=answers(scoring.INFORMATION_IMPACT))
    recoverability = SelectField(_l("Recoverability"), choices=answers(scoring.RECOVERABILITY))
    observed_activity = SelectField(_l("Observed activity"), choices=answers(scoring.OBSERVED_ACTIVITY))
    potential_impact = SelectField(_l("Potential impact"), choices=answers(scoring.POTENTIAL_IMPACT))
    member_states_affected = IntegerField(_l("Member states affected"), [InputRequired(),
                                          NumberRange(min=1, max=MAX_MEMBER_STATES)], default=1)
    safety_effect = BooleanField(_l("A death, or an effect on safety systems"))
    operations_disrupted = BooleanField(_l("The reporter's operations are disrupted"))
    outlook = SelectField(_l("Outlook over the next 6 h"), default="",
                          choices=[*options(("", _l("not known"))), *answers(scoring.OUTLOOKS)])
    rationale = StringField(_l("Rationale"), [Length(max=2000)], **TEXT)
    tell_reporter = StringField(_l("Tell the reporter"), [Length(max=2000)], **TEXT,
                                description=_l("A reason written for the reporter: they see the new severity with it"))
    confirm = HiddenField()  # "lower" once the operator confirmed a score that lowers the severity


# -- submitting ----------------------------------------------------------------------


class SubmitForm(FlaskForm):
    title = StringField(_l("Title"), [DataRequired(), Length(max=300)], **TEXT)
    description = TextAreaField(_l("Description"), [Length(max=100_000)], **TEXT)
    category = SelectField(_l("RSIT category"), default="",
                           choices=[*options(("", _l("uncategorised (other/undetermined)"))), *category_choices()])
    severity = SelectField(_l("Severity hint"), default="",
                           choices=[*options(("", _l("no hint"))), *severity_choices()])
    tlp = SelectField(_l("TLP"), choices=values(TLP), default=TLP.AMBER.value)
    sector = SelectField(_l("Reporting sector"), default="", choices=[])
    affected_sectors = SelectMultipleField(_l("Affected sectors"), choices=[], widget=ListWidget(prefix_label=False),
                                           option_widget=CheckboxInput())
    occurred_at = DateTimeLocalField(_l("Occurred at (UTC)"), [Optional()], format=DATETIME_LOCAL)
    aware_at = DateTimeLocalField(_l("Aware at (UTC)"), [Optional()], format=DATETIME_LOCAL)
    indicators = TextAreaField(_l("Indicators"), [Length(max=1_000_000)],
                               description=_l("One per line: a value (198.51.100.7, hxxp://bad[.]example/x) or "
                                           "type and value (ipv4-addr 198.51.100.7)"), **TEXT)
    reporter_org = SelectField(_l("Reporting organisation"), choices=[])
    # Free text (an e-mail, a report) whose indicators are found for review (ncert.ioc_extract):
    # the "Find indicators" button shows them as ticked checkboxes ("found"), kept until submitted.
    pasted = TextAreaField(_l("Find indicators in text"), [Length(max=200_000)],
                           description=_l("Paste an e-mail or a report; defanged values are refanged"), **TEXT)
    found = SelectMultipleField(_l("Indicators found"), choices=[], validate_choice=False,
                                widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())


# -- admin -----------------------------------------------------------------------------


class OrganizationForm(FlaskForm):
    slug = StringField(_l("Slug"), [DataRequired(), Length(max=64), SLUG], **TEXT)
    name = StringField(_l("Name"), [DataRequired(), Length(max=300)], **TEXT)
    kind = SelectField(_l("Kind"), choices=values(OrgKind, "org_kind"))
    sector = SelectField(_l("Sector"), default="", choices=[])
    country = StringField(_l("Country"), [Optional(), Length(min=2, max=2)], **TEXT)
    nis2_entity = SelectField(_l("NIS2 entity"), default="", choices=options(("", "—"), ("essential", _l("essential")),
                                                             ("important", "important")))
    contact_email = StringField(_l("Contact e-mail"), [Optional(), Length(max=320), EMAIL], **TEXT)


class OrganizationEditForm(FlaskForm):
    name = StringField(_l("Name"), [DataRequired(), Length(max=300)], **TEXT)
    country = StringField(_l("Country"), [Optional(), Length(min=2, max=2)], **TEXT)
    nis2_entity = SelectField(_l("NIS2 entity"), default="", choices=options(("", "—"), ("essential", _l("essential")),
                                                             ("important", "important")))
    contact_email = StringField(_l("Contact e-mail"), [Optional(), Length(max=320), EMAIL], **TEXT)
    active = BooleanField(_l("Active (unticked: its users cannot sign in and its API keys are refused)"))


class UserForm(FlaskForm):
    email = StringField(_l("E-mail"), [DataRequired(), Length(max=320), EMAIL], **TEXT)
    name = StringField(_l("Name"), [DataRequired(), Length(max=200)], **TEXT)
    role = SelectField(_l("Role"), choices=values(Role, "role"))
    org = SelectField(_l("Organisation"), choices=[])
    password = PasswordField(_l("Initial password"), [InputRequired(), Length(min=MIN_PASSWORD_LENGTH, max=1024)])


class ApiKeyForm(FlaskForm):
    org = SelectField(_l("Organisation"), choices=[])
    role = SelectField(_l("Role"), choices=values(Role, "role"))
    name = StringField(_l("Name"), [Length(max=200)], **TEXT)


# -- the queue's GET filters ---------------------------------------------------------------

QUEUE_SORTS = {"reported": "reported_at", "updated": "updated_at", "severity": "severity", "deadline": "next_due_at"}


class BulkForm(FlaskForm):
    """The queue's bulk change to the ticked incidents; the view fills the assignee and team choices.
    An empty select leaves that field alone; "none" clears it."""

    ref = SelectMultipleField(_l("Incidents"), [DataRequired(message=_l("select at least one incident"))], choices=[],
                              validate_choice=False)
    assignee = SelectField(_l("Assign to"), default="", choices=[])
    team = SelectField(_l("Team"), default="", choices=[])
    status = SelectField(_l("Status"), default="", choices=[*options(("", _l("unchanged"))), *values(Status, "status")])
    into = StringField(_l("Merge into"), [Optional(), Length(max=20)], **TEXT)
    reason = StringField(_l("Reason"), [Length(max=2000)], **TEXT)
    back = HiddenField()


class AuditFilterForm(Form):
    """The audit page's filters, read from the query string; ``before`` is the keyset cursor (an event id)."""

    actor = StringField(_l("Actor"), [Optional(), Length(max=400)], **TEXT)
    action = StringField(_l("Action"), [Optional(), Length(max=64)], **TEXT)
    object_type = StringField(_l("Object type"), [Optional(), Length(max=32)], **TEXT)
    object_id = StringField(_l("Object id"), [Optional(), Length(max=64)], **TEXT)
    interface = StringField(_l("Interface"), [Optional(), Length(max=16)], **TEXT)
    since = DateField(_l("From"), [Optional()])
    until = DateField(_l("To (inclusive)"), [Optional()])
    before = IntegerField(_l("Before event"), [Optional(), NumberRange(min=1)])


class TrendFilterForm(Form):
    """The trends page's question, read from the query string (its period comes from the period picker)."""

    q = StringField(_l("Search"), [Optional(), Length(max=200)], **TEXT)
    status = SelectField(_l("Status"), default="all", choices=[*options(("all", _l("any")), ("open", _l("open"))),
                                                           *values(Status, "status")])
    sector = SelectField(_l("Sector"), default="", choices=[])
    category = SelectField(_l("Category"), default="", choices=[])
    severity = SelectField(_l("Severity"), default="", choices=[*options(("", _l("any"))), *severity_choices()])
    interval = SelectField(_l("Per"), default="", choices=options(("", _l("auto")), ("day", _l("day")),
                                                                  ("week", _l("week")), ("month", _l("month"))))


class StixFilterForm(Form):
    """The STIX search page's query, read from the query string; modified days both included (UTC)."""

    q = StringField(_l("Name or pattern"), [Optional(), Length(max=200)], **TEXT)
    type = StringField(_l("Type"), [Optional(), Length(max=64)], **TEXT)
    collection = SelectField(_l("Collection"), default="", choices=[])
    since = DateField(_l("Modified from"), [Optional()])
    until = DateField(_l("Modified to"), [Optional()])
    sort = SelectField(_l("Sort"), default="-modified", choices=options(
        ("-modified", _l("Modified, newest first")), ("modified", _l("Modified, oldest first")),
        ("-date_added", _l("Added, newest first")), ("date_added", _l("Added, oldest first"))))
    limit = IntegerField(_l("Per page"), [Optional(), NumberRange(min=1, max=200)])
    cursor = StringField(_l("Cursor"), [Optional(), Length(max=1000)], **TEXT)


class QueueFilterForm(Form):
    """Filters read from the query string, so a filtered queue is a shareable URL."""

    q = StringField(_l("Search"), [Optional(), Length(max=200)], **TEXT)
    status = SelectField(_l("Status"), default="open", choices=[*options(("all", _l("any")), ("open", _l("open"))),
                                                            *values(Status, "status")])
    sector = SelectField(_l("Sector"), default="", choices=[])
    severity = SelectField(_l("Severity"), default="", choices=[*options(("", _l("any"))), *severity_choices()])
    category = SelectField(_l("Category"), default="", choices=[])
    tlp = SelectField(_l("TLP"), default="", choices=[*options(("", _l("any"))), *values(TLP)])
    since = DateField(_l("Reported from"), [Optional()])  # days, both included (UTC)
    until = DateField(_l("Reported to"), [Optional()])
    assignee = SelectField(_l("Assignee"), default="", choices=[])
    team = SelectField(_l("Team"), default="", choices=[])
    sort = SelectField(_l("Sort by"), default="reported", choices=options(
        ("reported", _l("reported")), ("updated", _l("updated")), ("severity", _l("severity")),
        ("deadline", _l("deadline"))))
    order = SelectField(_l("Order"), default="desc",
                        choices=options(("desc", _l("descending")), ("asc", _l("ascending"))))
    limit = IntegerField(_l("Per page"), [Optional(), NumberRange(min=1, max=200)])
    cursor = StringField(_l("Cursor"), [Optional(), Length(max=400)], **TEXT)

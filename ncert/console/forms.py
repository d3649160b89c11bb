"""The console's forms. Every POST form is a FlaskForm, so it renders and checks
the CSRF token; the queue's and the audit page's filter forms are plain GET forms without one."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    Form,
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

from ncert import scoring
from ncert.services.assessments import MAX_MEMBER_STATES
from ncert.services.directory import MIN_PASSWORD_LENGTH
from ncert.taxonomy import RSIT, SEVERITY_LEVELS, TLP, OrgKind, Role, Status

SLUG = Regexp(r"^[a-z0-9][a-z0-9-]*$", message="lower-case letters, digits and hyphens only")
EMAIL = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="not an e-mail address")
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def clean(value: str | None) -> str:
    """A text field's value trimmed, and "" when the field was not sent at all."""
    return (value or "").strip()


TEXT = {"filters": [clean]}


def options(*pairs: tuple[object, str]) -> list[SelectChoice]:
    """Select options from (value, label) pairs; values are submitted as strings."""
    return [SelectChoice(str(value), label) for value, label in pairs]


def values(enum_cls) -> list[SelectChoice]:
    return [SelectChoice(member.value) for member in enum_cls]


def category_choices(*, whole_classes: bool = False) -> list[SelectChoice]:
    """RSIT categories as ``class/type`` values, one optgroup per class; with
    ``whole_classes`` each group starts with the bare class (for filtering)."""
    out = []
    for rsit_class, types in RSIT.items():
        if whole_classes:
            out.append(SelectChoice(rsit_class, f"{rsit_class} (all types)", optgroup=rsit_class))
        out.extend(SelectChoice(f"{rsit_class}/{t}", optgroup=rsit_class) for t in types)
    return out


def severity_choices() -> list[SelectChoice]:
    return options(*((level, f"{level} · {label}") for level, label in SEVERITY_LEVELS.items()))


class LoginForm(FlaskForm):
    email = StringField("E-mail", [DataRequired(), Length(max=320)], **TEXT)
    password = PasswordField("Password", [InputRequired(), Length(max=1024)])


class ButtonForm(FlaskForm):
    """A form with nothing but its CSRF token: sign out, assign to me, revoke…"""


# -- incident actions ----------------------------------------------------------------


class TriageForm(FlaskForm):
    """The incident page's one triage form; the view fills the status, assignee and team
    choices, and sends the service only what differs from the incident."""

    # Every status is accepted here; whether the move is allowed is the service's call.
    status = SelectField("Status", choices=values(Status))
    assignee = SelectField("Assignee", default="", choices=[])
    team = SelectField("Team", default="", choices=[])
    category = SelectField("RSIT category", choices=category_choices())
    severity = SelectField("National severity", choices=severity_choices())
    communicated = SelectField("Severity shown to the reporter", choices=severity_choices())
    tlp = SelectField("TLP", choices=values(TLP))
    reason = StringField("Reason", [Length(max=2000)], **TEXT)


class NewTeamForm(FlaskForm):
    slug = StringField("Slug", [DataRequired(), Length(max=80), SLUG], **TEXT)
    name = StringField("Name", [DataRequired(), Length(max=200)], **TEXT)
    email = StringField("Mailbox", [Optional(), Length(max=320), EMAIL], **TEXT,
                        description="The desk's shared address; without one, notifications go to its members")


class TeamMemberForm(FlaskForm):
    email = SelectField("Member", choices=[])


class CommentForm(FlaskForm):
    body = TextAreaField("Comment", [DataRequired(), Length(max=20_000)], **TEXT)
    internal = BooleanField("Internal note (national staff only)")


class MergeForm(FlaskForm):
    into = StringField("Merge into reference", [DataRequired(), Length(max=20)], **TEXT)
    reason = StringField("Reason", [Length(max=2000)], **TEXT)


class SplitForm(FlaskForm):
    reason = StringField("Reason", [DataRequired(), Length(max=2000)], **TEXT)


class SavedFilterForm(FlaskForm):
    name = StringField("Save these filters as", [DataRequired(), Length(max=80)], **TEXT)
    query = HiddenField("Filters", [Length(max=2000)])


class ReopenForm(FlaskForm):
    reason = StringField("Reason", [DataRequired(), Length(max=2000)], **TEXT)


class PublishForm(FlaskForm):
    """Share over TAXII with a national audience; only CLEAR and GREEN may go there."""

    collection = SelectField("National collection", choices=[
        SelectChoice("national-sector-certs", "Sector CERTs"),
        SelectChoice("national-partners", "International partners")])
    tlp = SelectField("Publish as", choices=[SelectChoice(TLP.GREEN.value), SelectChoice(TLP.CLEAR.value)])


class ReceiveForm(FlaskForm):
    """A regulatory report received for one deadline stage (rendered once per open stage)."""

    regime = HiddenField("Regime", [DataRequired(), Length(max=64)], **TEXT)
    stage = HiddenField("Stage", [DataRequired(), Length(max=64)], **TEXT)
    at = DateTimeLocalField("Received at (UTC)", [InputRequired()], format=DATETIME_LOCAL)


def answers(scale) -> list[SelectChoice]:
    return [SelectChoice(value, value.replace("-", " ")) for value in scale]


class AssessmentForm(FlaskForm):
    """The analyst's answers for the national severity score; the other factors are derived from the data."""

    functional_impact = SelectField("Functional impact", choices=answers(scoring.FUNCTIONAL_IMPACT))
    information_impact = SelectField("Information impact", choices=answers(scoring.INFORMATION_IMPACT))
    recoverability = SelectField("Recoverability", choices=answers(scoring.RECOVERABILITY))
    observed_activity = SelectField("Observed activity", choices=answers(scoring.OBSERVED_ACTIVITY))
    potential_impact = SelectField("Potential impact", choices=answers(scoring.POTENTIAL_IMPACT))
    member_states_affected = IntegerField("Member states affected", [InputRequired(),
                                          NumberRange(min=1, max=MAX_MEMBER_STATES)], default=1)
    safety_effect = BooleanField("A death, or an effect on safety systems")
    operations_disrupted = BooleanField("The reporter's operations are disrupted")
    outlook = SelectField("Outlook over the next 6 h", default="",
                          choices=[*options(("", "not known")), *answers(scoring.OUTLOOKS)])
    rationale = StringField("Rationale", [Length(max=2000)], **TEXT)
    tell_reporter = StringField("Tell the reporter", [Length(max=2000)], **TEXT,
                                description="A reason written for the reporter: they see the new severity with it")
    confirm = HiddenField()  # "lower" once the operator confirmed a score that lowers the severity


# -- submitting ----------------------------------------------------------------------


class SubmitForm(FlaskForm):
    title = StringField("Title", [DataRequired(), Length(max=300)], **TEXT)
    description = TextAreaField("Description", [Length(max=100_000)], **TEXT)
    category = SelectField("RSIT category", default="",
                           choices=[*options(("", "uncategorised (other/undetermined)")), *category_choices()])
    severity = SelectField("Severity hint", default="", choices=[*options(("", "no hint")), *severity_choices()])
    tlp = SelectField("TLP", choices=values(TLP), default=TLP.AMBER.value)
    sector = SelectField("Reporting sector", default="", choices=[])
    affected_sectors = SelectMultipleField("Affected sectors", choices=[], widget=ListWidget(prefix_label=False),
                                           option_widget=CheckboxInput())
    occurred_at = DateTimeLocalField("Occurred at (UTC)", [Optional()], format=DATETIME_LOCAL)
    aware_at = DateTimeLocalField("Aware at (UTC)", [Optional()], format=DATETIME_LOCAL)
    indicators = TextAreaField("Indicators", [Length(max=1_000_000)],
                               description="One per line: a value (198.51.100.7, hxxp://bad[.]example/x) or "
                                           "type and value (ipv4-addr 198.51.100.7)", **TEXT)
    reporter_org = SelectField("Reporting organisation", choices=[])
    # Free text (an e-mail, a report) whose indicators are found for review (ncert.ioc_extract):
    # the "Find indicators" button shows them as ticked checkboxes ("found"), kept until submitted.
    pasted = TextAreaField("Find indicators in text", [Length(max=200_000)],
                           description="Paste an e-mail or a report; defanged values are refanged", **TEXT)
    found = SelectMultipleField("Indicators found", choices=[], validate_choice=False,
                                widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())


# -- admin -----------------------------------------------------------------------------


class OrganizationForm(FlaskForm):
    slug = StringField("Slug", [DataRequired(), Length(max=64), SLUG], **TEXT)
    name = StringField("Name", [DataRequired(), Length(max=300)], **TEXT)
    kind = SelectField("Kind", choices=values(OrgKind))
    sector = SelectField("Sector", default="", choices=[])
    country = StringField("Country", [Optional(), Length(min=2, max=2)], **TEXT)
    nis2_entity = SelectField("NIS2 entity", default="", choices=options(("", "—"), ("essential", "essential"),
                                                             ("important", "important")))
    contact_email = StringField("Contact e-mail", [Optional(), Length(max=320), EMAIL], **TEXT)


class OrganizationEditForm(FlaskForm):
    name = StringField("Name", [DataRequired(), Length(max=300)], **TEXT)
    country = StringField("Country", [Optional(), Length(min=2, max=2)], **TEXT)
    nis2_entity = SelectField("NIS2 entity", default="", choices=options(("", "—"), ("essential", "essential"),
                                                             ("important", "important")))
    contact_email = StringField("Contact e-mail", [Optional(), Length(max=320), EMAIL], **TEXT)
    active = BooleanField("Active (unticked: its users cannot sign in and its API keys are refused)")


class UserForm(FlaskForm):
    email = StringField("E-mail", [DataRequired(), Length(max=320), EMAIL], **TEXT)
    name = StringField("Name", [DataRequired(), Length(max=200)], **TEXT)
    role = SelectField("Role", choices=values(Role))
    org = SelectField("Organisation", choices=[])
    password = PasswordField("Initial password", [InputRequired(), Length(min=MIN_PASSWORD_LENGTH, max=1024)])


class ApiKeyForm(FlaskForm):
    org = SelectField("Organisation", choices=[])
    role = SelectField("Role", choices=values(Role))
    name = StringField("Name", [Length(max=200)], **TEXT)


# -- the queue's GET filters ---------------------------------------------------------------

QUEUE_SORTS = {"reported": "reported_at", "updated": "updated_at", "severity": "severity", "deadline": "next_due_at"}


class BulkForm(FlaskForm):
    """The queue's bulk change to the ticked incidents; the view fills the assignee and team choices.
    An empty select leaves that field alone; "none" clears it."""

    ref = SelectMultipleField("Incidents", [DataRequired(message="select at least one incident")], choices=[],
                              validate_choice=False)
    assignee = SelectField("Assign to", default="", choices=[])
    team = SelectField("Team", default="", choices=[])
    status = SelectField("Status", default="", choices=[*options(("", "unchanged")), *values(Status)])
    into = StringField("Merge into", [Optional(), Length(max=20)], **TEXT)
    reason = StringField("Reason", [Length(max=2000)], **TEXT)
    back = HiddenField()


class AuditFilterForm(Form):
    """The audit page's filters, read from the query string; ``before`` is the keyset cursor (an event id)."""

    actor = StringField("Actor", [Optional(), Length(max=400)], **TEXT)
    action = StringField("Action", [Optional(), Length(max=64)], **TEXT)
    object_type = StringField("Object type", [Optional(), Length(max=32)], **TEXT)
    object_id = StringField("Object id", [Optional(), Length(max=64)], **TEXT)
    interface = StringField("Interface", [Optional(), Length(max=16)], **TEXT)
    since = DateField("From", [Optional()])
    until = DateField("To (inclusive)", [Optional()])
    before = IntegerField("Before event", [Optional(), NumberRange(min=1)])


class TrendFilterForm(Form):
    """The trends page's question, read from the query string (its period comes from the period picker)."""

    q = StringField("Search", [Optional(), Length(max=200)], **TEXT)
    status = SelectField("Status", default="all", choices=[*options(("all", "any"), ("open", "open")),
                                                           *values(Status)])
    sector = SelectField("Sector", default="", choices=[])
    category = SelectField("Category", default="", choices=[])
    severity = SelectField("Severity", default="", choices=[*options(("", "any")), *severity_choices()])
    interval = SelectField("Per", default="", choices=options(("", "auto"), ("day", "day"), ("week", "week"),
                                                              ("month", "month")))


class StixFilterForm(Form):
    """The STIX search page's query, read from the query string; modified days both included (UTC)."""

    q = StringField("Name or pattern", [Optional(), Length(max=200)], **TEXT)
    type = StringField("Type", [Optional(), Length(max=64)], **TEXT)
    collection = SelectField("Collection", default="", choices=[])
    since = DateField("Modified from", [Optional()])
    until = DateField("Modified to", [Optional()])
    sort = SelectField("Sort", default="-modified", choices=options(
        ("-modified", "Modified, newest first"), ("modified", "Modified, oldest first"),
        ("-date_added", "Added, newest first"), ("date_added", "Added, oldest first")))
    limit = IntegerField("Per page", [Optional(), NumberRange(min=1, max=200)])
    cursor = StringField("Cursor", [Optional(), Length(max=1000)], **TEXT)


class QueueFilterForm(Form):
    """Filters read from the query string, so a filtered queue is a shareable URL."""

    q = StringField("Search", [Optional(), Length(max=200)], **TEXT)
    status = SelectField("Status", default="open", choices=[*options(("all", "any"), ("open", "open")),
                                                            *values(Status)])
    sector = SelectField("Sector", default="", choices=[])
    severity = SelectField("Severity", default="", choices=[*options(("", "any")), *severity_choices()])
    category = SelectField("Category", default="", choices=[])
    tlp = SelectField("TLP", default="", choices=[*options(("", "any")), *values(TLP)])
    since = DateField("Reported from", [Optional()])  # days, both included (UTC)
    until = DateField("Reported to", [Optional()])
    assignee = SelectField("Assignee", default="", choices=[])
    team = SelectField("Team", default="", choices=[])
    sort = SelectField("Sort by", default="reported", choices=[SelectChoice(k) for k in QUEUE_SORTS])
    order = SelectField("Order", default="desc", choices=options(("desc", "descending"), ("asc", "ascending")))
    limit = IntegerField("Per page", [Optional(), NumberRange(min=1, max=200)])
    cursor = StringField("Cursor", [Optional(), Length(max=400)], **TEXT)

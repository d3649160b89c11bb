"""The incident page and its actions.

Each action is a POST that first finds the incident as the actor (a hidden
incident is a 404 here too), then calls one service and redirects back to
the page with a flash message. Domain errors are flashed by ``errors``.
"""

from __future__ import annotations

from datetime import UTC
from functools import wraps

import orjson
from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from detection import anomaly
from detection.service import settings as detection_settings
from ncert import i18n
from ncert.access import visible
from ncert.actor import Actor
from ncert.console import downloads, forms, incident_risks
from ncert.console.blueprint import bp
from ncert.console.context import current_actor, return_to, timeline_text
from ncert.console.queue import PAGE_SIZE
from ncert.db import utcnow
from ncert.errors import BadRequest, Conflict
from ncert.models import Incident, IncidentAssessment
from ncert.observables import normalise
from ncert.records import IncidentPatch
from ncert.services import (
    assessments,
    clocks,
    directory,
    duplicates,
    evidence,
    incidents,
    indicators,
    queue,
    risk_links,
    stix_export,
    teams,
    triage,
)
from ncert.taxonomy import REOPENABLE, TLP, TRANSITIONS, Role, Status
from ncert.web.session import db, national_org, rollback

STIX_MEDIA_TYPE = "application/stix+json;version=2.1"


def can_comment(actor: Actor, incident: Incident) -> bool:
    """Mirrors ``incidents.comment``: staff on any incident, analysts on their organisation's."""
    if actor.role is Role.LEADERSHIP:
        return False
    return actor.is_national or incident.reporter_org_id == actor.org_id


@bp.get("/incidents/<reference>")
@login_required
def incident(reference: str):
    actor, session = current_actor(), db()
    inc = incidents.get(session, actor, reference)
    if inc.reference != reference:
        return redirect(url_for("console.incident", reference=inc.reference))
    found = indicators.facts_of(session, actor, inc)
    values = {ind.id: ind for ind in found}
    action_forms = _action_forms(session, inc) if actor.can_triage else {}
    return render_template(
        "console/incident.html",
        incident=inc,
        indicators=found,
        shared=indicators.shared(session, actor, inc, list(values)),
        sightings=[(s, values.get(s.indicator_id)) for s in indicators.sightings_of_incident(session, actor, inc.id)],
        timeline=incidents.timeline(session, actor, inc),
        deadlines=[clocks.countdown(row, utcnow()) for row in clocks.of_incident(session, actor, inc)],
        merged_into_visible=inc.merged_into is not None and visible(actor, inc.merged_into),
        duplicates=incidents.duplicates(session, actor, inc),
        likely_duplicates=duplicates.suggest(session, actor, inc),
        attachments=evidence.of_incident(session, actor, inc),
        may_attach=can_comment(actor, inc),
        forms=action_forms,
        comment_form=forms.CommentForm(prefix="comment") if can_comment(actor, inc) else None,
        button=forms.ButtonForm(),
        receive_form=_receive_form() if actor.can_triage else None,
        anomaly_score=anomaly.score_for(session, actor, inc),
        anomaly_threshold=detection_settings().anomaly_threshold,
        **_assessment_panel(session, actor, inc),
        **incident_risks.panel(session, actor, inc),
    )


@bp.get("/indicators/incidents", endpoint="indicator_incidents")
@login_required
def incidents_carrying():
    """The full "also in" list: every incident the user may see carrying one value, paged."""
    kind, value, cursor = request.args.get("type", ""), request.args.get("value", ""), request.args.get("cursor")
    try:
        value = normalise(kind, value)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    page = queue.list_incidents(db(), current_actor(), queue.QueueFilter(indicator=(kind, value)),
                                limit=PAGE_SIZE, cursor=cursor or None)
    return render_template("console/indicator_incidents.html", kind=kind, value=value, page=page,
                           first_page=bool(cursor))


def _assessment_panel(session, actor: Actor, inc: Incident) -> dict:
    """What console/_assessment.html shows: the current assessment, and the form for operators
    (national staff only; the panel is left out for sector organisations)."""
    if not actor.is_national:
        return {"assessment_panel": False}
    current = assessments.current(session, actor, inc)
    form = _assessment_form(current) if actor.can_triage and inc.status is not Status.MERGED else None
    return {"assessment_panel": True, "assessment": current, "assessment_form": form}


def _assessment_form(current: IncidentAssessment | None) -> forms.AssessmentForm:
    """Filled with the current answers, so re-assessing changes only what changed."""
    data = {name: getattr(current, name) for name in assessments.ANSWERS} if current else {}
    if current is not None:
        data["outlook"] = current.outlook or ""
    return forms.AssessmentForm(prefix="assess", data=data)


def _receive_form() -> forms.ReceiveForm:
    """Rendered in each open deadline's row; received-at defaults to now (UTC, to the minute)."""
    return forms.ReceiveForm(prefix="receive", data={"at": utcnow().replace(second=0, microsecond=0, tzinfo=None)})


def _action_forms(session, inc: Incident) -> dict:
    return {
        "triage": _triage_form(session, inc),
        "merge": forms.MergeForm(prefix="merge") if inc.status is not Status.MERGED else None,
        "reopen": forms.ReopenForm(prefix="reopen") if inc.status in REOPENABLE else None,
        "split": forms.SplitForm(prefix="split") if inc.status is Status.MERGED else None,
        "publish": forms.PublishForm(prefix="publish"),
    }


def _triage_form(session, inc: Incident) -> forms.TriageForm:
    """Filled with the incident's values; the status offers staying put and the allowed moves,
    the assignee any active colleague (and the current one, so leaving it alone is accepted)."""
    form = forms.TriageForm(prefix="triage", data={
        "status": inc.status.value, "assignee": inc.assignee.email if inc.assignee else "",
        "team": inc.team.slug if inc.team else "", "category": inc.category, "severity": str(inc.severity),
        "communicated": str(inc.communicated_severity), "tlp": inc.tlp.value})
    if request.method == "GET":
        labels = {choice.value: choice for choice in forms.values(Status, "status")}  # the term, the key submitted
        form.status.choices = [labels[s.value] for s in (inc.status, *TRANSITIONS[inc.status])]
    staff = {u.email: u.name for u in directory.national_staff(session)}
    if inc.assignee:
        staff.setdefault(inc.assignee.email, inc.assignee.name)
    form.assignee.choices = forms.options(("", _l("unassigned")), *sorted(staff.items()))
    form.team.choices = forms.options(("", _l("no team")), *((t.slug, t.name) for t in teams.teams(session)))
    return form


def _triage_patch(inc: Incident, form: forms.TriageForm) -> IncidentPatch:
    """Every field of the form; the service leaves alone what equals the incident's value.
    The assignee is sent only when it changes, so a colleague who left does not block the rest."""
    fields = {"status": form.status.data, "team": form.team.data or None, "category": form.category.data,
              "severity": int(form.severity.data), "communicated_severity": int(form.communicated.data),
              "tlp": form.tlp.data, "reason": form.reason.data}
    if form.assignee.data != (inc.assignee.email if inc.assignee else ""):
        fields["assignee"] = form.assignee.data or None
    return IncidentPatch(**fields)


def incident_action(view):
    """Find the incident first (404 if hidden), then send domain errors back to its page."""

    @wraps(view)
    def wrapper(reference: str, **more):
        inc = incidents.get(db(), current_actor(), reference)
        return_to(url_for("console.incident", reference=inc.reference))
        return view(inc.reference, **more)

    return login_required(wrapper)


def _done(reference: str, message: str):
    flash(message, "success")
    return redirect(url_for("console.incident", reference=reference))


def _rejected(reference: str, form):
    for field, errors in form.errors.items():
        label = form[field].label.text if field in form else field
        flash(f"{label}: {'; '.join(map(str, errors))}", "error")
    return redirect(url_for("console.incident", reference=reference))


@bp.post("/incidents/<reference>/triage")
@incident_action
def triage_incident(reference: str):
    session, actor = db(), current_actor()
    inc = incidents.get(session, actor, reference)
    form = _triage_form(session, inc)
    if not form.validate_on_submit():
        return _rejected(reference, form)
    done = triage.triage(session, actor, reference, _triage_patch(inc, form))
    if not done.entries:
        flash(gettext("Nothing changed."), "info")
        return redirect(url_for("console.incident", reference=reference))
    return _done(reference, gettext("%(reference)s triaged: %(change)s", reference=reference,
                                    change=timeline_text(done.entries[0])))


@bp.post("/incidents/<reference>/comment")
@incident_action
def add_comment(reference: str):
    form = forms.CommentForm(prefix="comment")
    if not form.validate_on_submit():
        return _rejected(reference, form)
    incidents.comment(db(), current_actor(), reference, form.body.data, internal=form.internal.data)
    return _done(reference, gettext("Internal note added.") if form.internal.data else gettext("Comment added."))


@bp.post("/incidents/<reference>/merge")
@incident_action
def merge(reference: str):
    form = forms.MergeForm(prefix="merge")
    if not form.validate_on_submit():
        return _rejected(reference, form)
    source = incidents.merge(db(), current_actor(), reference, form.into.data, form.reason.data)
    return _done(reference, gettext("%(reference)s merged into %(into)s.", reference=reference,
                                    into=source.merged_into.reference))


@bp.post("/incidents/<reference>/evidence")
@incident_action
def attach_evidence(reference: str):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(gettext("Evidence: choose a file to attach."), "error")
        return redirect(url_for("console.incident", reference=reference))
    row = evidence.attach(db(), current_actor(), reference, upload.filename, upload.mimetype or "",
                          upload.read(current_app.extensions["ncert"].settings.attachment_max_bytes + 1),
                          max_bytes=current_app.extensions["ncert"].settings.attachment_max_bytes)
    return _done(reference, gettext("Attached %(filename)s.", filename=row.filename))


@bp.get("/incidents/<reference>/evidence/<int:attachment_id>")
@login_required
def download_evidence(reference: str, attachment_id: int):
    """An evidence file, always as a download: never rendered by the browser, whatever its type."""
    row, data = evidence.download(db(), current_actor(), reference, attachment_id)
    return downloads.attachment(data, row.filename)


@bp.post("/incidents/<reference>/split")
@incident_action
def split(reference: str):
    form = forms.SplitForm(prefix="split")
    if not form.validate_on_submit():
        return _rejected(reference, form)
    incidents.split(db(), current_actor(), reference, form.reason.data)
    return _done(reference, gettext("%(reference)s split out; its clocks run again.", reference=reference))


@bp.post("/incidents/<reference>/reopen")
@incident_action
def reopen(reference: str):
    form = forms.ReopenForm(prefix="reopen")
    if not form.validate_on_submit():
        return _rejected(reference, form)
    incidents.reopen(db(), current_actor(), reference, form.reason.data)
    return _done(reference, gettext("%(reference)s reopened.", reference=reference))


@bp.post("/incidents/<reference>/deadlines/received")
@login_required
def receive_report(reference: str):
    """Record a regulatory report as received; a role that may not gets a 403 page."""
    clocks.require_recorder(current_actor())
    return _receive_report(reference)


@incident_action
def _receive_report(reference: str):
    form = forms.ReceiveForm(prefix="receive")
    if not form.validate_on_submit():
        return _rejected(reference, form)
    session = db()
    at = form.at.data.replace(tzinfo=UTC)
    row = clocks.receive(session, current_actor(), incidents.get(session, current_actor(), reference),
                         form.regime.data, form.stage.data, at)
    return _done(reference, gettext("%(report)s received at %(at)s UTC.", report=clocks.title(row),
                                    at=at.strftime("%Y-%m-%d %H:%M")))


@bp.get("/incidents/<reference>/stix")
@login_required
def export_stix(reference: str):
    """The incident as a STIX 2.1 bundle file, as anyone who may see it."""
    bundle = stix_export.incident_bundle(db(), current_actor(), reference, national_org())
    return Response(orjson.dumps(bundle, option=orjson.OPT_INDENT_2), content_type=STIX_MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{reference}.stix.json"'})


@bp.post("/incidents/<reference>/publish")
@incident_action
def publish(reference: str):
    form = forms.PublishForm(prefix="publish")
    if not form.validate_on_submit():
        return _rejected(reference, form)
    status = stix_export.publish_incident(db(), current_actor(), reference, form.collection.data,
                                          TLP(form.tlp.data), national_org())
    return _done(reference, gettext("Published %(n)s STIX objects to %(collection)s as %(tlp)s.",
                                    n=status.success_count, collection=form.collection.data, tlp=form.tlp.data))



@bp.post("/incidents/<reference>/assessment")
@incident_action
def assess(reference: str):
    form = forms.AssessmentForm(prefix="assess")
    if not form.validate_on_submit():
        return _rejected(reference, form)
    inputs = {name: form[name].data for name in assessments.ANSWERS} | {"outlook": form.outlook.data or None}
    session, actor = db(), current_actor()
    before = incidents.get(session, actor, reference).severity
    config = current_app.extensions["ncert"].settings.scoring
    try:
        row = assessments.assess(session, actor, reference, inputs, config, confirm_lower=form.confirm.data == "lower",
                                 tell_reporter=form.tell_reporter.data or None)
    except Conflict as exc:
        if exc.code != "confirm_lower":
            raise
        rollback()  # nothing stored: the operator confirms first
        return render_template("console/assessment_confirm.html", incident=incidents.get(session, actor, reference),
                               form=form, before=before, after=assessments.preview(
                                   session, actor, reference, inputs, config)[1])
    message = gettext("National severity score %(score)s/100: level %(level)s (%(label)s).",
                      score=format(row.score, "g"), level=row.level, label=i18n.term("severity", row.level))
    if row.level != before:
        message += " " + gettext("National severity %(before)s → %(after)s.", before=before, after=row.level)
    if form.tell_reporter.data:
        message += " " + gettext("The reporter sees it with your reason.")
    return _done(reference, message)


@bp.post("/incidents/<reference>/risks")
@incident_action
def link_risk(reference: str):
    form = incident_risks.RiskLinkForm(prefix="risk-link")
    if not form.validate_on_submit():
        return _rejected(reference, form)
    _, risk, made = risk_links.link(db(), current_actor(), reference, form.risk.data)
    return _done(reference, gettext("Linked to risk %(risk)s.", risk=risk.reference) if made
                 else gettext("Already linked to %(risk)s.", risk=risk.reference))


@bp.post("/incidents/<reference>/risks/<risk_reference>/unlink")
@incident_action
def unlink_risk(reference: str, risk_reference: str):
    _, risk, removed = risk_links.unlink(db(), current_actor(), reference, risk_reference)
    return _done(reference, gettext("Unlinked from risk %(risk)s.", risk=risk.reference) if removed
                 else gettext("Not linked to %(risk)s.", risk=risk.reference))

"""Tasks and requests for information in the console: the panels of the incident page
(console/_tasks.html, console/_rfis.html, filled by the template functions below), the
"My tasks" page (the actor's own and its teams' open tasks; for an analyst, the requests to
its organisation), the forms' actions, and the download of an answer's files."""

from __future__ import annotations

from datetime import timezone

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf.file import MultipleFileField
from sqlalchemy import select
from wtforms import BooleanField, DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ncert import i18n
from ncert.access import org_sees
from ncert.actor import Actor
from ncert.console import downloads, forms
from ncert.console.blueprint import bp
from ncert.console.context import current_actor, return_to
from ncert.console.forms import FlaskForm
from ncert.db import utcnow
from ncert.models import Incident
from ncert.services import directory, incidents, queue, rfis, tasks, teams
from ncert.services.rfis import RfiDraft, Upload
from ncert.services.tasks import TaskChange, TaskDraft
from ncert.web.session import db, runtime

UTC_FORMAT = "%Y-%m-%dT%H:%M"


class TaskForm(FlaskForm):
    title = StringField(_l("Task"), [DataRequired(), Length(max=300)], **forms.TEXT)
    description = TextAreaField(_l("Description"), [Optional(), Length(max=20_000)], **forms.TEXT)
    assignee = SelectField(_l("Assignee"), validate_choice=False)
    team = SelectField(_l("Team"), validate_choice=False)
    due_at = DateTimeLocalField(_l("Due (UTC)"), [Optional()], format=UTC_FORMAT)
    mandatory = BooleanField(_l("Mandatory: blocks resolving"))


class ReassignForm(FlaskForm):
    assignee = SelectField(_l("Assignee"), validate_choice=False)
    team = SelectField(_l("Team"), validate_choice=False)
    due_at = DateTimeLocalField(_l("Due (UTC)"), [Optional()], format=UTC_FORMAT)


class RfiForm(FlaskForm):
    org = SelectField(_l("Ask"), [DataRequired()], validate_choice=False)
    title = StringField(_l("Subject"), [DataRequired(), Length(max=300)], **forms.TEXT)
    question = TextAreaField(_l("Question"), [DataRequired(), Length(max=20_000)], **forms.TEXT)
    due_at = DateTimeLocalField(_l("Due (UTC)"), [Optional()], format=UTC_FORMAT)


class AnswerForm(FlaskForm):
    text = TextAreaField(_l("Answer"), [Optional(), Length(max=50_000)], **forms.TEXT)
    files = MultipleFileField(_l("Files"))


# -- what the templates read ---------------------------------------------------------------


@bp.app_context_processor
def _panels() -> dict:
    return {"tasks_panel": tasks_panel, "rfis_panel": rfis_panel, "work_counts": _work_counts}


def tasks_panel(incident: Incident) -> dict:
    """console/_tasks.html: the incident's tasks (national staff only) and the form for operators."""
    actor, session = current_actor(), db()
    if not actor.is_national:
        return {"shown": False}
    return {"shown": True, "tasks": tasks.of_incident(session, actor, incident), "now": utcnow(),
            "form": _task_form(session) if actor.can_triage else None, "button": forms.ButtonForm(),
            "reassign": (lambda t: _reassign_form(session, t)) if actor.can_triage else None}


def rfis_panel(incident: Incident) -> dict:
    """console/_rfis.html: the requests the viewer sees, the ask form for operators and the
    answer form for the analysts of the organisation asked."""
    actor, session = current_actor(), db()
    shown = rfis.of_incident(session, actor, incident)
    if not actor.is_national and not shown:
        return {"shown": False}
    return {"shown": True, "rfis": shown, "state_of": rfis.state_of, "button": forms.ButtonForm(),
            "can_answer": lambda r: _can_answer(actor, r), "answer_form": AnswerForm(prefix="answer"),
            "form": _rfi_form(session, incident) if actor.can_triage else None}


def _can_answer(actor: Actor, rfi) -> bool:
    return not actor.is_national and actor.org_id == rfi.org_id and rfi.state != rfis.WITHDRAWN


def _work_counts(items) -> dict:
    """queue.html: open and overdue tasks and requests per listed incident."""
    return queue.work_counts(db(), current_actor(), [i.id for i in items])


def _task_form(session) -> TaskForm:
    form = TaskForm(prefix="task")
    form.assignee.choices = forms.options(("", _l("nobody")), *((u.email, u.email) for u in directory.national_staff(
        session)))
    form.team.choices = forms.options(("", _l("no team")), *((t.slug, t.name) for t in teams.teams(session)))
    return form


def _reassign_form(session, task) -> ReassignForm:
    """Filled with the task's assignee, team and due date."""
    form = ReassignForm(prefix=f"reassign-{task.id}", data={
        "assignee": task.assignee.email if task.assignee else "", "team": task.team.slug if task.team else "",
        "due_at": task.due_at.replace(tzinfo=None) if task.due_at else None})
    form.assignee.choices = forms.options(("", _l("nobody")), *((u.email, u.email) for u in directory.national_staff(
        session)))
    form.team.choices = forms.options(("", _l("no team")), *((t.slug, t.name) for t in teams.teams(session)))
    return form


def _rfi_form(session, incident: Incident) -> RfiForm:
    """Offers the organisations that see the incident, the national centre left out."""
    form = RfiForm(prefix="rfi", data={"org": incident.reporter_org.slug})
    national = directory.national_org_slug(session)
    form.org.choices = forms.options(*((o.slug, o.name) for o in directory.organizations(session)
                                       if o.slug != national and org_sees(o, incident)))
    return form


# -- pages ------------------------------------------------------------------------------------


@bp.get("/tasks", endpoint="my_tasks")
@login_required
def my_tasks():
    """National staff: their open tasks and their teams'. Analysts: the open requests to their organisation."""
    actor, session = current_actor(), db()
    if not actor.is_national:
        asked = rfis.addressed_to_me(session, actor)
        return render_template("console/tasks.html", requests=asked, state_of=rfis.state_of,
                               references=_references(session, {r.incident_id for r in asked}), now=utcnow())
    mine, team = tasks.mine(session, actor), tasks.my_teams(session, actor)
    return render_template("console/tasks.html", mine=mine, team=team, now=utcnow(),
                           references=_references(session, {t.incident_id for t in mine + team}))


def _references(session, ids: set[int]) -> dict[int, Incident]:
    if not ids:
        return {}
    return {i.id: i for i in session.scalars(select(Incident).where(Incident.id.in_(ids)))}


# -- actions ----------------------------------------------------------------------------------


def _back_to(reference: str):
    inc = incidents.get(db(), current_actor(), reference)
    return_to(url_for("console.incident", reference=inc.reference) + "#tasks")
    return inc


def _rejected(form) -> None:
    for name, errors in form.errors.items():
        label = form[name].label.text if name in form else name
        flash(f"{label}: {'; '.join(map(str, errors))}", "error")


def _done(inc: Incident, message: str, anchor: str):
    flash(message, "success")
    return redirect(url_for("console.incident", reference=inc.reference) + anchor)


@bp.post("/incidents/<reference>/tasks", endpoint="add_task")
@login_required
def add_task(reference: str):
    inc = _back_to(reference)
    form = _task_form(db())
    if not form.validate_on_submit():
        _rejected(form)
        return redirect(url_for("console.incident", reference=inc.reference) + "#tasks")
    draft = TaskDraft(title=form.title.data, description=form.description.data or "",
                      assignee=form.assignee.data or None, team=form.team.data or None,
                      due_at=_utc(form.due_at.data), mandatory=form.mandatory.data)
    task = tasks.create(db(), current_actor(), inc.reference, draft)
    return _done(inc, gettext("Task added: %(title)s", title=task.title), "#tasks")


@bp.post("/tasks/<int:task_id>/<any(done, cancelled, open):to>", endpoint="move_task")
@login_required
def move_task(task_id: int, to: str):
    """Close or re-open a task from the incident page, or from "My tasks" (``back=tasks``)."""
    actor, session = current_actor(), db()
    task = tasks.get(session, actor, task_id)
    inc = session.get(Incident, task.incident_id)
    back = url_for("console.my_tasks") if request.form.get("back") == "tasks" else url_for(
        "console.incident", reference=inc.reference) + "#tasks"
    return_to(back)
    tasks.change(session, actor, task_id, TaskChange(status=to))
    flash(gettext("Task %(title)s: re-opened.", title=task.title) if to == "open"
          else gettext("Task %(title)s: %(status)s.", title=task.title, status=i18n.term("task_status", to)), "success")
    return redirect(back)


@bp.post("/tasks/<int:task_id>/assign", endpoint="reassign_task")
@login_required
def reassign_task(task_id: int):
    """Change an open task's assignee, team and due date from the incident page."""
    actor, session = current_actor(), db()
    task = tasks.get(session, actor, task_id)
    inc = session.get(Incident, task.incident_id)
    back = url_for("console.incident", reference=inc.reference) + "#tasks"
    return_to(back)
    form = ReassignForm(prefix=f"reassign-{task_id}")
    if not form.validate_on_submit():
        _rejected(form)
        return redirect(back)
    tasks.change(session, actor, task_id, TaskChange(assignee=form.assignee.data or None, team=form.team.data or None,
                                                     due_at=_utc(form.due_at.data)))
    flash(gettext("Task %(title)s updated.", title=task.title), "success")
    return redirect(back)


@bp.post("/incidents/<reference>/rfis", endpoint="ask_rfi")
@login_required
def ask_rfi(reference: str):
    inc = _back_to(reference)
    form = _rfi_form(db(), inc)
    if not form.validate_on_submit():
        _rejected(form)
        return redirect(url_for("console.incident", reference=inc.reference) + "#rfis")
    draft = RfiDraft(org=form.org.data, title=form.title.data, question=form.question.data,
                     due_at=_utc(form.due_at.data))
    rfi = rfis.ask(db(), current_actor(), inc.reference, draft)
    return _done(inc, gettext("Information requested from %(org)s.", org=rfi.org.name), "#rfis")


@bp.post("/rfis/<int:rfi_id>/answer", endpoint="answer_rfi")
@login_required
def answer_rfi(rfi_id: int):
    actor, session = current_actor(), db()
    rfi = rfis.get(session, actor, rfi_id)
    inc = session.get(Incident, rfi.incident_id)
    return_to(url_for("console.incident", reference=inc.reference) + "#rfis")
    form = AnswerForm(prefix="answer")
    if not form.validate_on_submit():
        _rejected(form)
        return redirect(url_for("console.incident", reference=inc.reference) + "#rfis")
    files = [Upload(f.filename or "attachment", f.mimetype or "application/octet-stream", f.read())
             for f in form.files.data or [] if f and f.filename]
    rfis.answer(session, actor, rfi_id, form.text.data or "", files,
                max_bytes=runtime().settings.attachment_max_bytes)
    return _done(inc, gettext("Answer sent to the national centre: %(title)s.", title=rfi.title), "#rfis")


@bp.post("/rfis/<int:rfi_id>/withdraw", endpoint="withdraw_rfi")
@login_required
def withdraw_rfi(rfi_id: int):
    actor, session = current_actor(), db()
    rfi = rfis.get(session, actor, rfi_id)
    inc = session.get(Incident, rfi.incident_id)
    return_to(url_for("console.incident", reference=inc.reference) + "#rfis")
    rfis.withdraw(session, actor, rfi_id)
    return _done(inc, gettext("Request %(title)s withdrawn.", title=rfi.title), "#rfis")


@bp.get("/rfis/files/<int:attachment_id>", endpoint="rfi_file")
@login_required
def rfi_file(attachment_id: int):
    """An answer's file, always as a download: never rendered by the browser, whatever its type."""
    row = rfis.attachment(db(), current_actor(), attachment_id)
    return downloads.attachment(row.data, row.filename)


def _utc(value):
    """A naive datetime-local value read as UTC."""
    return value.replace(tzinfo=timezone.utc) if value else None

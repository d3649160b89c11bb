"""Tasks on incidents: the national centre's own work, from playbook checklists
or written by operators. A task has an assignee (a person, a team, or both), a
due date, and a status (open, done, cancelled) that records who closed it and
when; a closed task can be re-opened. An open mandatory task blocks resolving
its incident (``ncert.services.incidents``). Only national staff see tasks
(``ncert.access.scope``); requests to other organisations are ``rfis``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from ncert.access import scope
from ncert.actor import Actor
from ncert.db import utcnow
from ncert.errors import Conflict, Forbidden, Invalid, NotFound
from ncert.i18n import N_
from ncert.models import Incident, Task, Team, TeamMember, User
from ncert.records import AwareUTC, UserId
from ncert.services import incidents, teams
from ncert.timeline_text import Message, english, joined, message, vocab

OPEN, DONE, CANCELLED = "open", "done", "cancelled"
STATUSES = (OPEN, DONE, CANCELLED)
# The fields of a task a change names on the timeline.
_FIELDS = {"title": N_("title"), "description": N_("description"), "due_at": N_("due at"),
           "mandatory": N_("mandatory")}

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Detail = Annotated[str, StringConstraints(max_length=20000)]
Assignee = UserId | Annotated[str, StringConstraints(max_length=320)] | None
TeamSlug = Annotated[str, StringConstraints(max_length=80)] | None


class TaskDraft(BaseModel):
    """A task an operator writes."""

    model_config = ConfigDict(extra="forbid")

    title: Title
    description: Detail = ""
    assignee: Assignee = Field(None, description="User id or e-mail of national staff; 'me' for yourself")
    team: TeamSlug = Field(None, description="Slug of a national-centre team")
    due_at: AwareUTC | None = None
    mandatory: bool = Field(False, description="While open, the incident cannot be resolved")


class TaskChange(BaseModel):
    """A change to a task; only the fields given change. ``status`` open re-opens a closed task."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    description: Detail | None = None
    assignee: Assignee = Field(None, description="User id or e-mail of national staff; 'me'; null unassigns")
    team: TeamSlug = Field(None, description="Team slug; null or \"\" clears it")
    due_at: AwareUTC | None = None
    mandatory: bool | None = None
    status: Literal["open", "done", "cancelled"] | None = None

    @model_validator(mode="after")
    def _not_empty(self):
        if not self.model_fields_set:
            raise ValueError("nothing to change: give title, description, assignee, team, due_at, mandatory or status")
        for name in ("title", "description", "mandatory", "status"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


def add(session: Session, incident: Incident, title: str, *, created_by: str, checklist: str | None = None,
        detail: str = "", mandatory: bool = False) -> Task:
    """Open a task for a playbook; the caller records why in the incident timeline."""
    task = Task(incident_id=incident.id, title=title, detail=detail, checklist=checklist, mandatory=mandatory,
                status=OPEN, created_by=created_by, created_at=utcnow())
    session.add(task)
    return task


def create(session: Session, actor: Actor, reference: str, draft: TaskDraft) -> Task:
    """An operator's task on an incident, noted on its internal timeline."""
    _require_operator(actor)
    incident = incidents.get(session, actor, reference)
    task = Task(incident_id=incident.id, title=draft.title, detail=draft.description, mandatory=draft.mandatory,
                due_at=draft.due_at, status=OPEN, created_by=actor.label, created_at=utcnow())
    task.assignee = _user(session, actor, draft.assignee)
    task.team = _team(session, draft.team)
    session.add(task)
    session.flush()
    who = _for(task)
    incidents.note(session, actor, incident, "task",
                   message(N_("Task added: %(title)s (for %(who)s)"), title=task.title, who=who) if who else
                   message(N_("Task added: %(title)s"), title=task.title),
                   action="incident.task-add", internal=True, task=task.id)
    return task


def of_incident(session: Session, actor: Actor, incident: Incident) -> list[Task]:
    """The incident's tasks as the actor may see them: all for national staff, none otherwise."""
    stmt = select(Task).where(Task.incident_id == incident.id).order_by(Task.id)
    return list(session.scalars(scope(actor, stmt, Task)))


def get(session: Session, actor: Actor, task_id: int) -> Task:
    """One task the actor may see (404 otherwise, as if it did not exist)."""
    task = session.scalar(scope(actor, select(Task).where(Task.id == task_id), Task))
    if task is None:
        raise NotFound(N_("no task %(task)s"), task=task_id)
    return task


def change(session: Session, actor: Actor, task_id: int, patch: TaskChange) -> Task:
    """Edit, close (done or cancelled) or re-open a task; operators and admins. Each change is one
    internal timeline entry."""
    task = get(session, actor, task_id)
    _require_operator(actor)
    incident = session.get(Incident, task.incident_id)
    fields = patch.model_fields_set
    said: list[Message] = []
    for name, column in (("title", "title"), ("description", "detail"), ("due_at", "due_at"),
                         ("mandatory", "mandatory")):
        if name in fields and getattr(patch, name) != getattr(task, column):
            setattr(task, column, getattr(patch, name))
            said.append(message(_FIELDS[name]))
    if "assignee" in fields:
        user = _user(session, actor, patch.assignee)
        if (user.id if user else None) != task.assignee_id:
            task.assignee = user
            said.append(message(N_("assignee %(email)s"), email=user.email) if user else message(N_("assignee none")))
    if "team" in fields:
        team = _team(session, patch.team)
        if (team.id if team else None) != task.team_id:
            task.team = team
            said.append(message(N_("team %(team)s"), team=team.slug) if team else message(N_("team none")))
    if "status" in fields:
        said.append(_move(task, actor, patch.status))
    if not said:
        raise Conflict(N_("task %(task)s already is as given"), task=task_id)
    incidents.note(session, actor, incident, "task",
                   message(N_("Task %(title)s: %(changes)s"), title=task.title, changes=joined(said)),
                   action="incident.task-change", internal=True, task=task.id, changed=[english(s) for s in said])
    return task


def _move(task: Task, actor: Actor, to: str) -> Message:
    if to == task.status:
        raise Conflict(N_("task %(task)s is already %(to)s"), task=task.id, to=to)
    if to != OPEN and task.status != OPEN:
        raise Conflict(N_("task %(task)s is %(status)s: re-open it first"), task=task.id, status=task.status)
    old, task.status = task.status, to
    if to == OPEN:
        task.closed_at = task.closed_by = None
        return message(N_("re-opened (was %(status)s)"), status=vocab("task_status", old))
    task.closed_at, task.closed_by = utcnow(), actor.label
    return vocab("task_status", to)


def mine(session: Session, actor: Actor) -> list[Task]:
    """Open tasks assigned to the actor, soonest due first."""
    if actor.user_id is None:
        return []
    return _open(session, actor, Task.assignee_id == actor.user_id)


def my_teams(session: Session, actor: Actor) -> list[Task]:
    """Open tasks assigned to a team the actor belongs to, soonest due first."""
    if actor.user_id is None:
        return []
    return _open(session, actor, Task.team_id.in_(select(TeamMember.team_id)
                                                  .where(TeamMember.user_id == actor.user_id)))


def _open(session: Session, actor: Actor, clause) -> list[Task]:
    stmt = (select(Task).join(Incident, Incident.id == Task.incident_id)
            .where(clause, Task.status == OPEN)
            .order_by(Task.due_at.is_(None), Task.due_at, Task.id))
    return list(session.scalars(scope(actor, scope(actor, stmt), Task)))


def counts(session: Session, actor: Actor, incident_ids: list[int], now: datetime | None = None
           ) -> dict[int, tuple[int, int]]:
    """(open, overdue) tasks per incident the actor may see tasks of; incidents without any are left out."""
    if not incident_ids:
        return {}
    return {i: (n, int(late or 0)) for i, n, late in session.execute(counting(actor, incident_ids, now or utcnow()))}


def counting(actor: Actor, incident_ids: list[int], now: datetime) -> Select:
    """``counts`` as a statement of (incident id, open, overdue) rows, which ``queue.work_counts``
    reads together with the requests for information's."""
    overdue = func.sum(case((Task.due_at < now, 1), else_=0))
    stmt = (select(Task.incident_id, func.count(), overdue)
            .where(Task.incident_id.in_(incident_ids), Task.status == OPEN).group_by(Task.incident_id))
    return scope(actor, stmt, Task)


def is_overdue(task: Task, now: datetime | None = None) -> bool:
    return task.status == OPEN and task.due_at is not None and task.due_at < (now or utcnow())


def _user(session: Session, actor: Actor, who: int | str | None) -> User | None:
    """An assignee: active national staff, by id, e-mail or 'me'."""
    if who is None or who == "":
        return None
    if who == "me":
        if actor.user_id is None:
            raise Invalid(N_("'me' needs a user; API keys assign by user id or e-mail"))
        who = actor.user_id
    user = session.get(User, who) if isinstance(who, int) else session.scalar(
        select(User).where(User.email == who.strip().lower()))
    if user is None:
        raise Invalid(N_("assignee: no user '%(who)s'"), who=who)
    if not (user.role.is_national and user.active):
        raise Invalid(N_("assignee: %(email)s is not active national-centre staff"), email=user.email)
    return user


def _team(session: Session, slug: str | None) -> Team | None:
    if not slug:
        return None
    team = teams.by_slug(session, slug)
    if team is None:
        raise Invalid(N_("team: no team '%(slug)s'"), slug=slug)
    return team


def _for(task: Task) -> str:
    """Whom a new task is for: its assignee's e-mail and its team's name, as far as given."""
    return ", ".join(x for x in (task.assignee.email if task.assignee else None,
                                 task.team.name if task.team else None) if x)


def _require_operator(actor: Actor) -> None:
    if not actor.can_triage:
        raise Forbidden(N_("only SOC operators and admins write tasks"))

"""``/incidents/<ref>/tasks`` and ``/tasks/<id>``: the national centre's work on an incident.
Only national staff see tasks; anyone else gets an empty list for an incident it sees."""

from __future__ import annotations

from pydantic import Field

from ncert.api.v1.auth import actor
from ncert.api.v1.payloads import parse_body
from ncert.api.v1.routing import operation, respond
from ncert.api.v1.serialize import Out, Timestamp
from ncert.models import Incident, Task
from ncert.services import incidents, tasks
from ncert.services.tasks import TaskChange, TaskDraft
from ncert.web.session import db


class TaskView(Out):
    id: int
    incident: str = Field(description="Reference of the incident")
    title: str
    description: str
    checklist: str | None = Field(description="The playbook checklist it belongs to, if any")
    status: str = Field(description="open, done or cancelled")
    overdue: bool = Field(description="Open past its due date")
    mandatory: bool = Field(description="While open, the incident cannot be resolved or closed")
    assignee: str | None = Field(description="E-mail of the person assigned")
    team: str | None = Field(description="Slug of the team assigned")
    due_at: Timestamp | None
    created_by: str
    created_at: Timestamp
    closed_at: Timestamp | None = Field(description="When it was marked done or cancelled")
    closed_by: str | None


class TaskList(Out):
    items: list[TaskView]


def task_view(task: Task, reference: str) -> TaskView:
    return TaskView(id=task.id, incident=reference, title=task.title, description=task.detail,
                    checklist=task.checklist, status=task.status, overdue=tasks.is_overdue(task),
                    mandatory=task.mandatory, assignee=task.assignee.email if task.assignee else None,
                    team=task.team.slug if task.team else None, due_at=task.due_at, created_by=task.created_by,
                    created_at=task.created_at, closed_at=task.closed_at, closed_by=task.closed_by)


@operation("GET", "/incidents/<reference>/tasks", returns=TaskList, summary="List an incident's tasks")
def list_tasks(reference: str):
    """The incident's tasks, oldest first: all of them for national staff, none for anyone else."""
    incident = incidents.get(db(), actor(), reference)
    return respond(TaskList(items=[task_view(t, incident.reference)
                                   for t in tasks.of_incident(db(), actor(), incident)]))


@operation("POST", "/incidents/<reference>/tasks", body=TaskDraft, returns=TaskView, errors=(403,),
           summary="Add a task to an incident", ok={201: "Created"})
def create_task(reference: str):
    """A task written by hand, with an optional assignee (national staff), team, due date and mandatory
    flag. SOC operators and admins only."""
    task = tasks.create(db(), actor(), reference, parse_body(TaskDraft))
    return respond(task_view(task, incidents.get(db(), actor(), reference).reference), 201)


@operation("PATCH", "/tasks/<int:task_id>", body=TaskChange, returns=TaskView, errors=(403, 409),
           summary="Change, close or re-open a task")
def patch_task(task_id: int):
    """Change a task's fields; ``status`` done or cancelled closes it (who and when are kept), open
    re-opens it. A change that changes nothing is a 409. SOC operators and admins only."""
    task = tasks.change(db(), actor(), task_id, parse_body(TaskChange))
    return respond(task_view(task, db().get(Incident, task.incident_id).reference))

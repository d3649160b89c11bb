"""Tasks on incidents: checklists that playbooks open, and requests for
information that the reporting organisation sees and answers."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ncert.access import visible
from ncert.actor import Actor
from ncert.db import utcnow
from ncert.errors import Conflict, Forbidden, NotFound
from ncert.models import Incident, Task
from ncert.services import incidents

OPEN, DONE = "open", "done"


def add(session: Session, incident: Incident, title: str, *, created_by: str, checklist: str | None = None,
        detail: str = "", visible_to_reporter: bool = False) -> Task:
    """Open a task; the caller records why in the incident timeline."""
    task = Task(incident_id=incident.id, title=title, detail=detail, checklist=checklist,
                visible_to_reporter=visible_to_reporter, status=OPEN, created_by=created_by, created_at=utcnow())
    session.add(task)
    return task


def of_incident(session: Session, actor: Actor, incident: Incident) -> list[Task]:
    """The incident's tasks the actor may see: all for national staff; for the
    reporting organisation, the requests addressed to it; nothing otherwise."""
    stmt = select(Task).where(Task.incident_id == incident.id).order_by(Task.id)
    if not actor.is_national:
        if incident.reporter_org_id != actor.org_id:
            return []
        stmt = stmt.where(Task.visible_to_reporter.is_(True))
    return list(session.scalars(stmt))


def complete(session: Session, actor: Actor, task_id: int) -> Task:
    """Mark a task done: operators close any, the reporter its own requests."""
    task = session.get(Task, task_id)
    incident = session.get(Incident, task.incident_id) if task else None
    if task is None or not visible(actor, incident) or task not in of_incident(session, actor, incident):
        raise NotFound(f"no task {task_id}")
    if not (actor.can_triage or (task.visible_to_reporter and incident.reporter_org_id == actor.org_id)):
        raise Forbidden("only SOC operators, or the reporter for its own requests, complete tasks")
    if task.status == DONE:
        raise Conflict(f"task {task_id} is already done")
    task.status, task.done_at, task.done_by = DONE, utcnow(), actor.label
    incidents.note(session, actor, incident, "task", f"Task done: {task.title}", action="incident.task-done",
                   internal=not task.visible_to_reporter, task=task.id)
    return task

"""An incident's running clocks as the queue sorts them: the soonest open deadline kept on the
incident (``Incident.next_due_at`` and the reporter's ``shared_next_due_at``), and the clocks of a
merged duplicate stopped, superseded by those of the incident it was merged into."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ncert.db import utcnow
from ncert.models import Incident, RegulatoryDeadline
from ncert.models.incident import NO_DEADLINE


def refresh(session: Session, incident: Incident) -> None:
    """Recompute the incident's soonest open deadline, all of them and those a reporter may see;
    called after any change to its deadlines. Read from the session's copies, written or not: the
    open ones stored, and those added or changed in this unit of work (a flush here wrote every
    row a playbook run had pending, for a few deadlines)."""
    stored = session.scalars(select(RegulatoryDeadline).where(
        RegulatoryDeadline.incident_id == incident.id, RegulatoryDeadline.received_at.is_(None),
        RegulatoryDeadline.stopped_at.is_(None)))
    changed = (d for d in (*session.new, *session.dirty)
               if isinstance(d, RegulatoryDeadline) and d.incident_id == incident.id)
    running = [d for d in {*stored, *changed}
               if d.received_at is None and d.stopped_at is None and d not in session.deleted]
    incident.next_due_at = min((d.due_at for d in running), default=NO_DEADLINE)
    incident.shared_next_due_at = min((d.due_at for d in running if not d.internal), default=NO_DEADLINE)


def stop(session: Session, incident: Incident) -> int:
    """Stop the incident's open clocks (it was merged into another, whose clocks run on); how many."""
    rows = list(session.scalars(select(RegulatoryDeadline).where(
        RegulatoryDeadline.incident_id == incident.id, RegulatoryDeadline.received_at.is_(None),
        RegulatoryDeadline.stopped_at.is_(None))))
    now = utcnow()
    for row in rows:
        row.stopped_at = now
    refresh(session, incident)
    return len(rows)


def resume(session: Session, incident: Incident) -> int:
    """Run the clocks ``stop`` stopped again (the incident was split back out); how many."""
    rows = list(session.scalars(select(RegulatoryDeadline).where(
        RegulatoryDeadline.incident_id == incident.id, RegulatoryDeadline.stopped_at.is_not(None))))
    for row in rows:
        row.stopped_at = None
    refresh(session, incident)
    return len(rows)

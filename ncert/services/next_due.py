"""An incident's running clocks as the queue sorts them: the soonest open deadline kept on the
incident (``Incident.next_due_at`` and the reporter's ``shared_next_due_at``), and the clocks of a
merged duplicate stopped, superseded by those of the incident it was merged into."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ncert.db import utcnow
from ncert.models import Incident, RegulatoryDeadline
from ncert.models.incident import NO_DEADLINE


def refresh(session: Session, incident: Incident) -> None:
    """Recompute the incident's soonest open deadline, all of them and those a reporter may see;
    called after any change to its deadlines."""
    session.flush()
    soonest = (select(func.min(RegulatoryDeadline.due_at))
               .where(RegulatoryDeadline.incident_id == incident.id, RegulatoryDeadline.received_at.is_(None),
                      RegulatoryDeadline.stopped_at.is_(None)))
    incident.next_due_at = session.scalar(soonest) or NO_DEADLINE
    incident.shared_next_due_at = (session.scalar(soonest.where(RegulatoryDeadline.internal.is_(False)))
                                   or NO_DEADLINE)


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

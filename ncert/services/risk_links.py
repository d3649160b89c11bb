"""Links between incidents and the risks they evidence, made by SOC operators
and admins (REST, console) or by the playbook action ``link_risk``.

Links are national staff's (``ncert.access.scope`` on ``RiskIncident``): a
link is noted on the incident's timeline as an internal entry, and neither
the incident's reporter nor a risk's owner organisation is shown it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ncert.access import scope
from ncert.actor import Actor
from ncert.db import utcnow
from ncert.i18n import N_
from ncert.models import Incident, Risk, RiskIncident
from ncert.services import audit, incidents, risks
from ncert.timeline_text import message


def link(session: Session, actor: Actor, incident_ref: str, risk_ref: str) -> tuple[Incident, Risk, bool]:
    """Link the incident to the risk; returns (incident, risk, whether a new link was made)."""
    incident, risk = _pair(session, actor, incident_ref, risk_ref)
    if session.get(RiskIncident, (risk.id, incident.id)) is not None:
        return incident, risk, False
    session.add(RiskIncident(risk_id=risk.id, incident_id=incident.id, linked_by=actor.label, linked_at=utcnow()))
    incidents.note(session, actor, incident, "risk",
                   message(N_("Linked to risk %(risk)s: %(title)s"), risk=risk.reference, title=risk.title),
                   action="incident.risk-link", internal=True, risk=risk.reference)
    audit.record(session, actor, "risk.link", "risk", risk.reference, incident=incident.reference)
    session.flush()
    return incident, risk, True


def unlink(session: Session, actor: Actor, incident_ref: str, risk_ref: str) -> tuple[Incident, Risk, bool]:
    """Remove the link; returns (incident, risk, whether there was one)."""
    incident, risk = _pair(session, actor, incident_ref, risk_ref)
    row = session.get(RiskIncident, (risk.id, incident.id))
    if row is None:
        return incident, risk, False
    session.delete(row)
    incidents.note(session, actor, incident, "risk",
                   message(N_("Unlinked from risk %(risk)s: %(title)s"), risk=risk.reference, title=risk.title),
                   action="incident.risk-unlink", internal=True, risk=risk.reference)
    audit.record(session, actor, "risk.unlink", "risk", risk.reference, incident=incident.reference)
    session.flush()
    return incident, risk, True


def _pair(session: Session, actor: Actor, incident_ref: str, risk_ref: str) -> tuple[Incident, Risk]:
    incident = incidents.get(session, actor, incident_ref)  # 404 before 403: a hidden incident stays hidden
    risks.require_writer(actor)
    return incident, risks.get(session, actor, risk_ref)


def risks_of(session: Session, actor: Actor, incident: Incident) -> list[Risk]:
    """The risks linked to the incident, for national staff (nobody else sees links)."""
    stmt = scope(actor, select(RiskIncident.risk_id).where(RiskIncident.incident_id == incident.id), RiskIncident)
    return list(session.scalars(select(Risk).where(Risk.id.in_(stmt)).order_by(Risk.reference)))


def incidents_of(session: Session, actor: Actor, risk: Risk) -> list[Incident]:
    """The incidents linked to the risk, for national staff (nobody else sees links)."""
    stmt = scope(actor, select(RiskIncident.incident_id).where(RiskIncident.risk_id == risk.id), RiskIncident)
    return list(session.scalars(scope(actor, select(Incident).where(Incident.id.in_(stmt))
                                      .order_by(Incident.reported_at.desc(), Incident.id.desc()))))

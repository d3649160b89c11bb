"""Likely duplicates of an incident, suggested on its page: reports within 72 hours of it that
share one of its indicators, or come from the same reporter with a similar title.

Derived data is data: every candidate is read through ``access.scope``, so a report the
viewer cannot see is never suggested or counted. Each question reads a bounded number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from difflib import SequenceMatcher

from sqlalchemy import select
from sqlalchemy.orm import Session

from ncert.access import scope
from ncert.actor import Actor
from ncert.i18n import N_
from ncert.models import Incident, IncidentIndicator, Indicator
from ncert.services.indicators import correlates
from ncert.taxonomy import Status

WINDOW = timedelta(hours=72)
SCANNED = 50  # candidates read per question
SHOWN = 5
SIMILAR = 0.6  # SequenceMatcher ratio of lower-cased titles


@dataclass(frozen=True)
class Suggestion:
    reference: str
    title: str
    reasons: tuple[str, ...]  # "shared indicator", "same reporter, similar title"


def suggest(session: Session, actor: Actor, incident: Incident) -> list[Suggestion]:
    """Up to ``SHOWN`` unmerged incidents the actor may see that look like duplicates, newest first."""
    if incident.status is Status.MERGED:
        return []
    base = scope(actor, select(Incident.id, Incident.reference, Incident.title, Incident.reporter_org_id).where(
        Incident.id != incident.id, Incident.status != Status.MERGED,
        Incident.reported_at.between(incident.reported_at - WINDOW, incident.reported_at + WINDOW)))
    newest = (Incident.reported_at.desc(), Incident.id.desc())
    carried = (select(IncidentIndicator.indicator_id)
               .join(Indicator, Indicator.id == IncidentIndicator.indicator_id)
               .where(IncidentIndicator.incident_id == incident.id, correlates()).limit(SCANNED))
    sharing = select(IncidentIndicator.incident_id).where(IncidentIndicator.indicator_id.in_(carried))
    found: dict[int, tuple[str, str, list[str]]] = {}
    for row in session.execute(base.where(Incident.id.in_(sharing)).order_by(*newest).limit(SCANNED)):
        found[row.id] = (row.reference, row.title, [N_("shared indicator")])
    same_reporter = base.where(Incident.reporter_org_id == incident.reporter_org_id).order_by(*newest).limit(SCANNED)
    for row in session.execute(same_reporter):
        if SequenceMatcher(None, row.title.lower(), incident.title.lower()).ratio() >= SIMILAR:
            found.setdefault(row.id, (row.reference, row.title, []))[2].append(N_("same reporter, similar title"))
    ordered = sorted(found.items(), key=lambda item: item[0], reverse=True)[:SHOWN]
    return [Suggestion(ref, title, tuple(reasons)) for _, (ref, title, reasons) in ordered]

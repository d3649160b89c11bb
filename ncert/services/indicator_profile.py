"""One indicator value across incidents: the indicator page and ``GET /indicators/<type>/<value>``.

National staff see the national aggregate (every report of the value: first and
last seen, confidence, label), every incident carrying it, their sectors and
every organisation's sightings. Anyone else sees what the reports they may see
said of it (``access.scope``): the incidents they may see, their sectors, the
dates and confidence those reports gave, and their own organisation's
sightings. A value nothing visible carries is a 404, exactly like one never
reported, so a hidden report changes nothing another organisation gets.

Lists are bounded as the incident page's "also in" is: the newest
``SHOWN`` references, and incidents counted up to ``COUNTED`` (their sectors
and, for an organisation, the dates and confidence, are those of the counted
ones); the whole list is paged at ``GET /indicators/incidents``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ncert.access import scope
from ncert.actor import Actor
from ncert.errors import Invalid, NotFound
from ncert.i18n import N_
from ncert.models import Incident, IncidentIndicator, Indicator, Organization, Sector, Sighting
from ncert.observables import normalise, refang
from ncert.taxonomy import TLP

SHOWN = 20
COUNTED = 1000


@dataclass(frozen=True)
class SightingTotal:
    org: str
    count: int
    last_seen: datetime


@dataclass(frozen=True)
class FalsePositive:
    reason: str
    by: str
    at: datetime


@dataclass(frozen=True)
class Profile:
    type: str
    value: str
    warninglists: tuple[str, ...]
    false_positive: bool
    false_positive_detail: FalsePositive | None  # national staff only: the reason may name a hidden report
    confidence: int
    tlp: TLP
    first_seen: datetime
    last_seen: datetime
    incidents: tuple[str, ...]  # the newest SHOWN references
    incident_count: int  # up to COUNTED
    count_capped: bool
    sectors: tuple[str, ...]
    sightings: tuple[SightingTotal, ...]


def normalised(kind: str, value: str) -> tuple[str, str]:
    """(type, normalised value) as intake would store it; a defanged value is refanged first."""
    try:
        return kind, normalise(kind, refang(value))
    except ValueError as exc:
        raise Invalid(str(exc)) from None


def find(session: Session, kind: str, value: str) -> Indicator:
    """The Indicator row of a value (national bookkeeping: callers scope what they show of it)."""
    kind, value = normalised(kind, value)
    row = session.scalar(select(Indicator).where(Indicator.type == kind, Indicator.value == value))
    if row is None:
        raise NotFound(N_("no indicator %(kind)s %(value)s"), kind=kind, value=value)
    return row


def profile(session: Session, actor: Actor, kind: str, value: str) -> Profile:
    """The value as ``actor`` may see it (see the module)."""
    kind, value = normalised(kind, value)
    indicator = session.scalar(select(Indicator).where(Indicator.type == kind, Indicator.value == value))
    carriers = _carriers(session, actor, indicator) if indicator is not None else []
    sightings = _sightings(session, actor, indicator) if indicator is not None else ()
    if indicator is None or (not carriers and not sightings and not actor.is_national):
        raise NotFound(N_("no indicator %(kind)s %(value)s you may see"), kind=kind, value=value)
    counted = carriers[:COUNTED]
    names = {s.id: s.slug for s in session.scalars(select(Sector))}
    if actor.is_national:
        confidence, label, first, last = (indicator.confidence, indicator.tlp, indicator.first_seen,
                                          indicator.last_seen)
    elif counted:
        confidence = max(row.confidence for row in counted)
        label = min((row.tlp for row in counted), key=lambda t: t.rank)
        first, last = min(row.first_seen for row in counted), max(row.last_seen for row in counted)
    else:  # only the organisation's own sightings: what it saw, when
        confidence, label = 50, TLP.AMBER
        first, last = min(s.last_seen for s in sightings), max(s.last_seen for s in sightings)
    detail = (FalsePositive(indicator.false_positive_reason or "", indicator.false_positive_by or "",
                            indicator.false_positive_at)
              if actor.is_national and indicator.is_false_positive else None)
    return Profile(
        type=kind, value=value, warninglists=tuple(indicator.warninglist_names),
        false_positive=indicator.is_false_positive, false_positive_detail=detail,
        confidence=confidence, tlp=label, first_seen=first, last_seen=last,
        incidents=tuple(row.reference for row in counted[:SHOWN]), incident_count=len(counted),
        count_capped=len(carriers) > COUNTED,
        sectors=tuple(sorted({names[row.sector_id] for row in counted})),
        sightings=sightings,
    )


def _carriers(session: Session, actor: Actor, indicator: Indicator) -> list:
    """The newest COUNTED + 1 visible incidents carrying the value, with what each report said of it."""
    stmt = (select(Incident.reference, Incident.sector_id, Incident.tlp, IncidentIndicator.confidence,
                   IncidentIndicator.first_seen, IncidentIndicator.last_seen)
            .join(IncidentIndicator, IncidentIndicator.incident_id == Incident.id)
            .where(IncidentIndicator.indicator_id == indicator.id)
            .order_by(IncidentIndicator.incident_id.desc())
            .limit(COUNTED + 1))
    return session.execute(scope(actor, stmt)).all()


def _sightings(session: Session, actor: Actor, indicator: Indicator) -> tuple[SightingTotal, ...]:
    """Sightings of the value per organisation (an organisation sees its own only)."""
    stmt = (select(Organization.slug, func.sum(Sighting.count), func.max(Sighting.seen_at))
            .join(Organization, Organization.id == Sighting.org_id)
            .where(Sighting.indicator_id == indicator.id)
            .group_by(Organization.slug).order_by(Organization.slug))
    return tuple(SightingTotal(org, int(n), at) for org, n, at in session.execute(scope(actor, stmt, Sighting)))

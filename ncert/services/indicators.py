"""Indicators: upsert by (type, value), link to incidents, record sightings,
and find who else reported the same value."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from ncert.access import scope
from ncert.actor import Actor
from ncert.db import utcnow
from ncert.models import Incident, IncidentIndicator, Indicator, Sector, Sighting
from ncert.records import IndicatorRecord
from ncert.taxonomy import TLP

LOOKUP_CHUNK = 400  # keeps IN-lists well under every dialect's parameter limit


def upsert(session: Session, records: list[IndicatorRecord], tlp: TLP, now: datetime | None = None) -> list[Indicator]:
    """Return one Indicator per distinct (type, value), creating the missing ones.

    first/last seen widen to cover every report; the TLP becomes the least
    restrictive label any reporter shared the value under.
    """
    now = now or utcnow()
    wanted: dict[tuple[str, str], IndicatorRecord] = {}
    for rec in records:
        wanted.setdefault((rec.type, rec.value), rec)
    found: dict[tuple[str, str], Indicator] = {}
    keys = list(wanted)
    for i in range(0, len(keys), LOOKUP_CHUNK):
        chunk = keys[i : i + LOOKUP_CHUNK]
        stmt = select(Indicator).where(tuple_(Indicator.type, Indicator.value).in_(chunk))
        found.update({(ind.type, ind.value): ind for ind in session.scalars(stmt)})
    result = []
    for key, rec in wanted.items():
        first, last = rec.first_seen or now, rec.last_seen or rec.first_seen or now
        ind = found.get(key)
        if ind is None:
            ind = Indicator(type=rec.type, value=rec.value, first_seen=first, last_seen=last,
                            confidence=rec.confidence, tlp=tlp)
            session.add(ind)
        else:
            ind.first_seen = min(ind.first_seen, first)
            ind.last_seen = max(ind.last_seen, last)
            ind.confidence = max(ind.confidence, rec.confidence)
            if tlp.rank < ind.tlp.rank:
                ind.tlp = tlp
        result.append(ind)
    session.flush()
    return result


def attach(session: Session, incident: Incident, records: list[IndicatorRecord], org_id: int) -> list[Indicator]:
    """Link the records' indicators to an incident and record the reporter's sightings."""
    if not records:
        return []
    indicators = upsert(session, records, incident.tlp)
    by_key = {(ind.type, ind.value): ind for ind in indicators}
    linked = set(session.scalars(select(IncidentIndicator.indicator_id).where(IncidentIndicator.incident_id == incident.id)))
    now = utcnow()
    for rec in records:
        ind = by_key[(rec.type, rec.value)]
        if ind.id not in linked:
            session.add(IncidentIndicator(incident_id=incident.id, indicator_id=ind.id))
            linked.add(ind.id)
        session.add(Sighting(indicator_id=ind.id, org_id=org_id, incident_id=incident.id,
                             seen_at=rec.last_seen or rec.first_seen or now, count=rec.count))
    session.flush()
    return indicators


def of_incident(session: Session, incident_id: int) -> list[Indicator]:
    stmt = (
        select(Indicator)
        .join(IncidentIndicator, IncidentIndicator.indicator_id == Indicator.id)
        .where(IncidentIndicator.incident_id == incident_id)
        .order_by(Indicator.type, Indicator.value)
    )
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class SharedWith:
    """Other incidents the actor can see that carry the same indicator."""

    references: tuple[str, ...]
    sectors: tuple[str, ...]


def shared(session: Session, actor: Actor, incident: Incident, indicator_ids: list[int]) -> dict[int, SharedWith]:
    """For each indicator, the other visible incidents and their sectors."""
    if not indicator_ids:
        return {}
    stmt = (
        select(IncidentIndicator.indicator_id, Incident.reference, Incident.sector_id)
        .join(Incident, Incident.id == IncidentIndicator.incident_id)
        .where(IncidentIndicator.indicator_id.in_(indicator_ids), Incident.id != incident.id)
        .order_by(Incident.reported_at.desc())
    )
    refs: dict[int, list[str]] = defaultdict(list)
    sector_ids: dict[int, set[int]] = defaultdict(set)
    for ind_id, ref, sector_id in session.execute(scope(actor, stmt)):
        refs[ind_id].append(ref)
        sector_ids[ind_id].add(sector_id)
    names = {s.id: s.slug for s in session.scalars(select(Sector))} if sector_ids else {}
    return {
        ind_id: SharedWith(tuple(refs[ind_id]), tuple(sorted(names[s] for s in sector_ids[ind_id])))
        for ind_id in refs
    }


def sightings_of_incident(session: Session, actor: Actor, incident_id: int) -> list[Sighting]:
    stmt = select(Sighting).where(Sighting.incident_id == incident_id).order_by(Sighting.seen_at)
    return list(session.scalars(scope(actor, stmt, Sighting)))

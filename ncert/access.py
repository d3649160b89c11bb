"""Access control: the one place every read is scoped.

``scope(actor, stmt)`` narrows a SELECT to what the actor may see. Every
service query for incidents, their timelines and sightings passes through it,
and ``visible(actor, incident)`` answers the same question for a loaded row.

Who sees what (TLP 2.0, https://www.first.org/tlp/): the national centre's staff
(operators, leadership, admins) are recipients of everything reported to it.
An analyst sees every incident their own organisation reported, whatever its
label; TLP:CLEAR incidents; and TLP:GREEN incidents, whose community is the
national constituency (international partners are outside it). TLP:AMBER,
TLP:AMBER+STRICT and TLP:RED incidents of another organisation stay hidden.
"""

from __future__ import annotations

from sqlalchemy import Select, false, or_

from ncert.actor import Actor
from ncert.models import Incident, Sighting, TimelineEntry
from ncert.taxonomy import TLP, OrgKind


def community_labels(actor: Actor) -> tuple[TLP, ...]:
    """Labels an analyst may read on another organisation's data."""
    if actor.org_kind is OrgKind.INTERNATIONAL_PARTNER:
        return (TLP.CLEAR,)
    return (TLP.CLEAR, TLP.GREEN)


def scope(actor: Actor, stmt: Select, entity=Incident) -> Select:
    """Narrow ``stmt`` (which selects from ``entity``) to the actor's view."""
    if entity is Incident:
        if actor.is_national:
            return stmt
        return stmt.where(or_(Incident.reporter_org_id == actor.org_id, Incident.tlp.in_(community_labels(actor))))
    if entity is TimelineEntry:
        if actor.is_national:
            return stmt
        return stmt.where(TimelineEntry.internal.is_(False))
    if entity is Sighting:
        if actor.is_national:
            return stmt
        return stmt.where(Sighting.org_id == actor.org_id)
    return stmt.where(false())  # an entity nobody scoped yet is visible to no one


def visible(actor: Actor, incident: Incident) -> bool:
    return (
        actor.is_national
        or incident.reporter_org_id == actor.org_id
        or incident.tlp in community_labels(actor)
    )

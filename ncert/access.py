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

TAXII collections (``collection_access`` and ``scope_stix``): a sector inbox
is written by the organisations of its sector, and each reads back only what
it wrote itself. A national collection is written by national staff only (by
publishing) and read by its audience (sector CERTs, or international
partners), which sees only TLP:CLEAR and TLP:GREEN objects in it: those two
labels are what a sharing community may receive, and nothing more restrictive
is ever served there, whatever was published.

MISP (``MispAttribute``, ``MispTag``): an event is seen by whoever sees its
incident. An attribute whose MISP distribution is stricter than that is seen
by its organisation and national staff only (``misp_distributions``). Each
organisation has its own tags, seen by it and national staff.

KPI cards (``card_readable``): national staff read every card; an analyst
reads their own organisation's card, and a sector CERT also the cards of the
organisations of its sector and the sector's own card. Every figure on a card
is computed through ``scope``, so a card shows only what its reader may see;
figures read from the incident rollups (``IncidentRollup``, ``TermRollup``) and the queue's
status totals (``StatusTotal``) are scoped by the same rule, on the reporting organisation and
label each row is keyed by.

Tasks (``Task``) are the national centre's own work. A request for information
(``Rfi``) is also seen by the organisation it is addressed to, as long as that
organisation sees its incident.

The risk register (``Risk``) is national staff's, except a risk explicitly
shared with its owner organisation, which that organisation's analysts may
read (``ncert.services.risks`` lets only soc_operator and admin write). What
national data says about a risk (its observed likelihood, drift and linked
incidents: ``sees_risk_signals``) stays with national staff, and the links
between incidents and risks (``RiskIncident``) are theirs alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, false, or_, select

from ncert.actor import Actor
from ncert.models import (
    Incident,
    IncidentRollup,
    MispAttribute,
    MispEvent,
    MispTag,
    Organization,
    RegulatoryDeadline,
    Rfi,
    Risk,
    RiskIncident,
    RollupDuration,
    Sighting,
    StatusTotal,
    StixObject,
    Task,
    TaxiiCollection,
    TermRollup,
    TimelineEntry,
)
from ncert.taxonomy import TLP, OrgKind, Role

AUDIENCES = {"sector-certs": OrgKind.SECTOR_CERT, "international-partners": OrgKind.INTERNATIONAL_PARTNER}
AUDIENCE_LABELS = (TLP.CLEAR, TLP.GREEN)
# MISP distribution → the least strict label its sender allows (ingest/misp/distribution.py explains
# the reading); 3 (all communities) and 5 (inherit the event's) set no limit of their own.
LABEL_FOR_MISP_DISTRIBUTION = {0: TLP.AMBER, 1: TLP.GREEN, 2: TLP.GREEN, 4: TLP.AMBER}


def community_labels(actor: Actor) -> tuple[TLP, ...]:
    """Labels an analyst may read on another organisation's data."""
    return labels_for_kind(actor.org_kind)


def labels_for_kind(kind: OrgKind) -> tuple[TLP, ...]:
    """``community_labels`` of any analyst of an organisation of ``kind``."""
    if kind is OrgKind.INTERNATIONAL_PARTNER:
        return (TLP.CLEAR,)
    return (TLP.CLEAR, TLP.GREEN)


def org_sees(org: Organization, incident: Incident) -> bool:
    """Whether the analysts of ``org`` (not the national centre) see ``incident``: who a request may be sent to."""
    return incident.reporter_org_id == org.id or incident.tlp in labels_for_kind(org.kind)


def scope(actor: Actor, stmt: Select, entity=Incident) -> Select:
    """Narrow ``stmt`` (which selects from ``entity``) to the actor's view."""
    if entity is Incident:
        if actor.is_national:
            return stmt
        return stmt.where(or_(Incident.reporter_org_id == actor.org_id, Incident.tlp.in_(community_labels(actor))))
    if entity in (IncidentRollup, TermRollup, StatusTotal):  # counts keyed by the reporter and label of their incidents
        if actor.is_national:
            return stmt
        return stmt.where(or_(entity.reporter_org_id == actor.org_id, entity.tlp.in_(community_labels(actor))))
    if entity is RollupDuration:  # a histogram row is seen with its rollup row
        if actor.is_national:
            return stmt
        row = scope(actor, select(IncidentRollup.id).where(IncidentRollup.id == RollupDuration.rollup_id),
                    IncidentRollup).correlate(RollupDuration).exists()
        return stmt.where(row)
    if entity is TimelineEntry:
        if actor.is_national:
            return stmt
        return stmt.where(TimelineEntry.internal.is_(False))
    if entity is Sighting:
        if actor.is_national:
            return stmt
        return stmt.where(Sighting.org_id == actor.org_id)
    if entity is MispAttribute:  # ``stmt`` also joins the attribute's MispEvent and Incident, scoped
        if actor.is_national:
            return stmt
        return stmt.where(or_(MispEvent.org_id == actor.org_id,
                              MispAttribute.distribution.in_(misp_distributions(actor))))
    if entity is MispTag:
        if actor.is_national:
            return stmt
        return stmt.where(MispTag.org_id == actor.org_id)
    if entity is RegulatoryDeadline:  # a clock a national rule started (crisis mode) is national
        if actor.is_national:
            return stmt
        return stmt.where(RegulatoryDeadline.internal.is_(False))
    if entity is Task:  # the centre's own work
        return stmt if actor.is_national else stmt.where(false())
    if entity is Rfi:  # a request is seen by the centre and by the organisation asked, while it sees the incident
        if actor.is_national:
            return stmt
        visible = scope(actor, select(Incident.id).where(Incident.id == Rfi.incident_id)).correlate(Rfi).exists()
        return stmt.where(Rfi.org_id == actor.org_id, visible)
    if entity is Risk:
        if actor.is_national:
            return stmt
        return stmt.where(Risk.shared_with_owner.is_(True), Risk.owner_org_id == actor.org_id)
    if entity is RiskIncident:
        return stmt if actor.is_national else stmt.where(false())
    return stmt.where(false())  # an entity nobody scoped yet is visible to no one


def misp_distributions(actor: Actor) -> list[int]:
    """MISP distribution levels of another organisation's attributes the actor may see (in an event it sees)."""
    labels = community_labels(actor)
    return [level for level in range(6) if LABEL_FOR_MISP_DISTRIBUTION.get(level, TLP.CLEAR) in labels]


def severity_column(actor: Actor):
    """The severity the actor sees, as a column: national staff the national severity;
    everyone else the severity communicated to the reporter, which no other
    organisation's report moves (the national one counts them: playbooks, the score)."""
    return Incident.severity if actor.is_national else Incident.communicated_severity


def severity_of(actor: Actor, incident: Incident) -> int:
    """``severity_column`` for a loaded incident."""
    return incident.severity if actor.is_national else incident.communicated_severity


def updated_column(actor: Actor):
    """When the incident last changed, as the actor may know: national staff count
    internal notes too; everyone else only what they may read."""
    return Incident.updated_at if actor.is_national else Incident.shared_updated_at


def next_due_column(actor: Actor):
    """The incident's soonest open regulatory deadline, as the actor may know it: national
    staff count internal deadlines too; everyone else only those they may see."""
    return Incident.next_due_at if actor.is_national else Incident.shared_next_due_at


def updated_of(actor: Actor, incident: Incident):
    """``updated_column`` for a loaded incident."""
    return incident.updated_at if actor.is_national else incident.shared_updated_at


def visible(actor: Actor, incident: Incident) -> bool:
    return (
        actor.is_national
        or incident.reporter_org_id == actor.org_id
        or incident.tlp in community_labels(actor)
    )


def card_readable(actor: Actor, *, org: Organization | None = None, sector_id: int | None = None) -> bool:
    """Whether the actor may read the KPI card of ``org``, or of the sector ``sector_id``."""
    if actor.is_national:
        return True
    sector_cert = actor.org_kind is OrgKind.SECTOR_CERT and actor.sector_id is not None
    if org is not None:
        return org.id == actor.org_id or (sector_cert and org.sector_id == actor.sector_id)
    return sector_cert and sector_id == actor.sector_id


def sees_whole_card(actor: Actor, *, org_id: int | None) -> bool:
    """Whether the actor's view of a card (an organisation's, or a sector's with ``org_id``
    None) is the whole card: national staff, and an organisation reading its own card
    (it sees every incident it reported). Figures kept at sign-off are shown only to them."""
    return actor.is_national or (org_id is not None and org_id == actor.org_id)


def national_incidents_readable(actor: Actor) -> bool:
    """National incidents (campaigns) are the centre's grouping, which can rest on reports
    a sector organisation does not see: national staff only."""
    return actor.is_national


def quarterly_report_readable(actor: Actor) -> bool:
    """The quarterly national report puts every organisation's card and the whole register
    side by side: national staff only (anyone else is answered as if it did not exist)."""
    return actor.is_national


def sees_risk_signals(actor: Actor) -> bool:
    """Whether the actor sees what national incident data says about a risk."""
    return actor.is_national


@dataclass(frozen=True)
class CollectionAccess:
    can_read: bool
    can_write: bool


def collection_access(actor: Actor, collection: TaxiiCollection) -> CollectionAccess:
    staff_write = actor.role in (Role.SOC_OPERATOR, Role.ADMIN)
    if actor.is_national:
        return CollectionAccess(can_read=True, can_write=staff_write)
    if collection.kind == "inbox":
        member = actor.sector_id is not None and actor.sector_id == collection.sector_id
        return CollectionAccess(can_read=member, can_write=member)
    in_audience = AUDIENCES.get(collection.audience or "") is actor.org_kind
    return CollectionAccess(can_read=in_audience, can_write=False)


def scope_stix(actor: Actor, collection: TaxiiCollection, stmt: Select) -> Select:
    """Narrow a SELECT over StixObject rows of ``collection`` to the actor's view."""
    stmt = stmt.where(StixObject.collection_id == collection.id)
    if not collection_access(actor, collection).can_read:
        return stmt.where(false())
    if collection.kind == "national":
        stmt = stmt.where(StixObject.tlp.in_(AUDIENCE_LABELS))
    if actor.is_national:
        return stmt
    if collection.kind == "inbox":
        return stmt.where(StixObject.org_id == actor.org_id)
    return stmt

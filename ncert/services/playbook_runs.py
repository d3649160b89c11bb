"""What the playbook engine reads and records: incident facts (in batches),
firings already made, and national incidents grouping related reports."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from ncert.access import scope
from ncert.actor import Actor
from ncert.models import (
    AnomalyScore,
    CategorySuggestion,
    Incident,
    IncidentIndicator,
    Indicator,
    NationalIncident,
    NationalIncidentMember,
    Organization,
    PlaybookFiring,
    Sighting,
)
from ncert.services.indicators import correlates
from ncert.taxonomy import UNCATEGORISED
from playbooks.facts import Facts

# "The same indicator reported by several sectors" counts reports within this window.
SHARING_WINDOW = timedelta(hours=72)
BATCH = 400  # incident ids per IN-list

FiringKey = tuple[str, int, int, str]  # playbook, incident id, action index, subject


def facts_for(session: Session, actor: Actor, batch: list[Incident], now: datetime) -> dict[int, Facts]:
    """``Facts`` for each incident, in four grouped queries per batch."""
    out: dict[int, Facts] = {}
    for i in range(0, len(batch), BATCH):
        chunk = batch[i : i + BATCH]
        ids = [incident.id for incident in chunk]
        indicators = dict(session.execute(
            select(IncidentIndicator.incident_id, func.count())
            .where(IncidentIndicator.incident_id.in_(ids)).group_by(IncidentIndicator.incident_id)).all())
        sightings = dict(session.execute(scope(actor, select(Sighting.incident_id, func.sum(Sighting.count))
            .where(Sighting.incident_id.in_(ids)).group_by(Sighting.incident_id), Sighting)).all())
        sharing = sectors_sharing(session, actor, ids, now)
        anomaly = dict(session.execute(select(AnomalyScore.incident_id, AnomalyScore.score)
                                       .where(AnomalyScore.incident_id.in_(ids))).all())
        undecided = set(session.scalars(select(CategorySuggestion.incident_id).where(
            CategorySuggestion.incident_id.in_(ids), CategorySuggestion.decision.is_(None))))
        for incident in chunk:
            out[incident.id] = facts_of(incident, now, indicators.get(incident.id, 0),
                                        int(sightings.get(incident.id) or 0), sharing.get(incident.id, 0),
                                        anomaly.get(incident.id), incident.id not in undecided)
    return out


def facts_of(incident: Incident, now: datetime, indicator_count: int, sighting_count: int,
             sharing: int, anomaly_score: float | None = None, decided: bool = True) -> Facts:
    """The snapshot of one loaded incident, given its counts; ``decided`` is false while the
    category is the categoriser's suggestion nobody confirmed (``ncert.models.CategorySuggestion``)."""
    sector = incident.sector
    org = incident.reporter_org
    return Facts(
        category_class=incident.rsit_class,
        category_type=incident.rsit_type,
        category_confirmed=decided and (incident.rsit_class, incident.rsit_type) != UNCATEGORISED,
        sector=sector.slug,
        sector_criticality=sector.criticality,
        affected_sectors=frozenset([sector.slug, *(s.slug for s in incident.affected_sectors)]),
        severity=incident.severity,
        severity_hint=incident.reported_severity,
        tlp=str(incident.tlp),
        indicator_count=indicator_count,
        sighting_count=sighting_count,
        sectors_sharing_indicator=sharing,
        anomaly_score=anomaly_score,
        text=f"{incident.title}\n{incident.description}",
        reporter_kind=str(org.kind),
        entity_class=org.nis2_entity,
        reported_at=incident.reported_at,
        aware_at=incident.aware_at,
        now=now,
    )


def sectors_sharing(session: Session, actor: Actor, ids: list[int], now: datetime) -> dict[int, int]:
    """For each incident, the most sectors that reported any one of its indicators
    within ``SHARING_WINDOW`` up to ``now`` (its own included). A sector is that of
    a reporting organisation, never the sector field a report was filed under, so
    one organisation cannot make a value cross-sector alone. Known-benign values
    (``indicators.correlates``) count for nothing."""
    own = aliased(IncidentIndicator)
    other = aliased(IncidentIndicator)
    stmt = (
        select(own.incident_id, own.indicator_id, func.count(Organization.sector_id.distinct()))
        .join(other, other.indicator_id == own.indicator_id)
        .join(Incident, Incident.id == other.incident_id)
        .join(Organization, Organization.id == Incident.reporter_org_id)
        .join(Indicator, Indicator.id == own.indicator_id)
        .where(own.incident_id.in_(ids), Incident.reported_at >= now - SHARING_WINDOW, Incident.reported_at <= now,
               correlates())
        .group_by(own.incident_id, own.indicator_id)
    )
    best: dict[int, int] = defaultdict(int)
    for incident_id, _, sectors in session.execute(scope(actor, stmt)):
        best[incident_id] = max(best[incident_id], sectors)
    return best


def fired(session: Session, incident_ids: list[int]) -> set[FiringKey]:
    """Actions already applied to these incidents."""
    out: set[FiringKey] = set()
    for i in range(0, len(incident_ids), BATCH):
        stmt = select(PlaybookFiring.playbook, PlaybookFiring.incident_id, PlaybookFiring.action_index,
                      PlaybookFiring.subject).where(PlaybookFiring.incident_id.in_(incident_ids[i : i + BATCH]))
        out.update(tuple(row) for row in session.execute(stmt))
    return out


def record_firing(session: Session, key: FiringKey, version: int, trigger: str, at: datetime) -> None:
    playbook, incident_id, index, subject = key
    session.add(PlaybookFiring(playbook=playbook, version=version, incident_id=incident_id, action_index=index,
                               subject=subject, trigger=trigger, fired_at=at))


# -- national incidents ----------------------------------------------------------------


def related(session: Session, actor: Actor, incident: Incident, now: datetime) -> list[int]:
    """The other incidents the actor sees that share an indicator with this one within the window (their ids)."""
    own = aliased(IncidentIndicator)
    stmt = (
        select(Incident.id)
        .join(IncidentIndicator, IncidentIndicator.incident_id == Incident.id)
        .join(own, own.indicator_id == IncidentIndicator.indicator_id)
        .where(own.incident_id == incident.id, Incident.id != incident.id,
               Incident.reported_at >= now - SHARING_WINDOW, Incident.reported_at <= now)
        .distinct()
        .order_by(Incident.id)
    )
    return list(session.scalars(scope(actor, stmt)))


def national_incident_of(session: Session, incident_id: int) -> NationalIncident | None:
    stmt = (select(NationalIncident).join(NationalIncidentMember,
                                          NationalIncidentMember.national_incident_id == NationalIncident.id)
            .where(NationalIncidentMember.incident_id == incident_id))
    return session.scalar(stmt)


def group(session: Session, actor: Actor, incident: Incident, title: str, now: datetime) -> tuple[NationalIncident,
                                                                                                   list[int]]:
    """Put the incident and its related ones into one national incident: the
    oldest one any of them already belongs to, or a new one. Returns it and the
    ids of the incidents newly added."""
    ids = [incident.id, *related(session, actor, incident, now)]
    # Earlier groupings in this unit of work count, written or not (a flush here wrote every row
    # a playbook run had pending).
    family = set(ids)
    grouped: dict[int, int] = {m.incident_id: m.national_incident_id for m in session.new
                               if isinstance(m, NationalIncidentMember) and m.incident_id in family}
    for start in range(0, len(ids), BATCH):
        stmt = select(NationalIncidentMember.incident_id, NationalIncidentMember.national_incident_id).where(
            NationalIncidentMember.incident_id.in_(ids[start : start + BATCH]))
        grouped.update((member, national_id) for member, national_id in session.execute(stmt))
    if grouped:
        national = session.get(NationalIncident, min(grouped.values()))
    else:
        count = session.scalar(select(func.count()).select_from(NationalIncident)) or 0
        national = NationalIncident(reference=f"NAT-{now.year}-{count + 1:04d}", title=title, created_by=actor.label,
                                    created_at=now)
        session.add(national)
        session.flush()
    added = [i for i in ids if i not in grouped]
    session.add_all(NationalIncidentMember(incident_id=i, national_incident_id=national.id, added_at=now)
                    for i in added)
    return national, added

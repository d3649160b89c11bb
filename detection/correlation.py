"""Cross-sector correlation: the same indicator reported by several sectors.

A report counts for the sector its reporting organisation belongs to, not the
sector field it was filed under: one organisation reporting a value three times
under three sectors is one sector, and an organisation without a sector (an
international partner) adds none.

When an incident is created or updated, each of its indicators is looked up
among the reports of the sharing window (``playbook_runs.SHARING_WINDOW``, the
window the ``sectors_sharing_indicator`` fact counts over, so a firing and the
fact the playbooks then read always agree). An indicator reported from two or
more sectors fires ``indicator.correlated`` on every incident carrying it in
the window, each incident once per change however many of its indicators
correlate. Like the incident triggers, it fires without a subject, so each
playbook acts on an incident at most once, whichever trigger first finds its
condition true: a rule on three sectors fires on every carrier when the third
sector reports, a rule on four when the fourth does, and re-running, further
indicators or further reports never repeat an action (nor its e-mail).

Noise: a value carried by more than ``max_incidents`` incidents in the window
(a public resolver, a cloud front-end, a mail provider) is skipped. MISP users
report correlation tables outgrowing the data itself on such common values
(MISP issues #7396 and #8275, /work/shared/reference/peers.md); MISP answers
with correlation exclusions and an "over-correlating values" cut-off. A real
campaign reported by that many incidents in three days is already in the queue
many times over; the operators see it without this producer.

Known-benign values (on a MISP warninglist, or marked a false positive by an
operator: ``indicators.correlates``) never correlate.

TLP: correlation reads as the national centre (which receives every report),
and writes nothing but internal playbook actions; no organisation learns of
another's report from it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ncert.access import scope
from ncert.actor import Actor
from ncert.models import Incident, IncidentIndicator, Indicator, Organization
from ncert.services.indicators import correlates
from ncert.services.playbook_runs import SHARING_WINDOW

MIN_SECTORS = 2  # "cross-sector": the reporting organisations' sectors differ
CHUNK = 500  # ids per IN-list


@dataclass(frozen=True)
class Correlation:
    """One indicator reported from ``sectors`` sectors by ``incident_ids`` within the window."""

    indicator_id: int
    sectors: int
    incident_ids: tuple[int, ...]


def correlate(session: Session, actor: Actor, batch: list[Incident], now: datetime,
              max_incidents: int) -> list[Correlation]:
    """The cross-sector correlations of the indicators of ``batch`` within the window
    ending at ``now`` (incidents reported outside it are left out). Two grouped
    queries per chunk; the second reads at most ``max_incidents`` rows per indicator."""
    start = now - SHARING_WINDOW
    ids = sorted({i.id for i in batch if start <= i.reported_at <= now})
    window = (Incident.reported_at >= start, Incident.reported_at <= now)
    sectors: dict[int, int] = {}
    for chunk in range(0, len(ids), CHUNK):
        own = select(IncidentIndicator.indicator_id).where(IncidentIndicator.incident_id.in_(ids[chunk:chunk + CHUNK]))
        counts = (select(IncidentIndicator.indicator_id, func.count(), func.count(Organization.sector_id.distinct()))
                  .join(Incident, Incident.id == IncidentIndicator.incident_id)
                  .join(Organization, Organization.id == Incident.reporter_org_id)
                  .join(Indicator, Indicator.id == IncidentIndicator.indicator_id)
                  .where(IncidentIndicator.indicator_id.in_(own.scalar_subquery()), correlates(), *window)
                  .group_by(IncidentIndicator.indicator_id))
        sectors.update((ind, n_sectors) for ind, n_incidents, n_sectors in session.execute(scope(actor, counts))
                       if n_sectors >= MIN_SECTORS and n_incidents <= max_incidents)
    carriers: dict[int, list[int]] = defaultdict(list)
    found = sorted(sectors)
    for chunk in range(0, len(found), CHUNK):
        members = (select(IncidentIndicator.indicator_id, Incident.id)
                   .join(Incident, Incident.id == IncidentIndicator.incident_id)
                   .where(IncidentIndicator.indicator_id.in_(found[chunk:chunk + CHUNK]), *window)
                   .order_by(IncidentIndicator.indicator_id, Incident.id))
        for ind, incident_id in session.execute(scope(actor, members)):
            carriers[ind].append(incident_id)
    return [Correlation(ind, sectors[ind], tuple(carriers[ind])) for ind in found]


def fire(session: Session, correlations: list[Correlation], now: datetime) -> int:
    """Fire ``indicator.correlated`` once on each incident of the correlations; returns how many."""
    from playbooks import engine

    ids = sorted({i for correlation in correlations for i in correlation.incident_ids})
    for chunk in range(0, len(ids), CHUNK):
        batch = list(session.scalars(select(Incident).where(Incident.id.in_(ids[chunk:chunk + CHUNK]))
                                     .order_by(Incident.id)))
        engine.fire(session, "indicator.correlated", batch, now=now)
    return len(ids)

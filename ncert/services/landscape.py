"""The threat landscape of a period, within the viewer's scope.

Trends per calendar month by RSIT class, reporting sector and severity (with the
previous period's totals), read from the incident rollups; the CVEs (``cve`` indicators),
malware families and ATT&CK techniques (MISP galaxy tags, ``ncert.galaxies``) reported in
the most incidents, read from the term rollups; and the national incidents (campaigns)
that group them. Everything is counted over the
incidents the viewer may see, merged duplicates excluded (``incident_stats``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ncert.access import national_incidents_readable, scope
from ncert.actor import Actor
from ncert.models import (
    Incident,
    IncidentRollup,
    NationalIncident,
    NationalIncidentMember,
    Sector,
    TermRollup,
)
from ncert.periods import Period
from ncert.services.incident_stats import counted, reported_in, rolled, rolled_in, rolled_month, rolled_severity, tally
from ncert.taxonomy import SEVERITY_LEVELS

TOP = 10


@dataclass(frozen=True)
class Trend:
    key: str
    label: str
    per_month: list[int]  # in the order of Landscape.months
    total: int
    previous: int  # the previous period's total


@dataclass(frozen=True)
class Top:
    name: str  # a CVE id, a malware family, or "T1566 Phishing"
    incidents: int


@dataclass(frozen=True)
class Campaign:
    reference: str
    title: str
    incidents: int  # in the period
    sectors: list[str]


@dataclass(frozen=True)
class Landscape:
    period: Period
    previous_period: Period
    months: list[str]
    total: int
    previous_total: int
    by_class: list[Trend]
    by_sector: list[Trend]
    by_severity: list[Trend]
    top_cves: list[Top]
    top_malware: list[Top]
    top_techniques: list[Top]
    national_incidents: list[Campaign]


def landscape(session: Session, actor: Actor, period: Period) -> Landscape:
    months = [label for label, _, _ in period.months()]
    sectors = {s.id: s for s in session.scalars(select(Sector))}
    by_class = _trends(session, actor, IncidentRollup.rsit_class, period, months, str)
    by_sector = _trends(session, actor, IncidentRollup.sector_id, period, months, lambda sid: sectors[sid].name,
                        lambda sid: sectors[sid].slug)
    by_severity = _trends(session, actor, rolled_severity(actor), period, months,
                          lambda level: f"Level {level} ({SEVERITY_LEVELS[level]})", str)
    return Landscape(
        period=period,
        previous_period=period.previous(),
        months=months,
        total=sum(t.total for t in by_class),
        previous_total=sum(t.previous for t in by_class),
        by_class=by_class,
        by_sector=by_sector,
        by_severity=sorted(by_severity, key=lambda t: -int(t.key)),
        top_cves=_top(session, actor, period, "cve"),
        top_malware=_top(session, actor, period, "malware"),
        top_techniques=_top(session, actor, period, "technique"),
        national_incidents=_campaigns(session, actor, period),
    )


def _trends(session, actor, column, period: Period, months: list[str], label, key=str) -> list[Trend]:
    month = rolled_month(period)
    stmt = (rolled(actor, column, month, func.sum(IncidentRollup.incidents)).where(rolled_in(period))
            .group_by(column, month))
    cells = {(value, m): int(n) for value, m, n in session.execute(stmt)}
    previous = tally(session, actor, column, rolled_in(period.previous()))
    values = {value for value, _ in cells} | set(previous)
    trends = [Trend(key(value), label(value), [cells.get((value, m), 0) for m in months],
                    sum(cells.get((value, m), 0) for m in months), previous.get(value, 0)) for value in values]
    return sorted(trends, key=lambda t: (-t.total, -t.previous, t.key))


def _top(session: Session, actor: Actor, period: Period, kind: str) -> list[Top]:
    """The terms of ``kind`` carried by the most incidents of the period, from the term rollups."""
    n = func.sum(TermRollup.incidents)
    stmt = (scope(actor, select(TermRollup.term, n).select_from(TermRollup), TermRollup)
            .where(TermRollup.kind == kind, rolled_in(period, TermRollup))
            .group_by(TermRollup.term).order_by(n.desc(), TermRollup.term).limit(TOP))
    return [Top(term, int(count)) for term, count in session.execute(stmt)]


def _campaigns(session: Session, actor: Actor, period: Period) -> list[Campaign]:
    """National incidents with members reported in the period: national staff only, as
    a grouping can rest on reports a sector organisation does not see."""
    if not national_incidents_readable(actor):
        return []
    n = func.count(Incident.id)
    stmt = (counted(actor, NationalIncident.id, NationalIncident.reference, NationalIncident.title, n)
            .join(NationalIncidentMember, NationalIncidentMember.incident_id == Incident.id)
            .join(NationalIncident, NationalIncident.id == NationalIncidentMember.national_incident_id)
            .where(reported_in(period))
            .group_by(NationalIncident.id, NationalIncident.reference, NationalIncident.title)
            .order_by(n.desc(), NationalIncident.reference).limit(TOP))
    rows = session.execute(stmt).all()
    sectors: dict[int, set[str]] = {}
    if rows:
        members = (counted(actor, NationalIncidentMember.national_incident_id, Sector.slug)
                   .join(NationalIncidentMember, NationalIncidentMember.incident_id == Incident.id)
                   .join(Sector, Sector.id == Incident.sector_id)
                   .where(reported_in(period), NationalIncidentMember.national_incident_id.in_([r[0] for r in rows]))
                   .distinct())
        for national_id, slug in session.execute(members):
            sectors.setdefault(national_id, set()).add(slug)
    return [Campaign(ref, title, count, sorted(sectors.get(nid, ()))) for nid, ref, title, count in rows]

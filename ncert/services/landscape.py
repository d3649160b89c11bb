"""The threat landscape of a period, within the viewer's scope.

Trends per calendar month by RSIT class, reporting sector and severity (with the
previous period's totals), read from the incident rollups; the CVEs (``cve`` indicators), malware families and
ATT&CK techniques (MISP galaxy tags) reported in the most incidents; and the
national incidents (campaigns) that group them. Everything is counted over the
incidents the viewer may see, merged duplicates excluded (``incident_stats``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ncert.access import national_incidents_readable
from ncert.actor import Actor
from ncert.models import (
    Incident,
    IncidentIndicator,
    IncidentRollup,
    Indicator,
    MispEvent,
    NationalIncident,
    NationalIncidentMember,
    Sector,
)
from ncert.periods import Period
from ncert.services.incident_stats import counted, reported_in, rolled, rolled_in, rolled_month, rolled_severity, tally
from ncert.taxonomy import SEVERITY_LEVELS

TOP = 10
# MISP galaxy tags naming a malware family or an ATT&CK technique
# (cluster names of https://github.com/MISP/misp-galaxy, e.g.
# misp-galaxy:mitre-attack-pattern="Phishing - T1566").
MALWARE_GALAXIES = ("malpedia", "mitre-malware", "ransomware", "banker", "botnet", "rat", "stealer")
TECHNIQUE_GALAXIES = ("mitre-attack-pattern", "mitre-enterprise-attack-attack-pattern")
_GALAXY_TAG = re.compile(r'^misp-galaxy:([a-z0-9-]+)="(.+)"$')
_TECHNIQUE_ID = re.compile(r"\bT\d{4}(?:\.\d{3})?\b")


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
        top_cves=_top_cves(session, actor, period),
        top_malware=_top_tags(session, actor, period, MALWARE_GALAXIES, _family),
        top_techniques=_top_tags(session, actor, period, TECHNIQUE_GALAXIES, _technique),
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


def _top_cves(session: Session, actor: Actor, period: Period) -> list[Top]:
    n = func.count(func.distinct(Incident.id))
    stmt = (counted(actor, Indicator.value, n)
            .join(IncidentIndicator, IncidentIndicator.incident_id == Incident.id)
            .join(Indicator, Indicator.id == IncidentIndicator.indicator_id)
            .where(Indicator.type == "cve", reported_in(period))
            .group_by(Indicator.value).order_by(n.desc(), Indicator.value).limit(TOP))
    return [Top(value, count) for value, count in session.execute(stmt)]


def _top_tags(session: Session, actor: Actor, period: Period, galaxies: tuple[str, ...], name_of) -> list[Top]:
    """Incidents per name, from the MISP event tags of the galaxies given."""
    tags = _tag_items(session)
    tag = tags.c.value
    wanted = [tag.like(f'misp-galaxy:{g}="%') for g in galaxies]
    stmt = (counted(actor, tag, Incident.id)
            .join(MispEvent, MispEvent.incident_id == Incident.id).join(tags, tag.is_not(None))
            .where(reported_in(period), MispEvent.deleted.is_(False), or_(*wanted))
            .distinct())
    per_name: dict[str, set[int]] = {}
    for value, incident_id in session.execute(stmt):
        name = name_of(value)
        if name:
            per_name.setdefault(name, set()).add(incident_id)
    ranked = sorted(per_name.items(), key=lambda item: (-len(item[1]), item[0]))[:TOP]
    return [Top(name, len(ids)) for name, ids in ranked]


def _tag_items(session: Session):
    """One row per tag of each MISP event (tags are a JSON list): json_each on SQLite,
    json_array_elements_text on PostgreSQL, set-returning functions in FROM that read the
    event joined before them (SQLite does so without the LATERAL keyword, which it lacks)."""
    if session.get_bind().dialect.name == "sqlite":
        return func.json_each(MispEvent.tags).table_valued("value")
    return func.json_array_elements_text(MispEvent.tags).table_valued("value").lateral()


def _family(tag: str) -> str | None:
    match = _GALAXY_TAG.match(tag)
    return match[2].strip() if match else None


def _technique(tag: str) -> str | None:
    """``T1566 Phishing`` from ``misp-galaxy:mitre-attack-pattern="Phishing - T1566"``."""
    match = _GALAXY_TAG.match(tag)
    technique = _TECHNIQUE_ID.search(match[2]) if match else None
    if technique is None:
        return None
    name = match[2].replace(technique[0], "").strip(" -")
    return f"{technique[0]} {name}".strip()


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

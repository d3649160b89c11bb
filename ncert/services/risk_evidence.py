"""Evidence from live incidents: per risk, the last quarter's matching incidents
and their monthly trend, and the observed likelihood beside the assessed one;
and drift, when the observed likelihood stays above the assessed one.

An incident matches a risk when its reporting sector is one of the risk's
sectors, its RSIT class (or class/type) one of the risk's threat entries, its
national level at least the risk's ``evidence.min_severity``, it carries one
of ``evidence.indicators`` (when given), and it is not a merged duplicate. A
risk naming neither sectors nor threat classes has no evidence.

Observed likelihood (standards digest §10, a default): the matching incidents
of the last 12 months, mapped to the 1–5 scale: none 1; one 2; two to four
(about quarterly) 3; five to twelve (about monthly) 4; more than twelve 5.

Every count goes through ``ncert.access.scope``, so a reader sees evidence
from the incidents they may see; drift and the observed likelihood stored on
the risk are national staff's (``sees_risk_signals``). Queries only count,
over the incidents' (sector, reported_at) and (reported_at) indexes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ncert.access import scope
from ncert.actor import Actor
from ncert.db import utcnow
from ncert.i18n import N_, format_day_in, translate
from ncert.models import Incident, IncidentIndicator, Indicator, Risk, RiskIncident, Sector
from ncert.services import risk_reviews
from ncert.taxonomy import Status

OBSERVATION_WINDOW = timedelta(days=365)
QUARTER_MONTHS = 3
RECENT_LIMIT = 10
DRIFT_STATUSES = ("assessed", "in_treatment", "accepted")


def observed_likelihood(yearly_count: int) -> int:
    """The likelihood level (1–5) of a yearly count of matching incidents (§10 mapping)."""
    if yearly_count == 0:
        return 1
    if yearly_count == 1:
        return 2
    if yearly_count <= 4:
        return 3
    return 4 if yearly_count <= 12 else 5


def criteria(risk: Risk) -> list | None:
    """The WHERE clauses of the incidents matching ``risk``, or None when it names nothing to match."""
    threat = risk.threat.get("rsit", [])
    if not risk.sectors and not threat:
        return None
    clauses = [Incident.status != Status.MERGED]
    if risk.sectors:
        sector_ids = select(Sector.id).where(Sector.slug.in_(risk.sectors)).scalar_subquery()
        clauses.append(Incident.sector_id.in_(sector_ids))
    if threat:
        classes = [t for t in threat if "/" not in t]
        pairs = [t.split("/", 1) for t in threat if "/" in t]
        clauses.append(or_(*([Incident.rsit_class.in_(classes)] if classes else []),
                           *(and_(Incident.rsit_class == c, Incident.rsit_type == t) for c, t in pairs)))
    minimum = risk.evidence.get("min_severity", 0)
    if minimum:
        clauses.append(Incident.severity >= minimum)
    indicators = risk.evidence.get("indicators", [])
    if indicators:
        carriers = (select(IncidentIndicator.incident_id)
                    .join(Indicator, Indicator.id == IncidentIndicator.indicator_id)
                    .where(or_(*(and_(Indicator.type == i["type"], Indicator.value == i["value"])
                                 for i in indicators))))
        clauses.append(Incident.id.in_(carriers))
    return clauses


def count(session: Session, actor: Actor, clauses: list, since: datetime, until: datetime) -> int:
    stmt = select(func.count()).select_from(Incident).where(*clauses, Incident.reported_at >= since,
                                                            Incident.reported_at < until)
    return session.scalar(scope(actor, stmt))


def month_starts(now: datetime, months: int) -> list[datetime]:
    """The first instants of the last ``months`` calendar months (UTC), oldest first, this one last."""
    year, month = now.year, now.month
    out = []
    for _ in range(months):
        out.append(datetime(year, month, 1, tzinfo=timezone.utc))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


@dataclass(frozen=True)
class Evidence:
    matched: bool  # False: the risk names nothing to match
    quarter_count: int
    trend: list[tuple[str, int]]  # ("2026-09", count), oldest month first
    recent: list[Incident]  # the latest matching incidents of the quarter
    yearly_count: int
    observed_likelihood: int | None
    assessed_likelihood: int | None


def evidence(session: Session, actor: Actor, risk: Risk, now: datetime | None = None) -> Evidence:
    """What the incidents the actor may see say about ``risk``."""
    now = now or utcnow()
    clauses = criteria(risk)
    if clauses is None:
        return Evidence(False, 0, [], [], 0, None, risk.current_likelihood)
    starts = month_starts(now, QUARTER_MONTHS)
    bounds = [*starts[1:], now + timedelta(microseconds=1)]
    trend = [(start.strftime("%Y-%m"), count(session, actor, clauses, start, end))
             for start, end in zip(starts, bounds)]
    recent_stmt = (select(Incident).where(*clauses, Incident.reported_at >= starts[0])
                   .order_by(Incident.reported_at.desc(), Incident.id.desc()).limit(RECENT_LIMIT))
    recent = list(session.scalars(scope(actor, recent_stmt)))
    yearly = count(session, actor, clauses, now - OBSERVATION_WINDOW, now + timedelta(microseconds=1))
    return Evidence(True, sum(n for _, n in trend), trend, recent, yearly, observed_likelihood(yearly),
                    risk.current_likelihood)


# -- drift -------------------------------------------------------------------------------------


def check_drift(session: Session, actor: Actor, drift_days: int, now: datetime | None = None) -> list[Risk]:
    """Record each assessed risk's observed likelihood; one observed at least a level
    above its assessed current likelihood for ``drift_days`` is flagged "review
    suggested" once: its owner is e-mailed and ``risk.drift`` fires on its linked
    incidents and its latest matching one. Returns the risks flagged now."""
    now = now or utcnow()
    stmt = select(Risk).where(Risk.status.in_(DRIFT_STATUSES), Risk.current_likelihood.is_not(None))
    flagged = []
    for risk in session.scalars(scope(actor, stmt.order_by(Risk.reference), Risk)):
        found = evidence(session, actor, risk, now)
        risk.observed_likelihood = found.observed_likelihood
        if found.observed_likelihood is None or found.observed_likelihood <= risk.current_likelihood:
            risk.drift_since = None
            continue
        risk.drift_since = risk.drift_since or now
        if risk.review_suggested_at is None and now - risk.drift_since >= timedelta(days=drift_days):
            risk.review_suggested_at = now
            _announce(session, risk, found, now)
            flagged.append(risk)
    session.flush()
    return flagged


def _announce(session: Session, risk: Risk, found: Evidence, now: datetime) -> None:
    from playbooks import engine

    since = risk.drift_since.strftime("%Y-%m-%d")

    def compose(lang: str) -> tuple[str, str]:
        return (translate(lang, N_("[%(reference)s] risk review suggested: %(title)s"), reference=risk.reference,
                          title=risk.title),
                translate(lang, N_("Incidents observed since %(since)s put the likelihood of risk %(reference)s "
                                   "(%(title)s) at %(observed)s, above its assessed %(assessed)s (%(count)s matching "
                                   "incidents in the last 12 months). A review is suggested."),
                          since=format_day_in(risk.drift_since.date(), lang), reference=risk.reference,
                          title=risk.title, observed=found.observed_likelihood, assessed=risk.current_likelihood,
                          count=found.yearly_count))

    risk_reviews.notify_owner(session, risk, "drift", since, compose, now)
    linked = select(Incident).join(RiskIncident, RiskIncident.incident_id == Incident.id).where(
        RiskIncident.risk_id == risk.id).order_by(Incident.id)
    batch = {i.id: i for i in [*session.scalars(linked), *found.recent[:1]]}
    engine.fire(session, "risk.drift", list(batch.values()), subject=f"risk-drift:{risk.reference}:{since}", now=now)

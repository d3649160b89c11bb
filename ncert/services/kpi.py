"""KPI cards per organisation and per sector, their targets, responsible persons
and leadership's quarterly reviews (action plan §8.5.1).

Definitions (``/work/shared/reference/standards.md`` §10) over the card's incidents
*reported* in the period, merged duplicates excluded, as the reader may see them:
incidents by severity and RSIT class; time to acknowledge, to contain (the first
move to ``contained``, else resolution) and to resolve, median and p90; reporting
delay (``reported_at - aware_at``, else ``occurred_at``); NIS2 stages whose due
time falls in the period, met on time (an overdue unreceived stage is late, one
not due yet is left out); requests for information (tasks addressed to the
reporter, created in the period: tasks carry no due date) answered, and how fast;
open criticals (level 4 and above) at the period's end. Each figure comes with
the previous period's value and, where a target exists, a green/amber/red status.
The incidents' own figures are read from the incident rollups
(``ncert.services.incident_stats``): percentiles from their histograms, at the
resolution ``ncert.services.rollups`` documents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, case, func, literal_column, or_, select
from sqlalchemy.orm import Session

from ncert import clocks, periods
from ncert.access import card_readable, scope, sees_whole_card
from ncert.actor import Actor
from ncert.db import utcnow
from ncert.errors import Conflict, Forbidden, Invalid, NotFound
from ncert.i18n import N_
from ncert.models import (
    Incident,
    IncidentRollup,
    KpiReview,
    KpiTarget,
    Organization,
    RegulatoryDeadline,
    ResponsiblePerson,
    Rfi,
    Sector,
)
from ncert.models.rollups import CRITICAL
from ncert.periods import Period
from ncert.services import audit
from ncert.services.incident_stats import (
    count,
    counted,
    durations,
    rolled_in,
    rolled_open_at,
    rolled_severity,
    seconds_between,
    spread,
    tally,
)
from ncert.taxonomy import RSIT, SEVERITY_LEVELS, Role

MIN_COUNT = 5  # percentiles over fewer values mislead: shown as None, with the count
NIS2_REGIMES = (clocks.NIS2.name, clocks.NIS2_TRUST_SERVICE.name)
REVIEWERS = (Role.LEADERSHIP, Role.ADMIN)

Better = Literal["higher", "lower"]


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    unit: Literal["count", "seconds", "percent"]
    better: Better | None = None  # None: a figure without a target (a plain count)


KPIS: dict[str, Kpi] = {k.key: k for k in (
    Kpi("incidents", N_("Incidents reported"), "count"),
    Kpi("time_to_acknowledge_median", N_("Median time to acknowledge"), "seconds", "lower"),
    Kpi("time_to_acknowledge_p90", N_("p90 time to acknowledge"), "seconds", "lower"),
    Kpi("unacknowledged", N_("Not acknowledged yet"), "count", "lower"),
    Kpi("time_to_contain_median", N_("Median time to contain"), "seconds", "lower"),
    Kpi("time_to_contain_p90", N_("p90 time to contain"), "seconds", "lower"),
    Kpi("time_to_resolve_median", N_("Median time to resolve"), "seconds", "lower"),
    Kpi("time_to_resolve_p90", N_("p90 time to resolve"), "seconds", "lower"),
    Kpi("reporting_delay_median", N_("Median reporting delay (aware to reported)"), "seconds", "lower"),
    Kpi("reporting_delay_p90", N_("p90 reporting delay (aware to reported)"), "seconds", "lower"),
    Kpi("nis2_early_warning_on_time", N_("NIS2 early warnings on time"), "percent", "higher"),
    Kpi("nis2_incident_notification_on_time", N_("NIS2 incident notifications on time"), "percent", "higher"),
    Kpi("nis2_final_report_on_time", N_("NIS2 final reports on time"), "percent", "higher"),
    Kpi("rfi_answered", N_("Requests for information answered"), "percent", "higher"),
    Kpi("rfi_time_to_answer_median", N_("Median time to answer a request for information"), "seconds", "lower"),
    Kpi("open_criticals", N_("Open criticals (level 4+) at the period's end"), "count", "lower"),
)}

HOUR = 3600.0
# National defaults (target, amber threshold) until the centre stores its own; the
# early-warning and acknowledge targets are the examples of standards.md §10.
DEFAULT_TARGETS: dict[str, tuple[float, float]] = {
    "time_to_acknowledge_median": (1 * HOUR, 4 * HOUR),
    "time_to_contain_median": (24 * HOUR, 72 * HOUR),
    "reporting_delay_median": (24 * HOUR, 72 * HOUR),
    "nis2_early_warning_on_time": (95.0, 85.0),
    "nis2_incident_notification_on_time": (95.0, 85.0),
    "nis2_final_report_on_time": (95.0, 85.0),
    "rfi_answered": (90.0, 75.0),
    "open_criticals": (0.0, 1.0),
}


@dataclass(frozen=True)
class Target:
    target: float
    amber: float
    source: Literal["default", "national", "organization"]


@dataclass(frozen=True)
class Figure:
    key: str
    group: str  # incidents | severity | rsit_class | response | reporting | nis2 | rfi | open
    label: str
    unit: str
    value: float | None  # None: nothing to measure, or fewer than MIN_COUNT values for a percentile
    count: int  # how many incidents (stages, requests) the value is computed over
    previous: float | None
    previous_count: int
    target: Target | None
    status: Literal["green", "amber", "red"] | None


@dataclass(frozen=True)
class Card:
    kind: Literal["organization", "sector"]
    slug: str
    name: str
    sector: str | None  # the organisation's sector slug
    period: Period
    previous_period: Period
    figures: list[Figure]
    responsible: ResponsiblePerson | None
    review: KpiReview | None  # this period's, draft or signed off
    history: list[KpiReview] = field(default_factory=list)  # signed-off reviews, newest first
    whole: bool = True  # False: the reader sees only part of the card's incidents (no signed-off figures)


# -- reading cards -------------------------------------------------------------------


def organization_card(session: Session, actor: Actor, slug: str, period: Period) -> Card:
    """An organisation's card; an organisation whose card the actor may not read is a 404."""
    org = _org(session, actor, slug)
    figures = _figures(session, actor, Subject("reporter_org_id", org.id), org.id, period)
    return Card("organization", org.slug, org.name, org.sector.slug if org.sector else None, period,
                period.previous(), figures, session.get(ResponsiblePerson, org.id),
                _review(session, KpiReview.org_id == org.id, period), _history(session, KpiReview.org_id == org.id),
                sees_whole_card(actor, org_id=org.id))


def sector_card(session: Session, actor: Actor, slug: str, period: Period) -> Card:
    """A sector's card over the incidents its organisations reported (by reporting sector)."""
    sector = _sector(session, actor, slug)
    figures = _figures(session, actor, Subject("sector_id", sector.id), None, period)
    return Card("sector", sector.slug, sector.name, None, period, period.previous(), figures, None,
                _review(session, KpiReview.sector_id == sector.id, period),
                _history(session, KpiReview.sector_id == sector.id), sees_whole_card(actor, org_id=None))


def readable_cards(session: Session, actor: Actor) -> tuple[list[Organization], list[Sector]]:
    """The organisations and sectors whose cards the actor may read (for a picker)."""
    orgs = [o for o in session.scalars(select(Organization).order_by(Organization.name))
            if card_readable(actor, org=o)]
    sectors = [s for s in session.scalars(select(Sector).order_by(Sector.name)) if card_readable(actor, sector_id=s.id)]
    return orgs, sectors


def _org(session: Session, actor: Actor, slug: str) -> Organization:
    org = session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None or not card_readable(actor, org=org):
        raise NotFound(N_("no organisation '%(slug)s'"),
                       slug=slug)  # a card the actor may not read does not exist for it
    return org


def _sector(session: Session, actor: Actor, slug: str) -> Sector:
    sector = session.scalar(select(Sector).where(Sector.slug == slug))
    if sector is None or not card_readable(actor, sector_id=sector.id):
        raise NotFound(N_("no sector '%(slug)s'"), slug=slug)
    return sector


@dataclass(frozen=True)
class Subject:
    """Whose card: the incidents (and their rollup rows) of one reporting organisation or sector."""

    column: Literal["reporter_org_id", "sector_id"]
    id: int

    def incidents(self) -> ColumnElement[bool]:
        return getattr(Incident, self.column) == self.id

    def rollups(self) -> ColumnElement[bool]:
        return getattr(IncidentRollup, self.column) == self.id


def _figures(session: Session, actor: Actor, subject: Subject, org_id: int | None,
             period: Period) -> list[Figure]:
    targets = effective_targets(session, org_id)
    stages = _nis2_stages(session, actor, subject.incidents(), (period, period.previous()))
    now = _measure(session, actor, subject, period, stages[period.label])
    before = _measure(session, actor, subject, period.previous(), stages[period.previous().label])
    out = []
    for key, (group, label, unit, value, n) in now.items():
        kpi = KPIS.get(key)
        target = targets.get(key) if kpi and kpi.better else None
        _, _, _, previous, previous_n = before.get(key, (group, label, unit, None, 0))
        out.append(Figure(key, group, label, unit, value, n, previous, previous_n, target,
                          status(kpi.better, value, target) if kpi and kpi.better and target else None))
    return out


def status(better: Better, value: float | None, target: Target) -> Literal["green", "amber", "red"] | None:
    if value is None:
        return None
    sign = 1 if better == "higher" else -1
    if sign * value >= sign * target.target:
        return "green"
    return "amber" if sign * value >= sign * target.amber else "red"


Measured = dict[str, tuple[str, str, str, float | None, int]]  # key -> (group, label, unit, value, count)


def _measure(session: Session, actor: Actor, subject: Subject, period: Period, stages: dict) -> Measured:
    """Every figure of one card for one period: the incidents' own from the rollups, requests
    for information from their table, NIS2 ``stages`` as ``_nis2_stages`` counted them."""
    mine = (subject.rollups(), rolled_in(period))
    out: Measured = {}

    def put(key: str, group: str, value: float | None, n: int, label: str | None = None, unit: str | None = None):
        kpi = KPIS.get(key)
        out[key] = (group, label or kpi.label, unit or kpi.unit, value, n)

    severity = rolled_severity(actor)  # an analyst counts the severities its reporters were told
    by_severity = tally(session, actor, severity, *mine)
    total = sum(by_severity.values())
    put("incidents", "incidents", total, total)
    for level, name in SEVERITY_LEVELS.items():
        put(f"severity_{level}", "severity", by_severity.get(level, 0), total, f"Level {level} ({name})", "count")
    by_class = tally(session, actor, IncidentRollup.rsit_class, *mine)
    for rsit_class in RSIT:
        put(f"rsit_{rsit_class}", "rsit_class", by_class.get(rsit_class, 0), total, rsit_class, "count")

    ack = durations(session, actor, "acknowledge", *mine)
    _percentiles(put, "time_to_acknowledge", "response", ack)
    put("unacknowledged", "response", total - ack.count, total)
    _percentiles(put, "time_to_contain", "response", durations(session, actor, "contain", *mine))
    _percentiles(put, "time_to_resolve", "response", durations(session, actor, "resolve", *mine))
    _percentiles(put, "reporting_delay", "reporting", durations(session, actor, "delay", *mine))

    for stage in ("early-warning", "incident-notification", "final-report"):
        n, met = stages.get(stage, (0, 0))
        put(f"nis2_{stage.replace('-', '_')}_on_time", "nis2", 100.0 * met / n if n else None, n)
    _rfis(session, actor, subject.incidents(), period, put)

    # The level as a literal, so that the partial indexes of critical rollup rows serve it.
    criticals = sum(tally(session, actor, severity, subject.rollups(), severity >= literal_column(str(CRITICAL)),
                          rolled_open_at(period.end)).values())
    put("open_criticals", "open", criticals, criticals)
    return out


def _percentiles(put, name: str, group: str, values) -> None:
    for p, suffix in ((0.5, "median"), (0.9, "p90")):
        value = values.percentiles[p] if values.count >= MIN_COUNT else None
        put(f"{name}_{suffix}", group, value, values.count)


def _nis2_stages(session: Session, actor: Actor, subject: ColumnElement[bool],
                 periods_: tuple[Period, ...]) -> dict[str, dict[str, tuple[int, int]]]:
    """Per period label and NIS2 stage: the stages due in the period and decided (received, or
    due by now), and how many of them were received on time. One walk of the card's incidents
    serves every period (at a million incidents, a walk is most of a card's cost)."""
    now = utcnow()
    received = RegulatoryDeadline.received_at
    decided = received.is_not(None) | (RegulatoryDeadline.due_at <= now)
    on_time = received.is_not(None) & (received <= RegulatoryDeadline.due_at)
    label = case(*(((RegulatoryDeadline.due_at >= p.start) & (RegulatoryDeadline.due_at < p.end), p.label)
                   for p in periods_)).label("period")
    in_any = or_(*((RegulatoryDeadline.due_at >= p.start) & (RegulatoryDeadline.due_at < p.end) for p in periods_))
    stages = (scope(actor, counted(actor, label, RegulatoryDeadline.stage, case((on_time, 1), else_=0).label("met"))
                    .join(RegulatoryDeadline, RegulatoryDeadline.incident_id == Incident.id), RegulatoryDeadline)
              .where(subject, RegulatoryDeadline.regime.in_(NIS2_REGIMES), decided, in_any)).subquery()
    stmt = (select(stages.c.period, stages.c.stage, func.count(), func.sum(stages.c.met))
            .group_by(stages.c.period, stages.c.stage))
    out: dict[str, dict[str, tuple[int, int]]] = {p.label: {} for p in periods_}
    for period_label, stage, n, met in session.execute(stmt):
        out[period_label][stage] = (n, int(met or 0))
    return out


def _rfis(session: Session, actor: Actor, subject: ColumnElement[bool], period: Period, put) -> None:
    """Requests for information asked in the period (withdrawn ones left out): the share answered,
    and the median time to the first answer."""
    asked = (Rfi.state != "withdrawn", Rfi.created_at >= period.start, Rfi.created_at < period.end)

    def requests(*columns):
        return scope(actor, counted(actor, *columns).join(Rfi, Rfi.incident_id == Incident.id), Rfi).where(
            subject, *asked)

    n = count(session, requests(Rfi.id))
    answered = count(session, requests(Rfi.id).where(Rfi.answered_at.is_not(None)))
    put("rfi_answered", "rfi", 100.0 * answered / n if n else None, n)
    times = spread(session, requests(seconds_between(Rfi.answered_at, Rfi.created_at)), at=(0.5,))
    put("rfi_time_to_answer_median", "rfi", times.percentiles[0.5] if times.count >= MIN_COUNT else None,
        times.count)


# -- targets --------------------------------------------------------------------------


def effective_targets(session: Session, org_id: int | None) -> dict[str, Target]:
    """Each KPI's target: the organisation's override, else the stored national one, else the default."""
    out = {key: Target(t, a, "default") for key, (t, a) in DEFAULT_TARGETS.items()}
    stmt = select(KpiTarget).where(KpiTarget.org_id.is_(None) | (KpiTarget.org_id == org_id))
    for row in sorted(session.scalars(stmt), key=lambda r: r.org_id is not None):
        out[row.kpi] = Target(row.target, row.amber, "organization" if row.org_id is not None else "national")
    return out


def set_target(session: Session, actor: Actor, kpi: str, target: float, amber: float,
               org_slug: str | None = None) -> Target:
    """Store a national target (no organisation) or one organisation's override. Leadership and admins."""
    _require_reviewer(actor)
    found = KPIS.get(kpi)
    if found is None or found.better is None:
        raise NotFound(N_("no KPI '%(kpi)s' takes a target"), kpi=kpi)
    if (amber - target) * (1 if found.better == "lower" else -1) < 0:
        worse = "above" if found.better == "lower" else "below"
        raise Invalid(N_("amber: for %(kpi)s (%(better)s is better) the amber threshold is at or %(worse)s the target"),
                      kpi=kpi, better=found.better, worse=worse)
    org = _org(session, actor, org_slug) if org_slug else None
    org_id = org.id if org else None
    row = session.scalar(select(KpiTarget).where(KpiTarget.kpi == kpi, KpiTarget.org_id.is_(None) if org is None
                                                 else KpiTarget.org_id == org_id))
    if row is None:
        row = KpiTarget(kpi=kpi, org_id=org_id)
        session.add(row)
    row.target, row.amber, row.updated_by, row.updated_at = target, amber, actor.label, utcnow()
    audit.record(session, actor, "kpi.target", "kpi_target", kpi, organization=org_slug, target=target, amber=amber)
    return Target(target, amber, "organization" if org else "national")


# -- responsible persons --------------------------------------------------------------


def set_responsible(session: Session, actor: Actor, org_slug: str, *, name: str, position: str = "",
                    email: str = "") -> ResponsiblePerson:
    """Name the organisation's deputy-head-level person responsible for its card. Leadership and admins."""
    org = _org(session, actor, org_slug)
    _require_reviewer(actor)
    person = session.get(ResponsiblePerson, org.id) or ResponsiblePerson(org_id=org.id)
    person.name, person.position, person.email = name, position, email
    person.updated_by, person.updated_at = actor.label, utcnow()
    session.add(person)
    audit.record(session, actor, "kpi.responsible", "organization", org.slug, name=name, position=position)
    return person


# -- quarterly reviews ----------------------------------------------------------------


def review(session: Session, actor: Actor, kind: Literal["organization", "sector"], slug: str, period_label: str,
           *, comments: str, sign_off: bool, now: datetime | None = None) -> tuple[KpiReview, bool]:
    """Record leadership's review of a card for a quarter: comments, and optionally the sign-off,
    which keeps the card's figures as they are and makes the review read-only.
    Answers the review and whether it was created."""
    now = now or utcnow()
    if kind == "organization":
        org = _org(session, actor, slug)
        where, owner = KpiReview.org_id == org.id, {"org_id": org.id}
    else:
        sector = _sector(session, actor, slug)
        where, owner = KpiReview.sector_id == sector.id, {"sector_id": sector.id}
    _require_reviewer(actor)
    period = periods.parse(period_label, now=now)
    if period.start > now:
        raise Invalid(N_("period: %(label)s has not started yet"), label=period.label)
    row = session.scalar(select(KpiReview).where(where, KpiReview.period == period.label))
    created = row is None
    if row is None:
        row = KpiReview(**owner, period=period.label, created_by=actor.label, created_at=now)
        session.add(row)
    elif row.signed_off_at is not None:
        raise Conflict(N_("the %(period)s review was signed off on %(day)s and is read-only"), period=period.label,
                       day=f"{row.signed_off_at:%Y-%m-%d}", code="signed_off")
    row.comments, row.updated_at = comments, now
    if sign_off:
        card = (organization_card if kind == "organization" else sector_card)(session, actor, slug, period)
        row.signed_off_by, row.signed_off_at, row.figures = actor.label, now, figures_json(card.figures)
    session.flush()
    audit.record(session, actor, "kpi.sign-off" if sign_off else "kpi.review", f"{kind}_card", slug,
                 period=period.label)
    return row, created


def figures_json(figures: list[Figure]) -> dict[str, Any]:
    """The figures as kept in a signed-off review: key -> value, previous value, count and status."""
    return {f.key: {"value": f.value, "previous": f.previous, "count": f.count, "status": f.status}
            for f in figures}


def _review(session: Session, where: ColumnElement[bool], period: Period) -> KpiReview | None:
    return session.scalar(select(KpiReview).where(where, KpiReview.period == period.label))


def _history(session: Session, where: ColumnElement[bool]) -> list[KpiReview]:
    stmt = select(KpiReview).where(where, KpiReview.signed_off_at.is_not(None))
    return list(session.scalars(stmt.order_by(KpiReview.period.desc())))


def _require_reviewer(actor: Actor) -> None:
    if actor.role not in REVIEWERS:
        raise Forbidden(N_("only leadership and admins review cards, set targets and name responsible persons"))

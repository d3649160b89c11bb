"""Aggregates over incidents: the one small API behind the KPI cards, the threat
landscape and the leadership overview.

Counts, severities, classes, statuses and duration percentiles are read from
the incident rollups (``ncert.models.rollups``, kept on write by
``ncert.services.rollups``): ``rolled(actor, ...)`` selects rollup rows scoped
through ``ncert.access.scope`` by the reporting organisation and label they are
keyed by, so a page costs the same at a million incidents as at a thousand.
Rollups count whole UTC days: a period given to them starts and ends at
midnight. Merged duplicates are never counted.

Figures about things other than the incident (indicators, deadlines, requests
for information) are read from the incidents through ``counted(actor, ...)``,
scoped the same way; their durations are seconds between two timestamps
(``seconds_between``, one SQL variant per backend), and ``spread`` reads their
percentiles row by row with ORDER BY … LIMIT/OFFSET.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import ColumnElement, Float, Select, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from ncert.access import scope, severity_column
from ncert.actor import Actor
from ncert.errors import Invalid
from ncert.i18n import N_
from ncert.models import Incident, IncidentRollup, RollupDuration
from ncert.periods import Period
from ncert.services.rollups import Bucket, percentile


class seconds_between(FunctionElement):
    """``later - earlier`` in seconds, as a float, on SQLite and PostgreSQL."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element, compiler, **kw):
    later, earlier = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


@compiles(seconds_between, "postgresql")
def _seconds_postgresql(element, compiler, **kw):
    later, earlier = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"


def counted(actor: Actor, *columns: Any) -> Select:
    """SELECT ``columns`` over the incidents the actor may see, merged duplicates left out."""
    # Written so no index can serve it: nearly every incident is unmerged, and SQLite's planner
    # otherwise walks ix_incidents_merged_into_id over them all instead of the reporter or date index.
    unmerged = func.coalesce(Incident.merged_into_id, 0) == 0
    return scope(actor, select(*columns).select_from(Incident).where(unmerged))


def reported_in(period: Period) -> ColumnElement[bool]:
    return (Incident.reported_at >= period.start) & (Incident.reported_at < period.end)


def count(session: Session, stmt: Select) -> int:
    """How many rows ``stmt`` selects."""
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


@dataclass(frozen=True)
class Spread:
    """How many values there were, and their percentiles (None when there were none)."""

    count: int
    percentiles: dict[float, float | None]


def spread(session: Session, values: Select, at: tuple[float, ...] = (0.5, 0.9)) -> Spread:
    """Percentiles of the one column ``values`` selects (NULLs left out), linearly
    interpolated between the two nearest ranks as PostgreSQL's percentile_cont does
    (Hyndman & Fan type 7, https://www.postgresql.org/docs/current/functions-aggregate.html);
    the median of an even count is the mean of the middle two. Reads at most two
    rows per percentile."""
    sub = values.subquery()
    column = sub.c[0]
    present = select(column).where(column.is_not(None))
    n = count(session, present)
    out: dict[float, float | None] = {}
    for p in at:
        if not n:
            out[p] = None
            continue
        rank = (n - 1) * p
        low = math.floor(rank)
        pair = session.scalars(present.order_by(column).limit(2).offset(low)).all()
        a = float(pair[0])
        b = float(pair[1]) if len(pair) > 1 else a
        out[p] = a + (b - a) * (rank - low)
    return Spread(n, out)


# -- from the rollups ------------------------------------------------------------------


def rolled(actor: Actor, *columns: Any) -> Select:
    """SELECT ``columns`` over the rollup rows of the incidents the actor may see."""
    return scope(actor, select(*columns).select_from(IncidentRollup), IncidentRollup)


def _day(moment: datetime) -> date:
    moment = moment.astimezone(timezone.utc)
    if (moment.hour, moment.minute, moment.second, moment.microsecond) != (0, 0, 0, 0):
        raise Invalid(N_("period: rollups count whole UTC days, and %(moment)s is not midnight"),
                      moment=moment.isoformat())
    return moment.date()


def rolled_in(period: Period, rollup=IncidentRollup) -> ColumnElement[bool]:
    """The rollup rows (of ``IncidentRollup`` or ``TermRollup``) of the incidents reported in ``period``."""
    return (rollup.day >= _day(period.start)) & (rollup.day < _day(period.end))


def rolled_severity(actor: Actor):
    """``ncert.access.severity_column`` on the rollups: each keeps both severities under the incident's names."""
    return getattr(IncidentRollup, severity_column(actor).key)


def tally(session: Session, actor: Actor, key: Any, *where: Any) -> dict[Any, int]:
    """Incident counts per value of ``key`` (a rollup column or expression)."""
    stmt = rolled(actor, key, func.sum(IncidentRollup.incidents)).where(*where).group_by(key)
    return {value: int(n) for value, n in session.execute(stmt)}


def total(session: Session, actor: Actor, *where: Any) -> int:
    return int(session.scalar(rolled(actor, func.sum(IncidentRollup.incidents)).where(*where)) or 0)


def rolled_month(period: Period) -> ColumnElement[str]:
    """The calendar month (``YYYY-MM``) of a rollup row of ``period``: a CASE over the
    month boundaries, the same SQL on every backend."""
    months = period.months()
    whens = [(IncidentRollup.day < _day(end), label) for label, _, end in months[:-1]]
    whens = whens or [(IncidentRollup.id.is_(None), "")]  # a CASE needs one WHEN: a one-month period gets a void one
    return case(*whens, else_=months[-1][0])


def durations(session: Session, actor: Actor, measure: str, *where: Any,
              at: tuple[float, ...] = (0.5, 0.9)) -> Spread:
    """How many incidents have a ``measure`` duration (``ncert.services.rollups.MEASURES``),
    and its percentiles, from the rollups' histograms (``rollups.percentile``)."""
    stmt = (rolled(actor, RollupDuration.bucket, func.sum(RollupDuration.n), func.min(RollupDuration.least),
                   func.max(RollupDuration.greatest))
            .join(RollupDuration, RollupDuration.rollup_id == IncidentRollup.id)
            .where(RollupDuration.measure == measure, *where)
            .group_by(RollupDuration.bucket).order_by(RollupDuration.bucket))
    return _from_histogram(session, stmt, at)


def durations_in(session: Session, actor: Actor, measure: str, period: Period,
                 at: tuple[float, ...] = (0.5, 0.9)) -> Spread:
    """``durations`` of the incidents reported in ``period``, read from the histograms by day
    (``ix_incident_rollup_durations_measure_day``) and scoped through their rollup rows: joined to
    a quarter's 75,000 rollup rows, PostgreSQL hashed every histogram row of the country."""
    stmt = (scope(actor, select(RollupDuration.bucket, func.sum(RollupDuration.n), func.min(RollupDuration.least),
                                func.max(RollupDuration.greatest)), RollupDuration)
            .where(RollupDuration.measure == measure, RollupDuration.day >= _day(period.start),
                   RollupDuration.day < _day(period.end))
            .group_by(RollupDuration.bucket).order_by(RollupDuration.bucket))
    return _from_histogram(session, stmt, at)


def _from_histogram(session: Session, stmt: Select, at: tuple[float, ...]) -> Spread:
    """The count and percentiles of (bucket, n, least, greatest) rows."""
    buckets = [Bucket(int(n), least, greatest) for _, n, least, greatest in session.execute(stmt)]
    return Spread(sum(b.n for b in buckets), {p: percentile(buckets, p) for p in at})


def rolled_open_at(moment: datetime) -> ColumnElement[bool]:
    """The incident was reported before ``moment`` (a midnight) and neither resolved nor closed by then."""
    day = _day(moment)
    return (IncidentRollup.day < day) & (IncidentRollup.ended_on.is_(None) | (IncidentRollup.ended_on >= day))

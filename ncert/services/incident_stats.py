"""Aggregates over incidents, computed in SQL: the one small API behind the KPI
cards, the threat landscape and the leadership overview (a later rollup
table can answer these same calls).

Every statement is built on ``counted(actor, ...)``: scoped through
``ncert.access.scope`` and without merged duplicates, which are counted in the
incident they were merged into. Durations are seconds between two timestamps
(``seconds_between``, one SQL variant per backend), and percentiles are read
row by row with ORDER BY … LIMIT/OFFSET, so no backend sends every value to
Python.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, Select, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from ncert.access import scope
from ncert.actor import Actor
from ncert.models import Incident
from ncert.periods import Period


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
    return scope(actor, select(*columns).select_from(Incident).where(Incident.merged_into_id.is_(None)))


def reported_in(period: Period) -> ColumnElement[bool]:
    return (Incident.reported_at >= period.start) & (Incident.reported_at < period.end)


def count(session: Session, stmt: Select) -> int:
    """How many rows ``stmt`` selects."""
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def count_by(session: Session, actor: Actor, key: Any, *where: Any) -> dict[Any, int]:
    """Incident counts per value of ``key`` (a column or expression)."""
    stmt = counted(actor, key, func.count()).where(*where).group_by(key)
    return {value: n for value, n in session.execute(stmt)}


def month_of(period: Period) -> ColumnElement[str]:
    """The calendar month (``YYYY-MM``) an incident of ``period`` was reported in:
    a CASE over the month boundaries, the same SQL on every backend."""
    months = period.months()
    whens = [(Incident.reported_at < end, label) for label, _, end in months[:-1]] or [(Incident.id.is_(None), "")]
    return case(*whens, else_=months[-1][0])  # a CASE needs one WHEN: a period within one month gets a void one


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


def open_at(moment: datetime) -> ColumnElement[bool]:
    """The incident was reported before ``moment`` and neither resolved nor closed by then."""
    return (
        (Incident.reported_at < moment)
        & (Incident.resolved_at.is_(None) | (Incident.resolved_at >= moment))
        & (Incident.closed_at.is_(None) | (Incident.closed_at >= moment))
    )

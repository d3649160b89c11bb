"""The trend of one question ("show me the trend for THIS"): of the incidents the actor may see
that match free text and filters in a period, the counts over time, by sector, RSIT class and
severity, all from the search interface's aggregations (``ncert.search``), so the answer comes
from whichever backend is configured and is scoped inside the search query.

A sector's count is of the incidents in it as the queue's sector filter has them
(``queue.in_sectors``: reported from the sector or naming it affected), so each bar is what the
queue lists behind its link; an incident in two sectors counts in both, and the sector bars can
add up to more than the total.

Each bucket carries the days it covers within the period, so a door can open the queue on
exactly the same incidents (``reported_range`` turns those days into the queue's bounds).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy.orm import Session

from ncert.actor import Actor
from ncert.clocks import add_months
from ncert.errors import BadRequest
from ncert.i18n import N_
from ncert.periods import Period
from ncert.search import AGGREGATIONS, INTERVALS, SearchQuery, search_incidents
from ncert.services import directory
from ncert.taxonomy import SEVERITY_LEVELS, Status

MAX_BUCKETS = 400  # a day-by-day trend over three years is a table, not a chart
_AUTO = (("day", 31), ("week", 190))  # a period of up to this many days is counted per this; longer, per month
_TICK = timedelta(microseconds=1)  # the stored precision: "after start minus a tick" is "from start on"


@dataclass(frozen=True)
class TrendFilter:
    text: str | None = None
    status: tuple[Status, ...] = ()
    sector: str | None = None  # reporting or affected sector slug, as the queue filters
    category: str | None = None  # RSIT "class" or "class/type"
    severity: int | None = None  # the severity the actor sees


@dataclass(frozen=True)
class Bucket:
    key: str  # the aggregation's key: a first day (ISO), a sector slug, an RSIT class, a severity level
    label: str
    count: int
    first: date  # the days of the period the bucket covers, both included
    last: date


@dataclass(frozen=True)
class Trends:
    period: Period
    interval: str
    total: int
    over_time: list[Bucket]
    by_sector: list[Bucket]  # reporting or affected sector, as the queue filters: may add up to more than total
    by_category: list[Bucket]
    by_severity: list[Bucket]


def interval_for(period: Period) -> str:
    """Days for a month or so, weeks up to half a year, months beyond."""
    days = (period.end - period.start).days
    return next((name for name, most in _AUTO if days <= most), "month")


def reported_range(first: date, last: date) -> tuple[datetime, datetime]:
    """The search and queue bounds (reported strictly after, strictly before) of the days
    ``first`` to ``last``, both included."""
    start = datetime.combine(first, time(), timezone.utc)
    return start - _TICK, datetime.combine(last + timedelta(days=1), time(), timezone.utc)


def trends(session: Session, actor: Actor, period: Period, f: TrendFilter, *, interval: str | None = None,
           now: datetime) -> Trends:
    """The counts of the incidents ``actor`` may see reported in ``period`` that ``f`` matches."""
    interval = interval or interval_for(period)
    if interval not in INTERVALS:
        raise BadRequest(N_("unknown interval '%(interval)s'; expected one of %(expected)s"),
                         interval=interval, expected=', '.join(INTERVALS))
    first_day, last_day = period.start.date(), (period.end - _TICK).date()
    after, before = reported_range(first_day, last_day)
    result = search_incidents(session, actor, SearchQuery(
        text=f.text, status=f.status, sector=(f.sector,) if f.sector else (), category=f.category,
        severity=(f.severity,) if f.severity is not None else (), reported_after=after, reported_before=before,
        limit=1, aggregations=AGGREGATIONS, interval=interval))
    counts = result.aggregations
    whole = (first_day, last_day)
    sectors = {s.slug: s.name for s in directory.sectors(session)}
    return Trends(
        period=period, interval=interval, total=sum(counts["over_time"].values()),
        over_time=_over_time(counts["over_time"], interval, first_day, min(last_day, now.date())),
        by_sector=_ranked(counts["sector"], lambda k: sectors.get(k, k), whole),
        by_category=_ranked(counts["category"], str, whole),
        by_severity=[Bucket(k, f"{k} · {SEVERITY_LEVELS.get(int(k), '')}", n, *whole)
                     for k, n in sorted(counts["severity"].items(), key=lambda kv: -int(kv[0]))])


def _ranked(counts: dict[str, int], label, whole: tuple[date, date]) -> list[Bucket]:
    """Buckets with the most incidents first (then by key)."""
    return [Bucket(k, label(k), n, *whole) for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def _over_time(counts: dict[str, int], interval: str, first: date, last: date) -> list[Bucket]:
    """Every bucket from the period's first day to ``last`` (today at the latest: a week still to
    come is not a week without incidents), empty ones as 0, each clipped to the period."""
    start = {"day": first, "week": first - timedelta(days=first.weekday()), "month": first.replace(day=1)}[interval]
    out = []
    while start <= last:
        following = (add_months(datetime.combine(start, time()), 1).date() if interval == "month"
                     else start + timedelta(days=7 if interval == "week" else 1))
        key = start.isoformat()
        out.append(Bucket(key, key, counts.get(key, 0), max(start, first), min(following - timedelta(days=1), last)))
        if len(out) > MAX_BUCKETS:
            raise BadRequest(N_("more than %(count)s %(interval)ss: choose a longer interval or a shorter period"),
                             count=MAX_BUCKETS, interval=interval)
        start = following
    return out

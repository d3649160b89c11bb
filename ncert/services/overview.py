"""The leadership overview: scoped aggregate counts over a period's incidents.

The period is a quarter or a custom range (``ncert.periods``), by default the
last 90 days (whole UTC days, today included). Every figure is read from the
incident rollups the actor may see, merged duplicates left out (through
``ncert.services.incident_stats``), so an analyst's overview counts only what
their queue shows, and the page costs the same whatever the number of incidents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from ncert.actor import Actor
from ncert.db import utcnow
from ncert.models import IncidentRollup, Sector
from ncert.periods import Period
from ncert.services.incident_stats import durations_in, rolled_in, rolled_severity, tally
from ncert.taxonomy import OPEN_STATUSES, SEVERITY_LEVELS, Status

DEFAULT_DAYS = 90


@dataclass(frozen=True)
class SectorCount:
    slug: str
    name: str
    count: int


@dataclass(frozen=True)
class Overview:
    period: Period
    total: int
    by_sector: list[SectorCount]  # reporting sector, most incidents first
    by_severity: dict[int, int]  # every level 0-5, zero included
    by_status: dict[str, int]  # every status but merged, zero included
    open_by_severity: dict[int, int]  # open incidents of any age
    acknowledged: int  # incidents in the period that have been acknowledged
    median_time_to_acknowledge: timedelta | None


def recent(days: int = DEFAULT_DAYS, now: datetime | None = None) -> Period:
    """The last ``days`` whole UTC days up to ``now``'s, today included: the overview's default period."""
    today = (now or utcnow()).astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    end = today + timedelta(days=1)
    return Period(end - timedelta(days=days), end, f"last {days} days")


def overview(session: Session, actor: Actor, period: Period | None = None) -> Overview:
    """Counts over the incidents reported in ``period`` (the last 90 days by default) that the actor may see."""
    period = period or recent()
    window = rolled_in(period)

    sectors = {s.id: s for s in session.scalars(select(Sector))}
    by_sector = sorted(
        (SectorCount(sectors[sid].slug, sectors[sid].name, n)
         for sid, n in tally(session, actor, IncidentRollup.sector_id, window).items()),
        key=lambda c: (-c.count, c.slug),
    )
    severity = rolled_severity(actor)  # an analyst counts what its reporters were told
    by_severity = dict.fromkeys(SEVERITY_LEVELS, 0) | tally(session, actor, severity, window)
    by_status = {str(s): 0 for s in Status if s is not Status.MERGED}
    by_status |= {str(status): n for status, n in tally(session, actor, IncidentRollup.status, window).items()}
    open_by_severity = dict.fromkeys(SEVERITY_LEVELS, 0) | tally(
        session, actor, severity, IncidentRollup.status.in_(OPEN_STATUSES))
    waits = durations_in(session, actor, "acknowledge", period, at=(0.5,))
    median = waits.percentiles[0.5]

    return Overview(
        period=period,
        total=sum(by_status.values()),
        by_sector=by_sector,
        by_severity=by_severity,
        by_status=by_status,
        open_by_severity=open_by_severity,
        acknowledged=waits.count,
        median_time_to_acknowledge=timedelta(seconds=round(median)) if median is not None else None,
    )

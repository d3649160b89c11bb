"""The leadership overview: scoped aggregate counts over recent incidents.

Every figure is computed from incidents the actor may see (through
``ncert.access.scope``), so an analyst's overview counts only what their
queue shows. Portable SQL only; the median is taken in Python.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ncert.access import scope
from ncert.actor import Actor
from ncert.db import utcnow
from ncert.models import Incident, Sector
from ncert.taxonomy import OPEN_STATUSES, SEVERITY_LEVELS, Status

DEFAULT_DAYS = 90


@dataclass(frozen=True)
class SectorCount:
    slug: str
    name: str
    count: int


@dataclass(frozen=True)
class Overview:
    since: datetime
    days: int
    total: int
    by_sector: list[SectorCount]  # reporting sector, most incidents first
    by_severity: dict[int, int]  # every level 0-5, zero included
    by_status: dict[str, int]  # every status, zero included
    open_by_severity: dict[int, int]  # open incidents of any age
    acknowledged: int  # incidents in the window that have been acknowledged
    median_time_to_acknowledge: timedelta | None


def overview(session: Session, actor: Actor, *, days: int = DEFAULT_DAYS, now: datetime | None = None) -> Overview:
    """Counts over the incidents reported in the last ``days`` days that the actor may see."""
    since = (now or utcnow()) - timedelta(days=days)
    recent = Incident.reported_at >= since

    by_sector_rows = session.execute(
        scope(actor, select(Incident.sector_id, func.count()).where(recent)).group_by(Incident.sector_id)
    ).all()
    sectors = {s.id: s for s in session.scalars(select(Sector))}
    by_sector = sorted(
        (SectorCount(sectors[sid].slug, sectors[sid].name, n) for sid, n in by_sector_rows),
        key=lambda c: (-c.count, c.slug),
    )

    by_severity = dict.fromkeys(SEVERITY_LEVELS, 0)
    for level, n in session.execute(
        scope(actor, select(Incident.severity, func.count()).where(recent)).group_by(Incident.severity)
    ):
        by_severity[level] = n

    by_status = {str(s): 0 for s in Status}
    for status, n in session.execute(
        scope(actor, select(Incident.status, func.count()).where(recent)).group_by(Incident.status)
    ):
        by_status[str(status)] = n

    open_by_severity = dict.fromkeys(SEVERITY_LEVELS, 0)
    for level, n in session.execute(
        scope(actor, select(Incident.severity, func.count()).where(Incident.status.in_(OPEN_STATUSES))).group_by(
            Incident.severity
        )
    ):
        open_by_severity[level] = n

    waits = [
        (acknowledged - reported).total_seconds()
        for reported, acknowledged in session.execute(
            scope(
                actor,
                select(Incident.reported_at, Incident.acknowledged_at).where(
                    recent, Incident.acknowledged_at.is_not(None)
                ),
            )
        )
    ]
    median = timedelta(seconds=statistics.median(waits)) if waits else None

    return Overview(
        since=since,
        days=days,
        total=sum(by_status.values()),
        by_sector=by_sector,
        by_severity=by_severity,
        by_status=by_status,
        open_by_severity=open_by_severity,
        acknowledged=len(waits),
        median_time_to_acknowledge=median,
    )

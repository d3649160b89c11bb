"""Volume spikes: a sector reporting far more than it usually does.

The last 24 hours of reports per sector are compared with the same sector's
previous ``BASELINE_DAYS`` days (24-hour windows ending at the same time of
day, quiet days counted as zero) by the modified z-score of Iglewicz and
Hoaglin, ``0.6745 · (x − median) / MAD``, which a few earlier spikes in the
baseline cannot drag along as they would a mean and standard deviation. Their
rule of thumb flags |z| > 3.5 (NIST/SEMATECH e-Handbook of Statistical Methods,
§1.3.5.17, https://www.itl.nist.gov/div898/handbook/eda/section3/eda35h.htm).
The MAD is floored at one report, so a sector that is usually silent needs
several reports in a day, and at least ``MIN_REPORTS`` are needed in any case.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from sqlalchemy import select
from sqlalchemy.orm import Session

from ncert.access import scope
from ncert.actor import Actor
from ncert.i18n import N_
from ncert.models import Incident, Sector
from ncert.timeline_text import Message, message, vocab

DAY = timedelta(days=1)
BASELINE_DAYS = 28
Z_THRESHOLD = 3.5
MIN_REPORTS = 5


@dataclass(frozen=True)
class Spike:
    sector_id: int
    sector: str
    count: int  # reports in the last 24 hours
    baseline: float  # median daily reports before
    z: float
    incident_ids: tuple[int, ...]  # the reports of the last 24 hours

    def describe(self) -> Message:
        """The timeline's note of the spike (``ncert.timeline_text``): the sector's name in the reader's language."""
        return message(N_("Volume spike in sector %(sector)s: %(count)s reports in 24 h against a median of "
                          "%(baseline)s a day over the previous %(days)s days (robust z %(z)s)"),
                       sector=vocab("sector", self.sector), count=self.count, baseline=f"{self.baseline:g}",
                       days=BASELINE_DAYS, z=f"{self.z:.1f}")


def robust_z(value: float, baseline: list[float]) -> tuple[float, float]:
    """The modified z-score of ``value`` against ``baseline`` (MAD floored at 1), and the baseline median."""
    centre = median(baseline)
    mad = max(median(abs(x - centre) for x in baseline), 1.0)
    return 0.6745 * (value - centre) / mad, centre


def spikes(session: Session, actor: Actor, now: datetime) -> list[Spike]:
    """Sectors whose last 24 hours are a spike against their baseline."""
    start = now - DAY * (BASELINE_DAYS + 1)
    stmt = (select(Incident.id, Incident.sector_id, Incident.reported_at)
            .where(Incident.reported_at > start, Incident.reported_at <= now))
    daily: dict[int, list[int]] = defaultdict(lambda: [0] * (BASELINE_DAYS + 1))
    recent: dict[int, list[int]] = defaultdict(list)
    for incident_id, sector_id, at in session.execute(scope(actor, stmt)):
        day = min(int((now - at) / DAY), BASELINE_DAYS)  # 0: the last 24 hours
        daily[sector_id][day] += 1
        if day == 0:
            recent[sector_id].append(incident_id)
    names = dict(session.execute(select(Sector.id, Sector.slug)).all()) if recent else {}
    out = []
    for sector_id, counts in sorted(daily.items()):
        if counts[0] < MIN_REPORTS:
            continue
        z, centre = robust_z(counts[0], counts[1:])
        if z > Z_THRESHOLD:
            out.append(Spike(sector_id, names[sector_id], counts[0], centre, z, tuple(sorted(recent[sector_id]))))
    return out

"""Reporting periods: a calendar quarter ("2026Q3") or a custom range of days.

A period is half-open, ``[start, end)``, in UTC. A quarter's previous period
is the quarter before it; a custom range's is the range of the same length
that ends where it starts. Months are the period's calendar months, the
buckets of trends over time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from ncert.clocks import add_months
from ncert.errors import BadRequest
from ncert.i18n import N_

_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
MAX_DAYS = 3 * 366  # a custom range longer than three years is a mistake, not a report
YEARS = range(1970, 9999)  # the previous period of any of these is representable too


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime  # exclusive
    label: str  # "2026Q3", or "2026-07-01..2026-08-15" for a custom range (both days included)

    @property
    def is_quarter(self) -> bool:
        return _QUARTER.match(self.label) is not None

    def previous(self) -> Period:
        if self.is_quarter:
            return quarter_of(add_months(self.start, -3))
        return _days(self.start - (self.end - self.start), self.start)

    def months(self) -> list[tuple[str, datetime, datetime]]:
        """``(YYYY-MM, start, end)`` for each calendar month the period touches, clipped to it."""
        out, month = [], self.start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        while month < self.end:
            following = add_months(month, 1)
            out.append((f"{month:%Y-%m}", max(month, self.start), min(following, self.end)))
            month = following
        return out


def quarter(year: int, number: int) -> Period:
    start = datetime(year, 3 * number - 2, 1, tzinfo=timezone.utc)
    return Period(start, add_months(start, 3), f"{year}Q{number}")


def quarter_of(moment: datetime) -> Period:
    """The calendar quarter containing ``moment``."""
    moment = moment.astimezone(timezone.utc)
    return quarter(moment.year, (moment.month - 1) // 3 + 1)


def parse(text: str | None, start: str | None = None, end: str | None = None, *, now: datetime) -> Period:
    """A quarter label, or ``start``/``end`` days (ISO 8601, both included); the current
    quarter when none is given. Anything else is a 400 saying what was expected."""
    if text and (start or end):
        raise BadRequest(N_("give either period or from/to, not both"))
    if start or end:
        if not (start and end):
            raise BadRequest(N_("a custom period needs both from and to (YYYY-MM-DD)"))
        first, last = _day("from", start), _day("to", end)
        if last < first:
            raise BadRequest(N_("to is before from"))
        begin = datetime(first.year, first.month, first.day, tzinfo=timezone.utc)
        return _days(begin, begin + timedelta(days=(last - first).days + 1))
    if not text:
        return quarter_of(now)
    match = _QUARTER.match(text.strip())
    if not match or int(match[1]) not in YEARS:
        raise BadRequest(N_("period '%(text)s' is not a quarter like 2026Q3"), text=text)
    return quarter(int(match[1]), int(match[2]))


def _day(name: str, text: str) -> date:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise BadRequest(N_("%(name)s '%(text)s' is not a day like 2026-07-01"), name=name, text=text) from None
    if day.year not in YEARS:
        raise BadRequest(N_("%(name)s '%(text)s' is outside %(start)s-%(stop)s"),
                         name=name, text=text, start=YEARS.start, stop=YEARS.stop - 1)
    return day


def _days(start: datetime, end: datetime) -> Period:
    if (end - start).days > MAX_DAYS:
        raise BadRequest(N_("a custom period is at most %(days)s days"), days=MAX_DAYS)
    last = end - timedelta(days=1)
    return Period(start, end, f"{start:%Y-%m-%d}..{last:%Y-%m-%d}")

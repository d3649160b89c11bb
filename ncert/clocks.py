"""Regulatory reporting clocks, as data, and pure functions over them.

A ``Regime`` is a list of stages, each due a fixed offset after the awareness
time or after the previous stage. The NIS2 regime follows Directive (EU)
2022/2555 Art. 23(4) (https://eur-lex.europa.eu/eli/dir/2022/2555/oj):
early warning within 24 hours of becoming aware, incident notification within
72 hours (24 hours for trust service providers, Art. 23(4) second subparagraph),
final report within one month after the incident notification was submitted.
Other national rules are added as data in ``REGIMES`` and ``SECTOR_REGIMES``.
"""

from __future__ import annotations

import calendar
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_WARN_BEFORE = timedelta(hours=6)


class Unit(enum.StrEnum):
    HOURS = "hours"
    DAYS = "days"
    MONTHS = "months"


@dataclass(frozen=True)
class Offset:
    amount: int
    unit: Unit

    def after(self, start: datetime) -> datetime:
        """``start`` plus this offset; months are calendar months (Jan 31 + 1 month = Feb 28/29)."""
        if self.unit is Unit.HOURS:
            return start + timedelta(hours=self.amount)
        if self.unit is Unit.DAYS:
            return start + timedelta(days=self.amount)
        return add_months(start, self.amount)


def add_months(start: datetime, months: int) -> datetime:
    """Same day and time ``months`` later, clamped to the last day of a shorter month."""
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    day = min(start.day, calendar.monthrange(year, month + 1)[1])
    return start.replace(year=year, month=month + 1, day=day)


def hours(n: int) -> Offset:
    return Offset(n, Unit.HOURS)


def days(n: int) -> Offset:
    return Offset(n, Unit.DAYS)


def months(n: int) -> Offset:
    return Offset(n, Unit.MONTHS)


class Anchor(enum.StrEnum):
    AWARENESS = "awareness"
    PREVIOUS = "previous"  # the previous stage's receipt, or its due time while not received


@dataclass(frozen=True)
class Stage:
    name: str
    offset: Offset
    anchor: Anchor = Anchor.AWARENESS
    warn_before: timedelta = DEFAULT_WARN_BEFORE


@dataclass(frozen=True)
class Regime:
    """Named reporting stages. With ``repeat`` the last stage recurs once each occurrence is received."""

    name: str
    title: str
    stages: tuple[Stage, ...]
    repeat: bool = False


@dataclass(frozen=True)
class Deadline:
    regime: str
    stage: str
    due_at: datetime
    warn_before: timedelta = DEFAULT_WARN_BEFORE


class ClockState(enum.StrEnum):
    PENDING = "pending"
    APPROACHING = "approaching"
    OVERDUE = "overdue"
    SATISFIED = "satisfied"


def _nis2(name: str, title: str, notification: Offset) -> Regime:
    return Regime(
        name=name,
        title=title,
        stages=(
            Stage("early-warning", hours(24), warn_before=timedelta(hours=6)),
            Stage("incident-notification", notification,
                  warn_before=timedelta(hours=12 if notification.amount > 24 else 6)),
            Stage("final-report", months(1), Anchor.PREVIOUS, warn_before=timedelta(days=5)),
        ),
    )


NIS2 = _nis2("nis2", "NIS2 Art. 23 reporting", hours(72))
NIS2_TRUST_SERVICE = _nis2("nis2-trust-service", "NIS2 Art. 23 reporting (trust service provider)", hours(24))
# A status report every hour while the national crisis mode lasts (severity 4 and above).
CRISIS_STATUS = Regime(
    name="crisis-status",
    title="Crisis mode hourly status",
    stages=(Stage("status-report", hours(1), Anchor.PREVIOUS, warn_before=timedelta(minutes=15)),),
    repeat=True,
)

REGIMES: dict[str, Regime] = {r.name: r for r in (NIS2, NIS2_TRUST_SERVICE, CRISIS_STATUS)}

# Sector slug → regime name for NIS2 entities in that sector; unlisted sectors use DEFAULT_REGIME.
SECTOR_REGIMES: dict[str, str] = {"trust-services": "nis2-trust-service"}
DEFAULT_REGIME = "nis2"


def regime_for(sector: str | None, table: Mapping[str, str] = SECTOR_REGIMES,
               regimes: Mapping[str, Regime] = REGIMES, default: str = DEFAULT_REGIME) -> Regime:
    """The reporting regime that applies to an entity of ``sector``."""
    return regimes[table.get(sector or "", default)]


def deadlines(regime: Regime, aware_at: datetime,
              received: Mapping[str, datetime] | None = None) -> list[Deadline]:
    """Every stage's deadline counted from ``aware_at``.

    A stage anchored on the previous one counts from when that stage was
    received, if it was (``received`` maps stage name → time), else from its due
    time. A repeating regime lists each received occurrence of its last stage
    (``status-report``, ``status-report#2``, …) and then the next one due.
    """
    if aware_at.tzinfo is None:
        raise ValueError("aware_at must be timezone-aware")
    received = received or {}
    out: list[Deadline] = []
    previous: datetime = aware_at
    for stage in regime.stages:
        due = stage.offset.after(aware_at if stage.anchor is Anchor.AWARENESS else previous)
        out.append(Deadline(regime.name, stage.name, due, stage.warn_before))
        previous = received.get(stage.name, due)
    if regime.repeat:
        last = regime.stages[-1]
        n = 1
        while (name := _occurrence(last.name, n)) in received:
            n += 1
            due = last.offset.after(received[name])
            out.append(Deadline(regime.name, _occurrence(last.name, n), due, last.warn_before))
    return out


def _occurrence(stage: str, n: int) -> str:
    return stage if n == 1 else f"{stage}#{n}"


def state(deadline: Deadline, now: datetime, received_at: datetime | None = None,
          warn_before: timedelta | None = None) -> ClockState:
    """Where ``deadline`` stands at ``now``: a received report satisfies it (even late)."""
    if received_at is not None:
        return ClockState.SATISFIED
    if now > deadline.due_at:
        return ClockState.OVERDUE
    window = deadline.warn_before if warn_before is None else warn_before
    if now >= deadline.due_at - window:
        return ClockState.APPROACHING
    return ClockState.PENDING

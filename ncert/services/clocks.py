"""Regulatory deadlines running on incidents (the data in ``ncert.clocks``).

``start`` lays out a regime's stages for an incident, ``receive`` records a
report and moves the stages anchored on it, and ``due`` finds the deadlines
whose approaching or overdue trigger has not fired yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from ncert import clocks
from ncert.access import scope
from ncert.actor import Actor
from ncert.db import utcnow
from ncert.errors import Conflict, Forbidden, Invalid, NotFound
from ncert.i18n import N_, reader_locale
from ncert.models import Incident, RegulatoryDeadline
from ncert.services import incidents, next_due, regimes
from ncert.timeline_text import Message, joined, message, render, vocab, vocab_term

RECEIVE_SKEW = timedelta(minutes=5)  # a received-at this far past our clock still counts as now


def start(session: Session, incident: Incident, regime: clocks.Regime, aware_at: datetime, *,
          internal: bool = False) -> list[RegulatoryDeadline]:
    """Create the regime's deadlines counted from ``aware_at``; stages already running are kept.
    ``internal`` deadlines (a clock a rule on national data started) are national staff's only."""
    have = {d.stage for d in _of(session, incident.id, regime.name)}
    have |= {d.stage for d in pending(session) if d.incident_id == incident.id and d.regime == regime.name}
    now = utcnow()
    added = [
        RegulatoryDeadline(incident_id=incident.id, regime=regime.name, stage=d.stage, aware_at=aware_at,
                           due_at=d.due_at, created_at=now, internal=internal)
        for d in clocks.deadlines(regime, aware_at) if d.stage not in have
    ]
    session.add_all(added)
    next_due.refresh(session, incident)
    return added


def pending(session: Session) -> list[RegulatoryDeadline]:
    """Deadlines added in this unit of work and not written yet (a playbook run does not flush
    between actions): a clock started earlier in it counts."""
    return [obj for obj in session.new if isinstance(obj, RegulatoryDeadline)]


def of_incident(session: Session, actor: Actor, incident: Incident) -> list[RegulatoryDeadline]:
    """Every deadline the actor may see of an incident it was allowed to read, soonest first."""
    stmt = scope(actor, select(RegulatoryDeadline).where(RegulatoryDeadline.incident_id == incident.id),
                 RegulatoryDeadline)
    return list(session.scalars(stmt.order_by(RegulatoryDeadline.due_at, RegulatoryDeadline.id)))


@dataclass(frozen=True)
class Countdown:
    """Where one deadline stands at ``now``, for the queue and the incident page."""

    deadline: RegulatoryDeadline
    state: clocks.ClockState
    left: timedelta  # negative once overdue

    @property
    def title(self) -> str:
        return title(self.deadline)


def countdown(row: RegulatoryDeadline, now: datetime) -> Countdown:
    return Countdown(row, clocks.state(_deadline(row), now, row.received_at), row.due_at - now)


def next_open(session: Session, actor: Actor, incident_ids: list[int], now: datetime | None = None
              ) -> dict[int, Countdown]:
    """The soonest unreported deadline the actor may see of each of ``incident_ids``
    (a page the caller has already read through the scoped queue), as a countdown."""
    if not incident_ids:
        return {}
    now = now or utcnow()
    # Neither received nor stopped, written so that no index on received_at can serve it: statistics
    # count few rows per received_at (received clocks differ), and SQLite then walked every open
    # clock of the country (135,000 at a million incidents) instead of the page's incidents' own.
    still_open = func.coalesce(RegulatoryDeadline.received_at, RegulatoryDeadline.stopped_at).is_(None)
    stmt = (select(RegulatoryDeadline)
            .where(RegulatoryDeadline.incident_id.in_(incident_ids), still_open)
            .order_by(RegulatoryDeadline.due_at, RegulatoryDeadline.id))
    stmt = scope(actor, stmt, RegulatoryDeadline)
    soonest: dict[int, Countdown] = {}
    for row in session.scalars(stmt):
        soonest.setdefault(row.incident_id, countdown(row, now))
    return soonest


def _of(session: Session, incident_id: int, regime: str) -> list[RegulatoryDeadline]:
    stmt = select(RegulatoryDeadline).where(RegulatoryDeadline.incident_id == incident_id,
                                            RegulatoryDeadline.regime == regime)
    return list(session.scalars(stmt.order_by(RegulatoryDeadline.id)))


def require_recorder(actor: Actor) -> None:
    if not actor.can_triage:
        raise Forbidden(N_("only SOC operators and admins record regulatory reports"))


def receive(session: Session, actor: Actor, incident: Incident, regime_name: str, stage: str,
            at: datetime | None = None, *, now: datetime | None = None) -> RegulatoryDeadline:
    """Record that a stage's report was received at ``at``; later stages anchored
    on it are re-timed, and a repeating regime's next occurrence is laid out.

    A report cannot predate the clock's start (awareness) nor lie in the future
    (beyond ``RECEIVE_SKEW`` of clock difference between the sender and us);
    ``now`` is the recording time (a controllable clock in tests)."""
    require_recorder(actor)
    regime = regimes.lookup(session, regime_name)
    rows = {d.stage: d for d in _of(session, incident.id, regime_name)}
    if regime is None or stage not in rows:
        raise NotFound(N_("no %(regime)s stage '%(stage)s' running on %(reference)s"),
                       regime=regime_name, stage=stage, reference=incident.reference)
    row = rows[stage]
    if row.received_at is not None:
        raise Conflict(N_("%(stage)s was already received on %(at)s UTC"), stage=stage,
                       at=f"{row.received_at:%Y-%m-%d %H:%M}")
    now = now or utcnow()
    at = at or now
    if at < row.aware_at:
        raise Invalid(N_("at: a report cannot be received before the clock started (%(started)s UTC)"),
                      started=f"{row.aware_at:%Y-%m-%d %H:%M}")
    if at > now + RECEIVE_SKEW:
        raise Invalid(N_("at: %(at)s UTC is in the future"), at=f"{at:%Y-%m-%d %H:%M}")
    row.received_at = at
    received = {name: d.received_at for name, d in rows.items() if d.received_at is not None}
    for d in clocks.deadlines(regime, row.aware_at, received):
        if d.stage in rows:
            if rows[d.stage].received_at is None:
                rows[d.stage].due_at = d.due_at
        else:
            session.add(RegulatoryDeadline(incident_id=incident.id, regime=regime.name, stage=d.stage,
                                           aware_at=row.aware_at, due_at=d.due_at, created_at=utcnow(),
                                           internal=row.internal))
    next_due.refresh(session, incident)
    incidents.note(session, actor, incident, "deadline",
                   message(N_("%(regime)s: %(stage)s received"), regime=regime_text(regime), stage=stage_text(stage)),
                   action="incident.deadline-received", internal=True, regime=regime.name, stage=stage)
    return row


@dataclass(frozen=True)
class Due:
    deadline: RegulatoryDeadline
    state: clocks.ClockState  # APPROACHING or OVERDUE


def due(session: Session, now: datetime) -> list[Due]:
    """Open deadlines whose approaching or overdue trigger is owed at ``now``, oldest first.

    A deadline found already overdue fires only its overdue trigger.
    """
    horizon = max(stage.warn_before for regime in regimes.registry(session).values() for stage in regime.stages)
    stmt = (
        select(RegulatoryDeadline)
        .where(RegulatoryDeadline.received_at.is_(None), RegulatoryDeadline.overdue_fired_at.is_(None),
               RegulatoryDeadline.stopped_at.is_(None), RegulatoryDeadline.due_at <= now + horizon)
        .order_by(RegulatoryDeadline.due_at, RegulatoryDeadline.id)
    )
    out = []
    for row in session.scalars(stmt):
        state = clocks.state(_deadline(row), now)
        if state is clocks.ClockState.OVERDUE or (state is clocks.ClockState.APPROACHING
                                                  and row.approaching_fired_at is None):
            out.append(Due(row, state))
    return out


def _regime(row: RegulatoryDeadline) -> clocks.Regime | None:
    """The row's regime from the effective registry (built-ins only for a row outside a session)."""
    session = object_session(row)
    return regimes.lookup(session, row.regime) if session is not None else clocks.REGIMES.get(row.regime)


def _deadline(row: RegulatoryDeadline) -> clocks.Deadline:
    regime = _regime(row)
    base = row.stage.partition("#")[0]
    stage = next((s for s in regime.stages if s.name == base), None) if regime else None
    warn = stage.warn_before if stage else clocks.DEFAULT_WARN_BEFORE
    return clocks.Deadline(row.regime, row.stage, row.due_at, warn)


def title(row: RegulatoryDeadline, lang: str | None = None) -> str:
    """``<regime>: <stage>`` in ``lang`` (by default the reader's: the request's, else the default language)."""
    return render(joined([regime_title(row), stage_text(row.stage)], ": "), lang or reader_locale())


def regime_title(row: RegulatoryDeadline) -> Message | str:
    """The title of the deadline's regime for a message (``regime_text``), else its name."""
    regime = _regime(row)
    return regime_text(regime) if regime else row.regime


def regime_text(regime: clocks.Regime) -> Message | str:
    """A regime's title: a built-in's is the ``regime`` vocabulary's term in each language (the law's name, as
    ``ncert.clocks`` gives it in English), a regime an admin stored keeps the title they wrote."""
    return vocab_term("regime", regime.name) if regimes.is_built_in(regime.name) else regime.title


def stage_text(stage: str) -> Message:
    """A stage for a timeline message: its NIS2 stage term, with a repeating regime's occurrence
    (``status-report#3``) kept as its suffix."""
    base, mark, occurrence = stage.partition("#")
    return joined([vocab("nis2_stage", base), mark + occurrence], sep="")

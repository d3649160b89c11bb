"""What the quarterly national report says, gathered once through the services
(each of which scopes through ``ncert.access``) for the PDF and the CSV."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ncert.access import quarterly_report_readable
from ncert.actor import Actor
from ncert.db import utcnow
from ncert.errors import BadRequest, NotFound
from ncert.i18n import N_
from ncert.models import Risk
from ncert.periods import Period, parse
from ncert.services import kpi, landscape, risk_heatmap, risks

TOP_RISKS = 10


@dataclass(frozen=True)
class QuarterlyReport:
    period: Period
    generated_at: datetime
    sector_cards: list[kpi.Card]
    heat_maps: list[risk_heatmap.HeatMap]  # current, residual
    top_risks: list[Risk]  # by current score, highest first
    register_size: int
    landscape: landscape.Landscape


def period_of(label: str, now: datetime) -> Period:
    """The quarter a report is asked for ("2026Q3"); a custom range or a quarter not started yet is a 400."""
    period = parse(label, now=now)
    if period.start > now:
        raise BadRequest(N_("period: %(period)s has not started yet"), period=period.label)
    return period


def build(session: Session, actor: Actor, label: str, *, now: datetime | None = None) -> QuarterlyReport:
    require_reader(actor)
    now = now or utcnow()
    period = period_of(label, now)
    _, sectors = kpi.readable_cards(session, actor)
    register = risks.list_risks(session, actor)
    return QuarterlyReport(
        period=period,
        generated_at=now,
        sector_cards=[kpi.sector_card(session, actor, s.slug, period) for s in sectors],
        heat_maps=[risk_heatmap.heatmap(session, actor, kind) for kind in risk_heatmap.KINDS],
        top_risks=top_risks(register),
        register_size=len(register),
        landscape=landscape.landscape(session, actor, period),
    )


def all_cards(session: Session, actor: Actor, label: str, *,
              now: datetime | None = None) -> tuple[Period, list[kpi.Card]]:
    """The quarter and every card of it (sectors, then organisations), for the CSV."""
    require_reader(actor)
    period = period_of(label, now or utcnow())
    orgs, sectors = kpi.readable_cards(session, actor)
    return period, ([kpi.sector_card(session, actor, s.slug, period) for s in sectors]
                    + [kpi.organization_card(session, actor, o.slug, period) for o in orgs])


def top_risks(register: list[Risk]) -> list[Risk]:
    """The assessed risks of highest current score (likelihood × impact), then residual score."""
    scored = [r for r in register if r.current_likelihood is not None and r.status != "closed"]
    scored.sort(key=lambda r: (-r.current_likelihood * r.current_impact,
                               -(r.residual_likelihood or 0) * (r.residual_impact or 0), r.reference))
    return scored[:TOP_RISKS]


def require_reader(actor: Actor) -> None:
    if not quarterly_report_readable(actor):
        raise NotFound(N_("no such report"))  # as a hidden incident: never confirm it exists

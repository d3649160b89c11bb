"""The demo's KPI cards (action plan §8.5.1): targets, the person responsible for each
card, and leadership's signed-off reviews of the two quarters before the current one,
all written through ``ncert.services.kpi`` as the demo's director.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ncert import periods
from ncert.actor import Actor
from ncert.models import KpiReview
from ncert.services import kpi

HOUR = 3600.0

# National targets the centre stores beside the built-in defaults (target, amber threshold).
NATIONAL_TARGETS = {
    "time_to_acknowledge_p90": (8 * HOUR, 24 * HOUR),
    "time_to_resolve_median": (5 * 24 * HOUR, 10 * 24 * HOUR),
    "rfi_answered": (90.0, 70.0),
}
# The grid operator's control room works around the clock: its incidents are acknowledged faster.
ORGANIZATION_TARGETS = {("gridco", "time_to_acknowledge_median"): (0.5 * HOUR, 2 * HOUR)}

# Deputy-head-level persons responsible for the cards of the organisations that report most:
# (name, position, e-mail).
RESPONSIBLE = {
    "ministry-interior": ("Marek Halden", "Deputy Minister for Digital Affairs", "m.halden@interior.example"),
    "ministry-finance": ("Jonas Richter", "Deputy Secretary General", "j.richter@finance.example"),
    "ministry-foreign-affairs": ("Sofia Albrecht", "Deputy Secretary General", "s.albrecht@mfa.example"),
    "tax-agency": ("Maria Olsen", "Deputy Director General", "m.olsen@tax.example"),
    "population-registry": ("Agnes Lindqvist", "Deputy Director", "a.lindqvist@registry.example"),
    "capital-city": ("Rasmus Koivu", "Deputy Mayor for Administration", "r.koivu@capital.example"),
    "gridco": ("Lars Ekdahl", "Deputy CEO, Operations and Security", "l.ekdahl@gridco.example"),
    "gasnet": ("Oskar Brandt", "Deputy Managing Director", "o.brandt@gasnet.example"),
    "unionbank": ("Irene Castell", "Deputy CEO and Chief Risk Officer", "i.castell@unionbank.example"),
    "meridian-bank": ("Paul Anders", "Deputy CEO, Technology", "p.anders@meridian.example"),
    "centralbank": ("Irena Vukovic", "Deputy Governor", "i.vukovic@centralbank.example"),
    "clearing-house": ("Dr Anna Keller", "Deputy Chief Executive", "a.keller@clearing.example"),
    "cityhospital": ("Dr Paula Stein", "Deputy Director General", "p.stein@cityhospital.example"),
    "st-lukes": ("Dr Samuel Okafor", "Deputy Medical Director", "s.okafor@stlukes.example"),
    "ehealth-agency": ("Dr Helena Marsh", "Deputy Director", "h.marsh@ehealth.example"),
    "national-rail": ("Teresa Lund", "Deputy CEO", "t.lund@rail.example"),
    "capital-airport": ("Nadia Rahimi", "Deputy Chief Operating Officer", "n.rahimi@airport.example"),
    "nordtel": ("Antti Salo", "Deputy CEO, Networks", "a.salo@nordtel.example"),
    "mobilink": ("Joanna Weiss", "Deputy CEO", "j.weiss@mobilink.example"),
    "capital-water": ("Erik Holm", "Deputy Managing Director", "e.holm@capitalwater.example"),
    "secureops": ("Tomasz Weber", "Deputy CEO", "t.weber@secureops.example"),
}

REVIEWED_ORGANIZATIONS = ("ministry-interior", "gridco", "unionbank", "cityhospital", "ehealth-agency")
REVIEWED_SECTORS = ("government", "energy", "banking", "health")
SIGN_OFF_AFTER = timedelta(days=12)  # leadership reviews a quarter in the weeks after it ends


def seed(session: Session, director: Actor, now: datetime) -> list[KpiReview]:
    """Store the targets and responsible persons; answers the signed-off reviews."""
    for key, (target, amber) in NATIONAL_TARGETS.items():
        kpi.set_target(session, director, key, target, amber)
    for (org, key), (target, amber) in ORGANIZATION_TARGETS.items():
        kpi.set_target(session, director, key, target, amber, org_slug=org)
    for org, (name, position, email) in RESPONSIBLE.items():
        kpi.set_responsible(session, director, org, name=name, position=position, email=email)
    session.flush()
    previous = periods.quarter_of(now).previous()
    reviews = []
    for quarter in (previous.previous(), previous):
        signed_at = min(quarter.end + SIGN_OFF_AFTER, now)
        for kind, slugs in (("organization", REVIEWED_ORGANIZATIONS), ("sector", REVIEWED_SECTORS)):
            for slug in slugs:
                reviews.append(_sign_off(session, director, kind, slug, quarter, signed_at))
    return reviews


def _sign_off(session: Session, director: Actor, kind: str, slug: str, quarter: periods.Period,
              at: datetime) -> KpiReview:
    card = (kpi.organization_card if kind == "organization" else kpi.sector_card)(session, director, slug, quarter)
    review, _ = kpi.review(session, director, kind, slug, quarter.label, comments=comments(card),
                           sign_off=True, now=at)
    return review


def comments(card: kpi.Card) -> str:
    """Leadership's note on a card: the volume, and the figures off target."""
    figures = {f.key: f for f in card.figures}
    reported = int(figures["incidents"].value or 0)
    if not reported:
        return f"No incidents reported in {card.period.label}; reporting channels checked with the responsible person."
    red = [f.label.lower() for f in card.figures if f.status == "red"]
    amber = [f.label.lower() for f in card.figures if f.status == "amber"]
    text = f"{reported} incidents reported in {card.period.label}."
    if red:
        text += f" Off target: {', '.join(red)}; an improvement plan is due by the next review."
    if amber:
        text += f" To watch: {', '.join(amber)}."
    return text if red or amber else text + " All figures on target."

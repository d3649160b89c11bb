"""``/risks``: the national cyber-risk register; and ``/incidents/<ref>/risks/<risk>``, links.

National staff read the register, and a risk's owner organisation reads a risk
shared with it; SOC operators and admins write. What national incident data
says about a risk (evidence, observed likelihood, drift, linked incidents) is
in ``signals``, for national staff only (null for everyone else).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from flask import url_for
from pydantic import BaseModel, ConfigDict, Field

from ncert.access import sees_risk_signals
from ncert.api.v1.auth import actor
from ncert.api.v1.payloads import parse_body, parse_query
from ncert.api.v1.routing import operation, respond
from ncert.api.v1.serialize import Out, Timestamp
from ncert.db import utcnow
from ncert.errors import BadRequest
from ncert.models import Risk
from ncert.services import risk_evidence, risk_links, risk_reviews, risks
from ncert.services.risk_records import STATUSES, RiskInput, RiskPatch
from ncert.web.session import db


class RiskQuery(BaseModel):
    """Filters of ``GET /risks``."""

    model_config = ConfigDict(extra="forbid")

    sector: str | None = Field(None, max_length=80, description="Sector slug")
    owner: str | None = Field(None, max_length=80, description="Owner organisation or team slug")
    status: Literal[STATUSES] | None = Field(None, description="Register status")  # type: ignore[valid-type]


class HistoryQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    older: int | None = Field(None, alias="from", ge=1, description="Compare from this version…")
    newer: int | None = Field(None, alias="to", ge=1, description="…to this one (both or neither)")


class OwnerView(Out):
    org: str | None
    team: str | None
    person: str
    email: str | None


class ScoreView(Out):
    likelihood: int
    impact: int
    level: str


class ChangeView(Out):
    field: str = Field(description="Dotted path, e.g. assessment.current.likelihood")
    before: Any
    after: Any


class MonthCount(Out):
    month: str = Field(examples=["2026-09"])
    count: int


class SignalsView(Out):
    """What national incident data says about the risk (national staff only)."""

    matched: bool = Field(description="False when the risk names no sectors or threat classes to match")
    quarter_count: int = Field(description="Matching incidents of the last three calendar months")
    trend: list[MonthCount]
    recent_incidents: list[str]
    yearly_count: int
    observed_likelihood: int | None = Field(description="From the last 12 months' count: 0→1, 1→2, 2–4→3, "
                                                        "5–12→4, more→5")
    assessed_likelihood: int | None
    drift_since: Timestamp | None
    review_suggested_at: Timestamp | None
    linked_incidents: list[str]


class RiskSummary(Out):
    reference: str = Field(examples=["R-2026-0001"])
    title: str
    status: str
    owner: OwnerView
    sectors: list[str]
    current: ScoreView | None
    residual: ScoreView | None
    next_review_on: date | None
    review_state: str | None = Field(description="due, overdue, or null")
    review_suggested: bool | None = Field(description="Drift flag; national staff only, else null")
    version: int
    updated_at: Timestamp


class RiskDetail(RiskSummary):
    scenario: str
    shared_with_owner: bool
    essential_services: list[str]
    threat: dict[str, Any]
    vulnerabilities: list[str]
    controls: list[str]
    evidence: dict[str, Any]
    review_frequency_days: int
    assessment: dict[str, Any] | None = Field(description="Scores with rationale and the matrix snapshot")
    treatment: dict[str, Any] | None
    created_at: Timestamp
    signals: SignalsView | None


class RiskList(Out):
    items: list[RiskSummary]


class VersionView(Out):
    version: int
    at: Timestamp
    author: str
    reason: str
    changes: list[ChangeView] = Field(description="What this version changed from the one before")


class HistoryView(Out):
    reference: str
    versions: list[VersionView]
    diff: list[ChangeView] | None = Field(description="Changes from version 'from' to version 'to', if asked")


class IncidentRisks(Out):
    incident: str
    risks: list[str] = Field(description="References of the risks linked to the incident")
    changed: bool = Field(description="Whether this call made or removed a link")


def _score(risk: Risk, level: str) -> ScoreView | None:
    if risk.assessment is None:
        return None
    score = risk.assessment[level]
    return ScoreView(likelihood=score["likelihood"], impact=score["impact"], level=score["level"])


def _summary_fields(risk: Risk) -> dict:
    snap = risks.snapshot(risk)
    national = sees_risk_signals(actor())
    return dict(reference=risk.reference, title=risk.title, status=risk.status, owner=OwnerView(**snap["owner"]),
                sectors=snap["sectors"], current=_score(risk, "current"), residual=_score(risk, "residual"),
                next_review_on=risk.next_review_on, review_state=risk_reviews.review_state(risk, utcnow().date()),
                review_suggested=(risk.review_suggested_at is not None) if national else None,
                version=risk.version, updated_at=risk.updated_at)


def _detail(risk: Risk, status: int = 200, headers: dict[str, str] | None = None):
    snap = risks.snapshot(risk)
    signals = None
    if sees_risk_signals(actor()):
        found = risk_evidence.evidence(db(), actor(), risk)
        linked = risk_links.incidents_of(db(), actor(), risk)
        signals = SignalsView(matched=found.matched, quarter_count=found.quarter_count,
                              trend=[MonthCount(month=m, count=n) for m, n in found.trend],
                              recent_incidents=[i.reference for i in found.recent], yearly_count=found.yearly_count,
                              observed_likelihood=found.observed_likelihood,
                              assessed_likelihood=found.assessed_likelihood, drift_since=risk.drift_since,
                              review_suggested_at=risk.review_suggested_at,
                              linked_incidents=[i.reference for i in linked])
    view = RiskDetail(**_summary_fields(risk), scenario=risk.scenario, shared_with_owner=risk.shared_with_owner,
                      essential_services=snap["essential_services"], threat=snap["threat"],
                      vulnerabilities=snap["vulnerabilities"], controls=snap["controls"], evidence=snap["evidence"],
                      review_frequency_days=risk.review_frequency_days, assessment=risk.assessment,
                      treatment=risk.treatment, created_at=risk.created_at, signals=signals)
    return respond(view, status, headers)


def _changes(changes: list[risks.Change]) -> list[ChangeView]:
    return [ChangeView(field=c.field, before=c.before, after=c.after) for c in changes]


@operation("GET", "/risks", query=RiskQuery, returns=RiskList, summary="List the risk register")
def list_risks():
    """The risks the key may read, by reference, filtered by sector, owner and status."""
    q = parse_query(RiskQuery)
    found = risks.list_risks(db(), actor(), sector=q.sector, owner=q.owner, status=q.status)
    return respond(RiskList(items=[RiskSummary(**_summary_fields(r)) for r in found]))


@operation("POST", "/risks", body=RiskInput, returns=RiskDetail, errors=(403, 409), location=True,
           summary="Add a risk to the register", ok={201: "Created"})
def create_risk():
    """A new register entry (version 1). An assessment is scored on the matrix in force, whose
    snapshot it keeps. SOC operators and admins only."""
    risk = risks.create(db(), actor(), parse_body(RiskInput))
    return _detail(risk, 201, {"Location": url_for(".get_risk", risk_reference=risk.reference)})


@operation("GET", "/risks/<risk_reference>", returns=RiskDetail, summary="Get one risk")
def get_risk(risk_reference: str):
    """One risk; a risk the key may not read is a 404, like one that does not exist."""
    return _detail(risks.get(db(), actor(), risk_reference))


@operation("PATCH", "/risks/<risk_reference>", body=RiskPatch, returns=RiskDetail, errors=(403,),
           summary="Change a risk")
def patch_risk(risk_reference: str):
    """Change the fields given, saying why; every change is a new version. A new assessment is a
    review: it clears a drift flag and sets the next review date. SOC operators and admins only."""
    return _detail(risks.update(db(), actor(), risk_reference, parse_body(RiskPatch)))


@operation("GET", "/risks/<risk_reference>/history", query=HistoryQuery, returns=HistoryView,
           summary="A risk's versions, and the changes between two")
def risk_history(risk_reference: str):
    """Every version with who, when, why and what it changed; ``from`` and ``to`` compare two versions."""
    q = parse_query(HistoryQuery)
    versions = risks.history(db(), actor(), risk_reference)
    out, before = [], {}
    for v in versions:
        out.append(VersionView(version=v.version, at=v.at, author=v.author, reason=v.reason,
                               changes=_changes(risks.diff(before, v.snapshot))))
        before = v.snapshot
    compared = None
    if (q.older is None) != (q.newer is None):
        raise BadRequest("give both 'from' and 'to' to compare two versions")
    if q.older is not None:
        compared = _changes(risks.compare(versions, q.older, q.newer))
    return respond(HistoryView(reference=risk_reference.strip().upper(), versions=out, diff=compared))


@operation("POST", "/incidents/<reference>/risks/<risk_reference>", returns=IncidentRisks, errors=(403,),
           summary="Link an incident to a risk", ok={201: "Linked", 200: "Already linked"})
def link_risk(reference: str, risk_reference: str):
    """Record the incident as evidence of the risk (an internal timeline entry). SOC operators and admins only."""
    incident, _, added = risk_links.link(db(), actor(), reference, risk_reference)
    linked = [r.reference for r in risk_links.risks_of(db(), actor(), incident)]
    return respond(IncidentRisks(incident=incident.reference, risks=linked, changed=added), 201 if added else 200)


@operation("DELETE", "/incidents/<reference>/risks/<risk_reference>", returns=IncidentRisks, errors=(403,),
           summary="Unlink an incident from a risk")
def unlink_risk(reference: str, risk_reference: str):
    """Remove the link (an internal timeline entry). Unlinking what is not linked changes nothing.
    SOC operators and admins only."""
    incident, _, removed = risk_links.unlink(db(), actor(), reference, risk_reference)
    linked = [r.reference for r in risk_links.risks_of(db(), actor(), incident)]
    return respond(IncidentRisks(incident=incident.reference, risks=linked, changed=removed))

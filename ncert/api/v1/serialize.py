"""The JSON the API answers with, as pydantic models.

Responses are built through these models and the OpenAPI document takes its
response schemas from them, so what is documented is what is sent.
Timestamps are ISO 8601 in UTC (``...Z``).
"""

from __future__ import annotations

import dataclasses
from datetime import timezone
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from detection import anomaly, categorisation
from ncert.access import severity_of, updated_of, visible
from ncert.actor import Actor
from ncert.clocks import ClockState
from ncert.db import utcnow
from ncert.models import ApiKey, Incident, IncidentAssessment, Sighting, TimelineEntry
from ncert.services import assessments, clocks, incidents, indicators, queue, risk_links
from ncert.services import indicator_profile as indicator_profile_service
from ncert.services.assessments import AssessmentInputs
from ncert.taxonomy import SEVERITY_LEVELS, TLP, Role, Status

# Loaded rows are UTC already; a just-written one still carries the offset it was submitted with.
Timestamp = Annotated[AwareDatetime, AfterValidator(lambda value: value.astimezone(timezone.utc))]


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid", serialize_by_alias=True, populate_by_name=True)


# -- errors ------------------------------------------------------------------------


class ErrorBody(Out):
    """Every error: a stable machine code and a human-readable detail."""

    error: str = Field(description="Machine-readable code, e.g. not_found, invalid_transition")
    detail: str


class FieldError(Out):
    loc: list[str | int] = Field(description="Path to the offending value, e.g. ['indicators', 0, 'value']")
    msg: str
    type: str


class ValidationErrorBody(ErrorBody):
    """422: the request was well-formed but broke the schema or a domain rule."""

    errors: list[FieldError] = Field(description="One item per schema violation; empty for a domain rule")


# -- incidents ---------------------------------------------------------------------


class CategoryView(Out):
    """An ENISA RSIT (class, type) pair."""

    rsit_class: str = Field(alias="class")
    type: str


class CategorySuggestionView(Out):
    """The categoriser's suggestion for a report that came without a category."""

    rsit_class: str = Field(alias="class")
    type: str
    confidence: float = Field(ge=0, le=1, description="The model's probability of the class")
    model_version: str = Field(examples=["categoriser-reporter/v1"])
    suggested: bool = Field(description=(
        "Whether the incident's category was set from this suggestion; true with confirmed false means the "
        "category shown is the model's, not yet confirmed by an operator"))
    confirmed: bool = Field(description="An operator accepted or corrected the category")


class IncidentSummary(Out):
    """An incident as listed: no indicators, sightings or timeline."""

    reference: str = Field(examples=["NC-2026-000042"])
    title: str
    status: Status
    severity: int = Field(ge=0, le=5, description=(
        "Severity level 0-5 as the caller may see it: the national severity for national staff; for everyone else "
        "the severity communicated to the reporter (its hint until an operator decides another)"))
    severity_label: str
    severity_hint: int | None = Field(ge=0, le=5, description="The reporter's severity hint, as given; null if none")
    communicated_severity: int = Field(ge=0, le=5, description="The severity the reporter sees")
    category: CategoryView
    tlp: TLP
    sector: str = Field(description="Reporting sector slug")
    affected_sectors: list[str]
    reporter_org: str = Field(description="Reporting organisation slug")
    assignee: str | None = Field(description="E-mail of the assigned operator")
    team: str | None = Field(description="Slug of the national-centre team the incident is assigned to")
    source_channel: str
    merged_into: str | None = Field(description="Reference of the incident this one was merged into, if visible")
    occurred_at: Timestamp | None
    aware_at: Timestamp | None
    reported_at: Timestamp
    acknowledged_at: Timestamp | None
    resolved_at: Timestamp | None
    closed_at: Timestamp | None
    updated_at: Timestamp
    work: WorkView | None = Field(None, description=(
        "Open and overdue tasks (national staff) and requests for information (to the caller's organisation); "
        "null when there are none"))


class WorkView(Out):
    open_tasks: int
    overdue_tasks: int
    open_rfis: int
    overdue_rfis: int


class SharedWithView(Out):
    """Other incidents visible to the caller that carry the same indicator, bounded: the newest
    few, and the whole list paged at ``GET /indicators/incidents``."""

    incidents: list[str] = Field(description="References of the newest 10")
    sectors: list[str] = Field(description="Sectors of the incidents counted")
    count: int = Field(0, description=f"How many, counted up to {indicators.SHARED_COUNTED}")
    count_capped: bool = Field(False, description=f"True when there are more than {indicators.SHARED_COUNTED}")


WARNINGLISTS = Field(description="Names of the MISP warninglists the value is on (known benign or too common)")
FALSE_POSITIVE = Field(description="Marked a false positive by the national centre")


class IndicatorView(Out):
    type: str
    value: str
    confidence: int = Field(ge=0, le=100)
    tlp: TLP
    first_seen: Timestamp
    last_seen: Timestamp
    warninglists: list[str] = WARNINGLISTS
    false_positive: bool = FALSE_POSITIVE
    shared_with: SharedWithView


class FalsePositiveView(Out):
    reason: str
    marked_by: str
    marked_at: Timestamp


class SightingTotalView(Out):
    org: str
    count: int
    last_seen: Timestamp


class IndicatorProfileView(Out):
    """One indicator across the incidents the caller may see (``GET /indicators/{type}/{value}``)."""

    type: str
    value: str
    warninglists: list[str] = WARNINGLISTS
    false_positive: bool = FALSE_POSITIVE
    false_positive_detail: FalsePositiveView | None = Field(
        description="Who marked it, when and why: national staff only, null for everyone else")
    confidence: int = Field(ge=0, le=100, description=(
        "National staff: the highest any report gave; others: the highest among the reports they may see"))
    tlp: TLP = Field(description="The least restrictive label among the reports counted")
    first_seen: Timestamp
    last_seen: Timestamp
    incidents: list[str] = Field(description="References of the newest 20 incidents carrying it; the whole list "
                                             "is paged at GET /indicators/incidents")
    incident_count: int = Field(description="How many incidents carry it, counted up to 1000")
    count_capped: bool = Field(description="True when more than 1000 do")
    sectors: list[str] = Field(description="Reporting sectors of the incidents counted")
    sightings: list[SightingTotalView] = Field(description="Per organisation (others see their own only)")


class ExtractedView(Out):
    type: str
    value: str = Field(description="Normalised as intake stores it")
    warninglists: list[str] = WARNINGLISTS


class ExtractionView(Out):
    indicators: list[ExtractedView]


class SightingView(Out):
    """An organisation saw an indicator of this incident (analysts see only their own)."""

    type: str
    value: str
    org: str
    seen_at: Timestamp
    count: int


class TimelineView(Out):
    id: int
    at: Timestamp
    kind: str
    actor: str
    body: str
    internal: bool = Field(description="Internal notes are shown to national-centre staff only")
    details: dict[str, Any]


class DeadlineView(Out):
    """One stage of a regulatory reporting regime running on the incident (NIS2 Art. 23, crisis status)."""

    regime: str
    stage: str
    due_at: Timestamp
    received_at: Timestamp | None
    state: ClockState


class BreakdownItem(Out):
    """One factor's share of the score: its answer, value 0-1, weight and points of the 0-100 score."""

    factor: str
    answer: str = Field(description="What the value was read from: the analyst's answer, or the derived fact")
    value: float = Field(ge=0, le=1)
    weight: float
    points: float


class DerivedFactors(Out):
    """Factors read from the data, not typed in."""

    sector_criticality: int = Field(ge=1, le=5, description="The most critical of the incident's sectors")
    sectors_affected: int = Field(ge=1, description="Its sectors and those of incidents sharing its indicators")
    entity_class: str | None = Field(description="The reporter's NIS2 entity class")


class AssessmentView(Out):
    """The incident's national severity assessment (NCISS-style score, standards digest §5)."""

    score: float = Field(ge=0, le=100)
    base_level: int = Field(ge=0, le=5, description="The level from the score alone")
    level: int = Field(ge=0, le=5, description="The level after overrides; the incident's severity follows it")
    level_name: str
    breakdown: list[BreakdownItem]
    overrides: list[str]
    flags: list[str]
    ncsc_category: int = Field(ge=1, le=6, description="UK NCSC category, 1 (national cyber emergency) … 6")
    eu_colour: str = Field(description="EU impact-severity: red, yellow, green or white")
    inputs: AssessmentInputs
    derived: DerivedFactors
    assessed_at: Timestamp
    assessed_by: str


class IncidentDetail(IncidentSummary):
    """One incident in full, as the caller may see it."""

    description: str
    external_ids: dict[str, str]
    merged: list[str] = Field(description=(
        "References of the duplicates merged into this incident that the caller may see; their indicators are "
        "listed here too, as far as the caller may see them"))
    indicators: list[IndicatorView]
    sightings: list[SightingView]
    timeline: list[TimelineView]
    deadlines: list[DeadlineView]
    anomaly_score: float | None = Field(None, ge=0, le=1, description=(
        "Share of the last 90 days' reports less anomalous than this one (detection.anomaly); "
        "national staff only, null when not scored"))
    assessment: AssessmentView | None = Field(description=(
        "The national severity assessment; null until assessed, and for sector organisations (it draws on other "
        "organisations' reports; they see the communicated severity, never its outcome)"))
    risks: list[str] | None = Field(None, examples=[["R-2026-0004"]], description=(
        "References of the national risks this incident is linked to; national staff only, null for everyone else"))
    category_suggestion: CategorySuggestionView | None = Field(None, description=(
        "The categoriser's suggestion, null when the report came with a category or no model was active. National "
        "staff see the national model's (trained on every organisation's confirmed reports); everyone else the "
        "reporter model's, trained on the shipped corpus only (detection.categorisation)"))


class IncidentList(Out):
    items: list[IncidentSummary]
    next_cursor: str | None = Field(description="Pass as cursor= for the next page; null on the last page")
    limit: int
    counts: dict[Status, int] = Field(
        default_factory=dict,
        description="Visible incidents per status under every filter but status; only with counts=true",
    )


class Me(Out):
    """Who the presented API key is."""

    org: str
    org_name: str
    role: Role
    key_prefix: str
    key_name: str


# -- building them -----------------------------------------------------------------


def summary_fields(actor: Actor, incident: Incident) -> dict[str, Any]:
    target = incident.merged_into
    severity = severity_of(actor, incident)
    return dict(
        reference=incident.reference,
        title=incident.title,
        status=incident.status,
        severity=severity,
        severity_label=SEVERITY_LEVELS[severity],
        severity_hint=incident.reported_severity,
        communicated_severity=incident.communicated_severity,
        category=CategoryView(rsit_class=incident.rsit_class, type=incident.rsit_type),
        tlp=incident.tlp,
        sector=incident.sector.slug,
        affected_sectors=[s.slug for s in incident.affected_sectors],
        reporter_org=incident.reporter_org.slug,
        assignee=incident.assignee.email if incident.assignee else None,
        team=incident.team.slug if incident.team else None,
        source_channel=incident.source_channel,
        merged_into=target.reference if target is not None and visible(actor, target) else None,
        occurred_at=incident.occurred_at,
        aware_at=incident.aware_at,
        reported_at=incident.reported_at,
        acknowledged_at=incident.acknowledged_at,
        resolved_at=incident.resolved_at,
        closed_at=incident.closed_at,
        updated_at=updated_of(actor, incident),
    )


def summary(actor: Actor, incident: Incident, work: queue.Work | None = None) -> IncidentSummary:
    return IncidentSummary(**summary_fields(actor, incident), work=_work_view(work))


def _work_view(work: queue.Work | None) -> WorkView | None:
    return WorkView(**dataclasses.asdict(work)) if work else None


def detail(session: Session, actor: Actor, incident: Incident) -> IncidentDetail:
    now = utcnow()
    inds = indicators.facts_of(session, actor, incident)
    shared = indicators.shared(session, actor, incident, [i.id for i in inds])
    by_id = {i.id: i for i in inds}
    return IncidentDetail(
        **summary_fields(actor, incident),
        work=_work_view(queue.work_counts(session, actor, [incident.id]).get(incident.id)),
        description=incident.description,
        external_ids=incident.external_ids,
        merged=incidents.duplicates(session, actor, incident),
        indicators=[
            IndicatorView(
                type=i.type, value=i.value, confidence=i.confidence, tlp=i.tlp,
                first_seen=i.first_seen, last_seen=i.last_seen,
                warninglists=list(i.warninglists), false_positive=i.false_positive,
                shared_with=SharedWithView(
                    incidents=list(shared[i.id].references), sectors=list(shared[i.id].sectors),
                    count=shared[i.id].count, count_capped=shared[i.id].capped,
                ) if i.id in shared else SharedWithView(incidents=[], sectors=[]),
            )
            for i in inds
        ],
        sightings=[sighting(s, by_id) for s in indicators.sightings_of_incident(session, actor, incident.id)],
        timeline=[timeline_entry(e) for e in incidents.timeline(session, actor, incident)],
        deadlines=[deadline(clocks.countdown(row, now)) for row in clocks.of_incident(session, actor, incident)],
        anomaly_score=anomaly.score_for(session, actor, incident),
        assessment=assessment_view(found) if actor.is_national and (found := assessments.current(
            session, actor, incident)) else None,
        risks=[r.reference for r in risk_links.risks_of(session, actor, incident)] if actor.is_national else None,
        category_suggestion=category_suggestion_view(categorisation.of(session, actor, incident)),
    )


def category_suggestion_view(shown: categorisation.Shown | None) -> CategorySuggestionView | None:
    if shown is None:
        return None
    return CategorySuggestionView(rsit_class=shown.rsit_class, type=shown.rsit_type,
                                  confidence=shown.confidence, model_version=shown.model_version,
                                  suggested=shown.applied, confirmed=shown.decision is not None)


def indicator_profile(p: indicator_profile_service.Profile) -> IndicatorProfileView:
    detail = p.false_positive_detail
    return IndicatorProfileView(
        type=p.type, value=p.value, warninglists=list(p.warninglists), false_positive=p.false_positive,
        false_positive_detail=FalsePositiveView(reason=detail.reason, marked_by=detail.by, marked_at=detail.at)
        if detail else None,
        confidence=p.confidence, tlp=p.tlp, first_seen=p.first_seen, last_seen=p.last_seen,
        incidents=list(p.incidents), incident_count=p.incident_count, count_capped=p.count_capped,
        sectors=list(p.sectors),
        sightings=[SightingTotalView(org=s.org, count=s.count, last_seen=s.last_seen) for s in p.sightings],
    )


def assessment_view(row: IncidentAssessment) -> AssessmentView:
    return AssessmentView(
        score=row.score, base_level=row.base_level, level=row.level, level_name=SEVERITY_LEVELS[row.level],
        breakdown=[BreakdownItem(**item) for item in row.breakdown], overrides=row.overrides, flags=row.flags,
        ncsc_category=row.ncsc_category, eu_colour=row.eu_colour,
        inputs=AssessmentInputs(**{name: getattr(row, name) for name in assessments.ANSWERS}),
        derived=DerivedFactors(sector_criticality=row.sector_criticality, sectors_affected=row.sectors_affected,
                               entity_class=row.entity_class),
        assessed_at=row.assessed_at, assessed_by=row.assessed_by,
    )


def deadline(c: clocks.Countdown) -> DeadlineView:
    row = c.deadline
    return DeadlineView(regime=row.regime, stage=row.stage, due_at=row.due_at, received_at=row.received_at,
                        state=c.state)


def sighting(s: Sighting, by_id: dict) -> SightingView:
    ind = by_id[s.indicator_id]  # attach() links every sighted indicator to its incident
    return SightingView(type=ind.type, value=ind.value, org=s.org.slug, seen_at=s.seen_at, count=s.count)


def timeline_entry(e: TimelineEntry) -> TimelineView:
    return TimelineView(id=e.id, at=e.at, kind=e.kind, actor=e.actor, body=e.body, internal=e.internal,
                        details=e.details or {})


def me(key: ApiKey) -> Me:
    return Me(org=key.org.slug, org_name=key.org.name, role=key.role, key_prefix=key.prefix, key_name=key.name)

"""``/incidents``: submit, list, read, triage, comment, merge and reopen.

Each view parses its input, calls one service and serialises the result;
permission checks and domain rules are the services' own.
"""

from __future__ import annotations

from typing import Annotated, Literal

from flask import Response, current_app, url_for
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

from ncert.api.v1.auth import actor
from ncert.api.v1.payloads import (
    DEFAULT_LIMIT,
    CommentRequest,
    IncidentQuery,
    MergeRequest,
    ReopenRequest,
    ReportReceived,
    parse_body,
    parse_query,
)
from ncert.api.v1.routing import operation, respond
from ncert.api.v1.serialize import (
    AssessmentView,
    IncidentDetail,
    IncidentList,
    TimelineView,
    assessment_view,
    detail,
    summary,
    timeline_entry,
)
from ncert.errors import NotFound
from ncert.models import Incident
from ncert.observables import INDICATOR_TYPES, normalise
from ncert.records import IncidentPatch, IncidentRecord
from ncert.services import assessments, clocks, incidents, queue, triage
from ncert.services.assessments import AssessmentInputs
from ncert.web.session import db


def _incident(incident: Incident, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return respond(detail(db(), actor(), incident), status, headers)


@operation("POST", "/incidents", body=IncidentRecord, returns=IncidentDetail, errors=(403, 409),
           summary="Submit an incident", location=True,
           ok={201: "Created", 200: "Replay of an external id this organisation already used: the first incident"})
def submit_incident():
    """Submit an incident with its indicators. Resubmitting an external id the
    reporting organisation already used changes nothing and returns the first incident."""
    record = parse_body(IncidentRecord)
    result = incidents.submit(db(), actor(), record, channel="api")
    if not result.created:
        return _incident(result.incident)
    location = url_for(".get_incident", reference=result.incident.reference)
    return _incident(result.incident, 201, {"Location": location})


@operation("GET", "/incidents", query=IncidentQuery, returns=IncidentList, summary="List incidents")
def list_incidents():
    """The incidents the key may see, filtered, sorted and keyset-paged."""
    query = parse_query(IncidentQuery)
    filters = query.queue_filter()
    page = queue.list_incidents(db(), actor(), filters, sort=query.sort, limit=query.limit, cursor=query.cursor)
    work = queue.work_counts(db(), actor(), [i.id for i in page.items])
    items = [summary(actor(), i, work.get(i.id)) for i in page.items]
    if query.counts:
        counts = queue.status_counts(db(), actor(), filters)
        return respond(IncidentList(items=items, next_cursor=page.next_cursor, limit=page.limit, counts=counts))
    return respond(IncidentList(items=items, next_cursor=page.next_cursor, limit=page.limit), exclude={"counts"})


class CarryingQuery(BaseModel):
    """One indicator value (normalised as intake does) and a page of ``GET /indicators/incidents``."""

    model_config = ConfigDict(extra="forbid")

    type: Literal[INDICATOR_TYPES]  # type: ignore[valid-type]
    value: Annotated[str, StringConstraints(min_length=1, max_length=2048)]
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=200, description="Page size")
    cursor: Annotated[str, StringConstraints(min_length=1, max_length=1000)] | None = Field(
        None, description="next_cursor of the previous page")

    @field_validator("value")
    @classmethod
    def _normalised(cls, value: str, info: ValidationInfo) -> str:
        if "type" not in info.data:  # the type was refused already
            return value
        return normalise(info.data["type"], value)


@operation("GET", "/indicators/incidents", query=CarryingQuery, returns=IncidentList,
           summary="List the incidents carrying an indicator")
def list_incidents_carrying():
    """The incidents the key may see that carry one indicator value, newest first and keyset-paged:
    the full list behind an indicator's ``shared_with``. A value nobody visible carries is an empty list."""
    query = parse_query(CarryingQuery)
    page = queue.list_incidents(db(), actor(), queue.QueueFilter(indicator=(query.type, query.value)),
                                limit=query.limit, cursor=query.cursor)
    items = [summary(actor(), i) for i in page.items]
    return respond(IncidentList(items=items, next_cursor=page.next_cursor, limit=page.limit), exclude={"counts"})


@operation("GET", "/incidents/<reference>", returns=IncidentDetail, summary="Get one incident")
def get_incident(reference: str):
    """One incident with its indicators, sightings and timeline, as the key may see them.
    An incident the key may not see is a 404, exactly like one that does not exist."""
    return _incident(incidents.get(db(), actor(), reference))


@operation("PATCH", "/incidents/<reference>", body=IncidentPatch, returns=IncidentDetail, errors=(403, 409),
           summary="Triage an incident")
def patch_incident(reference: str):
    """Change status, assignee, team, category, severity, communicated_severity or TLP; only the fields
    given change. ``severity`` is the national one; the reporter sees ``communicated_severity``, which
    changes only here. SOC operators and admins only. An invalid status move is a 409 naming the allowed ones."""
    patch = parse_body(IncidentPatch)
    return _incident(incidents.update_fields(db(), actor(), reference, patch))


@operation("POST", "/incidents/<reference>/triage", body=IncidentPatch, returns=IncidentDetail, errors=(403, 409),
           summary="Triage an incident in one step")
def triage_incident(reference: str):
    """The fields of PATCH applied together with one ``reason``, written as one timeline entry
    (kind ``triage``; a national severity change goes into a second, internal one). Fields equal to
    the incident's current values, the current status included, are left alone; any refused
    field refuses the whole triage. SOC operators and admins only."""
    patch = parse_body(IncidentPatch)
    return _incident(triage.triage(db(), actor(), reference, patch).incident)


@operation("POST", "/incidents/<reference>/comments", body=CommentRequest, returns=TimelineView, errors=(403,),
           summary="Comment on an incident", ok={201: "Created: the new timeline entry"})
def comment_incident(reference: str):
    """Reporters comment on their own organisation's incidents; national staff on any,
    and only they may write internal notes."""
    req = parse_body(CommentRequest)
    entry = incidents.comment(db(), actor(), reference, req.body, internal=req.internal)
    return respond(timeline_entry(entry), 201)


@operation("POST", "/incidents/<reference>/merge", body=MergeRequest, returns=IncidentDetail, errors=(403, 409),
           summary="Merge a duplicate into another incident")
def merge_incident(reference: str):
    """Merge this incident into ``into``; its indicators and sectors move over.
    Answers with this (now merged) incident. SOC operators and admins only."""
    req = parse_body(MergeRequest)
    return _incident(incidents.merge(db(), actor(), reference, req.into, req.reason))


@operation("POST", "/incidents/<reference>/reopen", body=ReopenRequest, returns=IncidentDetail, errors=(403, 409),
           summary="Reopen a resolved or closed incident")
def reopen_incident(reference: str):
    """Bring a resolved or closed incident back into the queue as triaged. SOC operators and admins only."""
    req = parse_body(ReopenRequest)
    return _incident(incidents.reopen(db(), actor(), reference, req.reason))


@operation("POST", "/incidents/<reference>/deadlines/received", body=ReportReceived, returns=IncidentDetail,
           errors=(403,), summary="Record a regulatory report as received")
def report_received(reference: str):
    """Record that the reporter's report for a deadline stage (e.g. NIS2 early warning) arrived,
    at ``at`` or now; stages counted from it are re-timed. SOC operators and admins only."""
    req = parse_body(ReportReceived)
    incident = incidents.get(db(), actor(), reference)
    clocks.receive(db(), actor(), incident, req.regime, req.stage, req.at)
    return _incident(incident)


@operation("GET", "/incidents/<reference>/assessment", returns=AssessmentView, errors=(403,),
           summary="Get an incident's national severity assessment")
def get_assessment(reference: str):
    """The score, level, breakdown, overrides and flags, for national staff (403 for
    sector organisations: the score draws on other organisations' reports).
    An incident not assessed yet is a 404 with the code ``not_assessed``."""
    incident = incidents.get(db(), actor(), reference)
    row = assessments.current(db(), actor(), incident)
    if row is None:
        raise NotFound(f"{incident.reference} has not been assessed yet", code="not_assessed")
    return respond(assessment_view(row))


@operation("PUT", "/incidents/<reference>/assessment", body=AssessmentInputs, returns=AssessmentView,
           errors=(403, 409), summary="Assess an incident's national severity")
def put_assessment(reference: str):
    """Record the analyst's answers; the score is computed with the configured weights and thresholds,
    and the incident's severity is set to the resulting level. Re-assessing replaces the answers.
    Sector criticality, sectors affected and the NIS2 entity class are derived from the data.
    SOC operators and admins only."""
    inputs = parse_body(AssessmentInputs)
    config = current_app.extensions["ncert"].settings.scoring
    return respond(assessment_view(assessments.assess(db(), actor(), reference, inputs, config)))

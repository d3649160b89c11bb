"""``/incidents/<reference>/category-decision``: accept the categoriser's suggestion or correct it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from detection import categorisation
from ncert.api.v1.auth import actor
from ncert.api.v1.payloads import parse_body
from ncert.api.v1.routing import operation, respond
from ncert.api.v1.serialize import IncidentDetail, detail
from ncert.records import Category
from ncert.web.session import db


class CategoryDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: Category | None = Field(None, description=(
        "The right RSIT category ('class/type' or {class, type}); omit it to accept the suggestion"))


@operation("POST", "/incidents/<reference>/category-decision", body=CategoryDecision, returns=IncidentDetail,
           errors=(403, 409), summary="Accept or correct the suggested category")
def decide_category(reference: str):
    """Confirm the incident's category: without ``category`` the national model's suggestion is accepted,
    with it the category is corrected. Either way the report becomes training data for the categoriser.
    SOC operators and admins only; 409 when the incident has no suggestion."""
    req = parse_body(CategoryDecision)
    session = db()
    incident = categorisation.decide(session, actor(), reference, req.category)
    return respond(detail(session, actor(), incident))

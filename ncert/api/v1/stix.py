"""STIX 2.1 out of the national queue: an incident as a bundle, and publishing
an incident or a set of indicators to a national TAXII collection."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from ncert.api.v1.auth import actor
from ncert.api.v1.payloads import parse_body
from ncert.api.v1.routing import operation, respond
from ncert.observables import INDICATOR_TYPES, normalise
from ncert.services import stix_export
from ncert.taxonomy import TLP
from ncert.web.session import db, national_org

Label = Annotated[TLP, Field(description="TLP:CLEAR or TLP:GREEN: what a national collection may carry")]


class StixBundle(BaseModel):
    """A STIX 2.1 bundle (§8); the objects pass stix2-validator."""

    type: Literal["bundle"]
    id: str
    objects: list[dict[str, Any]]


class PublishIncident(BaseModel):
    model_config = ConfigDict(extra="forbid")

    collection: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        description="Id or alias of a national collection, e.g. national-sector-certs")
    tlp: Label

    _label = field_validator("tlp", mode="before")(lambda v: TLP.parse(v) if isinstance(v, str) else v)


class IndicatorKey(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal[INDICATOR_TYPES]  # type: ignore[valid-type]
    value: Annotated[str, StringConstraints(min_length=1, max_length=2048)]

    @model_validator(mode="after")
    def _normalise(self):
        self.value = normalise(self.type, self.value)
        return self


class PublishIndicators(PublishIncident):
    indicators: list[IndicatorKey] = Field(min_length=1, max_length=10_000)


class PublishResult(BaseModel):
    collection: str
    tlp: TLP
    status_id: str = Field(description="The TAXII status resource of the publication")
    objects: int
    failures: int



def _result(collection: str, tlp: TLP, status) -> PublishResult:
    return PublishResult(collection=collection, tlp=tlp, status_id=status.id, objects=status.success_count,
                         failures=status.failure_count)


@operation("GET", "/incidents/<reference>/stix", returns=StixBundle, summary="Export an incident as STIX 2.1")
def export_incident(reference: str):
    """The incident with its indicators, sightings and TLP marking as a STIX 2.1 bundle,
    built with the stix2 library."""
    bundle = stix_export.incident_bundle(db(), actor(), reference, national_org())
    return respond(StixBundle.model_validate(bundle))


@operation("POST", "/incidents/<reference>/publish", body=PublishIncident, returns=PublishResult, errors=(403,),
           summary="Publish an incident to a national collection")
def publish_incident(reference: str):
    """Share the incident and its indicators with a national audience over TAXII, at a
    chosen TLP (TLP:CLEAR or TLP:GREEN). SOC operators and admins only."""
    req = parse_body(PublishIncident)
    status = stix_export.publish_incident(db(), actor(), reference, req.collection, req.tlp, national_org())
    return respond(_result(req.collection, req.tlp, status))


@operation("POST", "/indicators/publish", body=PublishIndicators, returns=PublishResult, errors=(403,),
           summary="Publish indicators to a national collection")
def publish_indicators():
    """Share a set of known indicators, by type and value, with a national audience over
    TAXII at a chosen TLP. SOC operators and admins only."""
    req = parse_body(PublishIndicators)
    keys = [(i.type, i.value) for i in req.indicators]
    status = stix_export.publish_indicators(db(), actor(), keys, req.collection, req.tlp, national_org())
    return respond(_result(req.collection, req.tlp, status))

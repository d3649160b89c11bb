"""``/indicators``: one value across incidents, false-positive marks, and indicators found in free text.

Each view parses its input, calls one service and serialises the result.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ncert.api.v1.auth import actor
from ncert.api.v1.payloads import parse_body
from ncert.api.v1.routing import operation, respond
from ncert.api.v1.serialize import ExtractedView, ExtractionView, IndicatorProfileView, indicator_profile
from ncert.ioc_extract import MAX_TEXT, extract
from ncert.services import false_positives
from ncert.services.indicator_profile import profile
from ncert.web.session import db

ONE = "/indicators/<type>/<path:value>"


@operation("GET", ONE, returns=IndicatorProfileView, errors=(422,),
           summary="Get one indicator across the incidents the caller may see")
def get_indicator(type: str, value: str):  # noqa: A002 (the documented path parameter)
    """The value (defanged spellings are refanged) with its MISP warninglists and false-positive mark;
    for national staff every incident carrying it (the newest 20, counted up to 1000), their sectors,
    the national first/last seen and every organisation's sightings; for everyone else the same over
    the incidents they may see, and their own sightings. A value nothing visible carries is a 404."""
    return respond(indicator_profile(profile(db(), actor(), type, value)))


class FalsePositiveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class ClearRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(max_length=2000)] = ""


@operation("POST", ONE + "/false-positive", body=FalsePositiveRequest, returns=IndicatorProfileView,
           errors=(403,), summary="Mark an indicator a false positive nationally")
def mark_false_positive(type: str, value: str):  # noqa: A002
    """Record, with a reason, that the value is benign: it no longer counts for correlation, anomaly
    features or ``sectors_sharing_indicator``. Audited. SOC operators and admins only."""
    req = parse_body(FalsePositiveRequest)
    indicator = false_positives.mark(db(), actor(), type, value, req.reason)
    return respond(indicator_profile(profile(db(), actor(), indicator.type, indicator.value)))


@operation("POST", ONE + "/false-positive/clear", body=ClearRequest, returns=IndicatorProfileView,
           errors=(403,), summary="Clear an indicator's false-positive mark")
def clear_false_positive(type: str, value: str):  # noqa: A002
    """The value counts again. Audited. SOC operators and admins only."""
    req = parse_body(ClearRequest)
    indicator = false_positives.clear(db(), actor(), type, value, req.reason)
    return respond(indicator_profile(profile(db(), actor(), indicator.type, indicator.value)))


class ExtractRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(max_length=MAX_TEXT)] = Field(
        description="Free text: an e-mail, a report; defanged values (hxxp, [.], [at]) are refanged")


@operation("POST", "/indicators/extract", body=ExtractRequest, returns=ExtractionView,
           summary="Find the indicators in free text")
def extract_indicators():
    """The IPs and networks, domains, URLs, e-mail addresses, hashes and CVEs of the text, typed and
    normalised as intake would store them, each with the MISP warninglists it is on. Nothing is stored."""
    req = parse_body(ExtractRequest)
    return respond(ExtractionView(indicators=[
        ExtractedView(type=f.type, value=f.value, warninglists=list(f.warninglists)) for f in extract(req.text)]))

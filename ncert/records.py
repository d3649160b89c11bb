"""The normalised record schema every intake path produces.

The REST API body, the console form and (later) the STIX, MISP and CSV
adapters all turn their input into an ``IncidentRecord``; the incident service
takes nothing else. Validation lives here, once.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from ncert.observables import INDICATOR_TYPES, normalise
from ncert.taxonomy import TLP, Status, validate_category

IndicatorType = Literal[INDICATOR_TYPES]  # type: ignore[valid-type]
Slug = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
# Ids are INTEGER columns (32-bit on PostgreSQL): a larger number must not reach a query.
UserId = Annotated[int, Field(ge=1, le=2**31 - 1)]


def _to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 has no UTC equivalent
        raise ValueError("time is outside the representable range") from None


AwareUTC = Annotated[AwareDatetime, AfterValidator(_to_utc)]


class Category(BaseModel):
    """An ENISA RSIT (class, type) pair. Also accepted as the string ``class/type``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    rsit_class: str = Field(alias="class")
    type: str

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data):
        if isinstance(data, str):
            rsit_class, sep, rsit_type = data.partition("/")
            if not sep:
                raise ValueError("category string must be 'class/type', e.g. 'malicious-code/infected-system'")
            return {"class": rsit_class.strip(), "type": rsit_type.strip()}
        return data

    @model_validator(mode="after")
    def _known(self):
        validate_category(self.rsit_class, self.type)
        return self


def _tlp(value):
    return TLP.parse(value) if isinstance(value, str) else value


class IndicatorRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: IndicatorType
    value: Annotated[str, StringConstraints(min_length=1, max_length=2048)]
    confidence: int = Field(50, ge=0, le=100)
    count: int = Field(1, ge=1, le=1_000_000_000, description="How many times the reporter saw it")
    first_seen: AwareUTC | None = None
    last_seen: AwareUTC | None = None

    @model_validator(mode="after")
    def _normalise(self):
        self.value = normalise(self.type, self.value)
        if self.first_seen and self.last_seen and self.first_seen > self.last_seen:
            raise ValueError("first_seen is after last_seen")
        return self


def _refuse_nul(data, where: str = ""):
    """No database text column can hold U+0000; refuse it wherever it hides."""
    if isinstance(data, str):
        if "\x00" in data:
            raise ValueError(f"{where or 'text'} contains a NUL character")
    elif isinstance(data, dict):
        for key, value in data.items():
            _refuse_nul(key, where)
            _refuse_nul(value, f"{where}.{key}" if where else str(key))
    elif isinstance(data, (list, tuple)):
        for i, value in enumerate(data):
            _refuse_nul(value, f"{where}.{i}")
    return data


class IncidentRecord(BaseModel):
    """An incident as submitted, before it has a reference."""

    model_config = ConfigDict(extra="forbid")

    _no_nul = model_validator(mode="before")(classmethod(lambda cls, data: _refuse_nul(data)))

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    description: Annotated[str, StringConstraints(max_length=100_000)] = ""
    category: Category | None = Field(None, description="RSIT category; uncategorised when omitted")
    severity: int | None = Field(None, ge=0, le=5, description=(
        "Severity hint on the national scale 0-5, kept as the reporter's hint; from national staff filing by hand "
        "(REST, console), the national severity"))
    tlp: TLP = Field(TLP.AMBER, description="TLP 2.0 label; TLP:AMBER when omitted")
    sector: Slug | None = Field(None, description=(
        "Reporting sector: the reporting organisation's own (the default); national staff may give any, and an "
        "organisation without a sector (an international partner) names the one it reports about"))
    affected_sectors: list[Slug] = Field(default_factory=list, max_length=64)
    reporter_org: Slug | None = Field(
        None, description="Reporting organisation; national staff only, others always report as themselves"
    )
    occurred_at: AwareUTC | None = None
    aware_at: AwareUTC | None = Field(None, description="When the reporter became aware (NIS2 clock start)")
    external_ids: dict[
        Annotated[str, StringConstraints(min_length=1, max_length=64)],
        Annotated[str, StringConstraints(min_length=1, max_length=256)],
    ] = Field(default_factory=dict, description="Ids in the reporter's systems; resubmitting one is a no-op")
    indicators: list[IndicatorRecord] = Field(default_factory=list, max_length=10_000)

    _tlp_label = field_validator("tlp", mode="before")(_tlp)

    @model_validator(mode="after")
    def _times(self):
        if self.occurred_at and self.aware_at and self.occurred_at > self.aware_at:
            raise ValueError("occurred_at is after aware_at")
        return self


class IncidentPatch(BaseModel):
    """A change to an incident's triage fields; only the fields given change."""

    model_config = ConfigDict(extra="forbid")

    status: Status | None = None
    assignee: UserId | Annotated[str, StringConstraints(max_length=320)] | None = Field(
        None, description="User id or e-mail of a national operator; 'me' for yourself; null unassigns"
    )
    category: Category | None = None
    severity: int | None = Field(None, ge=0, le=5, description="National severity (national staff see it)")
    communicated_severity: int | None = Field(None, ge=0, le=5, description=(
        "The severity the reporter sees; only this explicit decision changes it"))
    tlp: TLP | None = None
    team: Annotated[str, StringConstraints(max_length=80)] | None = Field(
        None, description="Slug of a national-centre team; null or \"\" clears it"
    )
    reason: Annotated[str, StringConstraints(max_length=2000)] = Field("", description="Why; kept in the timeline")

    _tlp_label = field_validator("tlp", mode="before")(_tlp)

    @model_validator(mode="after")
    def _not_empty(self):
        if not self.model_fields_set - {"reason"}:
            raise ValueError("nothing to change: give status, assignee, category, severity, communicated_severity, "
                             "tlp or team")
        for name in ("category", "severity", "communicated_severity", "tlp", "status"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

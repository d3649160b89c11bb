"""What a register entry may say: the input of ``ncert.services.risks`` from
every door (REST body, YAML import), checked once here.

Threat classes are ENISA RSIT (``class`` or ``class/type``, ncert.taxonomy);
ATT&CK techniques are ids such as ``T1486`` or ``T1566.001``
(https://attack.mitre.org/techniques/); treatments are ISO/IEC 27005's four
options, written mitigate, accept, transfer and avoid.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from ncert.observables import normalise
from ncert.records import IndicatorType
from ncert.taxonomy import RSIT, validate_category

STATUSES = ("draft", "assessed", "in_treatment", "accepted", "closed")
STRATEGIES = ("mitigate", "accept", "transfer", "avoid")
ACTION_STATUSES = ("planned", "in_progress", "done")
REFERENCE_PATTERN = r"^R-\d{4}-\d{4,}$"
ATTACK_PATTERN = r"^T\d{4}(\.\d{3})?$"

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)]
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Slug = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=80)]
Level = Annotated[int, Field(ge=1, le=5)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Owner(_Strict):
    """A team or an organisation that owns the risk, and a named person."""

    org: Slug | None = Field(None, description="Owner organisation slug")
    team: Slug | None = Field(None, description="Owner team slug (a desk of the national centre)")
    person: Line = Field(description="The named person accountable for the risk")
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=320,
                                            pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = Field(
        None, description="Where review and drift notices go")

    @model_validator(mode="after")
    def _one_owner(self):
        if self.org is None and self.team is None:
            raise ValueError("name the owning organisation ('org') or team ('team')")
        return self


class Threat(_Strict):
    rsit: list[Line] = Field(default_factory=list, description="RSIT 'class' or 'class/type' entries")
    attack: list[Annotated[str, StringConstraints(pattern=ATTACK_PATTERN)]] = Field(
        default_factory=list, description="ATT&CK technique ids, e.g. T1486")

    @field_validator("rsit")
    @classmethod
    def _rsit(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            rsit_class, sep, rsit_type = entry.partition("/")
            if not sep and rsit_class not in RSIT:
                raise ValueError(f"unknown RSIT class {rsit_class!r}")
            if sep:
                validate_category(rsit_class, rsit_type)
        return list(dict.fromkeys(entries))


class EvidenceIndicator(_Strict):
    type: IndicatorType
    value: Annotated[str, StringConstraints(min_length=1, max_length=2048)]

    @model_validator(mode="after")
    def _normalise(self):
        self.value = normalise(self.type, self.value)
        return self


class Evidence(_Strict):
    """Which incidents evidence the risk, beyond its sectors and threat classes."""

    indicators: list[EvidenceIndicator] = Field(
        default_factory=list, description="Only incidents carrying one of these indicators, when given")
    min_severity: int = Field(0, ge=0, le=5, description="Only incidents at this national level or above")


class Score(_Strict):
    likelihood: Level
    impact: Level
    rationale: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


class Assessment(_Strict):
    """Likelihood and impact before any control (inherent), today (current) and
    after the planned treatment (residual)."""

    inherent: Score
    current: Score
    residual: Score


class TreatmentAction(_Strict):
    title: Line
    owner: Line
    due: date
    status: Literal[ACTION_STATUSES] = "planned"  # type: ignore[valid-type]


class Acceptance(_Strict):
    approver: Line
    expires_on: date


class Treatment(_Strict):
    strategy: Literal[STRATEGIES]  # type: ignore[valid-type]
    actions: list[TreatmentAction] = Field(default_factory=list)
    acceptance: Acceptance | None = None

    @model_validator(mode="after")
    def _acceptance(self):
        if self.strategy == "accept" and self.acceptance is None:
            raise ValueError("accepting a risk needs an acceptance with an approver and an expiry date")
        if self.strategy != "accept" and self.acceptance is not None:
            raise ValueError("an acceptance belongs only to the 'accept' strategy")
        return self


class RiskFields(_Strict):
    """The fields of a register entry; in a patch, only those given change."""

    title: Line | None = None
    scenario: Text | None = None
    owner: Owner | None = None
    shared_with_owner: bool | None = Field(
        None, description="Let the owner organisation's analysts read this risk (read-only)")
    sectors: list[Slug] | None = None
    essential_services: list[Line] | None = None
    threat: Threat | None = None
    vulnerabilities: list[Text] | None = None
    controls: list[Text] | None = None
    evidence: Evidence | None = None
    review_frequency_days: int | None = Field(None, ge=1, le=3650)
    next_review_on: date | None = None
    status: Literal[STATUSES] | None = None  # type: ignore[valid-type]
    assessment: Assessment | None = None
    treatment: Treatment | None = None


class RiskInput(RiskFields):
    """A new register entry: a title and an owner at least."""

    reference: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True,
                                                pattern=REFERENCE_PATTERN)] | None = Field(
        None, description="Given only when importing a register that has its own references")
    title: Line
    owner: Owner
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


class RiskPatch(RiskFields):
    """A change to a register entry, and why it was made (kept in its history)."""

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]

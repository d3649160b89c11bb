"""What the API accepts: request bodies and query strings, parsed strictly.

Bodies must be ``application/json`` (else 415), well-formed (else 400) and
match their pydantic model (else 422). Query strings are checked against a
model too; a malformed parameter is a 400 naming it.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Annotated, Literal, TypeVar

from flask import current_app, request
from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from ncert import bodies
from ncert.api.v1.errors import field_errors, summarise
from ncert.api.v1.routing import bp
from ncert.api.v1.serialize import FieldError
from ncert.errors import BadRequest, Invalid, UnsupportedMediaType
from ncert.i18n import N_
from ncert.services.queue import DEFAULT_SORT, SORTS, QueueFilter
from ncert.taxonomy import RSIT, TLP, Status

M = TypeVar("M", bound=BaseModel)


# -- bodies ------------------------------------------------------------------------


class CommentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
    internal: bool = Field(False, description="An internal note, for national-centre staff only")


class MergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    into: Annotated[str, StringConstraints(min_length=1, max_length=20)] = Field(
        description="Reference of the incident that stays"
    )
    reason: Annotated[str, StringConstraints(max_length=2000)] = ""


class ReportReceived(BaseModel):
    model_config = ConfigDict(extra="forbid")

    regime: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(description="e.g. nis2")
    stage: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        description="e.g. early-warning, incident-notification, final-report")
    at: AwareDatetime | None = Field(None, description="When the report arrived; now when omitted")


class ReopenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


# PostgreSQL text cannot hold U+0000, so it is refused at the door, on every backend alike.
NUL_MESSAGE = "NUL characters (U+0000) are not allowed"


def _nul_at(data) -> tuple | None:
    """Where in parsed JSON a string (or key) holds U+0000, if anywhere; iterative, as JSON nests deep."""
    stack: list[tuple[tuple, object]] = [((), data)]
    while stack:
        loc, value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return loc
        elif isinstance(value, dict):
            for key, item in value.items():
                if "\x00" in key:
                    return (*loc, key)
                stack.append(((*loc, key), item))
        elif isinstance(value, list):
            stack.extend(((*loc, i), item) for i, item in enumerate(value))
    return None


def parse_body(model: type[M]) -> M:
    """The request's JSON body as ``model``; raises 415, 413, 400 or 422."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType(N_("send the body as application/json, not '%(sent)s'"),
                                   sent=request.mimetype or "nothing")
    raw = request.get_data(cache=False)  # werkzeug raises 413 past MAX_CONTENT_LENGTH
    data = bodies.loads(raw, max_depth=current_app.extensions["ncert"].settings.max_json_depth)
    where = _nul_at(data)
    if where is not None:
        error = FieldError(loc=list(where), msg=NUL_MESSAGE, type="nul_character")
        message, values = summarise([error])
        raise Invalid(message, errors=[error.model_dump()], **values)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = field_errors(exc)
        message, values = summarise(errors)
        raise Invalid(message, errors=[e.model_dump() for e in errors], **values) from None


@bp.before_request
def refuse_nul_in_url() -> None:
    if "\x00" in request.path or any("\x00" in k or "\x00" in v for k, v in request.args.items(multi=True)):
        raise BadRequest(N_("NUL characters (U+0000) are not allowed in the URL"))


# -- the incident list's query string ----------------------------------------------


def _comma_list(value):
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _tlp(value):
    return TLP.parse(value) if isinstance(value, str) else value


_OFFSET_AS_SPACE = re.compile(r" (\d\d(?::?\d\d)?)$")


def utc_time(value: datetime | None) -> datetime | None:
    """A query's time as an aware UTC datetime (a naive one is read as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+14:00
        raise ValueError("outside the representable range of UTC times") from None


def _timestamp(value):
    # An unencoded '+' in a query string arrives as a space: "…T10:00:00 02:00".
    return _OFFSET_AS_SPACE.sub(r"+\1", value) if isinstance(value, str) else value


CommaList = BeforeValidator(_comma_list)
CATEGORIES = tuple([*RSIT, *(f"{c}/{t}" for c, types in RSIT.items() for t in types)])
SortKey = Literal[tuple(name for key in SORTS for name in (key, f"-{key}"))]  # type: ignore[valid-type]
Severity = Annotated[int, Field(ge=0, le=5)]
DEFAULT_LIMIT = 50
MAX_ID = 2**31 - 1  # ids are INTEGER columns, 32-bit on PostgreSQL


class IncidentQuery(BaseModel):
    """Filters, order and page of ``GET /incidents``. Lists are comma-separated."""

    model_config = ConfigDict(extra="forbid")

    status: Annotated[list[Status], CommaList] = Field(default_factory=list, description="Any of these statuses")
    sector: Annotated[list[str], CommaList] = Field(
        default_factory=list, description="Reporting or affected sector slugs"
    )
    severity: Annotated[list[Severity], CommaList] = Field(default_factory=list, description="Any of these levels")
    severity_min: Severity | None = Field(None, description="At least this severity")
    category: Literal[CATEGORIES] | None = Field(  # type: ignore[valid-type]
        None, description="RSIT class, or class/type"
    )
    tlp: Annotated[list[Annotated[TLP, BeforeValidator(_tlp)]], CommaList] = Field(
        default_factory=list, description="Any of these TLP labels"
    )
    assignee: Annotated[str, StringConstraints(min_length=1, max_length=320)] | None = Field(
        None, description="'none' (unassigned), a user id or an e-mail"
    )
    reporter_org: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Field(
        None, description="Reporting organisation slug"
    )
    team: Annotated[str, StringConstraints(min_length=1, max_length=80)] | None = Field(
        None, description="Team slug, or 'none' (no team); an unknown team is a 400"
    )
    q: Annotated[str, StringConstraints(max_length=500)] | None = Field(
        None, description="Free text over reference, title and description"
    )
    reported_after: Annotated[datetime, BeforeValidator(_timestamp)] | None = Field(
        None, description="ISO 8601; a time without offset is UTC"
    )
    reported_before: Annotated[datetime, BeforeValidator(_timestamp)] | None = Field(
        None, description="ISO 8601; a time without offset is UTC"
    )
    sort: SortKey = Field(DEFAULT_SORT, description="Sort key; a leading '-' sorts descending")
    limit: int = Field(DEFAULT_LIMIT, ge=1, description="Page size")
    cursor: Annotated[str, StringConstraints(min_length=1, max_length=1000)] | None = Field(
        None, description="next_cursor of the previous page, with the same filters and sort"
    )
    counts: bool = Field(False, description="Add per-status counts under the same filters")

    @field_validator("assignee")
    @classmethod
    def _assignee(cls, value: str | None) -> str | None:
        if value == "me":
            raise ValueError("'me' needs a signed-in user; API keys filter by user id or e-mail")
        if value and value.isdigit() and (not value.isascii() or int(value) > MAX_ID):
            raise ValueError(f"a user id is a number from 1 to {MAX_ID}")
        return value

    @field_validator("team")
    @classmethod
    def _team(cls, value: str | None) -> str | None:
        if value == "mine":
            raise ValueError("'mine' needs a signed-in user; API keys filter by team slug")
        return value

    @field_validator("reported_after", "reported_before")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return utc_time(value)

    @field_validator("limit")
    @classmethod
    def _limit(cls, value: int, info: ValidationInfo) -> int:
        most = (info.context or {}).get("page_size_max")
        if most is not None and value > most:
            raise ValueError(f"must be at most {most}")
        return value

    def queue_filter(self) -> QueueFilter:
        return QueueFilter(
            status=tuple(self.status),
            sector=tuple(self.sector),
            severity=tuple(self.severity),
            severity_min=self.severity_min,
            category=self.category,
            tlp=tuple(self.tlp),
            assignee=self.assignee,
            team=self.team,
            reporter_org=self.reporter_org,
            q=self.q,
            reported_after=self.reported_after,
            reported_before=self.reported_before,
        )


def parse_query(model: type[M]) -> M:
    """The query string as ``model``; any malformed or unknown parameter is a 400."""
    args = request.args.to_dict(flat=False)
    for name, values in args.items():
        if len(values) > 1:
            raise BadRequest(N_("query parameter '%(name)s' given more than once; use one comma-separated value"),
                             name=name)
    try:
        return model.model_validate(
            {name: values[0] for name, values in args.items()},
            context={"page_size_max": current_app.extensions["ncert"].settings.page_size_max},
        )
    except ValidationError as exc:
        errors = field_errors(exc)
        message, values = summarise(errors, query=True)
        raise BadRequest(message, **values) from None

"""``/kpi``: KPI cards per organisation and per sector, their targets, responsible
persons and leadership's quarterly reviews. The figures and who may read them are
``ncert.services.kpi``'s; a card the key may not read is a 404."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ncert.api.v1.auth import actor
from ncert.api.v1.payloads import parse_body, parse_query
from ncert.api.v1.routing import operation, respond
from ncert.api.v1.serialize import Out, Timestamp
from ncert.db import utcnow
from ncert.models import KpiReview, ResponsiblePerson
from ncert.periods import Period, parse
from ncert.reports import figures
from ncert.services import kpi
from ncert.web.session import db

Quarter = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
Day = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10)]


class PeriodQuery(BaseModel):
    """A quarter (``period=2026Q3``) or a custom range of days (``from``/``to``, both included);
    the current quarter when neither is given."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    period: Quarter | None = Field(None, description="A quarter, e.g. 2026Q3")
    from_: Day | None = Field(None, alias="from", description="First day of a custom period, YYYY-MM-DD")
    to: Day | None = Field(None, description="Last day of a custom period, YYYY-MM-DD")

    def parsed(self) -> Period:
        return parse(self.period, self.from_, self.to, now=utcnow())


class PeriodView(Out):
    label: str = Field(description="2026Q3, or 2026-07-01..2026-08-15 for a custom range")
    start: Timestamp
    end: Timestamp = Field(description="Exclusive")


class TargetView(Out):
    target: float
    amber: float = Field(description="Worse than the target but not past this: amber; past it: red")
    source: Literal["default", "national", "organization"]


class FigureView(Out):
    key: str = Field(description="The figure's stable name: scripts read figures by it")
    group: str
    label: str = Field(description="The figure's name in the caller's language (Accept-Language, else "
                                   "NCERT_DEFAULT_LOCALE), as the console's KPI card shows it")
    unit: Literal["count", "seconds", "percent"]
    value: float | None = Field(description="None when there is nothing to measure, or a percentile over fewer "
                                            f"than {kpi.MIN_COUNT} values")
    count: int = Field(description="How many incidents, stages or requests the value is computed over")
    previous: float | None = Field(description="The same figure for the previous period")
    previous_count: int
    target: TargetView | None
    status: Literal["green", "amber", "red"] | None


class ResponsibleView(Out):
    name: str
    position: str
    email: str


class ReviewView(Out):
    period: str
    comments: str
    created_by: str
    updated_at: Timestamp
    signed_off: bool
    signed_off_by: str | None
    signed_off_at: Timestamp | None
    figures: dict[str, dict] | None = Field(
        description="The figures as signed off (key -> value, previous, count, status); shown to national "
                    "staff and to the organisation itself")


class CardView(Out):
    kind: Literal["organization", "sector"]
    slug: str
    name: str
    sector: str | None
    period: PeriodView
    previous_period: PeriodView
    responsible: ResponsibleView | None
    figures: list[FigureView]
    review: ReviewView | None = Field(description="This period's review, draft or signed off")
    history: list[ReviewView] = Field(description="Signed-off reviews, newest first")


class ReviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: Quarter = Field(description="The quarter reviewed, e.g. 2026Q3")
    comments: Annotated[str, StringConstraints(max_length=20_000)] = ""
    sign_off: bool = Field(False, description="Sign the review off: it becomes read-only and keeps the figures")


class ResponsibleRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    position: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=320)] = ""


class TargetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target: float = Field(allow_inf_nan=False)
    amber: float = Field(allow_inf_nan=False)
    organization: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Field(
        None, description="An organisation's override; the national target when omitted")


def period_view(p: Period) -> PeriodView:
    return PeriodView(label=p.label, start=p.start, end=p.end)


def review_view(row: KpiReview, whole: bool) -> ReviewView:
    return ReviewView(period=row.period, comments=row.comments, created_by=row.created_by, updated_at=row.updated_at,
                      signed_off=row.signed_off_at is not None, signed_off_by=row.signed_off_by,
                      signed_off_at=row.signed_off_at, figures=row.figures if whole else None)


def responsible_view(person: ResponsiblePerson) -> ResponsibleView:
    return ResponsibleView(name=person.name, position=person.position, email=person.email)


def card_view(card: kpi.Card) -> CardView:
    return CardView(
        kind=card.kind, slug=card.slug, name=card.name, sector=card.sector, period=period_view(card.period),
        previous_period=period_view(card.previous_period),
        responsible=responsible_view(card.responsible) if card.responsible else None,
        figures=[FigureView(key=f.key, group=f.group, label=figures.label(f), unit=f.unit, value=f.value, count=f.count,
                            previous=f.previous, previous_count=f.previous_count, status=f.status,
                            target=TargetView(target=f.target.target, amber=f.target.amber, source=f.target.source)
                            if f.target else None)
                 for f in card.figures],
        review=review_view(card.review, card.whole) if card.review else None,
        history=[review_view(r, card.whole) for r in card.history],
    )


@operation("GET", "/kpi/organizations/<slug>", query=PeriodQuery, returns=CardView,
           summary="An organisation's KPI card")
def organization_card(slug: str):
    """The card of the organisation ``slug`` for a period: every figure with its value, the previous
    period's, its target and a green/amber/red status. National staff read every card, an analyst their
    own organisation's, a sector CERT also those of its sector's organisations; any other is a 404."""
    period = parse_query(PeriodQuery).parsed()
    return respond(card_view(kpi.organization_card(db(), actor(), slug, period)))


@operation("GET", "/kpi/sectors/<slug>", query=PeriodQuery, returns=CardView, summary="A sector's KPI card")
def sector_card(slug: str):
    """The card of a sector (over the incidents its organisations reported), for national staff and
    the sector's CERT; any other is a 404."""
    period = parse_query(PeriodQuery).parsed()
    return respond(card_view(kpi.sector_card(db(), actor(), slug, period)))


def _review(kind: Literal["organization", "sector"], slug: str):
    req = parse_body(ReviewRequest)
    row, created = kpi.review(db(), actor(), kind, slug, req.period, comments=req.comments, sign_off=req.sign_off)
    return respond(review_view(row, whole=True), 201 if created else 200)


@operation("POST", "/kpi/organizations/<slug>/reviews", body=ReviewRequest, returns=ReviewView, errors=(403, 409),
           summary="Review an organisation's card for a quarter",
           ok={201: "Created", 200: "The quarter's draft review, updated"})
def review_organization_card(slug: str):
    """Record leadership's comments on a quarter's card and, with ``sign_off``, sign it off: a signed-off
    review is read-only (409 on any change) and appears in the card's history. Leadership and admins."""
    return _review("organization", slug)


@operation("POST", "/kpi/sectors/<slug>/reviews", body=ReviewRequest, returns=ReviewView, errors=(403, 409),
           summary="Review a sector's card for a quarter",
           ok={201: "Created", 200: "The quarter's draft review, updated"})
def review_sector_card(slug: str):
    """As for an organisation's card. Leadership and admins."""
    return _review("sector", slug)


@operation("PUT", "/kpi/organizations/<slug>/responsible", body=ResponsibleRequest, returns=ResponsibleView,
           errors=(403,), summary="Name an organisation's responsible person")
def put_responsible(slug: str):
    """The deputy-head-level person the card names. Leadership and admins."""
    req = parse_body(ResponsibleRequest)
    person = kpi.set_responsible(db(), actor(), slug, name=req.name, position=req.position, email=req.email)
    return respond(responsible_view(person))


@operation("PUT", "/kpi/targets/<kpi_key>", body=TargetRequest, returns=TargetView, errors=(403,),
           summary="Set a KPI's national target or an organisation's override")
def put_target(kpi_key: str):
    """Green when the target is met, amber up to the amber threshold, red beyond it; whether higher
    or lower is better is the KPI's own. Leadership and admins."""
    req = parse_body(TargetRequest)
    target = kpi.set_target(db(), actor(), kpi_key, req.target, req.amber, req.organization)
    return respond(TargetView(target=target.target, amber=target.amber, source=target.source))

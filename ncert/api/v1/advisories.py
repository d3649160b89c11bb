"""``/advisories``: public advisories before and after publishing, for national staff (issue 14).

A thin door over ``ncert.services.advisories``, which holds every rule: SOC operators and admins
draft and revise and submit a revision for approval, a second person with the leadership or admin
role approves a submitted revision (not anyone who wrote it; an API key counts as the one person it
was issued to), an operator or admin publishes an approved revision, always as TLP:CLEAR, and
withdraws a published advisory with a reason. Drafts and the incidents an advisory came
from are national staff's: another organisation's key is refused the list and finds no advisory.
What the public reads stays at ``/advisories/`` and ``/.well-known/csaf/`` (``ncert.public``).
"""

from __future__ import annotations

from typing import Annotated, Any

from flask import url_for
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ncert.api.v1.auth import actor
from ncert.api.v1.payloads import DEFAULT_LIMIT, parse_body, parse_query
from ncert.api.v1.routing import operation, respond
from ncert.api.v1.serialize import Out, Timestamp
from ncert.models import Advisory, AdvisoryRevision
from ncert.public import csaf
from ncert.services import advisories
from ncert.services.advisories import AdvisoryInput
from ncert.web.session import db


class AdvisoryQuery(BaseModel):
    """The page of ``GET /advisories``: newest first."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=200, description="Page size")
    cursor: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = Field(
        None, description="next_cursor of the previous page")


class AdvisoryCreate(AdvisoryInput):
    """A new advisory's first revision, and the incidents it is drafted from (national staff only)."""

    incidents: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]] = Field(
        default_factory=list, max_length=50, description="References of the incidents it is drafted from")


class Withdrawal(BaseModel):
    """Why a published advisory is withdrawn: shown on its public page and in its CSAF document."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                             max_length=advisories.REASON_MAX)] = Field(
        description="Why it is withdrawn (public)")


class RevisionView(Out):
    number: int = Field(description="1, 2, …: the CSAF tracking version once published")
    status: str = Field(description="draft, submitted, approved or published")
    texts: dict[str, dict[str, str]] = Field(description="Per language (az, en, ru): title, summary, actions")
    severity: str
    products: list[dict[str, Any]]
    cves: list[str]
    indicators: list[dict[str, str]]
    references: list[dict[str, str]]
    change_summary: str
    created_by: str
    created_at: Timestamp
    updated_at: Timestamp
    submitted_by: str | None = Field(description="Who submitted it for approval")
    submitted_at: Timestamp | None
    approved_by: str | None
    approved_at: Timestamp | None
    published_at: Timestamp | None
    withdrawal_reason: str | None = Field(description="Set on the revision that withdrew the advisory")


class AdvisorySummary(Out):
    reference: str = Field(examples=["NCERT-SA-2026-0001"])
    title: str = Field(description="The latest revision's title, in English if it has one")
    severity: str
    status: str = Field(description="The latest revision's: draft, submitted, approved or published")
    revision: int = Field(description="The latest revision's number")
    published_revision: int | None = Field(description="The latest published revision's number, if any")
    created_at: Timestamp
    first_published_at: Timestamp | None
    last_published_at: Timestamp | None
    withdrawn_at: Timestamp | None = Field(description="When it was withdrawn; null while it stands")


class AdvisoryDetail(AdvisorySummary):
    created_by: str
    incidents: list[str] = Field(description="The incidents it was drafted from, as the key may see them")
    revisions: list[RevisionView] = Field(description="Every revision, oldest first")
    public_url: str | None = Field(description="The public page, once published")
    csaf_url: str | None = Field(description="The CSAF 2.0 document, once published")


class AdvisoryList(Out):
    items: list[AdvisorySummary]
    next_cursor: str | None
    limit: int


def _summary_fields(advisory: Advisory) -> dict:
    latest = advisory.revisions[-1]
    published = [r.number for r in advisory.revisions if r.status == "published"]
    text = latest.texts.get("en") or next(iter(latest.texts.values()))
    return dict(reference=advisory.reference, title=text["title"], severity=latest.severity, status=latest.status,
                revision=latest.number, published_revision=published[-1] if published else None,
                created_at=advisory.created_at, first_published_at=advisory.first_published_at,
                last_published_at=advisory.last_published_at, withdrawn_at=advisory.withdrawn_at)


def _revision(r: AdvisoryRevision) -> RevisionView:
    return RevisionView(number=r.number, status=r.status, texts=r.texts, severity=r.severity, products=r.products,
                        cves=r.cves, indicators=r.indicators, references=r.references,
                        change_summary=r.change_summary, created_by=r.created_by, created_at=r.created_at,
                        updated_at=r.updated_at, submitted_by=r.submitted_by, submitted_at=r.submitted_at,
                        approved_by=r.approved_by, approved_at=r.approved_at, published_at=r.published_at,
                        withdrawal_reason=r.withdrawal_reason)


def _detail(advisory: Advisory, status: int = 200, headers: dict[str, str] | None = None):
    public_url = csaf_url = None
    if advisory.last_published_at is not None:
        public_url = url_for("public.advisory_page", reference=advisory.reference, _external=True)
        year, name = csaf.path(advisories.public_advisory(db(), advisory.reference)).split("/")
        csaf_url = url_for("public.csaf_document", year=int(year), name=name, _external=True)
    view = AdvisoryDetail(**_summary_fields(advisory), created_by=advisory.created_by,
                          incidents=[i.reference for i in advisories.sources(db(), actor(), advisory)],
                          revisions=[_revision(r) for r in advisory.revisions], public_url=public_url,
                          csaf_url=csaf_url)
    return respond(view, status, headers)


@operation("GET", "/advisories", query=AdvisoryQuery, returns=AdvisoryList, errors=(403,),
           summary="List advisories, drafts included")
def list_advisories():
    """Every advisory with its latest revision's state, newest first and keyset-paged. National staff
    only; the published ones are public at /advisories/ and as CSAF under /.well-known/csaf/."""
    q = parse_query(AdvisoryQuery)
    found, next_cursor = advisories.page(db(), actor(), limit=q.limit, cursor=q.cursor)
    return respond(AdvisoryList(items=[AdvisorySummary(**_summary_fields(a)) for a in found],
                                next_cursor=next_cursor, limit=q.limit))


@operation("POST", "/advisories", body=AdvisoryCreate, returns=AdvisoryDetail, errors=(403,), location=True,
           summary="Draft an advisory", ok={201: "Created"})
def create_advisory():
    """A new advisory (reference NCERT-SA-<year>-<number>) with its first revision as a draft, linked to
    the incidents named. SOC operators and admins only; a second person approves it before publishing."""
    body = parse_body(AdvisoryCreate)
    advisory = advisories.create(db(), actor(), body, body.incidents)
    return _detail(advisory, 201, {"Location": url_for(".get_advisory", advisory_reference=advisory.reference)})


@operation("GET", "/advisories/<advisory_reference>", returns=AdvisoryDetail, summary="Get one advisory")
def get_advisory(advisory_reference: str):
    """An advisory with every revision (drafts included) and the incidents it came from. National staff only:
    for anyone else it is a 404, like one that does not exist."""
    return _detail(advisories.get(db(), actor(), advisory_reference))


@operation("PUT", "/advisories/<advisory_reference>/draft", body=AdvisoryInput, returns=AdvisoryDetail,
           errors=(403,), summary="Write the advisory's open revision")
def put_advisory_draft(advisory_reference: str):
    """Replace the content of the revision not yet published (an approval it had lapses: the approver
    approved other words), or, when every revision is published, start the next one. SOC operators
    and admins only; whoever writes a revision may not approve it."""
    advisories.revise(db(), actor(), advisory_reference, parse_body(AdvisoryInput))
    return _detail(advisories.get(db(), actor(), advisory_reference))


@operation("POST", "/advisories/<advisory_reference>/revisions/<int:number>/submit", returns=AdvisoryDetail,
           errors=(403, 409), summary="Submit a draft revision for approval")
def submit_advisory(advisory_reference: str, number: int):
    """Mark draft revision ``number`` ready for a second person's approval. SOC operators and admins only;
    a revision that is not the open draft is a 409. Editing it afterwards makes it a draft again."""
    advisories.submit(db(), actor(), advisory_reference, number)
    return _detail(advisories.get(db(), actor(), advisory_reference))


@operation("POST", "/advisories/<advisory_reference>/revisions/<int:number>/approve", returns=AdvisoryDetail,
           errors=(403, 409), summary="Approve a submitted revision (the second person)")
def approve_advisory(advisory_reference: str, number: int):
    """Approve submitted revision ``number``: the leadership or admin role, and not a key or user who wrote
    it. A revision that is not the open one, or not submitted, is a 409."""
    advisories.approve(db(), actor(), advisory_reference, number)
    return _detail(advisories.get(db(), actor(), advisory_reference))


@operation("POST", "/advisories/<advisory_reference>/revisions/<int:number>/publish", returns=AdvisoryDetail,
           errors=(403, 409), summary="Publish an approved revision as TLP:CLEAR")
def publish_advisory(advisory_reference: str, number: int):
    """Publish approved revision ``number`` on the public pages, the Atom and ROLIE feeds and as CSAF, and share
    it in the national TAXII collections. SOC operators and admins only; a revision not approved, or
    published already, is a 409."""
    advisories.publish(db(), actor(), advisory_reference, number)
    return _detail(advisories.get(db(), actor(), advisory_reference))


@operation("POST", "/advisories/<advisory_reference>/withdraw", body=Withdrawal, returns=AdvisoryDetail,
           errors=(403, 409), summary="Withdraw a published advisory")
def withdraw_advisory(advisory_reference: str):
    """Withdraw a published advisory, saying why: one last revision is published at once with the last
    published content and the reason; the public page, the Atom and ROLIE feeds and the CSAF document keep
    it, marked withdrawn, and it takes no further revision (a revision not yet published is discarded).
    Partners' TAXII collections get its report revoked. SOC operators and admins only; an advisory never
    published, or withdrawn already, is a 409."""
    advisories.withdraw(db(), actor(), advisory_reference, parse_body(Withdrawal).reason)
    return _detail(advisories.get(db(), actor(), advisory_reference))

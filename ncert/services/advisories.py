"""Public advisories: drafting, revising, submitting for approval, a second person's approval,
publishing and withdrawing.

Operators (soc_operator, admin) draft an advisory from scratch or from incidents and
revise it, and submit a revision for approval when it is ready; a different person with the
leadership or admin role approves a submitted revision (nobody who wrote it); only an approved
revision is published (by an operator or admin), always as TLP:CLEAR (FIRST TLP 2.0: "may be
distributed without restriction"). An edit sends a submitted or approved revision back to draft.
Publishing the next revision keeps every earlier one: the public pages and the CSAF document show
them as the revision history. An operator or admin withdraws a published advisory with a reason:
one last revision, published at once, records the withdrawal (its content is the last published
revision's), and the advisory stays public, marked withdrawn, and takes no further revision.
Only national staff read drafts and the incidents an advisory came from; the public reads
``published``/``public_advisory``, which carry published revisions only.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ncert.access import scope
from ncert.actor import Actor
from ncert.db import next_in_year, utcnow
from ncert.errors import BadRequest, Conflict, Forbidden, Invalid, NotFound
from ncert.i18n import N_
from ncert.models import Advisory, AdvisoryIncident, AdvisoryRevision, Incident
from ncert.models.advisories import AdvisoryCounter
from ncert.observables import normalise
from ncert.records import IndicatorType
from ncert.services import advisory_sharing, audit, incidents, indicators
from ncert.taxonomy import TLP, Role

LANGUAGES = ("az", "en", "ru")  # Azerbaijani (Latin script), English, Russian
SEVERITIES = ("low", "medium", "high", "critical")
STATUSES = ("draft", "submitted", "approved", "published")  # a revision's, in the order it goes through them
PUBLISHED_TLP = TLP.CLEAR
DRAFTERS = (Role.SOC_OPERATOR, Role.ADMIN)
APPROVERS = (Role.LEADERSHIP, Role.ADMIN)
CVE = re.compile(r"\bCVE-\d{4}-\d{4,}\b", re.I)
# A CPE 2.3 formatted string (NISTIR 7695 §6.2), as the CSAF 2.0 schema checks it
# (product_identification_helper/cpe, its 2.3 alternative).
CPE23 = (r"^cpe:2\.3:[aho\*\-](:(((\?*|\*?)([a-zA-Z0-9\-\._]|(\\[\\\*\?!\"#\$%&'\(\)\+,/:;<=>@\[\]\^`\{\|\}~]))+"
         r"(\?*|\*?))|[\*\-])){5}(:(([a-zA-Z]{2,3}(-([a-zA-Z]{2}|[0-9]{3}))?)|[\*\-]))(:(((\?*|\*?)([a-zA-Z0-9\-\._]|"
         r"(\\[\\\*\?!\"#\$%&'\(\)\+,/:;<=>@\[\]\^`\{\|\}~]))+(\?*|\*?))|[\*\-])){4}$")

Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)]
REASON_MAX = 2000  # a withdrawal's reason, shown on the public page and in the CSAF document
INITIAL_SUMMARY = N_("Initial version")  # a revision's change summary when the drafter wrote none (shown translated)
WITHDRAWN_SUMMARY = "Withdrawn"  # the change summary of the revision that withdraws an advisory


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LanguageText(_Strict):
    title: Line
    summary: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
    actions: Text = Field("", description="Recommended actions")


class Product(_Strict):
    name: Line
    cpe: Annotated[str, StringConstraints(strip_whitespace=True, pattern=CPE23, max_length=1000)] | None = None


class PublicIndicator(_Strict):
    type: IndicatorType
    value: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2048)]

    @field_validator("value")
    @classmethod
    def _normalised(cls, value, info):
        return normalise(info.data["type"], value) if "type" in info.data else value


class Reference(_Strict):
    url: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^https?://\S+$", max_length=2000)]
    summary: Line


class AdvisoryInput(_Strict):
    """One revision's content, from any door; checked once here."""

    texts: dict[Literal[LANGUAGES], LanguageText] = Field(min_length=1)  # type: ignore[valid-type]
    severity: Literal[SEVERITIES]  # type: ignore[valid-type]
    products: list[Product] = Field(min_length=1, max_length=200)
    cves: list[Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^CVE-[0-9]{4}-[0-9]{4,}$")]] = Field(
        default_factory=list, max_length=200)
    indicators: list[PublicIndicator] = Field(default_factory=list, max_length=1000)
    references: list[Reference] = Field(default_factory=list, max_length=100)
    change_summary: Line = INITIAL_SUMMARY

    @field_validator("cves", mode="before")
    @classmethod
    def _upper(cls, items):
        return [item.upper() if isinstance(item, str) else item for item in items] if isinstance(items, list) \
            else items

    @field_validator("cves", "indicators")
    @classmethod
    def _once(cls, items):
        """Each CVE and indicator once (CSAF 2.0 §6.1.23: a CVE names one vulnerability of a document)."""
        return list({repr(item): item for item in items}.values())


def validated(data: dict) -> AdvisoryInput:
    """``data`` as an ``AdvisoryInput``; the first fault is a 422 naming its field."""
    try:
        return AdvisoryInput.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "advisory"
        raise Invalid(f"{where}: {first['msg']}") from None


# -- who may ------------------------------------------------------------------------------


def may_draft(actor: Actor) -> bool:
    return actor.role in DRAFTERS


def may_approve(actor: Actor) -> bool:
    return actor.role in APPROVERS


def author_of(actor: Actor) -> int | str:
    """Who is writing or approving, for the second-person rule: a signed-in user by their id (as
    ``author_ids`` has always held them, and the console compares), an API key by its own id (it
    stands for the one person it was issued to), the system (CLI) as itself, which may draft but,
    being nobody, approves nothing."""
    if actor.user_id is not None:
        return actor.user_id
    if actor.api_key_id is not None:
        return f"api-key:{actor.api_key_id}"
    return f"system:{actor.interface}"


def _require_drafter(actor: Actor) -> None:
    if not may_draft(actor):
        raise Forbidden(N_("drafting advisories needs the soc_operator or admin role"))


def _require_staff(actor: Actor) -> None:
    """Drafts and their sources are national staff's; anyone else is answered as if none existed."""
    if not actor.is_national:
        raise NotFound(N_("no such advisory"))


# -- drafting -------------------------------------------------------------------------------


def prefill(session: Session, actor: Actor, references: list[str]) -> dict:
    """A draft's starting content from incidents the drafter may see (``incidents.get``; another is a 404).

    Only what the incidents' own reports carry is copied, never what other reports of
    the same values say: CVE ids named in their titles, descriptions or indicators, and
    the indicators of TLP:CLEAR reports (a more restrictive report's values are not the
    centre's to publish; the drafter may add values once their reporter agrees). Texts
    are left to the drafter: an incident's wording names its victim."""
    _require_drafter(actor)
    cves: list[str] = []
    shared: list[dict] = []
    for found in _sources(session, actor, references):
        facts = indicators.reported_facts(session, found)
        words = [found.title, found.description, *(f.value for f in facts if f.type == "cve")]
        cves += [m.upper() for text in words for m in CVE.findall(text or "")]
        if found.tlp is TLP.CLEAR:
            shared += [{"type": f.type, "value": f.value} for f in facts
                       if f.type != "cve" and not f.false_positive]
    return {"cves": list(dict.fromkeys(cves)),
            "indicators": [dict(t) for t in dict.fromkeys(tuple(i.items()) for i in shared)]}


def _sources(session: Session, actor: Actor, references: list[str]) -> list[Incident]:
    return list({i.id: i for i in (incidents.get(session, actor, ref) for ref in references)}.values())


def create(session: Session, actor: Actor, data: AdvisoryInput, sources: list[str] = ()) -> Advisory:
    """A new advisory with its first revision as a draft, linked to ``sources`` (incident references)."""
    _require_drafter(actor)
    linked = _sources(session, actor, list(sources))
    now = utcnow()
    advisory = Advisory(reference=_next_reference(session, now.year), created_by=actor.label, created_at=now)
    session.add(advisory)
    session.flush()
    session.add(_revision(advisory, 1, data, actor, now))
    for found in linked:
        session.add(AdvisoryIncident(advisory_id=advisory.id, incident_id=found.id, linked_by=actor.label))
    session.flush()
    audit.record(session, actor, "advisory.draft", "advisory", advisory.reference, revision=1,
                 incidents=[i.reference for i in linked])
    session.refresh(advisory)
    return advisory


def _next_reference(session: Session, year: int) -> str:
    """NCERT-SA-<year>-<4 digits>, from the year's counter bumped in the drafting transaction
    (``ncert.db.next_in_year``): counting the year's advisories gave two drafters the same number."""
    value = next_in_year(session, AdvisoryCounter, year)
    return f"NCERT-SA-{year}-{value:04d}"


def _revision(advisory: Advisory, number: int, data: AdvisoryInput, actor: Actor, now: datetime) -> AdvisoryRevision:
    return AdvisoryRevision(advisory_id=advisory.id, number=number, status="draft", created_by=actor.label,
                            created_at=now, updated_at=now, author_ids=[author_of(actor)], **_content(data))


def _content(data: AdvisoryInput) -> dict:
    dumped = data.model_dump()
    return {"texts": {lang: dumped["texts"][lang] for lang in LANGUAGES if lang in dumped["texts"]},
            **{k: dumped[k] for k in ("severity", "products", "cves", "indicators", "references", "change_summary")}}


def revise(session: Session, actor: Actor, reference: str, data: AdvisoryInput) -> AdvisoryRevision:
    """Write the advisory's open revision: edit it (back to draft: a submission or approval it had
    lapses, as the approver would have approved other words), or start the next one after the last
    published. A withdrawn advisory takes no further revision."""
    _require_drafter(actor)
    advisory = _locked(session, actor, reference)
    _require_not_withdrawn(advisory)
    now = utcnow()
    revision = open_revision(advisory)
    if revision is None:
        revision = _revision(advisory, advisory.revisions[-1].number + 1, data, actor, now)
        session.add(revision)
    else:
        for key, value in _content(data).items():
            setattr(revision, key, value)
        revision.status, revision.updated_at = "draft", now
        revision.submitted_by = revision.submitted_at = None
        revision.approved_by = revision.approved_by_id = revision.approved_at = None
        revision.author_ids = list(dict.fromkeys([*revision.author_ids, author_of(actor)]))
    session.flush()
    audit.record(session, actor, "advisory.revise", "advisory", advisory.reference, revision=revision.number)
    session.refresh(advisory)
    return revision


def submit(session: Session, actor: Actor, reference: str, number: int) -> AdvisoryRevision:
    """Submit draft ``number`` for approval: its drafters (an operator or admin) say it is ready for a
    second person to read. Only a submitted revision is approved; an edit makes it a draft again."""
    if not may_draft(actor):
        raise Forbidden(N_("submitting advisories for approval needs the soc_operator or admin role"))
    advisory = _locked(session, actor, reference)
    revision = _open(advisory, number, "draft")
    revision.status, revision.submitted_by, revision.submitted_at = "submitted", actor.label, utcnow()
    audit.record(session, actor, "advisory.submit", "advisory", advisory.reference, revision=number)
    return revision


def approve(session: Session, actor: Actor, reference: str, number: int) -> AdvisoryRevision:
    """Approve submitted revision ``number``: leadership or admin, and nobody who wrote it (a second person)."""
    if not may_approve(actor):
        raise Forbidden(N_("approving advisories needs the leadership or admin role"))
    if actor.user_id is None and actor.api_key_id is None:
        raise Forbidden(N_("a revision is approved by a second person: a user or their API key, not the system"))
    advisory = _locked(session, actor, reference)
    revision = _open(advisory, number, "submitted")
    if author_of(actor) in revision.author_ids:
        raise Forbidden(N_("a revision is approved by a second person, not by anyone who wrote it"))
    revision.status, revision.approved_by, revision.approved_by_id = "approved", actor.label, actor.user_id
    revision.approved_at = utcnow()
    audit.record(session, actor, "advisory.approve", "advisory", advisory.reference, revision=number)
    return revision


def publish(session: Session, actor: Actor, reference: str, number: int) -> AdvisoryRevision:
    """Publish approved revision ``number`` as TLP:CLEAR (an operator or admin; earlier revisions
    stay as its history), and share it in the national TAXII collections (``advisory_sharing``)."""
    if not may_draft(actor):
        raise Forbidden(N_("publishing advisories needs the soc_operator or admin role"))
    advisory = _locked(session, actor, reference)
    revision = _open(advisory, number, "approved")
    now = utcnow()
    revision.status, revision.published_at = "published", now
    advisory.first_published_at = advisory.first_published_at or now
    advisory.last_published_at = now
    audit.record(session, actor, "advisory.publish", "advisory", advisory.reference, revision=number,
                 tlp=PUBLISHED_TLP.value)
    advisory_sharing.share(session, actor, advisory, revision)
    return revision


def withdraw(session: Session, actor: Actor, reference: str, reason: str) -> AdvisoryRevision:
    """Withdraw a published advisory (an operator or admin), saying why.

    One more revision is published at once: the last published revision's content, with the change
    summary "Withdrawn" and the reason. The advisory stays on the public pages, the feeds and as
    CSAF (a document stays where it was published; CSAF 2.0 has no withdrawn status, so its
    tracking status stays ``final``, and its revision history and a note say it was withdrawn),
    marked withdrawn, and takes no further revision. A revision written but not yet published is
    discarded (the audit event names it): its words were never public and will not be. Partners'
    national TAXII collections get the report revoked (STIX 2.1 §3.6: no longer valid), so the
    MISP feeds drop its event."""
    if not may_draft(actor):
        raise Forbidden(N_("withdrawing advisories needs the soc_operator or admin role"))
    reason = " ".join((reason or "").split())
    if not reason:
        raise Invalid(N_("reason: say why the advisory is withdrawn"))
    if len(reason) > REASON_MAX:
        raise Invalid(N_("reason: at most %(count)s characters"), count=REASON_MAX)
    advisory = _locked(session, actor, reference)
    _require_not_withdrawn(advisory)
    published = [r for r in advisory.revisions if r.status == "published"]
    if not published:
        raise Conflict(N_("%(reference)s was never published: there is nothing to withdraw"),
                       reference=advisory.reference)
    last, pending = published[-1], open_revision(advisory)
    discarded = None
    if pending is not None:
        discarded = {"number": pending.number, "status": pending.status}
        advisory.revisions.remove(pending)  # delete-orphan: its number goes to the withdrawal
        session.flush()
    now = utcnow()
    revision = AdvisoryRevision(
        advisory_id=advisory.id, number=last.number + 1, status="published", created_by=actor.label,
        created_at=now, updated_at=now, published_at=now, author_ids=[author_of(actor)],
        withdrawal_reason=reason, **{**content_of(last), "change_summary": WITHDRAWN_SUMMARY})
    advisory.revisions.append(revision)
    advisory.withdrawn_at = advisory.last_published_at = now
    session.flush()
    audit.record(session, actor, "advisory.withdraw", "advisory", advisory.reference, revision=revision.number,
                 reason=reason, discarded=discarded)
    advisory_sharing.share(session, actor, advisory, revision)
    return revision


def _require_not_withdrawn(advisory: Advisory) -> None:
    if advisory.withdrawn_at is not None:
        raise Conflict(N_("%(reference)s is withdrawn: it takes no further revision"), reference=advisory.reference)


def _locked(session: Session, actor: Actor, reference: str) -> Advisory:
    """The advisory, read after taking its lock for the rest of the transaction: its row's on
    PostgreSQL, the database's write lock on SQLite (the UPDATE changes nothing). Revising, approving
    and publishing one advisory therefore go one after the other, each checking the state the one
    before committed: two publishers of one approved revision publish (and share) it once, and the
    other is told it is published; an edit and an approval of one revision never interleave."""
    _require_staff(actor)
    wanted = reference.strip().upper()
    table = Advisory.__table__
    session.execute(update(table).where(table.c.reference == wanted).values(reference=table.c.reference))
    found = session.scalar(select(Advisory).where(Advisory.reference == wanted)
                           .execution_options(populate_existing=True))
    if found is None:
        raise NotFound(N_("no advisory '%(reference)s'"), reference=reference)
    return found


def _open(advisory: Advisory, number: int, status: str) -> AdvisoryRevision:
    revision = open_revision(advisory)
    if revision is None or revision.number != number:
        raise Conflict(N_("%(reference)s has no unpublished revision %(number)s"), reference=advisory.reference,
                       number=number)
    if revision.status != status:
        raise Conflict(N_("revision %(number)s of %(reference)s is %(status)s, not %(wanted)s"), number=number,
                       reference=advisory.reference, status=revision.status, wanted=status)
    return revision


def content_of(revision: AdvisoryRevision) -> dict:
    """A revision's content, as ``AdvisoryInput`` takes it."""
    return {key: getattr(revision, key) for key in ("texts", "severity", "products", "cves", "indicators",
                                                    "references", "change_summary")}


def open_revision(advisory: Advisory) -> AdvisoryRevision | None:
    """The revision being written or awaiting publication, if any (at most one)."""
    last = advisory.revisions[-1]
    return None if last.status == "published" else last


# -- reading (national staff) -------------------------------------------------------------


def get(session: Session, actor: Actor, reference: str) -> Advisory:
    _require_staff(actor)
    found = session.scalar(select(Advisory).where(Advisory.reference == reference.strip().upper()))
    if found is None:
        raise NotFound(N_("no advisory '%(reference)s'"), reference=reference)
    return found


def list_advisories(session: Session, actor: Actor) -> list[Advisory]:
    """Every advisory, newest first (national staff)."""
    _require_staff(actor)
    return list(session.scalars(select(Advisory).order_by(Advisory.id.desc())))


def page(session: Session, actor: Actor, *, limit: int, cursor: str | None = None) -> tuple[list[Advisory], str | None]:
    """A page of every advisory, newest first, keyset-paged on the id (national staff; anyone else is
    refused: published advisories are for them at the public URLs). Returns the page and the cursor
    of the next one, if there is one."""
    if not actor.is_national:
        raise Forbidden(N_("advisory drafts are national staff's; published advisories are public at /advisories/"))
    stmt = select(Advisory).order_by(Advisory.id.desc()).limit(limit + 1)
    if cursor:
        stmt = stmt.where(Advisory.id < _read_cursor(cursor))
    found = list(session.scalars(stmt))
    more = len(found) > limit
    found = found[:limit]
    return found, (_cursor(found[-1].id) if more else None)


def _cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"advisories:{last_id}".encode()).decode().rstrip("=")


def _read_cursor(cursor: str) -> int:
    try:
        kind, _, value = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(N_("malformed cursor")) from None
    if kind != "advisories" or not value.isascii() or not value.isdigit() or not 0 < int(value) < 2**31:
        raise BadRequest(N_("malformed cursor"))
    return int(value)


def sources(session: Session, actor: Actor, advisory: Advisory) -> list[Incident]:
    """The incidents ``advisory`` was drafted from, as the actor may see them."""
    _require_staff(actor)
    stmt = (select(Incident).join(AdvisoryIncident, AdvisoryIncident.incident_id == Incident.id)
            .where(AdvisoryIncident.advisory_id == advisory.id).order_by(Incident.reference))
    return list(session.scalars(scope(actor, stmt)))


# -- reading (the public) -----------------------------------------------------------------


@dataclass(frozen=True)
class PublishedRevision:
    """A published revision: only what the public may read."""

    number: int
    published_at: datetime
    change_summary: str
    texts: dict
    severity: str
    products: list
    cves: list
    indicators: list
    references: list
    withdrawal_reason: str | None = None  # set on the revision that withdraws the advisory

    def text(self, lang: str | None = None) -> tuple[str, dict]:
        """(language, texts) in ``lang`` if the revision has it, else its first language."""
        if lang in self.texts:
            return lang, self.texts[lang]
        first = next(iter(self.texts))
        return first, self.texts[first]


@dataclass(frozen=True)
class PublishedAdvisory:
    reference: str
    initial_release: datetime
    current_release: datetime
    revisions: tuple[PublishedRevision, ...]  # oldest first
    withdrawn_at: datetime | None = None

    @property
    def latest(self) -> PublishedRevision:
        return self.revisions[-1]

    @property
    def withdrawal(self) -> PublishedRevision | None:
        """The revision that withdrew the advisory (its last), if it was withdrawn."""
        return self.latest if self.withdrawn_at is not None else None


def published(session: Session) -> list[PublishedAdvisory]:
    """Every published advisory, most recently published first."""
    stmt = (select(Advisory).where(Advisory.last_published_at.is_not(None))
            .order_by(Advisory.last_published_at.desc(), Advisory.id.desc()))
    return [_public(a) for a in session.scalars(stmt)]


def public_advisory(session: Session, reference: str) -> PublishedAdvisory:
    """A published advisory by reference; an unpublished one is as unknown as a missing one."""
    found = session.scalar(select(Advisory).where(Advisory.reference == reference.strip().upper(),
                                                  Advisory.last_published_at.is_not(None)))
    if found is None:
        raise NotFound(N_("no published advisory '%(reference)s'"), reference=reference)
    return _public(found)


def _public(advisory: Advisory) -> PublishedAdvisory:
    revisions = tuple(
        PublishedRevision(r.number, r.published_at, r.change_summary, r.texts, r.severity, r.products, r.cves,
                          r.indicators, r.references, r.withdrawal_reason)
        for r in advisory.revisions if r.status == "published")
    return PublishedAdvisory(advisory.reference, advisory.first_published_at, advisory.last_published_at, revisions,
                             advisory.withdrawn_at)

"""Requests for information: the national centre asks one organisation that sees
an incident a question, with a due date; that organisation's analysts are told by
e-mail, see the request on their incident page and in the API, and answer it with
text and files. States: open, answered, withdrawn, and overdue for an open request
past its due date (computed, and written once on the timeline by the scheduler's
clock check). The request and its answers are on the incident's internal timeline:
national staff see them there, other organisations that see the incident do not."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import Select, case, func, insert, select
from sqlalchemy.orm import Session

from ncert.access import org_sees, scope
from ncert.actor import Actor
from ncert.db import utcnow
from ncert.errors import Conflict, Forbidden, Invalid, NotFound
from ncert.i18n import N_, format_utc_in, translate
from ncert.models import Incident, Organization, Rfi, RfiAnswer, RfiAttachment, User
from ncert.records import AwareUTC
from ncert.services import directory, incidents, notifications
from ncert.taxonomy import Role
from ncert.timeline_text import message, utc

OPEN, ANSWERED, OVERDUE, WITHDRAWN = "open", "answered", "overdue", "withdrawn"
STATES = (OPEN, ANSWERED, OVERDUE, WITHDRAWN)
MAX_FILES = 10


class RfiDraft(BaseModel):
    """A request an operator writes to one organisation (its slug)."""

    model_config = ConfigDict(extra="forbid")

    org: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)] = Field(
        description="Slug of the organisation asked; it must see the incident")
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    question: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20000)]
    due_at: AwareUTC | None = None


@dataclass(frozen=True)
class Upload:
    """A file sent with an answer."""

    filename: str
    content_type: str
    data: bytes


def state_of(rfi: Rfi, now: datetime | None = None) -> str:
    """open, answered, withdrawn, or overdue: open past its due date."""
    if rfi.state == OPEN and rfi.due_at is not None and rfi.due_at < (now or utcnow()):
        return OVERDUE
    return rfi.state


def ask(session: Session, actor: Actor, reference: str, draft: RfiDraft) -> Rfi:
    """An operator's request to an organisation that sees the incident."""
    _require_operator(actor)
    incident = incidents.get(session, actor, reference)
    org = session.scalar(select(Organization).where(Organization.slug == draft.org.lower()))
    if org is None:
        raise Invalid(N_("org: no organisation '%(org)s'"), org=draft.org)
    if org.slug == directory.national_org_slug(session):
        raise Invalid(N_("org: the national centre does not ask itself; add a task instead"))
    if not org_sees(org, incident):
        raise Invalid(N_("org: %(org)s does not see %(reference)s (TLP %(tlp)s); a request would show it the incident"),
                      org=org.name, reference=incident.reference, tlp=incident.tlp)
    return session.get(Rfi, _open(session, actor, incident, org, draft.title, draft.question, draft.due_at,
                                  actor.label))


def ask_reporter(session: Session, actor: Actor, incident: Incident, title: str, question: str, *,
                 created_by: str) -> int:
    """A playbook's request to the reporting organisation (its text already rendered for it); its id."""
    return _open(session, actor, incident, incident.reporter_org, title, question, None, created_by)


def _open(session: Session, actor: Actor, incident: Incident, org: Organization, title: str, question: str,
          due_at: datetime | None, created_by: str) -> int:
    """Open the request; answers its id. Inserted at once for the id, alone and not read back as an
    object: a flush for it also wrote every row a playbook run had pending, and an object returned
    by the insert loads its organisation and answers, most of a playbook run's cost per request
    (issue 13)."""
    rfi_id = session.scalars(insert(Rfi).returning(Rfi.id), [{
        "incident_id": incident.id, "org_id": org.id, "title": title, "question": question, "due_at": due_at,
        "state": OPEN, "created_by": created_by, "created_at": utcnow()}]).one()
    incidents.note(session, actor, incident, "rfi",
                   message(N_("Information requested from %(org)s: %(title)s"), org=org.name, title=title),
                   action="incident.rfi-ask", internal=True, rfi=rfi_id, org=org.slug)
    notifications.email_in_languages(
        session, incident, _recipients(session, org),
        lambda lang: _request_email(lang, org, incident, title, question, due_at), created_by=created_by)
    return rfi_id


def _request_email(lang: str, org: Organization, incident: Incident, title: str, question: str,
                   due_at: datetime | None) -> tuple[str, str]:
    """The request's e-mail to the organisation's analysts, in ``lang``: subject and body."""
    subject = translate(lang, N_("[%(reference)s] Request for information: %(title)s"), reference=incident.reference,
                        title=title)
    due = "\n" + translate(lang, N_("Please answer by %(due)s."), due=format_utc_in(due_at, lang)) if due_at else ""
    body = (translate(lang, N_("The national CERT asks %(org)s about incident %(reference)s:"), org=org.name,
                      reference=incident.reference)
            + f"\n\n{title}\n\n{question}\n{due}\n"
            + translate(lang, N_("Answer it on the incident's page in the ncert console or through the API.")))
    return subject, body


def _recipients(session: Session, org: Organization) -> list[str]:
    """The organisation's active analysts."""
    stmt = select(User.email).where(User.org_id == org.id, User.active.is_(True), User.role == Role.SECTOR_ANALYST)
    return list(session.scalars(stmt.order_by(User.email)))


def of_incident(session: Session, actor: Actor, incident: Incident) -> list[Rfi]:
    """The incident's requests the actor sees: all for national staff, those to its organisation otherwise."""
    stmt = select(Rfi).where(Rfi.incident_id == incident.id).order_by(Rfi.id)
    return list(session.scalars(scope(actor, stmt, Rfi)))


def addressed_to_me(session: Session, actor: Actor, *, open_only: bool = True) -> list[Rfi]:
    """Requests to the actor's organisation (open ones by default), soonest due first."""
    stmt = select(Rfi).where(Rfi.org_id == actor.org_id)
    if open_only:
        stmt = stmt.where(Rfi.state == OPEN)
    return list(session.scalars(scope(actor, stmt, Rfi).order_by(Rfi.due_at.is_(None), Rfi.due_at, Rfi.id)))


def get(session: Session, actor: Actor, rfi_id: int) -> Rfi:
    """One request the actor sees (404 otherwise, as if it did not exist)."""
    rfi = session.scalar(scope(actor, select(Rfi).where(Rfi.id == rfi_id), Rfi))
    if rfi is None:
        raise NotFound(N_("no request for information %(request)s"), request=rfi_id)
    return rfi


def answer(session: Session, actor: Actor, rfi_id: int, text: str, files: list[Upload] = (), *,
           max_bytes: int) -> RfiAnswer:
    """An answer of the addressed organisation's analysts: text, files (each at most ``max_bytes``), or both.
    The first answers the request; later ones add to it. National staff read answers, they do not write them."""
    rfi = get(session, actor, rfi_id)
    if actor.org_id != rfi.org_id or actor.role is not Role.SECTOR_ANALYST:
        raise Forbidden(N_("only analysts of %(org)s answer this request"), org=rfi.org.name)
    if rfi.state == WITHDRAWN:
        raise Conflict(N_("request %(request)s was withdrawn"), request=rfi_id)
    text = text.strip()
    if not text and not files:
        raise Invalid(N_("an answer needs text or a file"))
    if len(files) > MAX_FILES:
        raise Invalid(N_("at most %(count)s files per answer"), count=MAX_FILES)
    now = utcnow()
    row = RfiAnswer(rfi_id=rfi.id, text=text, by=actor.label, user_id=actor.user_id, at=now)
    for f in files:
        if len(f.data) > max_bytes:
            raise Invalid(N_("%(filename)s: %(size)s bytes; files are at most %(limit)s bytes"),
                          filename=f.filename, size=len(f.data), limit=max_bytes)
        row.attachments.append(RfiAttachment(filename=_safe_name(f.filename), content_type=f.content_type[:200] or
                                             "application/octet-stream", size=len(f.data),
                                             sha256=hashlib.sha256(f.data).hexdigest(), data=f.data))
    rfi.answers.append(row)
    if rfi.state == OPEN:
        rfi.state, rfi.answered_at = ANSWERED, now
    incident = session.get(Incident, rfi.incident_id)
    said = {"org": rfi.org.name, "title": rfi.title, "text": text}
    files = ", ".join(a.filename for a in row.attachments)
    incidents.note(session, actor, incident, "rfi",
                   message(N_("%(org)s answered “%(title)s”: %(text)s [files: %(files)s]"), **said, files=files)
                   if files else message(N_("%(org)s answered “%(title)s”: %(text)s"), **said),
                   action="incident.rfi-answer", internal=True, rfi=rfi.id)
    return row


def withdraw(session: Session, actor: Actor, rfi_id: int, reason: str = "") -> Rfi:
    """Operators withdraw a request that is no longer needed."""
    rfi = get(session, actor, rfi_id)
    _require_operator(actor)
    if rfi.state == WITHDRAWN:
        raise Conflict(N_("request %(request)s is already withdrawn"), request=rfi_id)
    rfi.state, rfi.withdrawn_at, rfi.withdrawn_by = WITHDRAWN, utcnow(), actor.label
    incident = session.get(Incident, rfi.incident_id)
    said = {"title": rfi.title, "org": rfi.org.name}
    incidents.note(session, actor, incident, "rfi",
                   message(N_("Request “%(title)s” to %(org)s withdrawn: %(reason)s"), **said, reason=reason)
                   if reason else message(N_("Request “%(title)s” to %(org)s withdrawn"), **said),
                   action="incident.rfi-withdraw", internal=True, rfi=rfi.id)
    return rfi


def attachment(session: Session, actor: Actor, attachment_id: int) -> RfiAttachment:
    """A file of an answer to a request the actor sees."""
    row = session.get(RfiAttachment, attachment_id)
    answer_row = session.get(RfiAnswer, row.answer_id) if row else None
    if answer_row is None:
        raise NotFound(N_("no attachment %(attachment)s"), attachment=attachment_id)
    get(session, actor, answer_row.rfi_id)
    return row


def counts(session: Session, actor: Actor, incident_ids: list[int], now: datetime | None = None
           ) -> dict[int, tuple[int, int]]:
    """(open, overdue) requests per incident that the actor sees; incidents without any are left out."""
    if not incident_ids:
        return {}
    return {i: (n, int(m or 0)) for i, n, m in session.execute(counting(actor, incident_ids, now or utcnow()))}


def counting(actor: Actor, incident_ids: list[int], now: datetime) -> Select:
    """``counts`` as a statement of (incident id, open, overdue) rows, which ``queue.work_counts``
    reads together with the tasks'."""
    late = func.sum(case((Rfi.due_at < now, 1), else_=0))
    stmt = (select(Rfi.incident_id, func.count(), late)
            .where(Rfi.incident_id.in_(incident_ids), Rfi.state == OPEN).group_by(Rfi.incident_id))
    return scope(actor, stmt, Rfi)


def note_overdue(session: Session, actor: Actor, now: datetime | None = None) -> list[Rfi]:
    """Write each open request newly past its due date on its incident's internal timeline, once."""
    now = now or utcnow()
    stmt = select(Rfi).where(Rfi.state == OPEN, Rfi.due_at < now, Rfi.overdue_noted_at.is_(None)).order_by(Rfi.id)
    late = list(session.scalars(scope(actor, stmt, Rfi)))
    for rfi in late:
        rfi.overdue_noted_at = now
        incidents.note(session, actor, session.get(Incident, rfi.incident_id), "rfi",
                       message(N_("Request “%(title)s” to %(org)s is overdue (due %(due)s)"), title=rfi.title,
                               org=rfi.org.name, due=utc(rfi.due_at)),
                       action="incident.rfi-overdue", internal=True, rfi=rfi.id)
    return late


def _safe_name(name: str) -> str:
    """A file name without a path or control characters, for the download header."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c for c in base if c.isprintable() and c not in '"').strip()
    return cleaned[:255] or "attachment"


def _require_operator(actor: Actor) -> None:
    if not actor.can_triage:
        raise Forbidden(N_("only SOC operators and admins ask for and withdraw requests"))

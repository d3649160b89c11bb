"""``/incidents/<ref>/rfis`` and ``/rfis/<id>/answer``: requests for information. National
staff see and ask them; the organisation asked sees its own and answers them."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ncert.api.v1.auth import actor
from ncert.api.v1.payloads import parse_body
from ncert.api.v1.routing import operation, respond
from ncert.api.v1.serialize import Out, Timestamp
from ncert.errors import Invalid
from ncert.models import Incident, Rfi
from ncert.services import incidents, rfis
from ncert.services.rfis import RfiDraft, Upload
from ncert.web.session import db, runtime


class AttachmentView(Out):
    id: int
    filename: str
    content_type: str
    size: int = Field(description="Bytes")
    sha256: str


class AnswerView(Out):
    id: int
    text: str
    by: str
    at: Timestamp
    attachments: list[AttachmentView]


class RfiView(Out):
    id: int
    incident: str = Field(description="Reference of the incident")
    org: str = Field(description="Slug of the organisation asked")
    title: str
    question: str
    state: str = Field(description="open, answered, overdue (open past its due date) or withdrawn")
    due_at: Timestamp | None
    created_by: str
    created_at: Timestamp
    answered_at: Timestamp | None = Field(description="When it was first answered")
    withdrawn_at: Timestamp | None
    answers: list[AnswerView]


class RfiList(Out):
    items: list[RfiView]


class AttachmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filename: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    content_type: Annotated[str, StringConstraints(max_length=200)] = "application/octet-stream"
    content_base64: str = Field(description="The file, base64-encoded")


class AnswerRequest(BaseModel):
    """An answer: text, files, or both."""

    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(max_length=50000)] = ""
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=rfis.MAX_FILES)


def rfi_view(rfi: Rfi, reference: str) -> RfiView:
    answers = [AnswerView(id=a.id, text=a.text, by=a.by, at=a.at, attachments=[
        AttachmentView(id=f.id, filename=f.filename, content_type=f.content_type, size=f.size, sha256=f.sha256)
        for f in a.attachments]) for a in rfi.answers]
    return RfiView(id=rfi.id, incident=reference, org=rfi.org.slug, title=rfi.title, question=rfi.question,
                   state=rfis.state_of(rfi), due_at=rfi.due_at, created_by=rfi.created_by, created_at=rfi.created_at,
                   answered_at=rfi.answered_at, withdrawn_at=rfi.withdrawn_at, answers=answers)


@operation("GET", "/incidents/<reference>/rfis", returns=RfiList, summary="List an incident's requests for information")
def list_rfis(reference: str):
    """The incident's requests, oldest first: all of them for national staff, those addressed to the
    caller's organisation for anyone else."""
    incident = incidents.get(db(), actor(), reference)
    return respond(RfiList(items=[rfi_view(r, incident.reference) for r in rfis.of_incident(db(), actor(), incident)]))


@operation("POST", "/incidents/<reference>/rfis", body=RfiDraft, returns=RfiView, errors=(403,),
           summary="Ask an organisation for information", ok={201: "Created"})
def create_rfi(reference: str):
    """Ask an organisation that sees the incident a question, optionally by a due date; its analysts are
    e-mailed. SOC operators and admins only."""
    rfi = rfis.ask(db(), actor(), reference, parse_body(RfiDraft))
    return respond(rfi_view(rfi, incidents.get(db(), actor(), reference).reference), 201)


@operation("POST", "/rfis/<int:rfi_id>/answer", body=AnswerRequest, returns=RfiView, errors=(403, 409),
           summary="Answer a request for information", ok={201: "Created: the request with the new answer"})
def answer_rfi(rfi_id: int):
    """An answer of the organisation asked (its analysts only): text and files, each at most
    NCERT_ATTACHMENT_MAX_BYTES. A withdrawn request is a 409."""
    req = parse_body(AnswerRequest)
    files = [Upload(a.filename, a.content_type, _decoded(i, a.content_base64)) for i, a in enumerate(req.attachments)]
    answer = rfis.answer(db(), actor(), rfi_id, req.text, files, max_bytes=runtime().settings.attachment_max_bytes)
    rfi = rfis.get(db(), actor(), answer.rfi_id)
    return respond(rfi_view(rfi, db().get(Incident, rfi.incident_id).reference), 201)


def _decoded(index: int, text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Invalid(f"attachments.{index}.content_base64 is not base64") from None

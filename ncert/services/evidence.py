"""Evidence files on incidents: analysts of the reporting organisation and national staff attach
them; anyone who may see the incident may download them. Each content is stored once, by its
SHA-256, and always served as a download, never rendered."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from ncert.actor import Actor
from ncert.errors import Forbidden, Invalid, NotFound
from ncert.i18n import N_
from ncert.models import EvidenceBlob, Incident, IncidentAttachment
from ncert.services import incidents
from ncert.taxonomy import Role
from ncert.timeline_text import message, num


def attach(session: Session, actor: Actor, reference: str, filename: str, content_type: str, data: bytes, *,
           max_bytes: int) -> IncidentAttachment:
    """Attach a file (at most ``max_bytes``, the ``attachment_max_bytes`` setting) to an incident."""
    incident = incidents.get(session, actor, reference)
    if actor.role is Role.LEADERSHIP:
        raise Forbidden(N_("leadership accounts are read-only"))
    if not actor.is_national and incident.reporter_org_id != actor.org_id:
        raise Forbidden(N_("you can attach evidence only to your own organisation's incidents"))
    if not data:
        raise Invalid(N_("the file is empty"))
    if len(data) > max_bytes:
        raise Invalid(N_("the file is %(size)s bytes; at most %(limit)s are accepted"), size=f"{len(data):,}",
                      limit=f"{max_bytes:,}")
    digest = hashlib.sha256(data).hexdigest()
    if session.get(EvidenceBlob, digest) is None:
        session.add(EvidenceBlob(sha256=digest, size=len(data), data=data))
    row = IncidentAttachment(incident_id=incident.id, sha256=digest, filename=_safe_name(filename),
                             content_type=(content_type or "application/octet-stream")[:200], size=len(data),
                             uploaded_by=actor.label, user_id=actor.user_id, org_id=actor.org_id)
    session.add(row)
    session.flush()
    incidents.note(session, actor, incident, "evidence", message(N_("Evidence attached: %(filename)s (%(size)s bytes)"),
                                                                 filename=row.filename, size=num(row.size)),
                   action="incident.evidence", filename=row.filename, sha256=digest, size=row.size)
    return row


def of_incident(session: Session, actor: Actor, incident: Incident) -> list[IncidentAttachment]:
    """The files of an incident the actor was allowed to read, oldest first."""
    stmt = select(IncidentAttachment).where(IncidentAttachment.incident_id == incident.id)
    return list(session.scalars(stmt.order_by(IncidentAttachment.id)))


def download(session: Session, actor: Actor, reference: str, attachment_id: int) -> tuple[IncidentAttachment, bytes]:
    """One file of an incident the actor may see, with its bytes; anything else is a 404."""
    incident = incidents.get(session, actor, reference)
    row = session.get(IncidentAttachment, attachment_id)
    if row is None or row.incident_id != incident.id:
        raise NotFound(N_("no attachment %(attachment)s on %(reference)s"),
                       attachment=attachment_id, reference=incident.reference)
    return row, session.scalar(select(EvidenceBlob.data).where(EvidenceBlob.sha256 == row.sha256))


def _safe_name(name: str) -> str:
    """A file name without a path or control characters, for the download header."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c for c in base if c.isprintable() and c not in '"').strip()
    return cleaned[:255] or "attachment"

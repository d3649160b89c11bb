"""Writing and reading the append-only audit log."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ncert.actor import Actor
from ncert.errors import Forbidden
from ncert.models import AuditEvent
from ncert.taxonomy import Role


def record(session: Session, actor: Actor, action: str, object_type: str, object_id: str | int, **details) -> None:
    """Append one audit event: who did what to which object, through which door."""
    session.add(
        AuditEvent(
            actor=actor.label,
            user_id=actor.user_id,
            api_key_id=actor.api_key_id,
            org_id=actor.org_id,
            interface=actor.interface,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            details=details,
        )
    )


def recent(session: Session, actor: Actor, *, object_type: str | None = None, limit: int = 200) -> list[AuditEvent]:
    """The latest audit events; admins and leadership only."""
    if actor.role not in (Role.ADMIN, Role.LEADERSHIP):
        raise Forbidden("only admins and leadership read the audit log")
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if object_type:
        stmt = stmt.where(AuditEvent.object_type == object_type)
    return list(session.scalars(stmt))

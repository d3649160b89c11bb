"""The append-only, hash-chained audit log.

Rows are never updated or deleted: the ORM refuses it here, and the database
refuses it through triggers created by the migration. Each row also carries
``row_hash`` = SHA-256(``prev_hash`` + canonical content), and ``prev_hash``
is the ``row_hash`` of the row before it in id order, so changing, removing
or reordering a row breaks the chain at that row (``ncert audit verify``).
``AuditChainHead`` names the last chained row: it is the lock writers take to
extend the chain one at a time, and it shows when rows were cut off the end.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

from sqlalchemy import ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from ncert.db import Base, utcnow

GENESIS_HASH = "0" * 64  # the prev_hash of the first row
CHAINED_FIELDS = ("at", "actor", "user_id", "api_key_id", "org_id", "interface", "action", "object_type",
                  "object_id", "details")


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(400))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    interface: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict] = mapped_column(default=dict)
    # Null only on a row written around ncert.services.audit, which verify reports.
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))


class AuditChainHead(Base):
    """One row (id 1): the last chained event and its hash."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_event_id: Mapped[int | None]
    last_hash: Mapped[str] = mapped_column(String(64))


def canonical(event: AuditEvent) -> bytes:
    """The chained content of an event as bytes that read the same back from
    SQLite and PostgreSQL: sorted-key compact JSON, ASCII only, the time as UTC
    with microseconds (what both store), absent ids as null."""
    doc = {name: getattr(event, name) for name in CHAINED_FIELDS}
    doc["at"] = event.at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()


def chain_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(event)).hexdigest()


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _append_only(_mapper, _conn, _target):
    raise PermissionError("audit_events is append-only")

"""Writing, reading and verifying the append-only, hash-chained audit log.

``record`` keeps an event with the session until it commits; the commit then
chains the session's events onto the log in one short step: it takes the
chain head (an UPDATE, which on PostgreSQL locks the head row and on SQLite
takes the database's write lock), reads the last hash, inserts the events
with their hashes and moves the head. Concurrent writers therefore extend
the chain one after another, in id order, and never fork it; the lock is
held only at the very end of a transaction, after all its other work, so it
cannot join a lock cycle. An event recorded inside a savepoint that is rolled
back goes with it, as an added row would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, SessionTransaction

from ncert.actor import Actor
from ncert.db import utcnow
from ncert.errors import Forbidden
from ncert.models import AuditChainHead, AuditEvent
from ncert.models.audit import GENESIS_HASH, chain_hash
from ncert.taxonomy import Role

_PENDING = "ncert.audit.pending"  # Session.info key: [(savepoint or None, _Pending), ...]
HEAD_ID = 1
PAGE_SIZE = 50


def record(session: Session, actor: Actor, action: str, object_type: str, object_id: str | int, **details) -> None:
    """Append one audit event: who did what to which object, through which door.

    It is written when the session commits (and only then)."""
    entry = _Pending(
        at=utcnow(),
        actor=actor.label,
        user_id=actor.user_id,
        api_key_id=actor.api_key_id,
        org_id=actor.org_id,
        interface=actor.interface,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        # As the JSON column will read it back (tuples as lists, keys as strings), so the hash does too.
        details=json.loads(json.dumps(details)),
    )
    session.info.setdefault(_PENDING, []).append((session.get_nested_transaction(), entry))


@dataclass(slots=True)
class _Pending:
    """An event waiting for the commit: the columns of an ``AuditEvent`` (a plain object, as
    an ORM one cost a burst of thousands of events its instrumentation; issue 13)."""

    at: datetime
    actor: str
    user_id: int | None
    api_key_id: int | None
    org_id: int | None
    interface: str
    action: str
    object_type: str
    object_id: str
    details: dict
    prev_hash: str | None = None
    row_hash: str | None = None


@event.listens_for(Session, "before_commit")
def _chain_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint's events wait for the real commit
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    session.flush()  # the transaction's own work first: the chain lock comes last
    prev = _lock_head(session)
    rows = []
    for _, entry in pending:
        entry.prev_hash = prev
        entry.row_hash = prev = chain_hash(prev, entry)
        rows.append({column: getattr(entry, column) for column in _WRITTEN})
    # One Core executemany, in chain order: as ORM objects the events cost a unit of work's
    # bookkeeping each, and a batch of categorised reports writes two per report (issue 13). The
    # head is locked, so no other writer adds events until this commit: the greatest id is the last.
    session.execute(insert(AuditEvent.__table__), rows)
    last_id = session.scalar(select(func.max(AuditEvent.id)))
    session.execute(update(AuditChainHead).where(AuditChainHead.id == HEAD_ID)
                    .values(last_event_id=last_id, last_hash=prev))


_WRITTEN = [column.key for column in AuditEvent.__table__.columns if column.key != "id"]


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous: SessionTransaction) -> None:
    pending = session.info.get(_PENDING)
    if not pending:
        return
    if not previous.nested:
        session.info.pop(_PENDING)
        return
    session.info[_PENDING] = [(sp, entry) for sp, entry in pending if not _within(sp, previous)]


def _within(savepoint: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while savepoint is not None:
        if savepoint is outer:
            return True
        savepoint = savepoint.parent
    return False


def _lock_head(session: Session) -> str:
    """Take the chain head for this transaction; returns the last hash."""
    last = _touch_head(session)
    if last is None:  # a database whose head was never made (emptied tables)
        try:
            with session.begin_nested():
                session.add(AuditChainHead(id=HEAD_ID, last_event_id=None, last_hash=GENESIS_HASH))
        except IntegrityError:
            pass  # a concurrent writer made it first; its row is locked below like any other
        last = _touch_head(session)
    return last


def _touch_head(session: Session) -> str | None:
    """Lock the head row with a no-op UPDATE that returns its last hash, as read once the lock is
    held (one statement on every audited commit); None when there is no head row."""
    return session.scalar(update(AuditChainHead).where(AuditChainHead.id == HEAD_ID)
                          .values(last_hash=AuditChainHead.last_hash).returning(AuditChainHead.last_hash))


# -- reading ------------------------------------------------------------------------------


def require_reader(actor: Actor) -> None:
    if actor.role not in (Role.ADMIN, Role.LEADERSHIP):
        raise Forbidden("only admins and leadership read the audit log")


@dataclass(frozen=True)
class AuditFilter:
    """What to look for; empty fields match everything. ``actor`` matches part of the
    actor's label; times are from ``since`` (inclusive) to ``before`` (exclusive)."""

    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    interface: str = ""
    since: datetime | None = None
    before: datetime | None = None


def recent(session: Session, actor: Actor, f: AuditFilter = AuditFilter(), *, before_id: int | None = None,
           limit: int = PAGE_SIZE) -> list[AuditEvent]:
    """Audit events matching ``f``, newest first; the next page starts before the last id shown."""
    require_reader(actor)
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if before_id is not None:
        stmt = stmt.where(AuditEvent.id < before_id)
    if f.actor:
        stmt = stmt.where(AuditEvent.actor.contains(f.actor, autoescape=True))
    for name in ("action", "object_type", "object_id", "interface"):
        if getattr(f, name):
            stmt = stmt.where(getattr(AuditEvent, name) == getattr(f, name))
    if f.since is not None:
        stmt = stmt.where(AuditEvent.at >= f.since)
    if f.before is not None:
        stmt = stmt.where(AuditEvent.at < f.before)
    return list(session.scalars(stmt))


# -- verifying ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    rows: int  # rows checked
    head_id: int | None
    head_hash: str
    bad_row: int | None = None  # the first row where the chain breaks
    problem: str = ""

    @property
    def intact(self) -> bool:
        return not self.problem


def verify(session: Session, actor: Actor) -> Verdict:
    """Walk the chain in id order and name the first row that breaks it."""
    require_reader(actor)
    head = session.get(AuditChainHead, HEAD_ID)  # read first: rows committed after it only extend the chain
    prev, prev_id, rows, head_seen = GENESIS_HASH, None, 0, head is None or head.last_event_id is None
    for entry in session.scalars(select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=1000)):
        rows += 1
        problem = _check(entry, prev, prev_id)
        if problem:
            return Verdict(rows, prev_id, prev, entry.id, problem)
        if head is not None and entry.id == head.last_event_id:
            if entry.row_hash != head.last_hash:
                return Verdict(rows, prev_id, prev, entry.id, "its hash differs from the one the chain head holds")
            head_seen = True
        prev, prev_id = entry.row_hash, entry.id
        session.expunge(entry)
    if head is None and rows:
        return Verdict(rows, prev_id, prev, None, "the chain head is missing")
    if not head_seen:
        return Verdict(rows, prev_id, prev, head.last_event_id,
                       f"the chain head names row {head.last_event_id}, which is missing: rows were cut off the end")
    return Verdict(rows, prev_id, prev)


def _check(entry: AuditEvent, prev: str, prev_id: int | None) -> str:
    if entry.row_hash is None or entry.prev_hash is None:
        return "it is not chained (no hash): written around the audit service"
    if entry.row_hash != chain_hash(entry.prev_hash, entry):
        return "its content does not match its hash: it was changed after it was written"
    if entry.prev_hash != prev:
        before = f"row {prev_id}" if prev_id is not None else "the start of the log"
        return f"its link to the previous row is broken (expected the hash of {before}): a row before it was " \
               "removed or changed"
    return ""

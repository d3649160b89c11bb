"""The transactional outbox: side effects written in the caller's transaction, delivered after commit.

The public API (issue 12; other modules feed it, e.g. search-index updates):

- ``enqueue(session, topic, payload, key=None) -> OutboxMessage`` adds a row in the caller's
  transaction: nothing is delivered for a change that is rolled back. ``payload`` is JSON;
  ``key`` says what the row is about (``"incident:42"``), shown by ``ncert outbox status``, indexed
  with the topic for handlers that look for newer rows about the same thing.
- ``@handler(topic)`` registers ``fn(runtime, message: Message)``; ``@handler(topic, batch=True)``
  registers ``fn(runtime, messages: list[Message])`` (bulk indexing). A handler runs outside any
  transaction (it opens its own if it needs one). Returning is success; raising retries later with
  exponential back-off; raising ``Permanent`` fails the row at once. Handlers are registered when
  their module is imported: list the module in ``HANDLER_MODULES`` so every deliverer imports it.
- ``deliver_due(runtime, limit=100, now=None) -> int`` claims up to ``limit`` due rows, delivers
  them and records the outcome (delivered / pending with ``next_attempt_at`` / failed after
  ``MAX_ATTEMPTS``, with ``attempts`` and ``last_error``); it returns how many it handled.

Delivery is at least once; each row carries an ``idempotency_key`` made at enqueue and kept
across retries, which receivers use to see every row once (the webhook's ``Idempotency-Key``
header, the mail's Message-ID). Claims are safe between processes: a claim moves the row's
``next_attempt_at`` a lease ahead in a short transaction, selecting with ``FOR UPDATE SKIP LOCKED``
on PostgreSQL and guarding the update with the values it read (SQLite has one writer), so two
deliverers never hold one row; delivery itself runs after that commit, holding no lock.

Who delivers: ``start_delivery(runtime)`` (``ncert serve`` with its scheduler, the embedded default)
wakes a thread when a session that enqueued commits; the scheduler's sweep job
(``ncert.scheduler``, also in ``ncert worker``) delivers what is due and retries.
"""

from __future__ import annotations

import importlib
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, event, func, select, update
from sqlalchemy.orm import Session

from ncert.db import transaction, utcnow
from ncert.models.outbox import DELIVERED, FAILED, PENDING, OutboxMessage

if TYPE_CHECKING:
    from ncert.runtime import Runtime

log = logging.getLogger(__name__)

HANDLER_MODULES = ["ncert.services.notifications", "ncert.services.feeds", "ncert.search.indexing"]
BACKOFF_BASE = timedelta(seconds=30)  # attempt n waits BACKOFF_BASE * 2**(n-1), at most BACKOFF_CAP
BACKOFF_CAP = timedelta(hours=1)
MAX_ATTEMPTS = 8  # about 1 h 4 min of retries before a row fails
LEASE = timedelta(minutes=10)  # longer than any handler's timeouts
KEEP_DELIVERED = timedelta(days=7)
_ENQUEUED = "outbox_enqueued"


class Permanent(Exception):
    """Raised by a handler when retrying cannot help (a refused target): the row fails now."""


@dataclass(frozen=True)
class Message:
    id: int
    topic: str
    key: str | None
    payload: dict
    idempotency_key: str
    attempts: int  # this attempt's number, from 1

    @property
    def last_attempt(self) -> bool:
        return self.attempts >= MAX_ATTEMPTS


@dataclass(frozen=True)
class _Handler:
    fn: Callable
    batch: bool


_handlers: dict[str, _Handler] = {}


def handler(topic: str, *, batch: bool = False) -> Callable[[Callable], Callable]:
    """Register the decorated function as the delivery of ``topic`` (one per topic)."""

    def register(fn: Callable) -> Callable:
        _handlers[topic] = _Handler(fn, batch)
        return fn

    return register


def enqueue(session: Session, topic: str, payload: dict, key: str | None = None) -> OutboxMessage:
    """Write a side effect in the caller's transaction; it is delivered after that commits."""
    message = OutboxMessage(topic=topic, key=key, payload=payload, idempotency_key=str(uuid.uuid4()),
                            status=PENDING, attempts=0, last_error="", created_at=utcnow(),
                            next_attempt_at=utcnow())
    session.add(message)
    session.info[_ENQUEUED] = True
    return message


def backoff(attempts: int) -> timedelta:
    """How long a row waits after its ``attempts``-th failed attempt."""
    return min(BACKOFF_BASE * 2 ** (attempts - 1), BACKOFF_CAP)


def load_handlers() -> dict[str, _Handler]:
    """The registered handlers, after importing ``HANDLER_MODULES``; a module that fails to import is
    logged and its topics wait (``ncert outbox status`` shows them), so it stops no other delivery."""
    for name in HANDLER_MODULES:
        try:
            importlib.import_module(name)
        except Exception:
            log.exception("outbox handlers of %s not loaded", name)
    return _handlers


def _claim(runtime: Runtime, limit: int, now: datetime, topics: list[str]) -> list[Message]:
    """Take up to ``limit`` due rows for this deliverer, in a transaction of its own."""
    claimed = []
    with transaction(runtime.sessions) as session:
        rows = session.execute(
            select(OutboxMessage.id, OutboxMessage.next_attempt_at)
            .where(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now,
                   OutboxMessage.topic.in_(topics))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)
            .with_for_update(skip_locked=True)).all()  # PostgreSQL; SQLite ignores it, the guard below holds
        for row_id, seen in rows:
            taken = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row_id, OutboxMessage.status == PENDING,
                       OutboxMessage.next_attempt_at == seen)
                .values(next_attempt_at=now + LEASE, attempts=OutboxMessage.attempts + 1)
                .execution_options(synchronize_session=False)).rowcount
            if taken:
                claimed.append(row_id)
        if claimed:
            found = session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(claimed))
                                    .order_by(OutboxMessage.id))
            return [Message(m.id, m.topic, m.key, m.payload, m.idempotency_key, m.attempts) for m in found]
    return []


def _record(runtime: Runtime, message: Message, error: Exception | None, now: datetime) -> None:
    if error is None:
        values = {"status": DELIVERED, "delivered_at": now, "last_error": ""}
    else:
        text = f"{type(error).__name__}: {error}"[:2000]
        final = isinstance(error, Permanent) or message.last_attempt
        values = {"status": FAILED if final else PENDING, "last_error": text,
                  "next_attempt_at": now + backoff(message.attempts)}
    with transaction(runtime.sessions) as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id).values(**values)
                        .execution_options(synchronize_session=False))


def deliver_due(runtime: Runtime, limit: int = 100, now: datetime | None = None) -> int:
    """Deliver up to ``limit`` due rows whose topic has a handler here; returns how many were handled."""
    handlers = load_handlers()
    now = now or utcnow()
    messages = _claim(runtime, limit, now, sorted(handlers))
    by_topic: dict[str, list[Message]] = {}
    for message in messages:
        by_topic.setdefault(message.topic, []).append(message)
    for topic, group in by_topic.items():
        entry = handlers[topic]
        calls = [group] if entry.batch else [[m] for m in group]
        for batch in calls:
            error = None
            try:
                entry.fn(runtime, batch if entry.batch else batch[0])
            except Exception as exc:  # any failure of a receiver is recorded on its row and retried
                log.warning("outbox %s delivery of %s failed: %s", topic, [m.id for m in batch], exc)
                error = exc
            for message in batch:
                _record(runtime, message, error, now)
    return len(messages)


def sweep(runtime: Runtime, now: datetime | None = None) -> int:
    """Deliver everything due (in batches), then forget rows delivered over ``KEEP_DELIVERED`` ago."""
    now = now or utcnow()
    total = 0
    while handled := deliver_due(runtime, now=now):
        total += handled
    with transaction(runtime.sessions) as session:
        session.execute(delete(OutboxMessage).where(OutboxMessage.status == DELIVERED,
                                                    OutboxMessage.delivered_at < now - KEEP_DELIVERED))
    return total


def status(session: Session) -> list[tuple[str, str, int, datetime | None]]:
    """(topic, status, rows, oldest created_at) for ``ncert outbox status``."""
    stmt = (select(OutboxMessage.topic, OutboxMessage.status, func.count(), func.min(OutboxMessage.created_at))
            .group_by(OutboxMessage.topic, OutboxMessage.status)
            .order_by(OutboxMessage.topic, OutboxMessage.status))
    return [tuple(row) for row in session.execute(stmt)]


def failed(session: Session, limit: int = 20) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.status == FAILED)
                                .order_by(OutboxMessage.id.desc()).limit(limit)))


def retry(session: Session, ids: list[int] | None = None, topic: str | None = None) -> int:
    """Make failed rows (all, or these ids, or this topic's) due now with fresh attempts; returns how many."""
    stmt = update(OutboxMessage).where(OutboxMessage.status == FAILED)
    if ids:
        stmt = stmt.where(OutboxMessage.id.in_(ids))
    if topic:
        stmt = stmt.where(OutboxMessage.topic == topic)
    stmt = stmt.values(status=PENDING, attempts=0, next_attempt_at=utcnow())
    count = session.execute(stmt.execution_options(synchronize_session=False)).rowcount
    session.info[_ENQUEUED] = True
    return count


class Deliverer:
    """A thread delivering right after a commit that enqueued, and every ``poll`` seconds anyway."""

    def __init__(self, runtime: Runtime, poll: float = 30.0) -> None:
        self.runtime, self.poll = runtime, poll
        self.wake = threading.Event()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="ncert-outbox", daemon=True)

    def _run(self) -> None:
        while not self.stopped.is_set():
            self.wake.wait(self.poll)
            self.wake.clear()
            if self.stopped.is_set():
                return
            try:
                while deliver_due(self.runtime):
                    pass
            except Exception:  # the database is away: the next wake or poll tries again
                log.exception("outbox delivery failed")

    def stop(self) -> None:
        self.stopped.set()
        self.wake.set()
        self.thread.join(timeout=30)


def start_delivery(runtime: Runtime, poll: float = 30.0) -> Deliverer:
    """Deliver in this process: after every commit of ``runtime``'s sessions that enqueued, and on ``poll``."""
    deliverer = Deliverer(runtime, poll)

    @event.listens_for(runtime.sessions, "after_commit")
    def _wake(session: Session) -> None:
        if session.info.pop(_ENQUEUED, False):
            deliverer.wake.set()

    @event.listens_for(runtime.sessions, "after_rollback")
    def _forget(session: Session) -> None:
        session.info.pop(_ENQUEUED, None)

    deliverer.thread.start()
    return deliverer

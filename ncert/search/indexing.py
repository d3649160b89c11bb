"""Keeping Elasticsearch in step with the database: the outbox feeds it, a rebuild remakes it.

The database is the source of truth. Every flush that adds, changes or deletes an
incident writes one outbox row per incident (topic ``search.index``, key
``incident:<id>``) in the same transaction (``incidents_changed``, the one producer),
so intake never waits for Elasticsearch and succeeds while it is down. The outbox
delivers after commit (``deliver``): it reads each incident's current row and
indexes it, or deletes its document when the row is gone, through
``helpers.streaming_bulk``; a failure leaves the rows pending and the outbox
retries with back-off until the cluster answers again.

Each write carries the outbox row's id as an external version, so a slow
deliverer's older read never overwrites a newer one. ``rebuild`` (``ncert search
reindex``) builds a new index from the database, swaps the alias atomically,
re-applies what the outbox delivered meanwhile to the old index, and deletes the
old one. ``status`` is ``ncert search status``: the alias, its documents and the
index lag (incidents whose update is not delivered yet).

Only Elasticsearch needs this: without ``NCERT_ELASTICSEARCH_URL`` the database's
own text index is kept by the database (triggers, an expression index) and the
producer writes nothing. ``elasticsearch`` is imported only when a delivery runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from ncert import outbox
from ncert.db import utcnow
from ncert.models import Incident
from ncert.models.outbox import FAILED, PENDING, OutboxMessage

TOPIC = "search.index"
_SEEN = "search_index_enqueued"  # session.info: incident ids enqueued in the open transaction
_CHANGED = "search_index_changed"  # session.info: incident ids the last flush wrote
# How far before a rebuild started its catch-up looks: a transaction that flushed its outbox rows
# earlier but committed after the rebuild read its incident is re-applied too.
CATCH_UP_MARGIN = timedelta(minutes=5)


def track(sessions: sessionmaker) -> None:
    """Feed the outbox from every flush of ``sessions`` that writes incidents (``Runtime.create``
    calls it when Elasticsearch is configured)."""
    event.listen(sessions, "after_flush", _collect)
    event.listen(sessions, "after_flush_postexec", _enqueue)
    event.listen(sessions, "after_commit", _forget)
    event.listen(sessions, "after_rollback", _forget)


def incidents_changed(session: Session, ids) -> None:
    """The producer: one outbox row per incident in ``ids`` not enqueued yet in this transaction.
    Writers that bypass the ORM (``ncert.services.bulk_intake``) call it themselves."""
    if not session.info.get("elasticsearch_url"):
        return
    seen = session.info.setdefault(_SEEN, set())
    for incident_id in sorted(set(ids) - seen):
        outbox.enqueue(session, TOPIC, {"incident": incident_id}, key=f"incident:{incident_id}")
        seen.add(incident_id)


def _collect(session: Session, _context) -> None:
    changed = session.info.setdefault(_CHANGED, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Incident) and obj.id is not None:
            changed.add(obj.id)


def _enqueue(session: Session, _context) -> None:
    changed = session.info.pop(_CHANGED, set())
    if changed:
        incidents_changed(session, changed)


def _forget(session: Session) -> None:
    session.info.pop(_SEEN, None)
    session.info.pop(_CHANGED, None)


@outbox.handler(TOPIC, batch=True)
def deliver(runtime, messages: list[outbox.Message]) -> None:
    """Make the index agree with the database on the messages' incidents (raises to be retried)."""
    if not runtime.settings.elasticsearch_url:
        return  # search went back to the database's text index: nothing to keep
    from ncert.search import elastic

    es = elastic.client(runtime.settings.elasticsearch_url)
    versions: dict[int, int] = {}
    for message in messages:
        incident_id = message.payload["incident"]
        versions[incident_id] = max(versions.get(incident_id, 0), message.id)
    with runtime.sessions() as session:
        elastic.ensure_index(es)
        elastic.bulk(es, elastic.actions(session, sorted(versions), versions=versions))


@dataclass(frozen=True)
class Rebuilt:
    index: str
    indexed: int
    removed: list[str]  # the indices the alias left, now deleted
    caught_up: int  # incidents re-applied from outbox rows written while the rebuild ran


def rebuild(session: Session, es, progress: Callable[[int], None] | None = None) -> Rebuilt:
    """Build a new index from every incident, swap the alias to it, delete the old one."""
    from ncert.search import elastic

    started = utcnow()
    new = elastic.create_index(es)
    try:
        indexed = elastic.bulk(es, elastic.actions(session, _all_incidents(session), index=new), progress)
        es.indices.refresh(index=new)
    except BaseException:
        es.indices.delete(index=new, ignore_unavailable=True)
        raise
    removed = elastic.swap(es, new)
    versions = {int(key.removeprefix("incident:")): newest for key, newest in session.execute(
        select(OutboxMessage.key, func.max(OutboxMessage.id))
        .where(OutboxMessage.topic == TOPIC, OutboxMessage.created_at >= started - CATCH_UP_MARGIN)
        .group_by(OutboxMessage.key))}
    elastic.bulk(es, elastic.actions(session, sorted(versions), versions=versions))
    return Rebuilt(new, indexed, removed, len(versions))


def _all_incidents(session: Session):
    """Every incident id, a chunk at a time (by keyset, so no result set stays open)."""
    last = 0
    while chunk := list(session.scalars(select(Incident.id).where(Incident.id > last).order_by(Incident.id)
                                        .limit(10_000))):
        yield from chunk
        last = chunk[-1]


@dataclass(frozen=True)
class Status:
    alias: str
    indices: list[str]
    documents: int | None  # None when the cluster does not answer
    incidents: int
    lag: int  # incidents with an index update not delivered yet (pending outbox rows)
    failed: int  # incidents whose update the outbox gave up on (``ncert outbox retry``)
    oldest_pending: datetime | None
    error: str | None = None


def status(session: Session, es) -> Status:
    from ncert.search import elastic

    def count(state: str):
        return (select(func.count(func.distinct(OutboxMessage.key)), func.min(OutboxMessage.created_at))
                .where(OutboxMessage.topic == TOPIC, OutboxMessage.status == state))

    lag, oldest = session.execute(count(PENDING)).one()
    failed, _ = session.execute(count(FAILED)).one()
    incidents = session.scalar(select(func.count()).select_from(Incident))
    try:
        indices = elastic.aliased(es)
        documents = es.count(index=elastic.ALIAS)["count"] if indices else 0
        error = None
    except Exception as exc:  # the cluster is down: the lag is still known from the database
        indices, documents, error = [], None, f"{type(exc).__name__}: {exc}"
    return Status(elastic.ALIAS, indices, documents, incidents, lag, failed, oldest, error)

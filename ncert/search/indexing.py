"""Keeping Elasticsearch in step with the database: the outbox feeds it, a rebuild remakes it.

The database is the source of truth. Every flush that adds, changes or deletes an
incident writes one outbox row per incident (topic ``search.index``, key
``incident:<id>``) in the same transaction (``incidents_changed``, the one producer),
so intake never waits for Elasticsearch and succeeds while it is down. At commit, the
indicators those incidents carry get a row each (key ``indicator:<id>``): a link, a
carrier's label or reporter, or the value's dates changed with them. These rows are
written after the transaction's indicator upserts, which lock each value's row, so two
transactions linking one value number their rows in the order they commit. The outbox
delivers after commit (``deliver``): it reads each incident's current row and
indexes it, or deletes its document when the row is gone, through
``helpers.streaming_bulk``; a failure leaves the rows pending and the outbox
retries with back-off until the cluster answers again.

Each write carries the outbox row's id as an external version, so a slow
deliverer's older read never overwrites a newer one. ``rebuild`` (``ncert search
reindex``) builds a new index from the database, swaps the alias atomically,
re-applies what the outbox delivered meanwhile to the old index, and deletes the
old one; incidents, indicators (``ncert.search.elastic_indicators``) and STIX objects
(``ncert.search.elastic_stix``, whose rows TAXII names: ``stix_changed``) each have
their index (``FEEDS``). ``status`` is ``ncert search status``: per index, the alias,
its documents and the lag (rows whose update is not delivered yet).

Only Elasticsearch needs this: without ``NCERT_ELASTICSEARCH_URL`` the database's
own text index is kept by the database (triggers, an expression index) and the
producer writes nothing. ``elasticsearch`` is imported only when a delivery runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from ncert import outbox
from ncert.db import utcnow
from ncert.models import Incident, IncidentIndicator, Indicator, StixObject
from ncert.models.outbox import FAILED, PENDING, OutboxMessage

TOPIC = "search.index"
_SEEN = "search_index_enqueued"  # session.info: (feed, id) enqueued in the open transaction
_CHANGED = "search_index_changed"  # session.info: incident ids the last flush wrote
LOOKUP_CHUNK = 500
# How far before a rebuild started its catch-up looks: a transaction that flushed its outbox rows
# earlier but committed after the rebuild read its incident is re-applied too.
CATCH_UP_MARGIN = timedelta(minutes=5)


def track(sessions: sessionmaker) -> None:
    """Feed the outbox from every flush of ``sessions`` that writes incidents (``Runtime.create``
    calls it when Elasticsearch is configured)."""
    event.listen(sessions, "after_flush", _collect)
    event.listen(sessions, "after_flush_postexec", _enqueue)
    event.listen(sessions, "before_commit", _enqueue_carried)
    event.listen(sessions, "after_commit", _forget)
    event.listen(sessions, "after_rollback", _forget)


def incidents_changed(session: Session, ids) -> None:
    """The producer: one outbox row per incident in ``ids`` not enqueued yet in this transaction.
    Writers that bypass the ORM (``ncert.services.bulk_intake``) call it themselves."""
    rows_changed(session, "incident", ids)


def stix_changed(session: Session, collection_id: str, org_id: int, stix_ids: list[str]) -> None:
    """Every stored version of these objects an organisation holds in a collection (TAXII writes
    past the ORM, and a new version flips the latest flag of the others)."""
    if not session.info.get("elasticsearch_url"):
        return
    for i in range(0, len(stix_ids), LOOKUP_CHUNK):
        rows_changed(session, "stix", session.scalars(select(StixObject.id).where(
            StixObject.collection_id == collection_id, StixObject.org_id == org_id,
            StixObject.stix_id.in_(stix_ids[i:i + LOOKUP_CHUNK]))))


def rows_changed(session: Session, name: str, ids) -> None:
    """One outbox row (key ``<name>:<id>``) per row of the feed ``name`` not enqueued yet in this
    transaction; nothing unless search is Elasticsearch's."""
    if not session.info.get("elasticsearch_url"):
        return
    seen = session.info.setdefault(_SEEN, set())
    for row_id in sorted({i for i in ids if (name, i) not in seen}):
        outbox.enqueue(session, TOPIC, {name: row_id}, key=f"{name}:{row_id}")
        seen.add((name, row_id))


def _collect(session: Session, _context) -> None:
    changed = session.info.setdefault(_CHANGED, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Incident) and obj.id is not None:
            changed.add(obj.id)


def _enqueue(session: Session, _context) -> None:
    changed = session.info.pop(_CHANGED, set())
    if changed:
        incidents_changed(session, changed)


def _enqueue_carried(session: Session) -> None:
    """One row per indicator the transaction's incidents carry, written last (see the module)."""
    session.flush()
    incidents = sorted(i for name, i in session.info.get(_SEEN, ()) if name == "incident")
    carried: set[int] = set()
    for i in range(0, len(incidents), LOOKUP_CHUNK):
        carried.update(session.scalars(select(IncidentIndicator.indicator_id).where(
            IncidentIndicator.incident_id.in_(incidents[i:i + LOOKUP_CHUNK]))))
    rows_changed(session, "indicator", carried)


def _forget(session: Session) -> None:
    for name in (_SEEN, _CHANGED):
        session.info.pop(name, None)


@outbox.handler(TOPIC, batch=True)
def deliver(runtime, messages: list[outbox.Message]) -> None:
    """Make the indices agree with the database on the messages' incidents and indicators (raises
    to be retried)."""
    if not runtime.settings.elasticsearch_url:
        return  # search went back to the database's text index: nothing to keep
    from ncert.search import elastic

    es = elastic.client(runtime.settings.elasticsearch_url)
    for feed in FEEDS:
        versions: dict[int, int] = {}
        for message in messages:
            if feed.name in message.payload:
                row_id = message.payload[feed.name]
                versions[row_id] = max(versions.get(row_id, 0), message.id)
        if versions:
            with runtime.sessions() as session:
                elastic.ensure_index(es, feed.spec())
                elastic.bulk(es, feed.actions(session, es, sorted(versions), feed.spec().alias, versions))


@dataclass(frozen=True)
class Feed:
    """An index kept from one table: its outbox payload name (and key prefix), its table, and the
    module of its documents (``SPEC``, and ``index_actions(session, es, ids, index, versions)``)."""

    name: str
    model: type
    module: str
    noun: str  # what ``ncert search`` calls a row

    def spec(self):
        return importlib.import_module(self.module).SPEC

    def actions(self, session: Session, es, ids, index: str, versions: dict[int, int] | None = None):
        return importlib.import_module(self.module).index_actions(session, es, ids, index, versions)

    def all_ids(self, session: Session, progress: Callable[[int], None] | None = None):
        """Every id, a chunk at a time (by keyset, so no result set stays open)."""
        last = 0
        while chunk := list(session.scalars(select(self.model.id).where(self.model.id > last)
                                            .order_by(self.model.id).limit(10_000))):
            for row_id in chunk:
                if progress:
                    progress(1)
                yield row_id
            last = chunk[-1]


INCIDENT_FEED = Feed("incident", Incident, "ncert.search.elastic", "incident")
INDICATOR_FEED = Feed("indicator", Indicator, "ncert.search.elastic_indicators", "indicator")
FEEDS = (INCIDENT_FEED, INDICATOR_FEED, Feed("stix", StixObject, "ncert.search.elastic_stix", "STIX object"))


@dataclass(frozen=True)
class Rebuilt:
    index: str
    indexed: int  # documents written (an indicator has one per view)
    removed: list[str]  # the indices the alias left, now deleted
    caught_up: int  # rows re-applied from outbox rows written while the rebuild ran


def rebuild(session: Session, es, progress: Callable[[int], None] | None = None,
            feed: Feed = INCIDENT_FEED) -> Rebuilt:
    """Build a new index from every row of ``feed``, swap the alias to it, delete the old one.
    ``progress`` hears of each row read."""
    from ncert.search import elastic

    started = utcnow()
    spec = feed.spec()
    new = elastic.create_index(es, spec=spec)
    try:
        indexed = elastic.bulk(es, feed.actions(session, es, feed.all_ids(session, progress), new))
        es.indices.refresh(index=new)
    except BaseException:
        es.indices.delete(index=new, ignore_unavailable=True)
        raise
    removed = elastic.swap(es, new, spec.alias)
    prefix = f"{feed.name}:"
    versions = {int(key.removeprefix(prefix)): newest for key, newest in session.execute(
        select(OutboxMessage.key, func.max(OutboxMessage.id))
        .where(OutboxMessage.topic == TOPIC, OutboxMessage.key.startswith(prefix, autoescape=True),
               OutboxMessage.created_at >= started - CATCH_UP_MARGIN)
        .group_by(OutboxMessage.key))}
    elastic.bulk(es, feed.actions(session, es, sorted(versions), spec.alias, versions))
    return Rebuilt(new, indexed, removed, len(versions))


@dataclass(frozen=True)
class Status:
    alias: str
    indices: list[str]
    documents: int | None  # None when the cluster does not answer
    rows: int  # incidents, or indicators, in the database
    lag: int  # rows with an index update not delivered yet (pending outbox rows)
    failed: int  # rows whose update the outbox gave up on (``ncert outbox retry``)
    oldest_pending: datetime | None
    error: str | None = None


def status(session: Session, es, feed: Feed = INCIDENT_FEED) -> Status:
    from ncert.search import elastic

    alias = feed.spec().alias

    def count(state: str):
        return (select(func.count(func.distinct(OutboxMessage.key)), func.min(OutboxMessage.created_at))
                .where(OutboxMessage.topic == TOPIC, OutboxMessage.status == state,
                       OutboxMessage.key.startswith(f"{feed.name}:", autoescape=True)))

    lag, oldest = session.execute(count(PENDING)).one()
    failed, _ = session.execute(count(FAILED)).one()
    rows = session.scalar(select(func.count()).select_from(feed.model))
    try:
        indices = elastic.aliased(es, alias)
        documents = es.count(index=alias)["count"] if indices else 0
        error = None
    except Exception as exc:  # the cluster is down: the lag is still known from the database
        indices, documents, error = [], None, f"{type(exc).__name__}: {exc}"
    return Status(alias, indices, documents, rows, lag, failed, oldest, error)

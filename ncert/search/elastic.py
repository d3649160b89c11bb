"""The search interface on Elasticsearch (``NCERT_ELASTICSEARCH_URL``), through the official client.

Incidents live in an index ``ncert-incidents-<UTC timestamp>`` behind the alias
``ncert-incidents``; a composable index template holds the explicit mapping (no
dynamic fields). A rebuild (``ncert.search.indexing.rebuild``) fills a new index
from the database and swaps the alias in one atomic ``_aliases`` call, so searches
never see a half-built index.

Only what both the full distribution and CI's core-modules build offer is used
(../shared/reference/elasticsearch.md, "What this build has"): keyword, text,
integer and date_nanos fields; the ``standard`` tokenizer with ``lowercase``
(no language analyzers, no asciifolding); bool, prefix, multi_match, range and
terms queries; terms and date_histogram aggregations; highlighting; bulk.

Scoping is part of every query (``scope_filter`` mirrors ``ncert.access.scope``
for incidents: national staff see all; anyone else their organisation's reports
and the labels ``community_labels`` gives them), and each document carries both
the national and the communicated severity and update time, so a sort or a count
uses the one the actor may know (``severity_column``, ``updated_column``).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from elasticsearch import ApiError, BadRequestError, Elasticsearch, NotFoundError, TransportError, helpers
from sqlalchemy import ColumnElement, Integer, any_, bindparam, column, func, select, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from ncert.access import community_labels, scope
from ncert.actor import Actor
from ncert.errors import Invalid, Unavailable
from ncert.models import Incident, Organization, Sector, incident_affected_sectors
from ncert.search.query import SearchQuery, SearchResult
from ncert.search.text import terms
from ncert.services.indicator_search import carrying_filter
from ncert.services.queue import _decode, _encode  # one cursor format for the queue and search
from ncert.taxonomy import RSIT

ALIAS = "ncert-incidents"
TEMPLATE = ALIAS  # the template of the indices behind an alias is named as the alias
TEXT_FIELDS = ("reference", "title", "description")
HIGHLIGHTED = ("title", "description")
CHUNK = 2000  # documents per bulk request and rows per database read
MAX_TERMS_COUNT = 65536  # values one terms query may hold (the index setting's default)
_TEXT = {"type": "text", "analyzer": "ncert_text"}
_KEYWORD = {"type": "keyword"}
_NANOS = {"type": "date_nanos"}  # microseconds, as the database stores them: the same keyset order
SETTINGS = {
    "number_of_shards": 1,
    "auto_expand_replicas": "0-1",  # no replica on one node (green), one as soon as a second node joins
    "analysis": {"analyzer": {"ncert_text": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase"]}}},
}
MAPPINGS = {
    "dynamic": "strict",
    "properties": {
        "id": {"type": "integer"},
        "reference": {**_TEXT, "fields": {"raw": _KEYWORD}},
        "title": _TEXT,
        "description": _TEXT,
        "status": _KEYWORD,
        "rsit_class": _KEYWORD,
        "rsit_type": _KEYWORD,
        "severity": {"type": "byte"},
        "communicated_severity": {"type": "byte"},
        "tlp": _KEYWORD,
        "reporter_org_id": {"type": "integer"},  # with tlp, what ncert.access.scope reads
        "sector_id": {"type": "integer"},
        "sector_ids": {"type": "integer"},  # the reporting sector and every affected one
        "reported_at": _NANOS,
        "updated_at": _NANOS,
        "shared_updated_at": _NANOS,
    },
}
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ONE_WORD = re.compile(r"\w+", re.UNICODE)  # a word the standard tokenizer keeps whole
_NOTHING = {"bool": {"must_not": {"match_all": {}}}}


@functools.lru_cache(maxsize=8)
def client(url: str) -> Elasticsearch:
    """One client (a connection pool) per URL. No retries inside the client: the outbox retries
    deliveries with back-off, and a search fails fast with 503 rather than hang."""
    return Elasticsearch(url, request_timeout=30, max_retries=0, retry_on_timeout=False)


def client_of(session: Session) -> Elasticsearch:
    return client(session.info["elasticsearch_url"])


# Index, template and alias ------------------------------------------------------------------


@dataclass(frozen=True)
class IndexSpec:
    """An alias, the template shaping the indices behind it (``<alias>-*``) and their mapping."""

    alias: str
    mappings: dict
    description: str


SPEC = IndexSpec(ALIAS, MAPPINGS, "ncert incidents (ncert.search.elastic)")


def put_template(es: Elasticsearch, spec: IndexSpec = SPEC) -> None:
    es.indices.put_index_template(name=spec.alias, index_patterns=[f"{spec.alias}-*"], priority=100,
                                  template={"settings": SETTINGS, "mappings": spec.mappings},
                                  meta={"description": spec.description})


def create_index(es: Elasticsearch, name: str | None = None, spec: IndexSpec = SPEC) -> str:
    """A new, empty index the template shapes (named for this moment unless ``name``), not yet
    behind the alias."""
    put_template(es, spec)
    name = name or f"{spec.alias}-{datetime.now(timezone.utc):%Y%m%d%H%M%S%f}"
    es.indices.create(index=name)
    return name


def aliased(es: Elasticsearch, alias: str = ALIAS) -> list[str]:
    """The indices behind the alias (one, or none before the first index is made)."""
    try:
        return sorted(es.indices.get_alias(name=alias))
    except NotFoundError:
        return []


def ensure_index(es: Elasticsearch, spec: IndexSpec = SPEC) -> str:
    """The index behind the alias, made empty if there is none yet (the outbox then fills it).
    The first index has a fixed name, so deliverers in several processes that find no alias at
    once all end at the same index (a second ``create`` is refused, adding an alias twice is not)."""
    current = aliased(es, spec.alias)
    if current:
        return current[0]
    name = f"{spec.alias}-initial"
    try:
        create_index(es, name, spec)
    except BadRequestError as exc:
        if exc.error != "resource_already_exists_exception":
            raise
    es.indices.update_aliases(actions=[{"add": {"index": name, "alias": spec.alias}}])
    return name


def swap(es: Elasticsearch, new: str, alias: str = ALIAS) -> list[str]:
    """Point the alias at ``new`` alone in one atomic call, then delete the indices it left."""
    old = [name for name in aliased(es, alias) if name != new]
    actions = [{"remove": {"index": name, "alias": alias}} for name in old]
    es.indices.update_aliases(actions=[*actions, {"add": {"index": new, "alias": alias}}])
    for name in old:
        es.indices.delete(index=name)
    return old


# Documents and bulk writes ------------------------------------------------------------------

_COLUMNS = (Incident.id, Incident.reference, Incident.title, Incident.description, Incident.status,
            Incident.rsit_class, Incident.rsit_type, Incident.severity, Incident.communicated_severity,
            Incident.tlp, Incident.reporter_org_id, Incident.sector_id, Incident.reported_at,
            Incident.updated_at, Incident.shared_updated_at)


def documents(session: Session, ids: list[int]) -> dict[int, dict]:
    """The documents of the incidents ``ids`` that exist, read from the database."""
    affected: dict[int, list[int]] = {}
    links = select(incident_affected_sectors.c.incident_id, incident_affected_sectors.c.sector_id).where(
        incident_affected_sectors.c.incident_id.in_(ids))
    for incident_id, sector_id in session.execute(links):
        affected.setdefault(incident_id, []).append(sector_id)
    docs = {}
    for row in session.execute(select(*_COLUMNS).where(Incident.id.in_(ids))):
        doc = row._asdict()
        for name in ("reported_at", "updated_at", "shared_updated_at"):
            doc[name] = doc[name].isoformat()
        doc["status"], doc["tlp"] = str(doc["status"]), str(doc["tlp"])
        doc["sector_ids"] = sorted({row.sector_id, *affected.get(row.id, ())})
        docs[row.id] = doc
    return docs


def actions(session: Session, ids: Iterable[int], index: str = ALIAS,
            versions: dict[int, int] | None = None) -> Iterator[dict]:
    """Bulk actions making ``index`` agree with the database on ``ids``: index what exists, delete
    what not. Each carries an external version (``versions``, else 0), so an older read never
    overwrites a newer one (the outbox row's id: ``ncert.search.indexing``)."""
    versions = versions or {}
    for chunk in chunks(ids):
        docs = documents(session, chunk)
        for incident_id in chunk:
            meta = {"_index": index, "_id": incident_id, "version": versions.get(incident_id, 0),
                    "version_type": "external"}
            if incident_id in docs:
                yield {"_op_type": "index", **meta, "_source": docs[incident_id]}
            else:
                yield {"_op_type": "delete", **meta}


def index_actions(session: Session, es: Elasticsearch, ids: Iterable[int], index: str,
                  versions: dict[int, int] | None = None) -> Iterator[dict]:
    """``actions`` as every indexed feed spells it (``ncert.search.indexing.Feed``)."""
    return actions(session, ids, index, versions)


def chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    chunk: list[int] = []
    for incident_id in ids:
        chunk.append(incident_id)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def bulk(es: Elasticsearch, stream: Iterable[dict], progress=None) -> int:
    """Write ``stream`` with ``helpers.streaming_bulk``; raises on any failure but deleting what is
    already gone (404) and a write older than the document's version (409), so the caller (the
    outbox) retries. Returns the number of actions."""
    done = 0
    for _ok, _item in helpers.streaming_bulk(es, stream, chunk_size=CHUNK, ignore_status=(404, 409)):
        done += 1
        if progress:
            progress(1)
    return done


# Queries ------------------------------------------------------------------------------------


def scope_filter(actor: Actor | None) -> list[dict]:
    """``ncert.access.scope`` for incidents, as a query filter."""
    if actor is None or actor.is_national:
        return []
    labels = {"terms": {"tlp": [str(label) for label in community_labels(actor)]}}
    return [{"bool": {"should": [{"term": {"reporter_org_id": actor.org_id}}, labels], "minimum_should_match": 1}}]


def text_query(text: str | None) -> list[dict]:
    """Every word must start a word of the reference, title or description (as the SQL backends)."""
    return [word_query(word) for word in terms(text or "")]


def word_query(word: str, fields=TEXT_FIELDS) -> dict:
    """``word`` starting a word (or, spelled with punctuation, a phrase) of one of ``fields``."""
    if _ONE_WORD.fullmatch(word):  # a prefix query expands to every indexed word it starts
        return {"bool": {"should": [{"prefix": {f: word.lower()}} for f in fields], "minimum_should_match": 1}}
    return {"multi_match": {"query": word, "type": "phrase_prefix", "fields": list(fields)}}


def severity_field(actor: Actor) -> str:
    return "severity" if actor.is_national else "communicated_severity"


def sort_field(actor: Actor, name: str) -> str:
    if name == "severity":
        return severity_field(actor)
    if name == "updated_at" and not actor.is_national:
        return "shared_updated_at"
    return name


def filters(session: Session, actor: Actor, q: SearchQuery) -> list[dict]:
    """The structured filters of ``q`` and the actor's scope, as the queue applies them."""
    out = scope_filter(actor)
    if q.status:
        out.append({"terms": {"status": [str(s) for s in q.status]}})
    if q.sector:
        ids = list(session.scalars(select(Sector.id).where(Sector.slug.in_(q.sector))))
        out.append({"terms": {"sector_ids": ids}})
    if q.category:
        rsit_class, _, rsit_type = q.category.partition("/")
        if rsit_class not in RSIT or (rsit_type and rsit_type not in RSIT[rsit_class]):
            raise Invalid(f"unknown RSIT category {q.category!r}")
        out.append({"term": {"rsit_class": rsit_class}})
        if rsit_type:
            out.append({"term": {"rsit_type": rsit_type}})
    if q.severity:
        out.append({"terms": {severity_field(actor): list(q.severity)}})
    if q.tlp:
        out.append({"terms": {"tlp": [str(label) for label in q.tlp]}})
    if q.org:
        org_id = session.scalar(select(Organization.id).where(Organization.slug == q.org))
        out.append({"term": {"reporter_org_id": org_id}} if org_id is not None else _NOTHING)
    reported = {}
    if q.reported_after:
        reported["gt"] = q.reported_after.isoformat()
    if q.reported_before:
        reported["lt"] = q.reported_before.isoformat()
    if reported:
        out.append({"range": {"reported_at": reported}})
    return out


def carried_query(session: Session, actor: Actor, text: str) -> list[dict]:
    """The incidents within ``actor``'s scope that carry a value ``text`` names, as terms clauses on
    the id (the queue matches them beside the words: ``ncert.services.queue``); [] if it names none."""
    carrying = carrying_filter(session, text)
    if carrying is None:
        return []
    ids = list(session.scalars(scope(actor, select(Incident.id).where(carrying))))
    return [{"terms": {"id": ids[i:i + MAX_TERMS_COUNT]}} for i in range(0, len(ids), MAX_TERMS_COUNT)]


def _aggregation(actor: Actor, name: str, interval: str) -> dict:
    if name == "over_time":
        return {"date_histogram": {"field": "reported_at", "calendar_interval": interval, "format": "yyyy-MM-dd",
                                   "min_doc_count": 1}}
    # sector_ids: the reporting sector and every affected one, as the queue's sector filter (queue.in_sectors)
    field = {"sector": "sector_ids", "category": "rsit_class", "severity": severity_field(actor)}[name]
    return {"terms": {"field": field, "size": 10000}}  # every sector, class and level: exact on one shard


def search_incidents(session: Session, actor: Actor, q: SearchQuery) -> SearchResult:
    name, descending = q.sort.lstrip("-"), q.sort.startswith("-")
    order = "desc" if descending else "asc"
    must = text_query(q.text)
    carried = carried_query(session, actor, q.text or "")
    if carried:  # as the queue: the words, or a value the text names carried by the incident
        must = [{"bool": {"should": [{"bool": {"must": must}}, *carried], "minimum_should_match": 1}}]
    body: dict = {
        "query": {"bool": {"filter": filters(session, actor, q), "must": must}},
        "sort": [{sort_field(actor, name): order}, {"id": order}], "_source": False, "track_total_hits": False,
    }
    if q.highlight and terms(q.text or ""):
        body["highlight"] = {"encoder": "html", "number_of_fragments": 0, "pre_tags": ["<em>"],
                             "post_tags": ["</em>"], "fields": {f: {} for f in HIGHLIGHTED}}
    if q.aggregations:
        body["aggs"] = {a: _aggregation(actor, a, q.interval) for a in q.aggregations}
    page, next_cursor, answer = page_after(session, ALIAS, body, q.limit, q.cursor, timed=name != "severity",
                                           decode=lambda c: _decode(c, q.sort),
                                           encode=lambda value, last_id: _encode(q.sort, value, last_id))
    # The index trails the database by the outbox's delay: a page is checked against ncert.access, so
    # an incident whose label was just tightened is not shown before its update is indexed.
    ids = [int(h["_id"]) for h in page]
    visible = set(session.scalars(scope(actor, select(Incident.id).where(Incident.id.in_(ids))))) if ids else set()
    highlights = {int(h["_id"]): {f: h["highlight"][f][0] for f in HIGHLIGHTED if f in h.get("highlight", {})}
                  for h in page if "highlight" in h and int(h["_id"]) in visible}
    aggregations = {a: _buckets(session, a, answer.get("aggregations", {}).get(a, {}).get("buckets", []))
                    for a in q.aggregations}
    return SearchResult([i for i in ids if i in visible], next_cursor, highlights, aggregations)


def page_after(session: Session, index: str, body: dict, limit: int, cursor: str | None, *, timed: bool,
               decode: Callable[[str], tuple], encode: Callable[[object, int], str],
               hit_id: Callable[[dict], int] = lambda hit: int(hit["_id"])) -> tuple[list[dict], str | None, dict]:
    """The hits of one page of ``body`` (sorted by one key, then the id) after ``cursor``, the cursor
    of the next page and the whole answer: the keyset paging every index shares. ``timed``: the sort
    key is a date_nanos field, carried in a cursor as a time; ``decode`` and ``encode`` read and
    write the index's cursor, ``hit_id`` names a hit's id."""
    if cursor:
        value, last_id = decode(cursor)
        body = {**body, "search_after": [nanos(value) if timed else value, last_id]}
    # ignore_unavailable: before the first document the alias does not exist yet, and nothing matches
    answer = call(lambda: client_of(session).search(index=index, ignore_unavailable=True, size=limit + 1, **body))
    hits = answer["hits"]["hits"]
    page = hits[:limit]
    next_cursor = None
    if len(hits) > limit:
        value = page[-1]["sort"][0]
        next_cursor = encode(from_nanos(value) if timed else value, hit_id(page[-1]))
    return page, next_cursor, answer


def _buckets(session: Session, name: str, buckets: list[dict]) -> dict[str, int]:
    if name == "over_time":
        counts = {b["key_as_string"]: b["doc_count"] for b in buckets}
    elif name == "sector":
        slugs = dict(session.execute(select(Sector.id, Sector.slug).where(
            Sector.id.in_([b["key"] for b in buckets]))).all())
        counts = {slugs[b["key"]]: b["doc_count"] for b in buckets}
    else:
        counts = {str(b["key"]): b["doc_count"] for b in buckets}
    return dict(sorted(counts.items()))


def text_filter(session: Session, text: str, actor: Actor | None) -> ColumnElement[bool]:
    """The queue's text match: the ids of every incident (within ``actor``'s scope) Elasticsearch
    finds for ``text``, as a WHERE clause the rest of the queue's statement narrows and sorts."""
    words = text_query(text)
    if not words:
        return true()
    query = {"query": {"bool": {"filter": scope_filter(actor), "must": words}}, "_source": False}
    ids = call(lambda: [int(hit["_id"]) for hit in helpers.scan(client_of(session), query=query, index=ALIAS,
                                                                   size=5000, ignore_unavailable=True)])
    if session.get_bind().dialect.name == "postgresql":  # one array parameter, whatever the number of ids
        return Incident.id == any_(bindparam("search_ids", ids, type_=ARRAY(Integer), unique=True))
    found = select(column("value", Integer)).select_from(func.json_each(bindparam("search_ids", json.dumps(ids),
                                                                                  unique=True)))
    return Incident.id.in_(found)


def call(fetch):
    """``fetch()``, with the cluster being down or refusing answered as 503 (the database keeps working)."""
    try:
        return fetch()
    except (TransportError, ApiError) as exc:
        raise Unavailable("search is unavailable; try again shortly", code="search_unavailable") from exc


def nanos(value: datetime) -> int:
    return (value - _EPOCH) // timedelta(microseconds=1) * 1000


def from_nanos(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=int(value) // 1000)

"""STIX objects on Elasticsearch: the ``ncert-stix`` alias, one document per stored version.

Each document carries what ``ncert.access.scope_stix`` reads (collection, pushing organisation,
label) and the latest flag, so a query holds the same scope as a TAXII read; its text is the
object's name and pattern (``search_text``), analysed as the incidents' text. TAXII writes past
the ORM, so ``ncert.services.taxii`` names the rows it stores or deletes (``indexing.stix_changed``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from elasticsearch import Elasticsearch
from sqlalchemy import select
from sqlalchemy.orm import Session

from ncert.access import AUDIENCE_LABELS, collection_access
from ncert.actor import Actor
from ncert.models import StixObject, TaxiiCollection
from ncert.search.elastic import IndexSpec, chunks, page_after, word_query
from ncert.search.indicators import decode, encode
from ncert.search.query import SearchResult, StixQuery
from ncert.search.stix import MAX_ID, modified_bounds, readable, visible
from ncert.search.text import terms

ALIAS = "ncert-stix"
_KEYWORD = {"type": "keyword"}
MAPPINGS = {
    "dynamic": "strict",
    "properties": {
        "id": {"type": "long"},
        "collection_id": _KEYWORD,
        "org_id": {"type": "integer"},
        "tlp": _KEYWORD,
        "is_latest": {"type": "boolean"},
        "type": _KEYWORD,
        "version": _KEYWORD,  # fixed-width timestamps compare as the database compares them
        "date_added": {"type": "date_nanos"},
        "text": {"type": "text", "analyzer": "ncert_text"},
    },
}
SPEC = IndexSpec(ALIAS, MAPPINGS, "ncert STIX objects, one document per version (ncert.search.elastic_stix)")
_COLUMNS = (StixObject.id, StixObject.collection_id, StixObject.org_id, StixObject.tlp, StixObject.is_latest,
            StixObject.type, StixObject.version, StixObject.date_added, StixObject.search_text)


def index_actions(session: Session, es: Elasticsearch, ids: Iterable[int], index: str = ALIAS,
                  versions: dict[int, int] | None = None) -> Iterator[dict]:
    """Bulk actions making ``index`` agree with the database on the rows ``ids``, with external
    versions as for incidents."""
    versions = versions or {}
    for chunk in chunks(ids):
        docs = {}
        for row in session.execute(select(*_COLUMNS).where(StixObject.id.in_(chunk))):
            doc = row._asdict()
            doc["text"] = doc.pop("search_text")
            doc["tlp"] = str(doc["tlp"]) if doc["tlp"] else None
            doc["date_added"] = doc["date_added"].isoformat()
            docs[row.id] = doc
        for row_id in chunk:
            meta = {"_index": index, "_id": row_id, "version": versions.get(row_id, 0), "version_type": "external"}
            if row_id in docs:
                yield {"_op_type": "index", **meta, "_source": docs[row_id]}
            else:
                yield {"_op_type": "delete", **meta}


def scope_filter(actor: Actor, collections: list[TaxiiCollection]) -> dict:
    """``scope_stix`` over every collection the actor may read, as one query filter."""
    arms = []
    for c in collections:
        if not collection_access(actor, c).can_read:
            continue
        arm = [{"term": {"collection_id": c.id}}]
        if c.kind == "national":
            arm.append({"terms": {"tlp": [str(label) for label in AUDIENCE_LABELS]}})
        elif not actor.is_national:
            arm.append({"term": {"org_id": actor.org_id}})
        arms.append({"bool": {"filter": arm}})
    return {"bool": {"should": arms, "minimum_should_match": 1}}


def search_stix(session: Session, actor: Actor, q: StixQuery) -> SearchResult:
    collections = readable(session, actor, q.collection)
    if not collections:
        return SearchResult([], None, {}, {a: {} for a in q.aggregations})
    filters = [scope_filter(actor, collections), {"term": {"is_latest": True}}]
    if q.type:
        filters.append({"terms": {"type": list(q.type)}})
    low, high = modified_bounds(q)
    bounds = {k: v for k, v in (("gte", low), ("lte", high)) if v}
    if bounds:
        filters.append({"range": {"version": bounds}})
    name, descending = q.sort.lstrip("-"), q.sort.startswith("-")
    order = "desc" if descending else "asc"
    field = "version" if name == "modified" else "date_added"
    words = [word_query(w, ("text",)) for w in terms(q.text or "")]
    body: dict = {"query": {"bool": {"filter": filters, "must": words}},
                  "sort": [{field: order}, {"id": order}], "_source": False, "track_total_hits": False}
    if q.aggregations:
        body["aggs"] = {a: {"terms": {"field": "type" if a == "type" else "collection_id", "size": 10000}}
                        for a in q.aggregations}
    timed = name == "date_added"
    page, next_cursor, answer = page_after(session, ALIAS, body, q.limit, q.cursor, timed=timed,
                                           decode=lambda c: decode(c, q.sort, timed, MAX_ID),
                                           encode=lambda value, last_id: encode(q.sort, value, last_id))
    aliases = {c.id: c.alias for c in collections}
    found = answer.get("aggregations", {})
    aggregations = {a: dict(sorted(((aliases[b["key"]] if a == "collection" else b["key"]), b["doc_count"])
                                   for b in found.get(a, {}).get("buckets", []))) for a in q.aggregations}
    # the index trails the database by the outbox's delay: a page is checked against it
    ids = [int(h["_id"]) for h in page]
    shown = set(session.scalars(select(StixObject.id).where(StixObject.id.in_(ids), *visible(actor, collections))))
    return SearchResult([i for i in ids if i in shown], next_cursor, {}, aggregations)

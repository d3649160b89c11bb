"""Indicators on Elasticsearch: the ``ncert-indicators`` alias, one document per value and view.

Who sees an indicator, and which dates they may know of it, depend on its carrying reports
(``ncert.search.indicators``): an organisation sees the value through its own reports and
those whose label its community may read, with the earliest first seen and the latest last
seen of those. Such a minimum or maximum over a per-actor set of carriers is no field a
query can sort, filter or bucket by without scripts (which CI's build lacks). So each value
is indexed once per view (``views``), each document holding the dates of that view's carriers:

* ``national``: every value, with the national aggregate (national staff);
* ``community:<labels>``: the carriers whose label is one of a community's (``labels_for_kind``);
* ``org:<id>``: the carriers an organisation that reported the value sees (its own reports and
  its community's labels).

An analyst reads ``org:<own id>`` if the organisation reported the value, otherwise its
community's document: ``reporter_orgs`` (the organisations of every carrier) tells them apart,
and depends only on the analyst's own reports. One document per value answers each actor, so
sort, ranges, ``search_after`` and aggregations are the plain ones and exact.

The national document lists the views indexed for the value (``views``, read back by a
real-time ``mget``), so a view its carriers no longer give is deleted when the value is
re-indexed. Values are a ``keyword`` (exact and sorted), a keyword-analysed text with
``index_prefixes`` (prefix queries on domains and URLs), and an ``ip_range`` for IPs (a CIDR
query finds the addresses and networks ``within`` it).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator

from elasticsearch import Elasticsearch
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ncert.access import community_labels, labels_for_kind
from ncert.actor import Actor
from ncert.models import Incident, IncidentIndicator, Indicator, Organization
from ncert.observables import IP_TYPES
from ncert.search.elastic import IndexSpec, chunks, page_after
from ncert.search.indicators import decode, encode, page_facts, wanted
from ncert.search.query import IndicatorQuery, SearchResult
from ncert.taxonomy import OrgKind

ALIAS = "ncert-indicators"
NATIONAL = "national"
_KEYWORD = {"type": "keyword"}
_NANOS = {"type": "date_nanos"}
MAPPINGS = {
    "dynamic": "strict",
    "properties": {
        "indicator_id": {"type": "integer"},
        "view": _KEYWORD,
        "type": _KEYWORD,
        "value": {**_KEYWORD, "fields": {"prefix": {"type": "text", "analyzer": "keyword",
                                                    "index_prefixes": {"min_chars": 2, "max_chars": 19}}}},
        "ip": {"type": "ip_range"},
        "first_seen": _NANOS,
        "last_seen": _NANOS,
        "reporter_orgs": {"type": "integer"},
        "views": {"type": "keyword", "index": False, "doc_values": False},  # national document only
    },
}
SPEC = IndexSpec(ALIAS, MAPPINGS, "ncert indicators, one document per view (ncert.search.elastic_indicators)")
_NOTHING = {"bool": {"must_not": {"match_all": {}}}}


def community(labels) -> str:
    return "community:" + "+".join(str(label) for label in labels)


COMMUNITIES = sorted({tuple(labels_for_kind(kind)) for kind in OrgKind})


def documents(session: Session, ids: list[int]) -> dict[int, list[dict]]:
    """The documents of each indicator of ``ids`` that exists, one per view, read from the database."""
    parts: dict[int, list] = {}
    carriers = (select(IncidentIndicator.indicator_id, Incident.reporter_org_id, Incident.tlp, Organization.kind,
                       func.min(IncidentIndicator.first_seen), func.max(IncidentIndicator.last_seen))
                .join(Incident, Incident.id == IncidentIndicator.incident_id)
                .join(Organization, Organization.id == Incident.reporter_org_id)
                .where(IncidentIndicator.indicator_id.in_(ids))
                .group_by(IncidentIndicator.indicator_id, Incident.reporter_org_id, Incident.tlp, Organization.kind))
    for row in session.execute(carriers):
        parts.setdefault(row[0], []).append(row[1:])
    docs = {}
    rows = select(Indicator.id, Indicator.type, Indicator.value, Indicator.first_seen, Indicator.last_seen)
    for ind_id, kind, value, first, last in session.execute(rows.where(Indicator.id.in_(ids))):
        mine = parts.get(ind_id, [])
        orgs = sorted({org for org, *_ in mine})
        base = {"indicator_id": ind_id, "type": kind, "value": value, "reporter_orgs": orgs}
        if kind in IP_TYPES:
            net = ipaddress.ip_network(value, strict=False)
            base["ip"] = {"gte": str(net.network_address), "lte": str(net.broadcast_address)}
        views = {NATIONAL: (first, last)}
        for labels in COMMUNITIES:
            _add(views, community(labels), [p for p in mine if p[1] in labels])
        for org_id, org_kind in sorted({(org, org_kind) for org, _, org_kind, *_ in mine}):
            _add(views, f"org:{org_id}", [p for p in mine if p[0] == org_id or p[1] in labels_for_kind(org_kind)])
        docs[ind_id] = [{**base, "view": name, "first_seen": f.isoformat(), "last_seen": la.isoformat(),
                         **({"views": sorted(views)} if name == NATIONAL else {})}
                        for name, (f, la) in views.items()]
    return docs


def _add(views: dict, name: str, carriers: list) -> None:
    if carriers:
        views[name] = (min(c[3] for c in carriers), max(c[4] for c in carriers))


def index_actions(session: Session, es: Elasticsearch, ids: Iterable[int], index: str = ALIAS,
            versions: dict[int, int] | None = None) -> Iterator[dict]:
    """Bulk actions making ``index`` agree with the database on the indicators ``ids``: each view's
    document indexed, the views no longer given deleted, with external versions as for incidents."""
    versions = versions or {}
    for chunk in chunks(ids):
        docs = documents(session, chunk)
        found = es.mget(index=index, ids=[f"{i}:{NATIONAL}" for i in chunk], source_includes=["views"])["docs"]
        indexed = {int(d["_id"].split(":")[0]): d["_source"].get("views", []) for d in found if d.get("found")}
        for ind_id in chunk:
            meta = {"_index": index, "version": versions.get(ind_id, 0), "version_type": "external"}
            fresh = docs.get(ind_id, [])
            for doc in fresh:
                yield {"_op_type": "index", **meta, "_id": f"{ind_id}:{doc['view']}", "_source": doc}
            for view in set(indexed.get(ind_id, [])) - {doc["view"] for doc in fresh}:
                yield {"_op_type": "delete", **meta, "_id": f"{ind_id}:{view}"}


def view_filter(actor: Actor) -> dict:
    """The one document per value that answers ``actor`` (see the module)."""
    if actor.is_national:
        return {"term": {"view": NATIONAL}}
    through_community = {"bool": {"filter": [{"term": {"view": community(community_labels(actor))}}],
                                  "must_not": [{"term": {"reporter_orgs": actor.org_id}}]}}
    return {"bool": {"should": [{"term": {"view": f"org:{actor.org_id}"}}, through_community],
                     "minimum_should_match": 1}}


def _value_query(mode: str, kind: str, value: str) -> dict:
    if mode == "prefix":
        match = {"prefix": {"value.prefix": value}}
    elif mode == "cidr":
        net = ipaddress.ip_network(value, strict=False)
        match = {"range": {"ip": {"gte": str(net.network_address), "lte": str(net.broadcast_address),
                                  "relation": "within"}}}
    else:
        match = {"term": {"value": value}}
    return {"bool": {"filter": [{"term": {"type": kind}}, match]}}


def filters(actor: Actor, q: IndicatorQuery) -> list[dict]:
    out = [view_filter(actor)]
    values = wanted(q.text)
    if values is not None:
        out.append({"bool": {"should": [_value_query(*v) for v in values], "minimum_should_match": 1}}
                   if values else _NOTHING)
    if q.type:
        out.append({"terms": {"type": list(q.type)}})
    for name, low, high in (("first_seen", q.first_seen_after, q.first_seen_before),
                            ("last_seen", q.last_seen_after, q.last_seen_before)):
        bounds = {k: v.isoformat() for k, v in (("gte", low), ("lte", high)) if v}
        if bounds:
            out.append({"range": {name: bounds}})
    return out


def search_indicators(session: Session, actor: Actor, q: IndicatorQuery) -> SearchResult:
    name, descending = q.sort.lstrip("-"), q.sort.startswith("-")
    order = "desc" if descending else "asc"
    body: dict = {"query": {"bool": {"filter": filters(actor, q)}}, "sort": [{name: order}, {"indicator_id": order}],
                  "_source": ["indicator_id"], "track_total_hits": False}
    aggs = {"type": {"terms": {"field": "type", "size": 100}},
            "over_time": {"date_histogram": {"field": "last_seen", "calendar_interval": q.interval,
                                             "format": "yyyy-MM-dd", "min_doc_count": 1}}}
    if q.aggregations:
        body["aggs"] = {a: aggs[a] for a in q.aggregations}
    timed = name == "last_seen"
    page, next_cursor, answer = page_after(session, ALIAS, body, q.limit, q.cursor, timed=timed,
                                           decode=lambda c: decode(c, q.sort, timed),
                                           encode=lambda value, last_id: encode(q.sort, value, last_id),
                                           hit_id=lambda hit: hit["_source"]["indicator_id"])
    # the index trails the database by the outbox's delay: a page is checked against the carriers
    ids = [h["_source"]["indicator_id"] for h in page]
    visible = page_facts(session, actor, ids)
    found = answer.get("aggregations", {})
    aggregations = {a: dict(sorted((b.get("key_as_string", b["key"]), b["doc_count"])
                                   for b in found.get(a, {}).get("buckets", []))) for a in q.aggregations}
    return SearchResult([i for i in ids if i in visible], next_cursor, {}, aggregations)

"""Search over incidents and indicators: one interface, three backends.

``search_incidents(session, actor, query)`` answers a ``SearchQuery`` (free text,
structured filters, sort, a keyset cursor, highlighting, aggregations) with a
``SearchResult``: the ids of one page, the cursor of the next, the highlighted
fields and the aggregations the dashboards need. Whichever backend answers, TLP
and organisation scoping are part of the query itself (``ncert.access``), so
search never shows what the lists hide. ``search_indicators(session, actor, query)``
answers an ``IndicatorQuery`` (values, types, dates, sort, cursor, aggregations by
type and over time) with the ids of Indicator rows, shown only through the reports
the actor may see (``ncert.search.indicators``). ``search_stix`` answers a
``StixQuery`` (name and pattern words, type, collection, modified range) over
the STIX objects TAXII would serve the actor (``ncert.search.stix``).

Backends: the database's own text index (SQLite FTS5 or PostgreSQL full text,
``ncert.search.database`` over ``ncert.search.text``), or Elasticsearch
(``ncert.search.elastic``) when ``NCERT_ELASTICSEARCH_URL`` is set. The database
stays the source of truth: Elasticsearch is fed after commit through the outbox
(``ncert.search.indexing``) and rebuilt from the database by ``ncert search reindex``.

``incident_text_filter`` is the queue's text match as a WHERE clause: the text
index's own match on the database backends, the ids Elasticsearch finds otherwise.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from ncert.actor import Actor
from ncert.search.query import (
    AGGREGATIONS,
    INDICATOR_AGGREGATIONS,
    INTERVALS,
    STIX_AGGREGATIONS,
    IndicatorQuery,
    SearchQuery,
    SearchResult,
    StixQuery,
)
from ncert.search.text import COMMON_MATCHES, MAX_TERMS, is_common, terms

__all__ = ["AGGREGATIONS", "COMMON_MATCHES", "INDICATOR_AGGREGATIONS", "INTERVALS", "MAX_TERMS", "STIX_AGGREGATIONS",
           "IndicatorQuery", "SearchQuery", "SearchResult", "StixQuery", "elasticsearch_url", "incident_text_filter",
           "is_common", "search_incidents", "search_indicators", "search_stix", "terms"]


def elasticsearch_url(session: Session) -> str | None:
    """The Elasticsearch the session's runtime searches with, or None for the database's text index."""
    return session.info.get("elasticsearch_url")


def search_incidents(session: Session, actor: Actor, query: SearchQuery) -> SearchResult:
    """One page of the incidents ``actor`` may see that match ``query``, by the configured backend."""
    query.validate()
    if elasticsearch_url(session):
        from ncert.search import elastic

        return elastic.search_incidents(session, actor, query)
    from ncert.search import database

    return database.search_incidents(session, actor, query)


def search_indicators(session: Session, actor: Actor, query: IndicatorQuery) -> SearchResult:
    """One page of the indicators ``actor`` may see that match ``query``, by the configured backend."""
    query.validate()
    if elasticsearch_url(session):
        from ncert.search import elastic_indicators

        return elastic_indicators.search_indicators(session, actor, query)
    from ncert.search import indicators

    return indicators.search_indicators(session, actor, query)


def search_stix(session: Session, actor: Actor, query: StixQuery) -> SearchResult:
    """One page of the STIX objects (row ids, latest versions) ``actor`` may read over TAXII that
    match ``query``, by the configured backend (``ncert.search.stix``)."""
    query.validate()
    if elasticsearch_url(session):
        from ncert.search import elastic_stix

        return elastic_stix.search_stix(session, actor, query)
    from ncert.search import stix

    return stix.search_stix(session, actor, query)


def incident_text_filter(session: Session, text: str, *, ordered_by=None,
                         actor: Actor | None = None) -> ColumnElement[bool]:
    """Incidents whose reference, title or description contain the words of ``text``, as a WHERE
    clause. ``ordered_by`` (the sort column of a paged query) lets the database backends check a
    common word per row along that column's index; Elasticsearch answers with ids, found within
    ``actor``'s scope when given."""
    if elasticsearch_url(session):
        from ncert.search import elastic

        return elastic.text_filter(session, text, actor)
    from ncert.search import text as database_text

    return database_text.incident_text_filter(session, text, ordered_by=ordered_by)

"""``/search/incidents``, ``/search/indicators`` and ``/search/stix``: the search interface (``ncert.search``)
over the REST API.

Free text with highlights, structured filters, keyset paging and the aggregations
the dashboards draw (counts over time, by sector, category, severity), answered by
whichever backend is configured, scoped to what the key may see; and the indicator
pivot: values (exact, prefix, CIDR), types and dates, counted by type and over time; and
the STIX objects the key may read over TAXII, by name and pattern words, type, collection
and modified time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from sqlalchemy import select

from ncert.access import scope
from ncert.api.v1.auth import actor
from ncert.api.v1.payloads import (
    CATEGORIES,
    DEFAULT_LIMIT,
    CommaList,
    Severity,
    SortKey,
    _timestamp,
    _tlp,
    parse_query,
    utc_time,
)
from ncert.api.v1.routing import operation, respond
from ncert.api.v1.serialize import IncidentSummary, Out, Timestamp, summary
from ncert.models import Incident, StixObject, TaxiiCollection
from ncert.observables import INDICATOR_TYPES
from ncert.search import (
    AGGREGATIONS,
    INDICATOR_AGGREGATIONS,
    INTERVALS,
    STIX_AGGREGATIONS,
    IndicatorQuery,
    SearchQuery,
    StixQuery,
    search_incidents,
    search_indicators,
    search_stix,
)
from ncert.search.indicators import page_facts
from ncert.search.query import INDICATOR_SORTS, MAX_LIMIT, STIX_SORTS
from ncert.taxonomy import TLP, Status
from ncert.web.session import db

UTC = Annotated[datetime, BeforeValidator(_timestamp), AfterValidator(utc_time)]


def sort_keys(keys: tuple[str, ...]):
    """Each sort key, ascending or (with a leading '-') descending, as a Literal type."""
    return Literal[tuple(n for key in keys for n in (key, f"-{key}"))]  # type: ignore[valid-type]


class SearchIncidentsQuery(BaseModel):
    """Text, filters, order, page and aggregations of ``GET /search/incidents``. Lists are comma-separated."""

    model_config = ConfigDict(extra="forbid")

    q: Annotated[str, StringConstraints(max_length=500)] | None = Field(
        None, description="Words that must each start a word of the reference, title or description")
    status: Annotated[list[Status], CommaList] = Field(default_factory=list, description="Any of these statuses")
    sector: Annotated[list[str], CommaList] = Field(default_factory=list,
                                                    description="Reporting or affected sector slugs")
    severity: Annotated[list[Severity], CommaList] = Field(default_factory=list, description="Any of these levels")
    category: Literal[CATEGORIES] | None = Field(None, description="RSIT class, or class/type")  # type: ignore[valid-type]
    tlp: Annotated[list[Annotated[TLP, BeforeValidator(_tlp)]], CommaList] = Field(
        default_factory=list, description="Any of these TLP labels")
    org: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Field(
        None, description="Reporting organisation slug")
    reported_after: UTC | None = Field(None, description="ISO 8601; a time without offset is UTC")
    reported_before: UTC | None = Field(None, description="ISO 8601; a time without offset is UTC")
    sort: SortKey = Field("-reported_at", description="Sort key; a leading '-' sorts descending")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Page size")
    cursor: Annotated[str, StringConstraints(min_length=1, max_length=1000)] | None = Field(
        None, description="next_cursor of the previous page, with the same query")
    highlight: bool = Field(False, description="Add the matched fields with each matching word in <em>")
    aggregations: Annotated[list[Literal[AGGREGATIONS]], CommaList] = Field(  # type: ignore[valid-type]
        default_factory=list, description="Counts to add over every match: " + ", ".join(AGGREGATIONS))
    interval: Literal[INTERVALS] = Field("day", description="Bucket of over_time")  # type: ignore[valid-type]

    def search_query(self) -> SearchQuery:
        return SearchQuery(
            text=self.q, status=tuple(self.status), sector=tuple(self.sector), category=self.category,
            severity=tuple(self.severity), tlp=tuple(self.tlp), org=self.org, reported_after=self.reported_after,
            reported_before=self.reported_before, sort=self.sort, limit=self.limit, cursor=self.cursor,
            highlight=self.highlight, aggregations=tuple(self.aggregations), interval=self.interval)


class SearchPage(Out):
    items: list[IncidentSummary]
    next_cursor: str | None = Field(description="Pass as cursor= for the next page; null on the last page")
    limit: int
    highlights: dict[str, dict[str, str]] = Field(
        description="reference → field → the field's text, HTML-escaped, each matching word in <em>…</em>")
    aggregations: dict[str, dict[str, int]] = Field(
        description="aggregation → bucket → visible incidents matching (over_time buckets: first day, ISO date)")


@operation("GET", "/search/incidents", query=SearchIncidentsQuery, returns=SearchPage, summary="Search incidents",
           errors=(422, 503))
def search():
    """Free-text and structured search over the incidents the key may see, with highlights and
    aggregations, by the configured backend (the database's text index, or Elasticsearch)."""
    query = parse_query(SearchIncidentsQuery)
    session, who = db(), actor()
    result = search_incidents(session, who, query.search_query())
    loaded = {i.id: i for i in session.scalars(scope(who, select(Incident).where(Incident.id.in_(result.ids))))}
    items = [loaded[i] for i in result.ids if i in loaded]
    return respond(SearchPage(
        items=[summary(who, i) for i in items], next_cursor=result.next_cursor, limit=query.limit,
        highlights={loaded[i].reference: fields for i, fields in result.highlights.items() if i in loaded},
        aggregations=result.aggregations))


class SearchIndicatorsQuery(BaseModel):
    """Values, types, dates, order, page and aggregations of ``GET /search/indicators``."""

    model_config = ConfigDict(extra="forbid")

    q: Annotated[str, StringConstraints(max_length=2000)] | None = Field(
        None, description="Values, space-separated (defanged spellings are refanged): each an exact value, the "
                          "start of domain or URL values, or a CIDR holding IP values; any of them matches")
    type: Annotated[list[Literal[INDICATOR_TYPES]], CommaList] = Field(  # type: ignore[valid-type]
        default_factory=list, description="Any of these indicator types")
    first_seen_after: UTC | None = Field(None, description="ISO 8601, inclusive; a time without offset is UTC")
    first_seen_before: UTC | None = Field(None, description="ISO 8601, inclusive")
    last_seen_after: UTC | None = Field(None, description="ISO 8601, inclusive")
    last_seen_before: UTC | None = Field(None, description="ISO 8601, inclusive")
    sort: sort_keys(INDICATOR_SORTS) = Field(  # type: ignore[valid-type]
        "-last_seen", description="Sort key; a leading '-' sorts descending")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Page size")
    cursor: Annotated[str, StringConstraints(min_length=1, max_length=12000)] | None = Field(
        None, description="next_cursor of the previous page, with the same query")
    aggregations: Annotated[list[Literal[INDICATOR_AGGREGATIONS]], CommaList] = Field(  # type: ignore[valid-type]
        default_factory=list, description="Counts to add over every match: " + ", ".join(INDICATOR_AGGREGATIONS))
    interval: Literal[INTERVALS] = Field("day", description="Bucket of over_time")  # type: ignore[valid-type]

    def search_query(self) -> IndicatorQuery:
        return IndicatorQuery(
            text=self.q, type=tuple(self.type), first_seen_after=self.first_seen_after,
            first_seen_before=self.first_seen_before, last_seen_after=self.last_seen_after,
            last_seen_before=self.last_seen_before, sort=self.sort, limit=self.limit, cursor=self.cursor,
            aggregations=tuple(self.aggregations), interval=self.interval)


class IndicatorHit(Out):
    type: str
    value: str
    first_seen: Timestamp = Field(description="National staff: the national first seen; others: the earliest "
                                              "among the reports they may see")
    last_seen: Timestamp = Field(description="National staff: the national last seen; others: the latest "
                                             "among the reports they may see")


class IndicatorPage(Out):
    items: list[IndicatorHit]
    next_cursor: str | None = Field(description="Pass as cursor= for the next page; null on the last page")
    limit: int
    aggregations: dict[str, dict[str, int]] = Field(
        description="aggregation → bucket → visible indicators matching (over_time: by last seen, first day)")


@operation("GET", "/search/indicators", query=SearchIndicatorsQuery, returns=IndicatorPage,
           summary="Search indicators", errors=(503,))
def search_indicator_values():
    """The indicator pivot: the values the key may see through the reports it may see, by value, type
    and dates, newest last seen first (or by value), with counts by type and over time, by the
    configured backend."""
    def hits(session, who, ids: list[int]) -> dict[int, IndicatorHit]:
        return {i: IndicatorHit(type=f.type, value=f.value, first_seen=f.first_seen, last_seen=f.last_seen)
                for i, f in page_facts(session, who, ids).items()}

    return _answer(SearchIndicatorsQuery, search_indicators, hits, IndicatorPage)


def _answer(model: type[BaseModel], search, hits, page: type[Out]):
    """``model`` read from the query string and answered by ``search`` for the key, as ``page``: the
    items ``hits(session, actor, ids)`` gives for the result's ids, in its order."""
    query = parse_query(model)
    session, who = db(), actor()
    result = search(session, who, query.search_query())
    found = hits(session, who, result.ids)
    return respond(page(items=[found[i] for i in result.ids if i in found], next_cursor=result.next_cursor,
                        limit=query.limit, aggregations=result.aggregations))


class SearchStixQuery(BaseModel):
    """Words, filters, order, page and aggregations of ``GET /search/stix``."""

    model_config = ConfigDict(extra="forbid")

    q: Annotated[str, StringConstraints(max_length=500)] | None = Field(
        None, description="Words that must each start a word of the object's name or pattern")
    type: Annotated[list[Annotated[str, StringConstraints(min_length=1, max_length=64)]], CommaList] = Field(
        default_factory=list, description="Any of these STIX types")
    collection: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Field(
        None, description="A TAXII collection's alias or id")
    modified_after: UTC | None = Field(None, description="ISO 8601, inclusive; a time without offset is UTC")
    modified_before: UTC | None = Field(None, description="ISO 8601, inclusive")
    sort: sort_keys(STIX_SORTS) = Field(  # type: ignore[valid-type]
        "-modified", description="Sort key; a leading '-' sorts descending")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Page size")
    cursor: Annotated[str, StringConstraints(min_length=1, max_length=1000)] | None = Field(
        None, description="next_cursor of the previous page, with the same query")
    aggregations: Annotated[list[Literal[STIX_AGGREGATIONS]], CommaList] = Field(  # type: ignore[valid-type]
        default_factory=list, description="Counts to add over every match: " + ", ".join(STIX_AGGREGATIONS))

    def search_query(self) -> StixQuery:
        return StixQuery(text=self.q, type=tuple(self.type), collection=self.collection,
                         modified_after=self.modified_after, modified_before=self.modified_before, sort=self.sort,
                         limit=self.limit, cursor=self.cursor, aggregations=tuple(self.aggregations))


class StixHit(Out):
    id: str = Field(description="The STIX id; its version is read at the collection's TAXII objects endpoint")
    type: str
    modified: str = Field(description="The version (modified, else created); empty for objects without one")
    collection: str = Field(description="The collection's alias")
    date_added: Timestamp


class StixPage(Out):
    items: list[StixHit]
    next_cursor: str | None = Field(description="Pass as cursor= for the next page; null on the last page")
    limit: int
    aggregations: dict[str, dict[str, int]] = Field(description="aggregation → bucket → objects matching")


@operation("GET", "/search/stix", query=SearchStixQuery, returns=StixPage, summary="Search STIX objects",
           errors=(503,))
def search_stix_objects():
    """The latest versions of the STIX objects the key may read over TAXII (its collections, and in
    each what TAXII serves it), by the configured backend."""
    def hits(session, _who, ids: list[int]) -> dict[int, StixHit]:
        rows = session.execute(
            select(StixObject.id, StixObject.stix_id, StixObject.type, StixObject.version, StixObject.date_added,
                   TaxiiCollection.alias).join(TaxiiCollection, TaxiiCollection.id == StixObject.collection_id)
            .where(StixObject.id.in_(ids))) if ids else []
        return {r.id: StixHit(id=r.stix_id, type=r.type, modified=r.version, collection=r.alias,
                              date_added=r.date_added) for r in rows}

    return _answer(SearchStixQuery, search_stix, hits, StixPage)

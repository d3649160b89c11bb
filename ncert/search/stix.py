"""Search over STIX objects on the database (SQLite FTS5, PostgreSQL full text).

An object is found where TAXII would serve it: in a collection the actor may read, within
what ``ncert.access.scope_stix`` lets it see there (a national collection's TLP:CLEAR and
TLP:GREEN objects; in a sector inbox, its own organisation's). Only each object's latest
version is searched. Text matches the words of its name and pattern (``search_text``,
filled on intake) through ``stix_fts`` on SQLite and a GIN index on PostgreSQL, both made
by migration 0023; the words are prefix-matched as the incidents' are (``ncert.search.text``).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, bindparam, column, false, func, literal_column, or_, select, table
from sqlalchemy.orm import Session

from ncert.access import collection_access, scope_stix
from ncert.actor import Actor
from ncert.models import StixObject, TaxiiCollection
from ncert.search.indicators import decode, encode
from ncert.search.query import SearchResult, StixQuery
from ncert.search.text import fts5_query, terms, tsquery
from ncert.services.taxii import taxii_timestamp

MAX_ID = 2**63
_fts = table("stix_fts", column("rowid"))


def readable(session: Session, actor: Actor, key: str | None) -> list[TaxiiCollection]:
    """The collections the actor may read (only the one named ``key``, an alias or id, when given)."""
    stmt = select(TaxiiCollection).order_by(TaxiiCollection.alias)
    if key:
        stmt = stmt.where(or_(TaxiiCollection.alias == key, TaxiiCollection.id == key))
    return [c for c in session.scalars(stmt) if collection_access(actor, c).can_read]


def modified_bounds(q: StixQuery) -> tuple[str | None, str | None]:
    """The modified range as version strings (fixed-width, so they compare as times)."""
    return tuple(taxii_timestamp(t) if t else None for t in (q.modified_after, q.modified_before))


def text_match(session: Session, words: list[str]) -> ColumnElement[bool]:
    if session.get_bind().dialect.name == "sqlite":
        match = literal_column("stix_fts").op("MATCH")(bindparam("stix_q", fts5_query(words), unique=True))
        return StixObject.id.in_(select(_fts.c.rowid).where(match))
    document = func.to_tsvector(literal_column("'simple'"), StixObject.search_text)
    query = func.to_tsquery(literal_column("'simple'"), bindparam("stix_ts", tsquery(words), unique=True))
    return document.op("@@")(query)


def visible(actor: Actor, collections: list[TaxiiCollection]) -> list[ColumnElement[bool]]:
    """The latest versions the actor may see in ``collections`` (its readable ones)."""
    scoped = [scope_stix(actor, c, select(StixObject.id)).whereclause for c in collections]
    return [or_(*scoped) if scoped else false(), StixObject.is_latest.is_(True)]


def search_stix(session: Session, actor: Actor, q: StixQuery) -> SearchResult:
    collections = readable(session, actor, q.collection)
    where = visible(actor, collections)
    if q.type:
        where.append(StixObject.type.in_(q.type))
    low, high = modified_bounds(q)
    if low:
        where.append(StixObject.version >= low)
    if high:
        where.append(StixObject.version <= high)
    words = terms(q.text or "")
    if words:
        where.append(text_match(session, words))
    name, descending = q.sort.lstrip("-"), q.sort.startswith("-")
    key = StixObject.version if name == "modified" else StixObject.date_added
    stmt = select(StixObject.id, key).where(*where)
    if q.cursor:
        value, last_id = decode(q.cursor, q.sort, name == "date_added", MAX_ID)
        ahead = (key < value, StixObject.id < last_id) if descending else (key > value, StixObject.id > last_id)
        stmt = stmt.where(or_(ahead[0], and_(key == value, ahead[1])))
    order = (key.desc(), StixObject.id.desc()) if descending else (key.asc(), StixObject.id.asc())
    rows = session.execute(stmt.order_by(*order).limit(q.limit + 1)).all()
    page = rows[:q.limit]
    next_cursor = encode(q.sort, page[-1][1], page[-1][0]) if len(rows) > q.limit else None
    aliases = {c.id: c.alias for c in collections}
    aggregations = {}
    for agg in q.aggregations:
        group = StixObject.type if agg == "type" else StixObject.collection_id
        counts = {(aliases[k] if agg == "collection" else k): n
                  for k, n in session.execute(select(group, func.count()).where(*where).group_by(group))}
        aggregations[agg] = dict(sorted(counts.items()))
    return SearchResult([row[0] for row in page], next_cursor, {}, aggregations)

"""Search over indicators on the database (SQLite, PostgreSQL), and what every backend shares.

An indicator is shown to an actor only through reports it may see (``ncert.access.scope``;
national staff see every value). Its dates are those the actor may know, as the indicator
page shows them (``indicator_profile``): national staff the national aggregate on Indicator,
anyone else the earliest first seen and latest last seen its visible carrying reports gave.
Sorting, date filters and the "over_time" buckets use those dates, so a hidden report
changes no id, order, count or bucket another organisation gets.

Values are found by indexed lookups only: an exact value by the unique (type, value) index,
a domain or URL prefix by a range on that index (a byte-order collation, as SQLite's and
the C.UTF-8 databases' order, keeps the range exactly the prefix), and a CIDR by
``ix_indicators_ip_from`` (``indicator_search.value_clause``). For national staff the rows
are Indicator's; for anyone else the visible carriers of the matching values, grouped by
value: a query without values reads every visible link.
"""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from urllib.parse import urlsplit

import orjson
from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.orm import Session

from ncert.access import scope
from ncert.actor import Actor
from ncert.errors import BadRequest
from ncert.models import Incident, IncidentIndicator, Indicator
from ncert.observables import IP_TYPES, guess, refang
from ncert.search.database import bucket
from ncert.search.query import IndicatorQuery, SearchResult
from ncert.services.indicator_search import value_clause, values_in

PREFIXED = ("domain-name", "url")  # types whose values a query value may start


def wanted(text: str | None) -> list[tuple[str, str, str]] | None:
    """(mode, type, value) of each value ``text`` names, mode "exact", "prefix" or "cidr";
    None without text, [] unless every word is a value (``indicator_search.values_in``: nothing matches).
    A URL typed without a path is the start of its host's URLs (normalising would add "/")."""
    if text is None or not text.strip():
        return None
    if not values_in(text):
        return []
    out = []
    for word in text.split():
        kind, value = guess(word)
        if kind == "url" and not urlsplit(refang(word)).path:
            value = value.removesuffix("/")
        mode = "prefix" if kind in PREFIXED else "cidr" if kind in IP_TYPES and "/" in value else "exact"
        out.append((mode, kind, value))
    return list(dict.fromkeys(out))


def after(prefix: str) -> str:
    """The least string greater than every string starting with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _value_match(values: list[tuple[str, str, str]]) -> ColumnElement[bool]:
    if not values:
        return false()
    arms = [and_(Indicator.type == kind, Indicator.value >= value, Indicator.value < after(value))
            for mode, kind, value in values if mode == "prefix"]
    others = [(kind, value) for mode, kind, value in values if mode != "prefix"]
    if others:
        arms.append(value_clause(others))
    return or_(*arms)


def facts(actor: Actor, where: list) -> Select:
    """(id, type, value, first_seen, last_seen) of the indicators ``actor`` may see among those
    ``where`` selects, with the dates the actor may know (see the module)."""
    if actor.is_national:
        return select(Indicator.id, Indicator.type, Indicator.value, Indicator.first_seen,
                      Indicator.last_seen).where(*where)
    carried = (select(IncidentIndicator.indicator_id.label("id"), Indicator.type, Indicator.value,
                      func.min(IncidentIndicator.first_seen).label("first_seen"),
                      func.max(IncidentIndicator.last_seen).label("last_seen"))
               .join(Indicator, Indicator.id == IncidentIndicator.indicator_id)
               .join(Incident, Incident.id == IncidentIndicator.incident_id)
               .where(*where)
               .group_by(IncidentIndicator.indicator_id, Indicator.type, Indicator.value))
    return scope(actor, carried)


def page_facts(session: Session, actor: Actor, ids: list[int]) -> dict[int, tuple]:
    """The facts of a page of indicator ids the actor may see (any backend's page)."""
    return {row.id: row for row in session.execute(facts(actor, [Indicator.id.in_(ids)]))} if ids else {}


def encode(sort: str, value, last_id: int) -> str:
    value = value.isoformat() if isinstance(value, datetime) else value
    return base64.urlsafe_b64encode(orjson.dumps([sort, value, last_id])).decode().rstrip("=")


def decode(cursor: str, sort: str, timed: bool, max_id: int = 2**31) -> tuple[datetime | str, int]:
    """(sort value, id) of a cursor of ``sort``, whose value is a time if ``timed``; a forged one
    (or an id a query cannot bind) is a 400."""
    try:
        cursor_sort, value, last_id = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if cursor_sort != sort or type(last_id) is not int or not 0 < last_id < max_id or type(value) is not str:
            raise ValueError(cursor)
        if timed:
            value = datetime.fromisoformat(value)
            if value.tzinfo is None:
                raise ValueError("naive")
            value = value.astimezone(timezone.utc)
    except (ValueError, TypeError, OverflowError):
        raise BadRequest("malformed cursor") from None
    return value, last_id


def search_indicators(session: Session, actor: Actor, q: IndicatorQuery) -> SearchResult:
    where = []
    values = wanted(q.text)
    if values is not None:
        where.append(_value_match(values))
    if q.type:
        where.append(Indicator.type.in_(q.type))
    known = facts(actor, where).subquery()
    dated = [cond for column, low, high in ((known.c.first_seen, q.first_seen_after, q.first_seen_before),
                                            (known.c.last_seen, q.last_seen_after, q.last_seen_before))
             for cond in ((column >= low) if low else None, (column <= high) if high else None) if cond is not None]
    name, descending = q.sort.lstrip("-"), q.sort.startswith("-")
    key = known.c.last_seen if name == "last_seen" else known.c.value
    stmt = select(known.c.id, key).where(*dated)
    if q.cursor:
        value, last_id = decode(q.cursor, q.sort, name == "last_seen")
        ahead = (key < value, known.c.id < last_id) if descending else (key > value, known.c.id > last_id)
        stmt = stmt.where(or_(ahead[0], and_(key == value, ahead[1])))
    order = (key.desc(), known.c.id.desc()) if descending else (key.asc(), known.c.id.asc())
    rows = session.execute(stmt.order_by(*order).limit(q.limit + 1)).all()
    page = rows[:q.limit]
    next_cursor = encode(q.sort, page[-1][1], page[-1][0]) if len(rows) > q.limit else None
    aggregations = {}
    for agg in q.aggregations:
        group = known.c.type if agg == "type" else bucket(session, known.c.last_seen, q.interval)
        counts = session.execute(select(group, func.count()).where(*dated).group_by(group)).all()
        aggregations[agg] = {str(k): n for k, n in sorted(counts, key=lambda row: row[0])}
    return SearchResult([row[0] for row in page], next_cursor, {}, aggregations)

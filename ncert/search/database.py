"""The search interface on the database's own text index (SQLite FTS5, PostgreSQL full text).

A page is the triage queue's page (``ncert.services.queue``): the same scoping,
filters, text match, keyset sort and cursor, so search and the queue cannot
disagree. Aggregations count the same scoped, filtered matches, all of them in one
statement that finds the matches once (``aggregate``); highlighting marks the
matched words of the page's rows.
"""

from __future__ import annotations

import html
import re

from sqlalchemy import String, cast, func, literal, literal_column, select, union_all
from sqlalchemy.orm import Session

from ncert.access import severity_column
from ncert.actor import Actor
from ncert.models import Incident
from ncert.search.query import SearchQuery, SearchResult
from ncert.search.text import terms
from ncert.services import queue

HIGHLIGHTED = ("title", "description")
_TOKEN = re.compile(r"\w+", re.UNICODE)


def search_incidents(session: Session, actor: Actor, query: SearchQuery) -> SearchResult:
    filters = queue_filter(query)
    page = queue.list_incidents(session, actor, filters, sort=query.sort, limit=query.limit, cursor=query.cursor)
    highlights = {}
    if query.highlight and query.text:
        words = terms(query.text)
        marked = {i.id: {f: highlight(getattr(i, f) or "", words) for f in HIGHLIGHTED} for i in page.items}
        # as Elasticsearch: only the fields a word matched, and only the rows with one
        highlights = {i: fields for i, fields in
                      ((i, {f: text for f, text in fields.items() if "<em>" in text}) for i, fields in marked.items())
                      if fields}
    aggregations = aggregate(session, actor, filters, query.aggregations, query.interval)
    return SearchResult([i.id for i in page.items], page.next_cursor, highlights, aggregations)


def queue_filter(query: SearchQuery) -> queue.QueueFilter:
    return queue.QueueFilter(
        status=query.status, sector=query.sector, severity=query.severity, category=query.category,
        tlp=query.tlp, reporter_org=query.org, q=query.text, reported_after=query.reported_after,
        reported_before=query.reported_before)


def aggregate(session: Session, actor: Actor, filters: queue.QueueFilter, names: tuple[str, ...],
              interval: str) -> dict[str, dict[str, int]]:
    """Per aggregation in ``names``, the counts of the visible incidents ``filters`` match per bucket, in
    one statement that finds the matches once. ``matched`` (a MATERIALIZED CTE) holds each match's id
    and the columns its buckets need, with scope and text match applied once; ``cells`` counts the
    matches grouped by every requested key at once (one pass, and as many rows as combinations occur,
    not as matches); each aggregation sums the cells (UNION ALL). Sectors count as the queue's sector
    filter finds them (``queue.sector_counting``)."""
    names = tuple(dict.fromkeys(names))
    if not names:
        return {}
    matched = queue.matching(session, actor, select(
        Incident.id, Incident.sector_id, Incident.reported_at, Incident.rsit_class,
        severity_column(actor).label("severity")), filters).cte("matched").prefix_with("MATERIALIZED")
    keys = {"over_time": bucket_start(session, matched.c.reported_at, interval), "sector": matched.c.sector_id,
            "category": matched.c.rsit_class, "severity": matched.c.severity}
    grouped = [keys[name].label(name) for name in names]
    cells = select(*grouped, func.count().label("n")).group_by(*grouped).cte("cells").prefix_with("MATERIALIZED")
    arms = []
    for name in names:
        if name == "sector":
            counted = queue.sector_counting(matched, (cells.c.sector, cells.c.n))
        else:
            key = iso_date(session, cells.c[name]) if name == "over_time" else cells.c[name]
            counted = select(cast(key, String).label("key"), func.sum(cells.c.n).label("n")).group_by(cells.c[name])
        arms.append(counted.add_columns(literal(name).label("name")))  # every key as text: one column for all
    found: dict[str, list[tuple]] = {name: [] for name in names}
    for key, n, name in session.execute(union_all(*arms)):
        found[name].append((int(key) if name == "severity" else key, int(n)))  # as their values sort
    return {name: {str(k): n for k, n in sorted(rows)} for name, rows in found.items()}


def bucket(session: Session, column, interval: str):
    """The ISO date of the first day of the UTC day, week (Monday) or month of the time ``column``."""
    return iso_date(session, bucket_start(session, column, interval))


def bucket_start(session: Session, column, interval: str):
    """The start of ``bucket``: a timestamp on PostgreSQL, already its ISO date on SQLite. Grouping by it
    and formatting each group (``iso_date``) spares PostgreSQL a to_char per row."""
    if session.get_bind().dialect.name == "sqlite":  # stored as naive UTC text
        if interval == "week":  # 'weekday 0' moves to the next Sunday (or stays), then back to its Monday
            return func.date(column, "weekday 0", "-6 days")
        return func.strftime("%Y-%m-01" if interval == "month" else "%Y-%m-%d", column)
    return func.date_trunc(literal_column(f"'{interval}'"), func.timezone("UTC", column))


def iso_date(session: Session, start):
    """A ``bucket_start`` as its ISO date."""
    if session.get_bind().dialect.name == "sqlite":
        return start
    return func.to_char(start, "YYYY-MM-DD")


def highlight(text: str, words: list[str]) -> str:
    """``text`` HTML-escaped, each word that starts with one of ``words`` (any case) in <em>…</em>."""
    prefixes = tuple(t.lower() for w in words for t in _TOKEN.findall(w))
    out, last = [], 0
    for token in _TOKEN.finditer(text):
        if token.group().lower().startswith(prefixes):
            out += [escape(text[last:token.start()]), "<em>", escape(token.group()), "</em>"]
            last = token.end()
    out.append(escape(text[last:]))
    return "".join(out)


def escape(text: str) -> str:
    """As Elasticsearch's ``html`` highlight encoder (Lucene's SimpleHTMLEncoder): & < > " ' and /."""
    return html.escape(text).replace("/", "&#x2F;")

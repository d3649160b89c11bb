"""The search interface on the database's own text index (SQLite FTS5, PostgreSQL full text).

A page is the triage queue's page (``ncert.services.queue``): the same scoping,
filters, text match, keyset sort and cursor, so search and the queue cannot
disagree. Aggregations group the same scoped, filtered statement; highlighting
marks the matched words of the page's rows.
"""

from __future__ import annotations

import html
import re

from sqlalchemy import func, literal_column, select
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
    aggregations = {name: aggregate(session, actor, filters, name, query.interval) for name in query.aggregations}
    return SearchResult([i.id for i in page.items], page.next_cursor, highlights, aggregations)


def queue_filter(query: SearchQuery) -> queue.QueueFilter:
    return queue.QueueFilter(
        status=query.status, sector=query.sector, severity=query.severity, category=query.category,
        tlp=query.tlp, reporter_org=query.org, q=query.text, reported_after=query.reported_after,
        reported_before=query.reported_before)


def aggregate(session: Session, actor: Actor, filters: queue.QueueFilter, name: str, interval: str) -> dict[str, int]:
    """Counts of the visible incidents ``filters`` match, per bucket of ``name``."""
    if name == "sector":  # reporting and affected sectors, as the queue's sector filter (queue.in_sectors)
        return queue.sector_counts(session, actor, filters)
    key = {"category": lambda: Incident.rsit_class, "severity": lambda: severity_column(actor),
           "over_time": lambda: bucket(session, Incident.reported_at, interval)}[name]()
    stmt = select(key, func.count()).select_from(Incident)
    rows = session.execute(queue.matching(session, actor, stmt, filters).group_by(key)).all()
    return {str(k): n for k, n in sorted(rows, key=lambda row: row[0])}


def bucket(session: Session, column, interval: str):
    """The ISO date of the first day of the UTC day, week (Monday) or month of the time ``column``."""
    if session.get_bind().dialect.name == "sqlite":  # stored as naive UTC text
        if interval == "week":  # 'weekday 0' moves to the next Sunday (or stays), then back to its Monday
            return func.date(column, "weekday 0", "-6 days")
        return func.strftime("%Y-%m-01" if interval == "month" else "%Y-%m-%d", column)
    utc = func.timezone("UTC", column)
    return func.to_char(func.date_trunc(literal_column(f"'{interval}'"), utc), "YYYY-MM-DD")


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

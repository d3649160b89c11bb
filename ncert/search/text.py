"""The database's own text match of incidents (``ncert.search``'s SQL backends).

``incident_text_filter(session, text)`` returns a WHERE clause matching
incidents whose reference, title or description contain the words of
``text``. SQLite uses an FTS5 index kept by triggers; PostgreSQL a GIN index
on a ``simple`` tsvector (both created by the migrations).

A page of results must cost a page, whatever the word. A rare word is found
through the text index (its few matches are then sorted). A common one (more
than ``COMMON_MATCHES`` matches, counted with a bounded probe) is checked row
by row while the query walks its sort index, so it stops at the page size
instead of collecting and sorting every match.
"""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, bindparam, column, exists, func, literal_column, or_, select, table, true
from sqlalchemy.orm import Session

from ncert.models import Incident

_WORD = re.compile(r"\w[\w.@:/-]*", re.UNICODE)
MAX_TERMS = 16
COMMON_MATCHES = 2000  # above this, a page found by walking the sort index reads ≤ ~1M/2000 × page rows

_fts = table("incidents_fts", column("rowid"))


def terms(text: str) -> list[str]:
    return _WORD.findall(text)[:MAX_TERMS]


def incident_text_filter(session: Session, text: str, *, ordered_by=None) -> ColumnElement[bool]:
    """The match of ``text``; ``ordered_by`` (the sort column of a paged query) lets a
    common word be checked per row along that column's index."""
    words = terms(text)
    if not words:
        return true()
    dialect = session.get_bind().dialect.name
    walk = ordered_by is not None and is_common(session, dialect, words)
    if dialect == "sqlite":
        if walk:  # FTS5 answers MATCH with rowid = ? by seeking that row's entry
            return exists(select(_fts.c.rowid).where(_sqlite_match(words), _fts.c.rowid == Incident.id))
        return Incident.id.in_(select(_fts.c.rowid).where(_sqlite_match(words)))
    if dialect == "postgresql":
        return or_(_pg_match(words, indexed=not walk), Incident.reference == words[0].upper())
    raise NotImplementedError(f"no incident search for the {dialect} dialect")


def is_common(session: Session, dialect: str, words: list[str]) -> bool:
    """Whether ``words`` match more than COMMON_MATCHES incidents, reading at most one more match."""
    if dialect == "sqlite":
        probe = select(_fts.c.rowid).where(_sqlite_match(words))
    else:
        probe = select(Incident.id).where(_pg_match(words, indexed=True))
    found = select(func.count()).select_from(probe.limit(COMMON_MATCHES + 1).subquery())
    return session.scalar(found) > COMMON_MATCHES


def _sqlite_match(words: list[str]) -> ColumnElement[bool]:
    # Each word quoted (so FTS5 operators in user input are inert) and prefix-matched; words are ANDed.
    query = " ".join('"' + w.replace('"', '""') + '"*' for w in words)
    return literal_column("incidents_fts").op("MATCH")(bindparam("fts_q", query, unique=True))


def _pg_match(words: list[str], *, indexed: bool) -> ColumnElement[bool]:
    """The tsvector match; ``indexed=False`` spells the document so that it is not the GIN
    index's expression, which leaves the planner the sort index to walk."""
    text = func.coalesce(Incident.title, "") + " " + func.coalesce(Incident.description, "")
    if not indexed:
        text = func.concat(text, "")
    document = func.to_tsvector(literal_column("'simple'"), text)
    lexemes = bindparam("ts_q", " & ".join(_pg_term(w) for w in words), unique=True)
    query = func.to_tsquery(literal_column("'simple'"), lexemes)
    return document.op("@@")(query)


def _pg_term(word: str) -> str:
    """A tsquery lexeme with prefix match; quotes keep operators inert."""
    return "'" + word.lower().replace("'", "''").replace("\\", "\\\\") + "':*"

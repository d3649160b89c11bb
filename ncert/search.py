"""Full-text search over incidents, behind one interface per backend.

``incident_text_filter(dialect, text)`` returns a WHERE clause matching
incidents whose reference, title or description contain the words of
``text``. SQLite uses an FTS5 index kept by triggers; PostgreSQL a GIN index
on a ``simple`` tsvector (both created by the migrations). Elasticsearch plugs
in here later through the same function.
"""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, bindparam, column, func, literal_column, or_, select, table, true

from ncert.models import Incident

_WORD = re.compile(r"\w[\w.@:/-]*", re.UNICODE)
MAX_TERMS = 16

_fts = table("incidents_fts", column("rowid"))


def terms(text: str) -> list[str]:
    return _WORD.findall(text)[:MAX_TERMS]


def incident_text_filter(dialect: str, text: str) -> ColumnElement[bool]:
    words = terms(text)
    if not words:
        return true()
    if dialect == "sqlite":
        # Each word quoted (so FTS5 operators in user input are inert) and
        # prefix-matched; words are ANDed.
        query = " ".join('"' + w.replace('"', '""') + '"*' for w in words)
        match = select(_fts.c.rowid).where(literal_column("incidents_fts").op("MATCH")(bindparam("fts_q", query)))
        return Incident.id.in_(match)
    if dialect == "postgresql":
        document = func.to_tsvector(
            literal_column("'simple'"),
            func.coalesce(Incident.title, "") + " " + func.coalesce(Incident.description, ""),
        )
        query = func.to_tsquery(literal_column("'simple'"), bindparam("ts_q", " & ".join(_pg_term(w) for w in words)))
        ref = words[0].upper()
        return or_(document.op("@@")(query), Incident.reference == ref)
    raise NotImplementedError(f"no incident search for the {dialect} dialect")


def _pg_term(word: str) -> str:
    """A tsquery lexeme with prefix match; quotes keep operators inert."""
    return "'" + word.lower().replace("'", "''").replace("\\", "\\\\") + "':*"

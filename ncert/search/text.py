"""The database's own text match of incidents (``ncert.search``'s SQL backends).

``incident_text_filter(session, text)`` returns a WHERE clause matching
incidents whose reference, title or description contain the words of
``text``. SQLite uses an FTS5 index kept by triggers; PostgreSQL a GIN index
on a ``simple`` tsvector (both created by the migrations).

A page of results must cost a page, whatever the word. A rare word is found
through the text index (its few matches are then sorted; on PostgreSQL their ids
are read first, so the planner cannot walk the sort index for them). A common one (more
than ``COMMON_MATCHES`` matches, counted with a bounded probe) is checked row
by row while the query walks its sort index, so it stops at the page size
instead of collecting and sorting every match.

On SQLite the row-by-row check of a prefix query ("phish"*) re-reads the doclists of
every term with that prefix at each row: 3 ms a row, a second for a page of a word
in a sixth of a million reports. The walk therefore asks for the prefix's terms
themselves ("phishing" OR "phishings"), read once from the index's vocabulary
(``incidents_fts_vocab``, an fts5vocab table: https://sqlite.org/fts5.html#the_fts5vocab_virtual_table_module),
which FTS5 seeks per row (0.07 ms). A word the tokenizer would fold beyond lower case
(non-ASCII letters, punctuation inside) or a prefix of more than ``MAX_EXPANSION``
terms keeps the prefix query.
"""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, bindparam, column, exists, func, literal_column, or_, select, table, true
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from ncert.models import Incident

_WORD = re.compile(r"\w[\w.@:/-]*", re.UNICODE)
MAX_TERMS = 16
COMMON_MATCHES = 2000  # above this, a page found by walking the sort index reads ≤ ~1M/2000 × page rows
MAX_EXPANSION = 64  # terms a walked prefix may stand for; beyond, the prefix query itself
_PLAIN = re.compile(r"[a-z0-9]+")  # one token the unicode61 tokenizer only lower-cases

_fts = table("incidents_fts", column("rowid"))
_vocab = table("incidents_fts_vocab", column("term"))


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
            match = _sqlite_match(words, _expansions(session, words))
            return exists(select(_fts.c.rowid).where(match, _fts.c.rowid == Incident.id))
        return Incident.id.in_(select(_fts.c.rowid).where(_sqlite_match(words)))
    if dialect == "postgresql":
        match = or_(_pg_match(words, indexed=not walk), Incident.reference == words[0].upper())
        if walk or ordered_by is None:
            return match
        # A rare word's few matches, read through the GIN index before the page query: given the
        # clause itself, the planner may walk the sort index instead, expecting a prefix query to
        # match its default share of rows, and tokenise every row of a word that matches none
        # (13 s at a million incidents, measured for issue 15).
        return Incident.id.in_(session.scalars(select(Incident.id).where(match)).all())
    raise NotImplementedError(f"no incident search for the {dialect} dialect")


def is_common(session: Session, dialect: str, words: list[str]) -> bool:
    """Whether ``words`` match more than COMMON_MATCHES incidents, reading at most one more match."""
    if dialect == "sqlite":
        probe = select(_fts.c.rowid).where(_sqlite_match(words))
    else:
        probe = select(Incident.id).where(_pg_match(words, indexed=True))
        if _pg_estimate(session, probe) > COMMON_MATCHES:
            return True
    found = select(func.count()).select_from(probe.limit(COMMON_MATCHES + 1).subquery())
    return session.scalar(found) > COMMON_MATCHES


def _pg_estimate(session: Session, stmt) -> float:
    """PostgreSQL's own estimate of the rows ``stmt`` returns. Counting a common word's first
    matches made PostgreSQL tokenise row after row (389 ms for 'phishing' at a million incidents);
    ANALYZE keeps the text index's most common lexemes and their frequencies (``most_common_elems``,
    https://www.postgresql.org/docs/current/view-pg-stats.html), from which the planner estimates
    a frequent word closely (156,018 against 159,508 for 'phishing'), so a word it calls common is
    taken as common, and only one it calls rare is counted."""
    sql = str(stmt.compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}))
    plan = session.execute(sql_text("EXPLAIN (FORMAT JSON) " + sql)).scalar_one()
    return float(plan[0]["Plan"]["Plan Rows"])


def _sqlite_match(words: list[str], expanded: dict[str, list[str]] | None = None) -> ColumnElement[bool]:
    """Each word quoted (so FTS5 operators in user input are inert) and prefix-matched, or
    spelled as the terms ``expanded`` gives for it; words are ANDed."""
    return literal_column("incidents_fts").op("MATCH")(bindparam("fts_q", fts5_query(words, expanded), unique=True))


def fts5_query(words: list[str], expanded: dict[str, list[str]] | None = None) -> str:
    """The FTS5 query of ``_sqlite_match``."""
    expanded = expanded or {}

    def quoted(w: str) -> str:
        return '"' + w.replace('"', '""') + '"'

    return " ".join("(" + " OR ".join(map(quoted, expanded[w])) + ")" if expanded.get(w) else quoted(w) + "*"
                    for w in words)


def _expansions(session: Session, words: list[str]) -> dict[str, list[str]]:
    """The indexed terms each plain word is a prefix of, when there are at most MAX_EXPANSION."""
    out = {}
    for word in words:
        folded = word.lower()
        if not _PLAIN.fullmatch(folded):
            continue
        after = folded[:-1] + chr(ord(folded[-1]) + 1)
        found = session.scalars(select(_vocab.c.term).where(_vocab.c.term >= folded, _vocab.c.term < after)
                                .limit(MAX_EXPANSION + 1)).all()
        if 0 < len(found) <= MAX_EXPANSION:
            out[word] = list(found)
    return out


def _pg_match(words: list[str], *, indexed: bool) -> ColumnElement[bool]:
    """The tsvector match; ``indexed=False`` spells the document so that it is not the GIN
    index's expression, which leaves the planner the sort index to walk."""
    text = func.coalesce(Incident.title, "") + " " + func.coalesce(Incident.description, "")
    if not indexed:
        text = func.concat(text, "")
    document = func.to_tsvector(literal_column("'simple'"), text)
    lexemes = bindparam("ts_q", tsquery(words), unique=True)
    query = func.to_tsquery(literal_column("'simple'"), lexemes)
    return document.op("@@")(query)


def tsquery(words: list[str]) -> str:
    """Every word as a prefix lexeme, ANDed (``to_tsquery``'s text)."""
    return " & ".join(_pg_term(w) for w in words)


def _pg_term(word: str) -> str:
    """A tsquery lexeme with prefix match; quotes keep operators inert."""
    return "'" + word.lower().replace("'", "''").replace("\\", "\\\\") + "':*"

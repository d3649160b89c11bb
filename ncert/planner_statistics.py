"""Planner statistics kept fresh, so the query planner picks the indexes the queue,
search and counts were shaped for instead of guessing (issue 15).

SQLite (https://sqlite.org/pragma.html#pragma_optimize, /lang_analyze.html): a
long-running process runs ``PRAGMA optimize=0x10002`` periodically (0x10000: every
table, not only those this connection used; it analyses only tables whose size
changed a lot); after bulk work and migrations, ``ANALYZE``. Both read whole indexes
(``PRAGMA analysis_limit=0``): with a limit SQLite 3.40 reads the first N entries of
each index, so an index on a column of few values (tlp, status) was described as
holding N rows per value; at a million incidents that made an analyst's queue page
merge two indexes and sort 500,000 rows (85 ms against 1 ms) and a common-word search
never finish. A full ANALYZE of the million-incident database takes about 7 s.
PostgreSQL: ``ANALYZE`` samples every table
(https://www.postgresql.org/docs/current/sql-analyze.html); after bulk work ``VACUUM
ANALYZE``, which also marks the pages index-only scans may trust
(https://www.postgresql.org/docs/current/routine-vacuuming.html#VACUUM-FOR-VISIBILITY-MAP).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine


def refresh(engine: Engine, *, after_bulk: bool = False) -> None:
    """Bring the statistics up to date: a full ANALYZE after bulk work (and VACUUM on
    PostgreSQL), otherwise whatever SQLite's optimize judges stale; PostgreSQL always analyses."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("PRAGMA analysis_limit=0"))
            conn.execute(text("ANALYZE" if after_bulk else "PRAGMA optimize=0x10002"))
        else:
            conn.execute(text("VACUUM ANALYZE" if after_bulk else "ANALYZE"))

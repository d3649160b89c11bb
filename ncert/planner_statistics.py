"""Planner statistics kept fresh, so the query planner picks the indexes the queue,
search and counts were shaped for instead of guessing (issue 15).

SQLite (https://sqlite.org/pragma.html#pragma_optimize, /lang_analyze.html): a
long-running process runs ``PRAGMA optimize=0x10002`` periodically (0x10000: every
table, not only those this connection used; it analyses only tables whose size
changed a lot); after bulk loading, ``ANALYZE``. ``PRAGMA analysis_limit`` makes
ANALYZE sample each index instead of reading all of it, which keeps a run on a
multi-gigabyte file to seconds. PostgreSQL: ``ANALYZE`` samples every table
(https://www.postgresql.org/docs/current/sql-analyze.html).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine

SQLITE_ANALYSIS_LIMIT = 1000  # rows sampled per index; the SQLite docs suggest 100 to 1000


def refresh(engine: Engine, *, after_bulk: bool = False) -> None:
    """Bring the statistics up to date: a full (sampled) ANALYZE after bulk work, otherwise
    whatever SQLite's optimize judges stale; PostgreSQL always analyses."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}"))
            conn.execute(text("ANALYZE" if after_bulk else "PRAGMA optimize=0x10002"))
        else:
            conn.execute(text("ANALYZE"))
        conn.commit()

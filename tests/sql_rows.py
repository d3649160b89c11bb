"""How much a piece of code reads from the database, measured in rows, not time.

``Statements(engine)`` records every SELECT the code runs (through SQLAlchemy's
``before_cursor_execute`` event) with its parameters; ``rows()`` then runs each
one again on its own connection and says how many rows it returned, and
``plan()`` asks the engine how it would run one (SQLite's EXPLAIN QUERY PLAN,
PostgreSQL's EXPLAIN).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import event
from sqlalchemy.engine import Engine


@dataclass
class Statements:
    engine: Engine
    seen: list[tuple[str, object]] = field(default_factory=list)

    @contextmanager
    def recording(self):
        def record(conn, cursor, statement, parameters, context, executemany):
            if statement.lstrip().upper().startswith(("SELECT", "WITH")):
                self.seen.append((statement, parameters))

        event.listen(self.engine, "before_cursor_execute", record)
        try:
            yield self
        finally:
            event.remove(self.engine, "before_cursor_execute", record)

    def rows(self) -> list[int]:
        """Rows each recorded SELECT returns, run again now."""
        with self.engine.connect() as conn:
            return [len(conn.exec_driver_sql(sql, params).all()) for sql, params in self.seen]

    def plan(self, index: int, *settings: str) -> str:
        """The engine's plan for the ``index``-th SELECT, as text; ``settings`` are PostgreSQL SETs."""
        sql, params = self.seen[index]
        with self.engine.connect() as conn:
            if self.engine.dialect.name == "sqlite":
                return "\n".join(row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params))
            for setting in settings:
                conn.exec_driver_sql(f"SET LOCAL {setting}")
            return "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + sql, params))

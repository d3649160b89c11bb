"""Schema management: Alembic migrations, run programmatically.

``ncert init`` and the test fixtures call ``upgrade``; operators can also run
``alembic`` against ``ncert/migrations`` directly. Features developed side by
side may add migrations on parallel branches; ``upgrade`` applies every head.

Every ``upgrade`` runs in one transaction on both backends, so a migration that fails
leaves the schema as it was. PostgreSQL's DDL is transactional as it stands; pysqlite
(before Python 3.12) begins a transaction only before INSERT, UPDATE and DELETE and runs
DDL in autocommit, so on SQLite the connection's own transaction handling is turned off
and ``upgrade`` begins and ends the transaction itself (the recipe of SQLAlchemy's
"Serializable isolation / Savepoints / Transactional DDL" notes for pysqlite).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "heads") -> None:
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with _transactional_ddl(engine) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


@contextmanager
def _transactional_ddl(engine: Engine):
    """A connection in one transaction that DDL statements join, committed on success."""
    with engine.connect() as conn:
        if engine.dialect.name != "sqlite":
            with conn.begin():
                yield conn
            return
        driver = conn.connection.driver_connection
        driver.isolation_level = None  # pysqlite leaves BEGIN and COMMIT to us
        try:
            with conn.begin():
                conn.exec_driver_sql("BEGIN")
                yield conn
        finally:
            driver.isolation_level = ""

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

A PostgreSQL database must compare text byte by byte (a ``C``, ``POSIX`` or ``C.UTF-8``
collation, SQLite's own order): the indicator search finds a domain or URL prefix by a
range on the (type, value) index, which a linguistic collation such as ``en_US.UTF-8``
(the official PostgreSQL image's default) orders otherwise, so the range would return
values that do not start with the prefix and miss some that do. ``upgrade`` refuses
such a database rather than let searches answer wrongly.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Engine
from sqlalchemy.types import Text

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


class UnsupportedDatabase(RuntimeError):
    """A database ncert cannot answer correctly on."""


# Strings a byte-order collation sorts as listed and linguistic ones do not (capitals after lower
# case, punctuation ignored or weighed after letters, accents beside their letter).
_BYTE_ORDER = ("B", "a", "a-c", "a.b", "ab", "é")


def text_sorts_bytewise(conn: Connection, collation: str | None = None) -> bool:
    """Whether PostgreSQL orders text byte by byte under the database's collation (or ``collation``)."""
    order = f' COLLATE "{collation}"' if collation else ""
    probe = text(f"SELECT v FROM unnest(:probe) AS t(v) ORDER BY v{order}").bindparams(
        bindparam("probe", list(_BYTE_ORDER), type_=ARRAY(Text)))
    return tuple(conn.execute(probe).scalars()) == _BYTE_ORDER


def upgrade(engine: Engine, revision: str = "heads") -> None:
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with _transactional_ddl(engine) as conn:
        if engine.dialect.name == "postgresql" and not text_sorts_bytewise(conn):
            raise UnsupportedDatabase(
                "the PostgreSQL database must compare text byte by byte (collation C or C.UTF-8): indicator "
                "prefix search relies on it; create it with: CREATE DATABASE ... TEMPLATE template0 "
                "LOCALE 'C.UTF-8' (or initdb --locale=C.UTF-8)")
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

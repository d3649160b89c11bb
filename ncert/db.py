"""Engine, sessions and the column types shared by every model.

The same code runs on SQLite (embedded default) and PostgreSQL; nothing here
or in the models may rely on one dialect's SQL.
"""

from __future__ import annotations

import enum
import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    DateTime,
    MetaData,
    String,
    and_,
    create_engine,
    event,
    false,
    or_,
    text,
    update,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every dialect.

    SQLite keeps no offset, so values are normalised to UTC on the way in and
    marked UTC on the way out. Naive datetimes are refused: they are a bug.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; ncert stores UTC-aware timestamps only")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class EnumText(TypeDecorator):
    """A StrEnum stored as its value in a plain string column (no native enums,
    so adding a member never needs a migration on PostgreSQL)."""

    impl = String
    cache_ok = True

    def __init__(self, enum_cls: type[enum.StrEnum], length: int = 32):
        super().__init__(length)
        self.enum_cls = enum_cls

    def process_bind_param(self, value, dialect):
        return None if value is None else self.enum_cls(value).value

    def process_result_value(self, value, dialect):
        return None if value is None else self.enum_cls(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict: JSON, list: JSON}


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
    engine = create_engine(url, future=True, **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            # 64 MiB of page cache (the default is 2 MiB): bulk intake inserts into
            # indexes keyed by random UUIDs, which thrash a small cache.
            cur.execute("PRAGMA cache_size=-65536")
            cur.close()

    return engine


def private_path(path: Path, mode: int) -> None:
    """Give ``path`` (ours) owner-only ``mode``; a path another user owns is left as its owner set it."""
    if path.exists() and path.stat().st_uid == os.getuid():
        path.chmod(mode)


def private_sqlite_file(url: str) -> None:
    """Create a SQLite database file readable and writable by its owner only (0600), or tighten it.

    SQLite creates the -wal and -shm files with the database file's permissions
    (https://www.sqlite.org/tempfiles.html, "WAL files"; os_unix.c findCreateFileMode).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:") \
            or parsed.query.get("uri") or parsed.database.startswith("file:"):
        return
    path = Path(parsed.database)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    private_path(path, 0o600)


def make_session_factory(engine: Engine, info: dict | None = None) -> sessionmaker[Session]:
    """Sessions on ``engine``; ``info`` is copied into each one's ``Session.info``."""
    return sessionmaker(bind=engine, expire_on_commit=False, future=True, info=info or {})


def bulk_insert(session: Session, table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """INSERT many rows through the driver's executemany, skipping SQLAlchemy's
    per-row parameter processing: the hot path of bulk STIX intake.

    Values must already be plain: str, int, bool, None, or aware datetimes
    (written as SQLite's DATETIME text in UTC, passed as they are to PostgreSQL);
    a column holds datetimes in every row if it does in the first.
    """
    if not rows:
        return
    conn = session.connection()
    dialect = conn.dialect.name
    marker = "?" if dialect == "sqlite" else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([marker] * len(columns))})"
    if dialect == "sqlite":
        times = [i for i, value in enumerate(rows[0]) if isinstance(value, datetime)]
        if times:
            rows = [list(row) for row in rows]
            for row in rows:
                for i in times:
                    row[i] = sqlite_datetime(row[i])
    conn.exec_driver_sql(sql, [tuple(row) for row in rows])


def copy_rows(conn: Connection, table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """PostgreSQL: stream ``rows`` into ``table`` through one COPY (psycopg 3 ``Cursor.copy``), where
    executemany sends a statement per row and a multi-row INSERT makes the driver parse a statement
    as long as the rows (each took about a third of a bulk load's time, issue 15)."""
    with conn.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def keys_in(columns: Sequence[Any], keys: Iterable[tuple]) -> ColumnElement[bool]:
    """``tuple_(*columns).in_(keys)`` as an OR of "leading columns equal AND last column IN (...)",
    one arm per distinct leading part. SQLite 3.40 answers a row-value IN list by scanning the whole
    table (``SCAN indicators``), but searches the unique index for each arm of this form
    (``MULTI-INDEX OR``); PostgreSQL uses its index for either."""
    groups: dict[tuple, list] = defaultdict(list)
    for key in keys:
        groups[tuple(key[:-1])].append(key[-1])
    arms = [and_(*(c == v for c, v in zip(columns[:-1], lead, strict=True)), columns[-1].in_(last))
            for lead, last in groups.items()]
    return or_(*arms) if arms else false()


@contextmanager
def insert_trigger_suspended(session: Session, trigger: str) -> Iterator[bool]:
    """On SQLite, the insert trigger ``trigger`` dropped for the block and re-created from its own
    stored SQL, inside the caller's transaction (no other connection ever sees it missing, and a
    rollback restores it); yields whether it was, so the block indexes its rows itself. Elsewhere
    yields False and changes nothing.

    SQLite 3.40's FTS5 writes its pending terms to disk at every statement savepoint, and each row's
    trigger firing is one: inserting 2,000 incidents into a 230,000-incident table took 5.4 s through
    the trigger and 0.24 s rows-then-index (measured for issue 15), and 20,000 STIX objects into a
    collection of millions took 13 s through the trigger (issue 12)."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        yield False
        return
    driver = conn.connection.driver_connection
    if not driver.in_transaction:
        # pysqlite (before Python 3.12) begins a transaction only before INSERT, UPDATE or DELETE: the
        # DROP below would commit on its own, and a SAVEPOINT the block takes first would commit at
        # its RELEASE. Begin it here, so the whole block stays the caller's to commit or roll back.
        # IMMEDIATE: a deferred transaction that reads (the trigger's SQL below) and then writes cannot
        # wait for the write lock: in WAL mode, once another writer has committed since its read, the
        # write fails at once with SQLITE_BUSY (https://www.sqlite.org/lang_transaction.html,
        # https://www.sqlite.org/wal.html "sometimes queries return SQLITE_BUSY"), which a loaded
        # server hit on every retry of a TAXII push. Taking the lock first waits on the busy timeout.
        driver.execute("BEGIN IMMEDIATE")
    sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :n"),
                       {"n": trigger}).scalar_one()
    conn.execute(text(f"DROP TRIGGER {trigger}"))  # also takes the database's write lock
    try:
        yield True
    finally:
        conn.execute(text(sql))


def next_in_year(session: Session, counter, year: int) -> int:
    """The next number of ``year`` from ``counter`` (a model with ``year`` and ``value``), bumped in the
    caller's transaction: the UPDATE takes the counter row's lock (PostgreSQL) or the database's write
    lock (SQLite, whose driver begins the transaction before it, so no earlier read is stale), so a
    second writer waits for the first to commit and then takes the number after it. Unique, and with
    no gap but a number taken by a transaction that rolled back (it is taken again)."""
    stmt = update(counter).where(counter.year == year).values(value=counter.value + 1).returning(counter.value)
    value = session.scalar(stmt)
    if value is None:
        try:
            with session.begin_nested():
                session.add(counter(year=year, value=1))
            value = 1
        except IntegrityError:  # another transaction made this year's counter first
            value = session.scalar(stmt)
    return value


def sqlite_datetime(value: datetime) -> str:
    """An aware datetime as the UTC text SQLite's DATETIME columns hold
    (isoformat is several times faster than strftime on the bulk path)."""
    if value.tzinfo is not timezone.utc:
        value = value.astimezone(timezone.utc)
    return value.isoformat(" ", "microseconds")[:26]


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back everything on error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()

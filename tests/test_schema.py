"""The migrations build exactly the schema the models declare, on each backend."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from ncert.db import Base
from ncert.schema import MIGRATIONS, UnsupportedDatabase, alembic_config, text_sorts_bytewise, upgrade

SEARCH_OBJECTS = ("incidents_fts", "ix_incidents_text", "stix_fts", "ix_stix_objects_text")


def _modelled(obj, name, type_, reflected, compare_to) -> bool:
    """Full-text search lives beside the models (``ncert.search``): its FTS5 tables
    and its expression index are made by the migrations alone."""
    return not (name or "").startswith(SEARCH_OBJECTS)


def test_migrations_match_the_models(runtime):
    with runtime.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": _modelled})
        assert compare_metadata(context, Base.metadata) == []


def test_the_migrations_have_one_head(runtime):
    script = ScriptDirectory.from_config(alembic_config(runtime.settings.database_url))
    assert script.get_heads() == [script.get_current_head()], f"unmerged heads in {MIGRATIONS}"


def test_a_failing_migration_leaves_the_schema_as_it_was(runtime):
    """Migration 0012c adds columns and indexes, then a table that is here already: it fails, and
    nothing of it (nor of any migration applied with it) stays, on SQLite as on PostgreSQL."""
    engine = runtime.engine
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0012c-1")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE saved_filters (id INTEGER PRIMARY KEY)"))
    before = _schema(engine)
    try:
        with pytest.raises(DBAPIError):
            upgrade(engine)
        assert _schema(engine) == before
        assert "active" not in before["organizations"]
    finally:  # the PostgreSQL database is the session's: leave it migrated
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE saved_filters"))
        upgrade(engine)


def _schema(engine) -> dict:
    """Every table's columns and indexes, and the applied revisions."""
    found = inspect(engine)
    tables = {t: sorted(c["name"] for c in found.get_columns(t)) + sorted(i["name"] for i in found.get_indexes(t))
              for t in found.get_table_names()}
    with engine.connect() as conn:
        tables["revisions"] = sorted(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    return tables


def test_a_postgresql_database_that_sorts_text_linguistically_is_refused(runtime, monkeypatch):
    """Under a linguistic collation the indicator prefix ranges would answer wrongly: the test
    database's own collation sorts byte by byte, ICU's English one does not, and ``upgrade``
    refuses a database whose order is not bytewise before it migrates anything."""
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite compares text byte by byte")
    import ncert.schema

    with runtime.engine.connect() as conn:
        assert text_sorts_bytewise(conn)
        assert not text_sorts_bytewise(conn, "en-x-icu")
    monkeypatch.setattr(ncert.schema, "text_sorts_bytewise", lambda conn: text_sorts_bytewise(conn, "en-x-icu"))
    with pytest.raises(UnsupportedDatabase, match="byte by byte"):
        upgrade(runtime.engine)

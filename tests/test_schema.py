"""The migrations build exactly the schema the models declare, on each backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from ncert.db import Base
from ncert.schema import MIGRATIONS, alembic_config

SEARCH_OBJECTS = ("incidents_fts", "ix_incidents_text")


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

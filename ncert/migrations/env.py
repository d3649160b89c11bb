"""Alembic environment: runs on the connection ncert hands it (see ncert.schema)."""

from alembic import context

import ncert.models  # noqa: F401  (registers every table on the metadata)
from ncert.db import Base

config = context.config
target_metadata = Base.metadata


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Leave the FTS5 shadow tables (made by hand in 0001) out of autogenerate."""
    return not (type_ == "table" and name.startswith("incidents_fts"))


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from ncert.db import make_engine

        with make_engine(config.get_main_option("sqlalchemy.url")).connect() as conn:
            _run(conn)
    else:
        _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()

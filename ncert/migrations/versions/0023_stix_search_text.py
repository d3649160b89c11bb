"""STIX objects' name and pattern as searchable text (``ncert.search.stix``): a column filled on
intake, an external-content FTS5 table kept by triggers on SQLite, a GIN index on PostgreSQL.

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-28
"""

import json

import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

TRIGGERS = ("stix_fts_insert", "stix_fts_delete", "stix_fts_update")
BATCH = 5000


def _search_text(body: str) -> str:
    """As ``ncert.services.taxii.search_text`` (a migration keeps its own copy)."""
    raw = json.loads(body)
    return " ".join(v for v in (raw.get("name"), raw.get("pattern")) if isinstance(v, str)).replace("\x00", "")


def _fill() -> None:
    """Every stored object's text, a batch at a time by id."""
    conn, last = op.get_bind(), 0
    while rows := conn.execute(sa.text("SELECT id, body FROM stix_objects WHERE id > :last ORDER BY id LIMIT :n"),
                               {"last": last, "n": BATCH}).all():
        filled = [{"id": row_id, "text": _search_text(body)} for row_id, body in rows]
        if any(row["text"] for row in filled):
            conn.execute(sa.text("UPDATE stix_objects SET search_text = :text WHERE id = :id"),
                         [row for row in filled if row["text"]])
        last = rows[-1][0]


def upgrade() -> None:
    op.add_column('stix_objects', sa.Column('search_text', sa.Text(), server_default='', nullable=False))
    _fill()
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE stix_fts USING fts5(search_text, content='stix_objects', "
                   "content_rowid='id', tokenize='unicode61 remove_diacritics 2')")
        op.execute("CREATE TRIGGER stix_fts_insert AFTER INSERT ON stix_objects BEGIN "
                   "INSERT INTO stix_fts(rowid, search_text) VALUES (new.id, new.search_text); END")
        op.execute("CREATE TRIGGER stix_fts_delete AFTER DELETE ON stix_objects BEGIN "
                   "INSERT INTO stix_fts(stix_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); END")
        op.execute("CREATE TRIGGER stix_fts_update AFTER UPDATE OF search_text ON stix_objects BEGIN "
                   "INSERT INTO stix_fts(stix_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
                   "INSERT INTO stix_fts(rowid, search_text) VALUES (new.id, new.search_text); END")
        op.execute("INSERT INTO stix_fts(stix_fts) VALUES ('rebuild')")
    else:
        op.execute("CREATE INDEX ix_stix_objects_text ON stix_objects USING gin (to_tsvector('simple', search_text))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS stix_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_stix_objects_text")
    op.drop_column('stix_objects', 'search_text')

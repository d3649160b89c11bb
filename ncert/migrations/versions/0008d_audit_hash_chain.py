"""A hash chain over the audit log, and the chain head writers lock to extend it.

The rows already written are chained here, in id order: the append-only
triggers are lifted for that one UPDATE pass and put back.

Revision ID: 0008d
Revises: 0007b
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = '0008d'
down_revision = '0007b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('audit_events', sa.Column('prev_hash', sa.String(length=64), nullable=True))
    op.add_column('audit_events', sa.Column('row_hash', sa.String(length=64), nullable=True))
    op.create_table('audit_chain_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('last_event_id', sa.Integer(), nullable=True),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head'))
    )
    _chain_existing_rows()


def downgrade() -> None:
    op.drop_table('audit_chain_head')
    _lift_append_only()
    with op.batch_alter_table('audit_events') as batch:
        batch.drop_column('row_hash')
        batch.drop_column('prev_hash')
    _restore_append_only()


def _chain_existing_rows() -> None:
    from types import SimpleNamespace

    from ncert.models.audit import CHAINED_FIELDS, GENESIS_HASH, AuditEvent, chain_hash

    conn = op.get_bind()
    table = AuditEvent.__table__
    rows = conn.execute(sa.select(table.c.id, *(table.c[name] for name in CHAINED_FIELDS)).order_by(table.c.id))
    prev, last_id, hashes = GENESIS_HASH, None, []
    for row in rows.mappings():
        row_hash = chain_hash(prev, SimpleNamespace(**row))
        hashes.append({"row_id": row["id"], "prev": prev, "hash": row_hash})
        prev, last_id = row_hash, row["id"]
    if hashes:
        _lift_append_only()
        conn.execute(sa.text("UPDATE audit_events SET prev_hash = :prev, row_hash = :hash WHERE id = :row_id"), hashes)
        _restore_append_only()
    conn.execute(sa.text("INSERT INTO audit_chain_head (id, last_event_id, last_hash) VALUES (1, :last_id, :prev)"),
                 {"last_id": last_id, "prev": prev})


def _lift_append_only() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER audit_events_no_update")
        op.execute("DROP TRIGGER audit_events_no_delete")
    else:
        op.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")


def _restore_append_only() -> None:
    """The same triggers as 0001 creates."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
            )
    else:
        op.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only")

"""What the reporter sees of severity is no longer the national severity.

``reported_severity`` keeps the reporter's hint as it was given; the
``communicated_severity`` is what the reporter (and whoever else may read the
report) sees: the hint, until an operator explicitly decides another. The
national ``severity`` stays national. Deadlines a national rule started
(``internal``) are shown to national staff only, and ``shared_updated_at`` moves
only with what the reporter may see (an internal note would otherwise show, by
its time alone, that a rule fired). Existing incidents communicate the severity
and the update time they showed until now.

Revision ID: 0008e
Revises: 0007b
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = '0008e'
down_revision = '0007b'
branch_labels = None
depends_on = None

EPOCH = "1970-01-01 00:00:00"  # SQLite adds a NOT NULL column only with a constant default


def upgrade() -> None:
    op.add_column('incidents', sa.Column('reported_severity', sa.Integer(), nullable=True))
    op.add_column('incidents', sa.Column('communicated_severity', sa.Integer(), server_default='1', nullable=False))
    op.execute("UPDATE incidents SET communicated_severity = severity")
    op.create_index('ix_incidents_communicated_severity', 'incidents', ['communicated_severity', 'id'])
    op.add_column('incidents', sa.Column('shared_updated_at', sa.DateTime(timezone=True), server_default=EPOCH,
                                         nullable=False))
    op.execute("UPDATE incidents SET shared_updated_at = updated_at")
    op.create_index('ix_incidents_shared_updated', 'incidents', ['shared_updated_at', 'id'])
    op.add_column('regulatory_deadlines', sa.Column('internal', sa.Boolean(), server_default=sa.false(),
                                                    nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('regulatory_deadlines') as batch:
        batch.drop_column('internal')
    op.drop_index('ix_incidents_shared_updated', table_name='incidents')
    op.drop_index('ix_incidents_communicated_severity', table_name='incidents')
    with op.batch_alter_table('incidents') as batch:
        batch.drop_column('shared_updated_at')
        batch.drop_column('communicated_severity')
        batch.drop_column('reported_severity')

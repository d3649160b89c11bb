"""The triage desk (issue 11): sort the queue by next deadline, stop a merged duplicate's
clocks, saved queue filters, deactivated organisations, evidence files stored once by SHA-256.

``incidents.next_due_at`` is the soonest open regulatory deadline and ``shared_next_due_at``
the same without internal ones (what a reporter may know); 9999-12-31 stands for none, so both
are NOT NULL and sort the same on SQLite and PostgreSQL. Each is indexed with id for keyset
paging. ``regulatory_deadlines.stopped_at`` marks the clocks of a report merged into another.

Revision ID: 0012c
Revises: 0011
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = '0012c'
down_revision = '0011'
branch_labels = None
depends_on = None

NO_DEADLINE = "9999-12-31 00:00:00"  # SQLite adds a NOT NULL column only with a constant default
# One pass over the open deadlines, then each incident that has one by its key. (A correlated
# MIN per incident is planned on SQLite through ix_regulatory_deadlines_open, whose statistics
# count few rows per received_at: at a million incidents it scanned every open deadline per row.)
SOONEST = ("UPDATE incidents SET {} = s.soonest FROM (SELECT d.incident_id, MIN(d.due_at) AS soonest "
           "FROM regulatory_deadlines d WHERE d.received_at IS NULL{} GROUP BY d.incident_id) AS s "
           "WHERE s.incident_id = incidents.id")


def upgrade() -> None:
    op.add_column('organizations', sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False))
    op.add_column('regulatory_deadlines', sa.Column('stopped_at', sa.DateTime(timezone=True), nullable=True))
    for column, only_shared in (('next_due_at', ''), ('shared_next_due_at', ' AND d.internal = false')):
        op.add_column('incidents', sa.Column(column, sa.DateTime(timezone=True), server_default=NO_DEADLINE,
                                             nullable=False))
        op.execute(SOONEST.format(column, only_shared))
    op.create_index('ix_incidents_next_due', 'incidents', ['next_due_at', 'id'])
    op.create_index('ix_incidents_shared_next_due', 'incidents', ['shared_next_due_at', 'id'])
    op.create_table(
        'saved_filters',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('query', sa.String(length=2000), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'name'),
    )


    op.create_table(
        'evidence_blobs',
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint('sha256'),
    )
    op.create_table(
        'incident_attachments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('content_type', sa.String(length=200), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('uploaded_by', sa.String(length=400), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['sha256'], ['evidence_blobs.sha256']),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['org_id'], ['organizations.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_incident_attachments_incident_id', 'incident_attachments', ['incident_id'])
    op.create_index('ix_incident_attachments_sha256', 'incident_attachments', ['sha256'])


def downgrade() -> None:
    op.drop_table('incident_attachments')
    op.drop_table('evidence_blobs')
    op.drop_table('saved_filters')
    op.drop_index('ix_incidents_shared_next_due', table_name='incidents')
    op.drop_index('ix_incidents_next_due', table_name='incidents')
    # Plain DROP COLUMN (SQLite 3.35+): a batch copy of incidents would drop its FTS5 triggers, and one
    # of organizations fails its foreign keys.
    op.drop_column('incidents', 'shared_next_due_at')
    op.drop_column('incidents', 'next_due_at')
    op.drop_column('regulatory_deadlines', 'stopped_at')
    op.drop_column('organizations', 'active')

"""Incident rollups for the leadership pages (issue 15), counted from the incidents already stored.

Revision ID: 0010b
Revises: 0009
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = '0010b'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('incident_rollups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reporter_org_id', sa.Integer(), nullable=False),
    sa.Column('sector_id', sa.Integer(), nullable=False),
    sa.Column('rsit_class', sa.String(length=48), nullable=False),
    sa.Column('severity', sa.Integer(), nullable=False),
    sa.Column('communicated_severity', sa.Integer(), nullable=False),
    sa.Column('tlp', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('incidents', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['reporter_org_id'], ['organizations.id'],
                            name=op.f('fk_incident_rollups_reporter_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sector_id'], ['sectors.id'], name=op.f('fk_incident_rollups_sector_id_sectors'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_rollups'))
    )
    op.create_index('ix_incident_rollups_day_org', 'incident_rollups', ['day', 'reporter_org_id'], unique=False)
    op.create_index('ix_incident_rollups_org_day', 'incident_rollups', ['reporter_org_id', 'day'], unique=False)
    op.create_index('ix_incident_rollups_sector_day', 'incident_rollups', ['sector_id', 'day'], unique=False)
    op.create_index('ix_incident_rollups_status', 'incident_rollups', ['status', 'day'], unique=False)
    op.create_table('incident_rollup_durations',
    sa.Column('rollup_id', sa.Integer(), nullable=False),
    sa.Column('measure', sa.String(length=16), nullable=False),
    sa.Column('bucket', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('least', sa.Float(), nullable=False),
    sa.Column('greatest', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['rollup_id'], ['incident_rollups.id'],
                            name=op.f('fk_incident_rollup_durations_rollup_id_incident_rollups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('rollup_id', 'measure', 'bucket', name=op.f('pk_incident_rollup_durations'))
    )
    # Count what is already stored, with the code that maintains the rollups from now on
    # (the incidents and timeline columns it reads are those of revision 0009; the term rollups
    # come with revision 0014, which counts them).
    from ncert.services.rollups import rebuild_all
    rebuild_all(op.get_bind(), terms=False, statuses=False, duration_days=False)


def downgrade() -> None:
    op.drop_table('incident_rollup_durations')
    op.drop_index('ix_incident_rollups_status', table_name='incident_rollups')
    op.drop_index('ix_incident_rollups_sector_day', table_name='incident_rollups')
    op.drop_index('ix_incident_rollups_org_day', table_name='incident_rollups')
    op.drop_index('ix_incident_rollups_day_org', table_name='incident_rollups')
    op.drop_table('incident_rollups')

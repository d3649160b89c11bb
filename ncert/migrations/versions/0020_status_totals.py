"""Status totals: the queue's exact counts per status, kept on write per reporting organisation,
label and status (issue 15: ``counts=true`` read a million index entries for an operator), with
the per-day cells they are kept from, counted from the incidents already stored.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('incident_status_cells',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reporter_org_id', sa.Integer(), nullable=False),
    sa.Column('tlp', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['reporter_org_id'], ['organizations.id'],
                            name=op.f('fk_incident_status_cells_reporter_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('day', 'reporter_org_id', 'tlp', 'status', name=op.f('pk_incident_status_cells'))
    )
    op.create_table('incident_status_totals',
    sa.Column('reporter_org_id', sa.Integer(), nullable=False),
    sa.Column('tlp', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['reporter_org_id'], ['organizations.id'],
                            name=op.f('fk_incident_status_totals_reporter_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('reporter_org_id', 'tlp', 'status', name=op.f('pk_incident_status_totals'))
    )
    from ncert.services.rollups import rebuild_statuses
    rebuild_statuses(op.get_bind())


def downgrade() -> None:
    op.drop_table('incident_status_totals')
    op.drop_table('incident_status_cells')

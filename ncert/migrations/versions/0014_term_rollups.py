"""Term rollups: the CVEs, malware families and ATT&CK techniques the landscape ranks, counted per
day, reporting organisation and label like the incident rollups (issue 10's landscape at a million
incidents), and counted from the incidents already stored.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('incident_term_rollups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reporter_org_id', sa.Integer(), nullable=False),
    sa.Column('tlp', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('term', sa.String(length=300), nullable=False),
    sa.Column('incidents', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['reporter_org_id'], ['organizations.id'],
                            name=op.f('fk_incident_term_rollups_reporter_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_term_rollups'))
    )
    op.create_index('ix_incident_term_rollups_kind_day', 'incident_term_rollups', ['kind', 'day'], unique=False)
    op.create_index('ix_incident_term_rollups_day_org', 'incident_term_rollups', ['day', 'reporter_org_id'],
                    unique=False)
    from ncert.services.rollups import rebuild_terms
    rebuild_terms(op.get_bind())


def downgrade() -> None:
    op.drop_index('ix_incident_term_rollups_day_org', table_name='incident_term_rollups')
    op.drop_index('ix_incident_term_rollups_kind_day', table_name='incident_term_rollups')
    op.drop_table('incident_term_rollups')

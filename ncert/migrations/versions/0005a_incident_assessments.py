"""National severity assessments: one current scored assessment per incident.

Revision ID: 0005a
Revises: 0004
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = '0005a'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('incident_assessments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('functional_impact', sa.String(length=64), nullable=False),
    sa.Column('information_impact', sa.String(length=64), nullable=False),
    sa.Column('recoverability', sa.String(length=32), nullable=False),
    sa.Column('observed_activity', sa.String(length=32), nullable=False),
    sa.Column('potential_impact', sa.String(length=32), nullable=False),
    sa.Column('member_states_affected', sa.Integer(), nullable=False),
    sa.Column('safety_effect', sa.Boolean(), nullable=False),
    sa.Column('operations_disrupted', sa.Boolean(), nullable=False),
    sa.Column('outlook', sa.String(length=16), nullable=True),
    sa.Column('rationale', sa.Text(), nullable=False),
    sa.Column('sector_criticality', sa.Integer(), nullable=False),
    sa.Column('sectors_affected', sa.Integer(), nullable=False),
    sa.Column('entity_class', sa.String(length=16), nullable=True),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('base_level', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('breakdown', sa.JSON(), nullable=False),
    sa.Column('overrides', sa.JSON(), nullable=False),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('ncsc_category', sa.Integer(), nullable=False),
    sa.Column('eu_colour', sa.String(length=8), nullable=False),
    sa.Column('assessed_by', sa.String(length=400), nullable=False),
    sa.Column('assessed_by_id', sa.Integer(), nullable=True),
    sa.Column('assessed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assessed_by_id'], ['users.id'], name=op.f('fk_incident_assessments_assessed_by_id_users')),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_incident_assessments_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_assessments')),
    sa.UniqueConstraint('incident_id', name=op.f('uq_incident_assessments_incident_id'))
    )


def downgrade() -> None:
    op.drop_table('incident_assessments')

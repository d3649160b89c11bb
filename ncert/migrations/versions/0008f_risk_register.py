"""The national cyber-risk register: the risk matrix, risks, their versions,
their links to incidents and the notifications sent to their owners (issue 10).

Revision ID: 0008f
Revises: 0007b
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = '0008f'
down_revision = '0007b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('risk_matrices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=400), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_matrices')),
    sa.UniqueConstraint('version', name=op.f('uq_risk_matrices_version'))
    )
    op.create_table('risks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('scenario', sa.Text(), nullable=False),
    sa.Column('owner_org_id', sa.Integer(), nullable=True),
    sa.Column('owner_team_id', sa.Integer(), nullable=True),
    sa.Column('owner_person', sa.String(length=200), nullable=False),
    sa.Column('owner_email', sa.String(length=320), nullable=False),
    sa.Column('shared_with_owner', sa.Boolean(), nullable=False),
    sa.Column('sectors', sa.JSON(), nullable=False),
    sa.Column('essential_services', sa.JSON(), nullable=False),
    sa.Column('threat', sa.JSON(), nullable=False),
    sa.Column('vulnerabilities', sa.JSON(), nullable=False),
    sa.Column('controls', sa.JSON(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('review_frequency_days', sa.Integer(), nullable=False),
    sa.Column('next_review_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('assessment', sa.JSON(), nullable=True),
    sa.Column('treatment', sa.JSON(), nullable=True),
    sa.Column('current_likelihood', sa.Integer(), nullable=True),
    sa.Column('current_impact', sa.Integer(), nullable=True),
    sa.Column('residual_likelihood', sa.Integer(), nullable=True),
    sa.Column('residual_impact', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('observed_likelihood', sa.Integer(), nullable=True),
    sa.Column('drift_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('review_suggested_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organizations.id'], name=op.f('fk_risks_owner_org_id_organizations')),
    sa.ForeignKeyConstraint(['owner_team_id'], ['teams.id'], name=op.f('fk_risks_owner_team_id_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risks')),
    sa.UniqueConstraint('reference', name=op.f('uq_risks_reference'))
    )
    op.create_index('ix_risks_status_review', 'risks', ['status', 'next_review_on'], unique=False)
    op.create_index(op.f('ix_risks_owner_org_id'), 'risks', ['owner_org_id'], unique=False)
    op.create_index(op.f('ix_risks_owner_team_id'), 'risks', ['owner_team_id'], unique=False)
    op.create_table('risk_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('risk_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('author', sa.String(length=400), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['risk_id'], ['risks.id'], name=op.f('fk_risk_versions_risk_id_risks'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_risk_versions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_versions')),
    sa.UniqueConstraint('risk_id', 'version', name=op.f('uq_risk_versions_risk_id_version'))
    )
    op.create_table('risk_incidents',
    sa.Column('risk_id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('linked_by', sa.String(length=400), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_risk_incidents_incident_id_incidents'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['risk_id'], ['risks.id'], name=op.f('fk_risk_incidents_risk_id_risks'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('risk_id', 'incident_id', name=op.f('pk_risk_incidents'))
    )
    op.create_index(op.f('ix_risk_incidents_incident_id'), 'risk_incidents', ['incident_id'], unique=False)
    op.create_table('risk_notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('risk_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('occasion', sa.String(length=64), nullable=False),
    sa.Column('target', sa.Text(), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['risk_id'], ['risks.id'], name=op.f('fk_risk_notifications_risk_id_risks'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_notifications')),
    sa.UniqueConstraint('risk_id', 'kind', 'occasion', name=op.f('uq_risk_notifications_risk_id_kind_occasion'))
    )


def downgrade() -> None:
    op.drop_table('risk_notifications')
    op.drop_index(op.f('ix_risk_incidents_incident_id'), table_name='risk_incidents')
    op.drop_table('risk_incidents')
    op.drop_table('risk_versions')
    op.drop_index(op.f('ix_risks_owner_team_id'), table_name='risks')
    op.drop_index(op.f('ix_risks_owner_org_id'), table_name='risks')
    op.drop_index('ix_risks_status_review', table_name='risks')
    op.drop_table('risks')
    op.drop_table('risk_matrices')

"""Public advisories (issue 14): advisories, their revisions (each kept, per language) and the
incidents they were drafted from.

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('advisories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('created_by', sa.String(length=400), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('first_published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_published_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_advisories')),
    sa.UniqueConstraint('reference', name=op.f('uq_advisories_reference'))
    )
    op.create_index('ix_advisories_published', 'advisories', ['last_published_at', 'id'], unique=False)
    op.create_table('advisory_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('advisory_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('texts', sa.JSON(), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('products', sa.JSON(), nullable=False),
    sa.Column('cves', sa.JSON(), nullable=False),
    sa.Column('indicators', sa.JSON(), nullable=False),
    sa.Column('references', sa.JSON(), nullable=False),
    sa.Column('change_summary', sa.Text(), nullable=False),
    sa.Column('author_ids', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=400), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('approved_by', sa.String(length=400), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['advisory_id'], ['advisories.id'],
                            name=op.f('fk_advisory_revisions_advisory_id_advisories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_advisory_revisions_approved_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_advisory_revisions')),
    sa.UniqueConstraint('advisory_id', 'number', name=op.f('uq_advisory_revisions_advisory_id_number'))
    )
    op.create_table('advisory_incidents',
    sa.Column('advisory_id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('linked_by', sa.String(length=400), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['advisory_id'], ['advisories.id'],
                            name=op.f('fk_advisory_incidents_advisory_id_advisories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'],
                            name=op.f('fk_advisory_incidents_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('advisory_id', 'incident_id', name=op.f('pk_advisory_incidents'))
    )
    op.create_index(op.f('ix_advisory_incidents_incident_id'), 'advisory_incidents', ['incident_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_advisory_incidents_incident_id'), table_name='advisory_incidents')
    op.drop_table('advisory_incidents')
    op.drop_table('advisory_revisions')
    op.drop_index('ix_advisories_published', table_name='advisories')
    op.drop_table('advisories')

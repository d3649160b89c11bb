"""KPI cards: targets, responsible persons and quarterly reviews.

Revision ID: 0008g
Revises: 0007b
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = '0008g'
down_revision = '0007b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('kpi_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kpi', sa.String(length=64), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('target', sa.Float(), nullable=False),
    sa.Column('amber', sa.Float(), nullable=False),
    sa.Column('updated_by', sa.String(length=400), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_kpi_targets_org_id_organizations'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_targets'))
    )
    op.create_index('ix_kpi_targets_kpi_org', 'kpi_targets', ['kpi', 'org_id'], unique=False)
    op.create_table('kpi_responsible_persons',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('position', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('updated_by', sa.String(length=400), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'],
                            name=op.f('fk_kpi_responsible_persons_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', name=op.f('pk_kpi_responsible_persons'))
    )
    op.create_table('kpi_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('sector_id', sa.Integer(), nullable=True),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('comments', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=400), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('signed_off_by', sa.String(length=400), nullable=True),
    sa.Column('signed_off_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('figures', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_kpi_reviews_org_id_organizations'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sector_id'], ['sectors.id'], name=op.f('fk_kpi_reviews_sector_id_sectors'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_reviews')),
    sa.UniqueConstraint('org_id', 'period', name=op.f('uq_kpi_reviews_org_id_period')),
    sa.UniqueConstraint('sector_id', 'period', name=op.f('uq_kpi_reviews_sector_id_period'))
    )


def downgrade() -> None:
    op.drop_table('kpi_reviews')
    op.drop_table('kpi_responsible_persons')
    op.drop_index('ix_kpi_targets_kpi_org', table_name='kpi_targets')
    op.drop_table('kpi_targets')

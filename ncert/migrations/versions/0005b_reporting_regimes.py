"""Reporting regimes stored as data, and the sector → regime assignment.

Revision ID: 0005b
Revises: 0004
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = '0005b'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reporting_regimes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('repeat', sa.Boolean(), nullable=False),
    sa.Column('stages', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reporting_regimes')),
    sa.UniqueConstraint('name', name=op.f('uq_reporting_regimes_name'))
    )
    op.create_table('sector_regimes',
    sa.Column('sector_id', sa.Integer(), nullable=False),
    sa.Column('regime', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['sector_id'], ['sectors.id'], name=op.f('fk_sector_regimes_sector_id_sectors'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('sector_id', name=op.f('pk_sector_regimes'))
    )


def downgrade() -> None:
    op.drop_table('sector_regimes')
    op.drop_table('reporting_regimes')

"""Playbooks managed from the console: the library and every version kept.

Revision ID: 0005d
Revises: 0004
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = '0005d'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('playbooks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=400), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_playbooks')),
    sa.UniqueConstraint('name', name=op.f('uq_playbooks_name'))
    )
    op.create_table('playbook_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('playbook_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('author', sa.String(length=400), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['playbook_id'], ['playbooks.id'], name=op.f('fk_playbook_versions_playbook_id_playbooks'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_playbook_versions')),
    sa.UniqueConstraint('playbook_id', 'version', name=op.f('uq_playbook_versions_playbook_id_version'))
    )
    op.create_index(op.f('ix_playbook_versions_playbook_id'), 'playbook_versions', ['playbook_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_playbook_versions_playbook_id'), table_name='playbook_versions')
    op.drop_table('playbook_versions')
    op.drop_table('playbooks')

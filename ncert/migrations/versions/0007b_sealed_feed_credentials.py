"""Feed credentials sealed at rest need room: a sealed value is longer than the secret.

Revision ID: 0007b
Revises: 0007a
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = '0007b'
down_revision = '0007a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('feed_sources') as batch:
        batch.alter_column('api_key', type_=sa.Text(), existing_type=sa.String(length=500), existing_nullable=True)
        batch.alter_column('password', type_=sa.Text(), existing_type=sa.String(length=500), existing_nullable=True)


def downgrade() -> None:
    with op.batch_alter_table('feed_sources') as batch:
        batch.alter_column('api_key', type_=sa.String(length=500), existing_type=sa.Text(), existing_nullable=True)
        batch.alter_column('password', type_=sa.String(length=500), existing_type=sa.Text(), existing_nullable=True)

"""The console's language per user (issue 14): ``users.locale`` holds az, en or ru once the user
chose one (``?lang=`` on any console page), else the browser's and then the default language apply.

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('users', sa.Column('locale', sa.String(length=8), nullable=True))


def downgrade() -> None:
    op.drop_column('users', 'locale')

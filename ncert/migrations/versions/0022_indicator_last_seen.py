"""National staff's indicator search pages by last seen (``ncert.search.indicators``, newest first
by default) along an index of (last_seen, id), not by sorting every indicator.

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-28
"""

from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_indicators_last_seen', 'indicators', ['last_seen', 'id'])


def downgrade() -> None:
    op.drop_index('ix_indicators_last_seen', table_name='indicators')

"""System-written timeline entries in the reader's language (issue 14): ``timeline_entries.message``
holds the English template and its arguments ({"id": msgid, "args": {...}}) that the console renders
in the request's language; ``body`` keeps the English text. Existing entries get none and show their
body as stored.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('timeline_entries', sa.Column('message', sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('timeline_entries') as batch:
        batch.drop_column('message')

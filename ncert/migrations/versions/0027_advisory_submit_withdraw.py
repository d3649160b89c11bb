"""Advisories are submitted for approval and may be withdrawn (issue 14): a revision records who
submitted it and when (only a submitted revision is approved), the revision that withdraws an
advisory records why, and the advisory when. Existing revisions keep their status: a draft
stays a draft, to be submitted before its approval.

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('advisories', sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('advisory_revisions') as batch:
        batch.add_column(sa.Column('submitted_by', sa.String(length=400), nullable=True))
        batch.add_column(sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('withdrawal_reason', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('advisory_revisions') as batch:
        batch.drop_column('withdrawal_reason')
        batch.drop_column('submitted_at')
        batch.drop_column('submitted_by')
    op.drop_column('advisories', 'withdrawn_at')

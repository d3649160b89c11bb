"""Join the queue-index (0010a) and rollup (0010b) branches of issue 15 into one head.

Revision ID: 0011
Revises: 0010a, 0010b
Create Date: 2026-11-27
"""

revision = '0011'
down_revision = ('0010a', '0010b')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

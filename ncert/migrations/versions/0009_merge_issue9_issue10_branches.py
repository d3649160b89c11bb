"""Join the trust-boundary (issue 9) and risk-register/KPI (issue 10) branches into one head.

Revision ID: 0009
Revises: 0008a, 0008b, 0008c, 0008d, 0008e, 0008f, 0008g, 0008h
Create Date: 2026-11-27
"""

revision = '0009'
down_revision = ('0008a', '0008b', '0008c', '0008d', '0008e', '0008f', '0008g', '0008h')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""Join the branches built side by side into one head: tasks and requests for information (0012a),
indicator search and warninglists (0012b), the triage desk (0012c), the outbox (0012d) and
model storage with category suggestions (0012f).

Revision ID: 0013
Revises: 0012a, 0012b, 0012c, 0012d, 0012f
Create Date: 2026-11-27
"""

revision = '0013'
down_revision = ('0012a', '0012b', '0012c', '0012d', '0012f')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

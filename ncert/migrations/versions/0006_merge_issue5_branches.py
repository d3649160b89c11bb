"""Join the assessment, regimes, detection and stored-playbook branches into one head.

Revision ID: 0006
Revises: 0005a, 0005b, 0005c, 0005d
Create Date: 2026-11-25
"""

revision = '0006'
down_revision = ('0005a', '0005b', '0005c', '0005d')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

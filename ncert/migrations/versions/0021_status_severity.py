"""The queue of one status by national severity (``status=new&sort=-severity``) walks an index of
(status, severity, id): along the severity index SQLite met one new report in forty at a million
incidents (63 ms p95 for an operator, issue 15).

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-28
"""

from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_incidents_status_severity', 'incidents', ['status', 'severity', 'id'])


def downgrade() -> None:
    op.drop_index('ix_incidents_status_severity', table_name='incidents')

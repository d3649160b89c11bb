"""An incident's open regulatory clocks through (incident_id, received_at, due_at), replacing the
index on incident_id alone: SQLite planned "incident_id = ? AND received_at IS NULL" through
ix_regulatory_deadlines_open, scanning every open clock of the country for one incident.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-27
"""

from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_regulatory_deadlines_incident_open', 'regulatory_deadlines',
                    ['incident_id', 'received_at', 'due_at'], unique=False)
    op.drop_index('ix_regulatory_deadlines_incident_id', table_name='regulatory_deadlines')


def downgrade() -> None:
    op.create_index('ix_regulatory_deadlines_incident_id', 'regulatory_deadlines', ['incident_id'], unique=False)
    op.drop_index('ix_regulatory_deadlines_incident_open', table_name='regulatory_deadlines')

"""Indexes for the leadership pages at a million incidents (issues 10 and 15).

- The incident rollups hold nearly one row per incident at a thousand incidents a day, so a
  quarter's national scan reads about 85,000 of them: ``(day, reporter_org_id)`` and
  ``(status, day)`` become covering indexes of every column the pages group or filter by.
- Two partial indexes hold the few rows at level 4 or above, for open criticals.
- Requests for information asked in a period, by ``created_at``.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

COVER = ["day", "reporter_org_id", "tlp", "sector_id", "rsit_class", "severity", "communicated_severity", "status",
         "ended_on", "incidents"]
CRITICAL_ROWS = "severity >= 4 OR communicated_severity >= 4"


def upgrade() -> None:
    op.drop_index('ix_incident_rollups_day_org', table_name='incident_rollups')
    op.create_index('ix_incident_rollups_day_cover', 'incident_rollups', COVER)
    op.drop_index('ix_incident_rollups_status', table_name='incident_rollups')
    op.create_index('ix_incident_rollups_status_cover', 'incident_rollups',
                    ['status', *(c for c in COVER if c != 'status')])
    for name, column in (('ix_incident_rollups_org_critical', 'reporter_org_id'),
                         ('ix_incident_rollups_sector_critical', 'sector_id')):
        op.create_index(name, 'incident_rollups', [column, 'day'], sqlite_where=sa.text(CRITICAL_ROWS),
                        postgresql_where=sa.text(CRITICAL_ROWS))
    op.create_index('ix_rfis_created_at', 'rfis', ['created_at'])


def downgrade() -> None:
    op.drop_index('ix_rfis_created_at', table_name='rfis')
    op.drop_index('ix_incident_rollups_sector_critical', table_name='incident_rollups')
    op.drop_index('ix_incident_rollups_org_critical', table_name='incident_rollups')
    op.drop_index('ix_incident_rollups_status_cover', table_name='incident_rollups')
    op.create_index('ix_incident_rollups_status', 'incident_rollups', ['status', 'day'])
    op.drop_index('ix_incident_rollups_day_cover', table_name='incident_rollups')
    op.create_index('ix_incident_rollups_day_org', 'incident_rollups', ['day', 'reporter_org_id'])

"""Indexes for the analyst's view of the queue (issue 15).

``access.scope`` lets an analyst see ``reporter_org_id = own OR tlp IN (community)``.
One index on (status, tlp, reporter_org_id) answers that rule for each status from
the index alone: the bounded tab counts stop after their cap, and the exact counts
of ``counts=true`` read the index, never the table. (tlp, reported_at, id) serves the
label arm of the rule in date order, next to ix_incidents_reporter_reported for the
organisation's own arm.

Revision ID: 0010a
Revises: 0009
Create Date: 2026-11-27
"""

from alembic import op

revision = '0010a'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_incidents_status_visibility', 'incidents', ['status', 'tlp', 'reporter_org_id'])
    op.create_index('ix_incidents_tlp_reported', 'incidents', ['tlp', 'reported_at', 'id'])


def downgrade() -> None:
    op.drop_index('ix_incidents_tlp_reported', table_name='incidents')
    op.drop_index('ix_incidents_status_visibility', table_name='incidents')

"""Each report keeps its own facts about an indicator; merges stop copying indicators.

An organisation sees what its visible reports said of a value (confidence,
first and last seen), never the national aggregate other reports shape. Links
a merge copied into the kept incident (role 'merged') go: a merge is now a
national grouping read through ``merged_into_id``, not a copy.

Revision ID: 0008h
Revises: 0007b
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = '0008h'
down_revision = '0007b'
branch_labels = None
depends_on = None

EPOCH = "1970-01-01 00:00:00"


def upgrade() -> None:
    op.add_column('incident_indicators', sa.Column('confidence', sa.Integer(), server_default='50', nullable=False))
    op.add_column('incident_indicators', sa.Column('first_seen', sa.DateTime(timezone=True), server_default=EPOCH,
                                                   nullable=False))
    op.add_column('incident_indicators', sa.Column('last_seen', sa.DateTime(timezone=True), server_default=EPOCH,
                                                   nullable=False))
    op.execute("DELETE FROM incident_indicators WHERE role = 'merged'")
    # Past links: the report's facts were folded into the indicator. Where one
    # report alone carries the value, the indicator's facts are that report's;
    # otherwise only the time it was linked is known to be the report's own.
    op.execute("UPDATE incident_indicators SET first_seen = added_at, last_seen = added_at")
    op.execute(
        "UPDATE incident_indicators SET"
        " confidence = (SELECT i.confidence FROM indicators i WHERE i.id = incident_indicators.indicator_id),"
        " first_seen = (SELECT i.first_seen FROM indicators i WHERE i.id = incident_indicators.indicator_id),"
        " last_seen = (SELECT i.last_seen FROM indicators i WHERE i.id = incident_indicators.indicator_id)"
        " WHERE (SELECT count(*) FROM incident_indicators x"
        "        WHERE x.indicator_id = incident_indicators.indicator_id) = 1"
    )


def downgrade() -> None:
    with op.batch_alter_table('incident_indicators') as batch:
        batch.drop_column('last_seen')
        batch.drop_column('first_seen')
        batch.drop_column('confidence')

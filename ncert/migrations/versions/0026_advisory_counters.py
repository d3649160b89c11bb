"""Advisory references from a per-year counter (issue 14): ``advisory_counters`` holds the last
number of each year's NCERT-SA-<year>-<4 digits>, bumped with UPDATE … RETURNING in the drafting
transaction. Counting the year's advisories instead gave two drafters writing at once the same
number (the second failed on the unique reference). Filled from the advisories already stored.

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('advisory_counters',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_advisory_counters'))
    )
    # NCERT-SA-2026-0007: the year is the third part, the number the fourth.
    conn = op.get_bind()
    highest: dict[int, int] = {}
    for (reference,) in conn.execute(sa.text("SELECT reference FROM advisories")):
        _, _, year, number = reference.split("-", 3)
        if year.isdigit() and number.isdigit():
            highest[int(year)] = max(highest.get(int(year), 0), int(number))
    if highest:
        conn.execute(sa.text("INSERT INTO advisory_counters (year, value) VALUES (:year, :value)"),
                     [{"year": y, "value": v} for y, v in sorted(highest.items())])


def downgrade() -> None:
    op.drop_table('advisory_counters')

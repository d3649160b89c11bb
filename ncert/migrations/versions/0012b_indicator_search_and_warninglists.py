"""Indicators: sortable IP ranges for CIDR search, MISP warninglist hits, national false positives.

``ip_from``/``ip_to`` hold an IP value's first and last address as sortable bytes
(``ncert.observables.ip_bounds``); ``ix_indicators_ip_from`` answers a CIDR query
with one range scan. ``warninglists`` names the MISP warninglists a value is on
(``ncert.warninglists``); the ``false_positive_*`` columns record an operator's
national decision. Existing indicators are backfilled here.

Revision ID: 0012b
Revises: 0011
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = '0012b'
down_revision = '0011'
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade() -> None:
    op.add_column('indicators', sa.Column('ip_from', sa.LargeBinary(length=17), nullable=True))
    op.add_column('indicators', sa.Column('ip_to', sa.LargeBinary(length=17), nullable=True))
    op.add_column('indicators', sa.Column('warninglists', sa.String(length=2000), server_default='', nullable=False))
    op.add_column('indicators', sa.Column('false_positive_reason', sa.Text(), nullable=True))
    op.add_column('indicators', sa.Column('false_positive_by', sa.String(length=320), nullable=True))
    op.add_column('indicators', sa.Column('false_positive_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_indicators_ip_from', 'indicators', ['ip_from'])
    _backfill(op.get_bind())


def _backfill(conn) -> None:
    from ncert import warninglists
    from ncert.observables import ip_bounds

    indicators = sa.table('indicators', sa.column('id', sa.Integer), sa.column('type', sa.String),
                          sa.column('value', sa.String), sa.column('ip_from', sa.LargeBinary),
                          sa.column('ip_to', sa.LargeBinary), sa.column('warninglists', sa.String))
    checked = sa.select(indicators.c.id, indicators.c.type, indicators.c.value).where(
        indicators.c.type.in_(list(warninglists.MISP_TYPES))).order_by(indicators.c.id)
    last = 0
    while True:
        rows = conn.execute(checked.where(indicators.c.id > last).limit(BATCH)).all()
        if not rows:
            return
        for ind_id, kind, value in rows:
            ip_from, ip_to = ip_bounds(kind, value) or (None, None)
            lists = " ".join(warninglists.matches(kind, value))
            if ip_from is not None or lists:
                conn.execute(indicators.update().where(indicators.c.id == ind_id).values(
                    ip_from=ip_from, ip_to=ip_to, warninglists=lists))
        last = rows[-1][0]


def downgrade() -> None:
    op.drop_index('ix_indicators_ip_from', table_name='indicators')
    with op.batch_alter_table('indicators') as batch:
        for column in ('false_positive_at', 'false_positive_by', 'false_positive_reason', 'warninglists', 'ip_to',
                       'ip_from'):
            batch.drop_column(column)

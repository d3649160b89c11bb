"""MISP UUIDs and tags per organisation, attribute distribution and opaque attachments.

An event UUID is unique per submitting organisation and an attribute UUID per
event (the intake checks it per organisation), so a UUID another organisation
used is never a conflict that would confirm it exists; likewise each
organisation has its own tags (a tag row stays with the organisation that
made it).

Revision ID: 0008b
Revises: 0007b
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = '0008b'
down_revision = '0007b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('misp_events') as batch:
        batch.drop_constraint('uq_misp_events_uuid', type_='unique')
        batch.create_unique_constraint(op.f('uq_misp_events_org_id_uuid'), ['org_id', 'uuid'])
        batch.create_index(op.f('ix_misp_events_uuid'), ['uuid'], unique=False)
    with op.batch_alter_table('misp_attributes') as batch:
        batch.drop_constraint('uq_misp_attributes_uuid', type_='unique')
        batch.create_unique_constraint(op.f('uq_misp_attributes_event_id_uuid'), ['event_id', 'uuid'])
        batch.create_index(op.f('ix_misp_attributes_uuid'), ['uuid'], unique=False)
        batch.add_column(sa.Column('distribution', sa.Integer(), server_default='5', nullable=False))
        batch.add_column(sa.Column('data', sa.LargeBinary(), nullable=True))
    with op.batch_alter_table('misp_tags') as batch:
        batch.drop_constraint('uq_misp_tags_name', type_='unique')
        batch.create_unique_constraint(op.f('uq_misp_tags_org_id_name'), ['org_id', 'name'])


def downgrade() -> None:
    with op.batch_alter_table('misp_tags') as batch:
        batch.drop_constraint(op.f('uq_misp_tags_org_id_name'), type_='unique')
        batch.create_unique_constraint('uq_misp_tags_name', ['name'])
    with op.batch_alter_table('misp_attributes') as batch:
        batch.drop_column('data')
        batch.drop_column('distribution')
        batch.drop_index(op.f('ix_misp_attributes_uuid'))
        batch.drop_constraint(op.f('uq_misp_attributes_event_id_uuid'), type_='unique')
        batch.create_unique_constraint('uq_misp_attributes_uuid', ['uuid'])
    with op.batch_alter_table('misp_events') as batch:
        batch.drop_index(op.f('ix_misp_events_uuid'))
        batch.drop_constraint(op.f('uq_misp_events_org_id_uuid'), type_='unique')
        batch.create_unique_constraint('uq_misp_events_uuid', ['uuid'])

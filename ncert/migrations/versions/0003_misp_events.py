"""MISP events, attributes and tags of the MISP-compatible API.

Revision ID: 0003a
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = '0003a'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('misp_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('info', sa.Text(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('threat_level_id', sa.Integer(), nullable=False),
    sa.Column('analysis', sa.Integer(), nullable=False),
    sa.Column('distribution', sa.Integer(), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('publish_timestamp', sa.BigInteger(), nullable=False),
    sa.Column('timestamp', sa.BigInteger(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_misp_events_incident_id_incidents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_misp_events_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_misp_events')),
    sa.UniqueConstraint('uuid', name=op.f('uq_misp_events_uuid'))
    )
    with op.batch_alter_table('misp_events', schema=None) as batch_op:
        batch_op.create_index('ix_misp_events_timestamp', ['timestamp'], unique=False)
        batch_op.create_index(batch_op.f('ix_misp_events_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_misp_events_org_id'), ['org_id'], unique=False)

    op.create_table('misp_attributes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('object_uuid', sa.String(length=36), nullable=True),
    sa.Column('object_name', sa.String(length=128), nullable=True),
    sa.Column('object_relation', sa.String(length=128), nullable=True),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('value_key', sa.String(length=200), nullable=False),
    sa.Column('to_ids', sa.Boolean(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('timestamp', sa.BigInteger(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['misp_events.id'], name=op.f('fk_misp_attributes_event_id_misp_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicators.id'], name=op.f('fk_misp_attributes_indicator_id_indicators')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_misp_attributes')),
    sa.UniqueConstraint('uuid', name=op.f('uq_misp_attributes_uuid'))
    )
    with op.batch_alter_table('misp_attributes', schema=None) as batch_op:
        batch_op.create_index('ix_misp_attributes_event', ['event_id', 'id'], unique=False)
        batch_op.create_index('ix_misp_attributes_timestamp', ['timestamp'], unique=False)
        batch_op.create_index('ix_misp_attributes_type', ['type'], unique=False)
        batch_op.create_index('ix_misp_attributes_value_key', ['value_key'], unique=False)

    op.create_table('misp_tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('colour', sa.String(length=7), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_misp_tags_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_misp_tags')),
    sa.UniqueConstraint('name', name=op.f('uq_misp_tags_name'))
    )


def downgrade() -> None:
    op.drop_table('misp_tags')
    with op.batch_alter_table('misp_attributes', schema=None) as batch_op:
        batch_op.drop_index('ix_misp_attributes_value_key')
        batch_op.drop_index('ix_misp_attributes_type')
        batch_op.drop_index('ix_misp_attributes_timestamp')
        batch_op.drop_index('ix_misp_attributes_event')
    op.drop_table('misp_attributes')
    with op.batch_alter_table('misp_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_misp_events_org_id'))
        batch_op.drop_index(batch_op.f('ix_misp_events_incident_id'))
        batch_op.drop_index('ix_misp_events_timestamp')
    op.drop_table('misp_events')

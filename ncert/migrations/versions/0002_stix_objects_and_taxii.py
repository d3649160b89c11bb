"""STIX object store, TAXII collections and status resources.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('taxii_collections',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('alias', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('sector_id', sa.Integer(), nullable=True),
    sa.Column('audience', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['sector_id'], ['sectors.id'], name=op.f('fk_taxii_collections_sector_id_sectors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_taxii_collections')),
    sa.UniqueConstraint('alias', name=op.f('uq_taxii_collections_alias'))
    )
    op.create_table('stix_objects',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('collection_id', sa.String(length=36), nullable=False),
    sa.Column('stix_id', sa.String(length=128), nullable=False),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('spec_version', sa.String(length=8), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('date_added', sa.DateTime(timezone=True), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('tlp', sa.String(length=20), nullable=True),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.Column('is_latest', sa.Boolean(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['collection_id'], ['taxii_collections.id'], name=op.f('fk_stix_objects_collection_id_taxii_collections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_stix_objects_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stix_objects')),
    sa.UniqueConstraint('collection_id', 'stix_id', 'version', name=op.f('uq_stix_objects_collection_id_stix_id_version'))
    )
    with op.batch_alter_table('stix_objects', schema=None) as batch_op:
        batch_op.create_index('ix_stix_objects_added', ['collection_id', 'date_added', 'id'], unique=False)
        batch_op.create_index('ix_stix_objects_page', ['collection_id', 'is_latest', 'date_added', 'id'], unique=False)
        batch_op.create_index('ix_stix_objects_type', ['collection_id', 'type', 'is_latest', 'date_added', 'id'], unique=False)

    op.create_table('taxii_statuses',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('collection_id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('request_timestamp', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('total_count', sa.Integer(), nullable=False),
    sa.Column('success_count', sa.Integer(), nullable=False),
    sa.Column('failure_count', sa.Integer(), nullable=False),
    sa.Column('pending_count', sa.Integer(), nullable=False),
    sa.Column('successes', sa.JSON(), nullable=False),
    sa.Column('failures', sa.JSON(), nullable=False),
    sa.Column('pendings', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['collection_id'], ['taxii_collections.id'], name=op.f('fk_taxii_statuses_collection_id_taxii_collections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_taxii_statuses_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_taxii_statuses'))
    )


def downgrade() -> None:
    op.drop_table('taxii_statuses')
    with op.batch_alter_table('stix_objects', schema=None) as batch_op:
        batch_op.drop_index('ix_stix_objects_type')
        batch_op.drop_index('ix_stix_objects_page')
        batch_op.drop_index('ix_stix_objects_added')

    op.drop_table('stix_objects')
    op.drop_table('taxii_collections')

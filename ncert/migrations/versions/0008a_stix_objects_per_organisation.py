"""STIX object versions are kept per pushing organisation (issue 9, sector inbox bookkeeping).

Revision ID: 0008a
Revises: 0007b
Create Date: 2026-11-27
"""

from alembic import op

revision = '0008a'
down_revision = '0007b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('stix_objects') as batch:
        batch.drop_constraint('uq_stix_objects_collection_id_stix_id_version', type_='unique')
        batch.create_unique_constraint('uq_stix_objects_collection_id_org_id_stix_id_version',
                                       ['collection_id', 'org_id', 'stix_id', 'version'])


def downgrade() -> None:
    # Copies of one version by several organisations cannot share the narrower key: keep the first.
    op.execute("DELETE FROM stix_objects WHERE id NOT IN (SELECT MIN(id) FROM stix_objects "
               "GROUP BY collection_id, stix_id, version)")
    with op.batch_alter_table('stix_objects') as batch:
        batch.drop_constraint('uq_stix_objects_collection_id_org_id_stix_id_version', type_='unique')
        batch.create_unique_constraint('uq_stix_objects_collection_id_stix_id_version',
                                       ['collection_id', 'stix_id', 'version'])

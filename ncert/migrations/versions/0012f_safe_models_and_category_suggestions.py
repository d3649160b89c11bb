"""Models stored without pickle, and category suggestions (issue 13).

The pickled anomaly model table is dropped unread: its rows are never unpickled
(anyone who could write one could run code in the server). The hourly detection
job trains a new version into ``stored_models`` (skops, trusted types only).

Revision ID: 0012f
Revises: 0011
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = '0012f'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table('anomaly_models')
    op.create_table('stored_models',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sklearn_version', sa.String(length=32), nullable=False),
    sa.Column('data_hash', sa.String(length=64), nullable=False),
    sa.Column('trained_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('training_seconds', sa.Float(), nullable=False),
    sa.Column('examples', sa.Integer(), nullable=False),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('promoted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('promoted_by', sa.String(length=400), nullable=True),
    sa.Column('estimator', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_models')),
    sa.UniqueConstraint('name', 'version', name=op.f('uq_stored_models_name_version'))
    )
    op.create_index('ix_stored_models_name_status', 'stored_models', ['name', 'status'], unique=False)
    op.create_table('category_suggestions',
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('national_class', sa.String(length=48), nullable=False),
    sa.Column('national_type', sa.String(length=64), nullable=False),
    sa.Column('national_confidence', sa.Float(), nullable=False),
    sa.Column('national_model', sa.String(length=80), nullable=False),
    sa.Column('reporter_class', sa.String(length=48), nullable=False),
    sa.Column('reporter_type', sa.String(length=64), nullable=False),
    sa.Column('reporter_confidence', sa.Float(), nullable=False),
    sa.Column('reporter_model', sa.String(length=80), nullable=False),
    sa.Column('suggested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('applied', sa.Boolean(), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=400), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'],
                            name=op.f('fk_category_suggestions_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('incident_id', name=op.f('pk_category_suggestions'))
    )
    op.create_index(op.f('ix_category_suggestions_decision'), 'category_suggestions', ['decision'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_category_suggestions_decision'), table_name='category_suggestions')
    op.drop_table('category_suggestions')
    op.drop_index('ix_stored_models_name_status', table_name='stored_models')
    op.drop_table('stored_models')
    op.create_table('anomaly_models',  # empty: the pickles are gone for good
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('trained_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('incidents', sa.Integer(), nullable=False),
    sa.Column('blob', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_anomaly_models'))
    )

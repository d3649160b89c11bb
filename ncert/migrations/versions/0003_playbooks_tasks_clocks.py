"""Playbooks: tasks, regulatory deadlines, firings, notifications, national incidents.

Revision ID: 0003c
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = '0003c'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('national_incidents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('created_by', sa.String(length=400), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_national_incidents')),
    sa.UniqueConstraint('reference', name=op.f('uq_national_incidents_reference'))
    )
    op.create_table('incident_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('checklist', sa.String(length=200), nullable=True),
    sa.Column('visible_to_reporter', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('created_by', sa.String(length=400), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_by', sa.String(length=400), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_incident_tasks_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_tasks'))
    )
    op.create_index(op.f('ix_incident_tasks_incident_id'), 'incident_tasks', ['incident_id'], unique=False)
    op.create_table('national_incident_members',
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('national_incident_id', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_national_incident_members_incident_id_incidents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['national_incident_id'], ['national_incidents.id'], name=op.f('fk_national_incident_members_national_incident_id_national_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('incident_id', name=op.f('pk_national_incident_members'))
    )
    op.create_index(op.f('ix_national_incident_members_national_incident_id'), 'national_incident_members', ['national_incident_id'], unique=False)
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('target', sa.Text(), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=400), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_notifications_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    op.create_index(op.f('ix_notifications_incident_id'), 'notifications', ['incident_id'], unique=False)
    op.create_table('playbook_firings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('playbook', sa.String(length=80), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('action_index', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('trigger', sa.String(length=32), nullable=False),
    sa.Column('fired_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_playbook_firings_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_playbook_firings')),
    sa.UniqueConstraint('playbook', 'incident_id', 'action_index', 'subject', name=op.f('uq_playbook_firings_playbook_incident_id_action_index_subject'))
    )
    op.create_index(op.f('ix_playbook_firings_incident_id'), 'playbook_firings', ['incident_id'], unique=False)
    op.create_table('regulatory_deadlines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('regime', sa.String(length=64), nullable=False),
    sa.Column('stage', sa.String(length=64), nullable=False),
    sa.Column('aware_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approaching_fired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('overdue_fired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_regulatory_deadlines_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_regulatory_deadlines')),
    sa.UniqueConstraint('incident_id', 'regime', 'stage', name=op.f('uq_regulatory_deadlines_incident_id_regime_stage'))
    )
    op.create_index(op.f('ix_regulatory_deadlines_incident_id'), 'regulatory_deadlines', ['incident_id'], unique=False)
    op.create_index('ix_regulatory_deadlines_open', 'regulatory_deadlines', ['received_at', 'due_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_regulatory_deadlines_open', table_name='regulatory_deadlines')
    op.drop_index(op.f('ix_regulatory_deadlines_incident_id'), table_name='regulatory_deadlines')
    op.drop_table('regulatory_deadlines')
    op.drop_index(op.f('ix_playbook_firings_incident_id'), table_name='playbook_firings')
    op.drop_table('playbook_firings')
    op.drop_index(op.f('ix_notifications_incident_id'), table_name='notifications')
    op.drop_table('notifications')
    op.drop_index(op.f('ix_national_incident_members_national_incident_id'), table_name='national_incident_members')
    op.drop_table('national_incident_members')
    op.drop_index(op.f('ix_incident_tasks_incident_id'), table_name='incident_tasks')
    op.drop_table('incident_tasks')
    op.drop_table('national_incidents')

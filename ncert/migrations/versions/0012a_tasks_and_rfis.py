"""Tasks with assignees, due dates and a mandatory flag; requests for information
as their own tables (issue 11). Existing requests (tasks the reporter saw) move to
``rfis``, addressed to the reporting organisation, answered when the task was done.

Revision ID: 0012a
Revises: 0011
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = '0012a'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rfis',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.String(length=400), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_by', sa.String(length=400), nullable=True),
    sa.Column('overdue_noted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_rfis_incident_id_incidents'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_rfis_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rfis'))
    )
    op.create_index(op.f('ix_rfis_incident_id'), 'rfis', ['incident_id'], unique=False)
    op.create_index('ix_rfis_org_state', 'rfis', ['org_id', 'state'], unique=False)
    op.create_table('rfi_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rfi_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('by', sa.String(length=400), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['rfi_id'], ['rfis.id'], name=op.f('fk_rfi_answers_rfi_id_rfis'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_rfi_answers_user_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rfi_answers'))
    )
    op.create_index(op.f('ix_rfi_answers_rfi_id'), 'rfi_answers', ['rfi_id'], unique=False)
    op.create_table('rfi_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('answer_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=200), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['answer_id'], ['rfi_answers.id'], name=op.f('fk_rfi_attachments_answer_id_rfi_answers'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rfi_attachments'))
    )
    op.create_index(op.f('ix_rfi_attachments_answer_id'), 'rfi_attachments', ['answer_id'], unique=False)
    # Requests kept as tasks until now: addressed to the reporter, answered when the task was done.
    op.execute(
        "INSERT INTO rfis (incident_id, org_id, title, question, state, created_by, created_at, answered_at) "
        "SELECT t.incident_id, i.reporter_org_id, t.title, t.detail, "
        "CASE WHEN t.status = 'done' THEN 'answered' ELSE 'open' END, t.created_by, t.created_at, t.done_at "
        "FROM incident_tasks t JOIN incidents i ON i.id = t.incident_id WHERE t.visible_to_reporter "
        "ORDER BY t.id")
    op.execute("DELETE FROM incident_tasks WHERE visible_to_reporter")
    with op.batch_alter_table('incident_tasks') as batch:
        batch.drop_column('visible_to_reporter')
        batch.alter_column('status', existing_type=sa.String(length=8), type_=sa.String(length=16),
                           existing_nullable=False)
        batch.alter_column('done_at', new_column_name='closed_at', existing_type=sa.DateTime(timezone=True),
                           existing_nullable=True)
        batch.alter_column('done_by', new_column_name='closed_by', existing_type=sa.String(length=400),
                           existing_nullable=True)
        batch.add_column(sa.Column('mandatory', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column('assignee_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('team_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('due_at', sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key(op.f('fk_incident_tasks_assignee_id_users'), 'users', ['assignee_id'], ['id'],
                                 ondelete='SET NULL')
        batch.create_foreign_key(op.f('fk_incident_tasks_team_id_teams'), 'teams', ['team_id'], ['id'],
                                 ondelete='SET NULL')
        batch.create_index(op.f('ix_incident_tasks_assignee_id'), ['assignee_id'], unique=False)
        batch.create_index(op.f('ix_incident_tasks_team_id'), ['team_id'], unique=False)
        batch.create_index('ix_incident_tasks_open', ['status', 'due_at'], unique=False)


def downgrade() -> None:
    op.execute("UPDATE incident_tasks SET status = 'done' WHERE status = 'cancelled'")
    with op.batch_alter_table('incident_tasks') as batch:
        batch.drop_index('ix_incident_tasks_open')
        batch.drop_index(op.f('ix_incident_tasks_team_id'))
        batch.drop_index(op.f('ix_incident_tasks_assignee_id'))
        batch.drop_constraint(op.f('fk_incident_tasks_team_id_teams'), type_='foreignkey')
        batch.drop_constraint(op.f('fk_incident_tasks_assignee_id_users'), type_='foreignkey')
        batch.drop_column('due_at')
        batch.drop_column('team_id')
        batch.drop_column('assignee_id')
        batch.drop_column('mandatory')
        batch.alter_column('closed_by', new_column_name='done_by', existing_type=sa.String(length=400),
                           existing_nullable=True)
        batch.alter_column('closed_at', new_column_name='done_at', existing_type=sa.DateTime(timezone=True),
                           existing_nullable=True)
        batch.alter_column('status', existing_type=sa.String(length=16), type_=sa.String(length=8),
                           existing_nullable=False)
        batch.add_column(sa.Column('visible_to_reporter', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.drop_index(op.f('ix_rfi_attachments_answer_id'), table_name='rfi_attachments')
    op.drop_table('rfi_attachments')
    op.drop_index(op.f('ix_rfi_answers_rfi_id'), table_name='rfi_answers')
    op.drop_table('rfi_answers')
    op.drop_index('ix_rfis_org_state', table_name='rfis')
    op.drop_index(op.f('ix_rfis_incident_id'), table_name='rfis')
    op.drop_table('rfis')

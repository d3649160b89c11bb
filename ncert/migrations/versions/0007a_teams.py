"""Teams (desks) of the national centre, their members, and an incident's team.

Revision ID: 0007a
Revises: 0006
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = '0007a'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('teams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teams')),
    sa.UniqueConstraint('slug', name=op.f('uq_teams_slug'))
    )
    op.create_table('team_members',
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_team_members_team_id_teams'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_team_members_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', 'user_id', name=op.f('pk_team_members'))
    )
    op.create_index(op.f('ix_team_members_user_id'), 'team_members', ['user_id'], unique=False)
    if op.get_context().dialect.name == 'sqlite':
        # A plain ADD COLUMN: batch mode would copy the table and drop its full-text triggers (0001).
        op.execute('ALTER TABLE incidents ADD COLUMN team_id INTEGER '
                   'CONSTRAINT fk_incidents_team_id_teams REFERENCES teams (id)')
    else:
        op.add_column('incidents', sa.Column('team_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_incidents_team_id_teams'), 'incidents', 'teams', ['team_id'], ['id'])
    op.create_index(op.f('ix_incidents_team_id'), 'incidents', ['team_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_incidents_team_id'), table_name='incidents')
    if op.get_context().dialect.name == 'sqlite':
        op.execute('ALTER TABLE incidents DROP COLUMN team_id')  # SQLite 3.35+; the index is gone first
    else:
        op.drop_constraint(op.f('fk_incidents_team_id_teams'), 'incidents', type_='foreignkey')
        op.drop_column('incidents', 'team_id')
    op.drop_index(op.f('ix_team_members_user_id'), table_name='team_members')
    op.drop_table('team_members')
    op.drop_table('teams')

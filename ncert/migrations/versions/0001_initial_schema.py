"""Initial schema, with the append-only audit triggers and the incident text index.

Revision ID: 0001
Revises: 
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('indicators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('value', sa.String(length=2048), nullable=False),
    sa.Column('first_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confidence', sa.Integer(), nullable=False),
    sa.Column('tlp', sa.String(length=20), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicators')),
    sa.UniqueConstraint('type', 'value', name=op.f('uq_indicators_type_value'))
    )
    op.create_table('reference_counters',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_reference_counters'))
    )
    op.create_table('sectors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('nis2_annex', sa.String(length=8), nullable=True),
    sa.Column('criticality', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sectors')),
    sa.UniqueConstraint('slug', name=op.f('uq_sectors_slug'))
    )
    op.create_table('organizations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('sector_id', sa.Integer(), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('nis2_entity', sa.String(length=16), nullable=True),
    sa.Column('contact_email', sa.String(length=320), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['sector_id'], ['sectors.id'], name=op.f('fk_organizations_sector_id_sectors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organizations')),
    sa.UniqueConstraint('slug', name=op.f('uq_organizations_slug'))
    )
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organizations_sector_id'), ['sector_id'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_users_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_org_id'), ['org_id'], unique=False)

    op.create_table('api_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('prefix', sa.String(length=32), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_api_keys_created_by_id_users')),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_api_keys_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_keys_key_hash')),
    sa.UniqueConstraint('prefix', name=op.f('uq_api_keys_prefix'))
    )
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_keys_org_id'), ['org_id'], unique=False)

    op.create_table('incidents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('reporter_org_id', sa.Integer(), nullable=False),
    sa.Column('sector_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('rsit_class', sa.String(length=48), nullable=False),
    sa.Column('rsit_type', sa.String(length=64), nullable=False),
    sa.Column('severity', sa.Integer(), nullable=False),
    sa.Column('tlp', sa.String(length=20), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('aware_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('source_channel', sa.String(length=16), nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_incidents_assignee_id_users')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['incidents.id'], name=op.f('fk_incidents_merged_into_id_incidents')),
    sa.ForeignKeyConstraint(['reporter_org_id'], ['organizations.id'], name=op.f('fk_incidents_reporter_org_id_organizations')),
    sa.ForeignKeyConstraint(['sector_id'], ['sectors.id'], name=op.f('fk_incidents_sector_id_sectors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents')),
    sa.UniqueConstraint('reference', name=op.f('uq_incidents_reference'))
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incidents_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incidents_merged_into_id'), ['merged_into_id'], unique=False)
        batch_op.create_index('ix_incidents_reported', ['reported_at', 'id'], unique=False)
        batch_op.create_index('ix_incidents_reporter_reported', ['reporter_org_id', 'reported_at', 'id'], unique=False)
        batch_op.create_index('ix_incidents_sector_reported', ['sector_id', 'reported_at', 'id'], unique=False)
        batch_op.create_index('ix_incidents_severity', ['severity', 'id'], unique=False)
        batch_op.create_index('ix_incidents_status_reported', ['status', 'reported_at', 'id'], unique=False)
        batch_op.create_index('ix_incidents_updated', ['updated_at', 'id'], unique=False)

    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=400), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('api_key_id', sa.Integer(), nullable=True),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('interface', sa.String(length=16), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=32), nullable=False),
    sa.Column('object_id', sa.String(length=64), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['api_key_id'], ['api_keys.id'], name=op.f('fk_audit_events_api_key_id_api_keys')),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_audit_events_org_id_organizations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_events_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_at'), ['at'], unique=False)
        batch_op.create_index('ix_audit_events_object', ['object_type', 'object_id'], unique=False)

    op.create_table('incident_affected_sectors',
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('sector_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_incident_affected_sectors_incident_id_incidents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sector_id'], ['sectors.id'], name=op.f('fk_incident_affected_sectors_sector_id_sectors')),
    sa.PrimaryKeyConstraint('incident_id', 'sector_id', name=op.f('pk_incident_affected_sectors'))
    )
    with op.batch_alter_table('incident_affected_sectors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_affected_sectors_sector_id'), ['sector_id'], unique=False)

    op.create_table('incident_external_refs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=64), nullable=False),
    sa.Column('value', sa.String(length=256), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_incident_external_refs_incident_id_incidents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_incident_external_refs_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_external_refs')),
    sa.UniqueConstraint('org_id', 'system', 'value', name=op.f('uq_incident_external_refs_org_id_system_value'))
    )
    with op.batch_alter_table('incident_external_refs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_external_refs_incident_id'), ['incident_id'], unique=False)

    op.create_table('incident_indicators',
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_incident_indicators_incident_id_incidents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicators.id'], name=op.f('fk_incident_indicators_indicator_id_indicators')),
    sa.PrimaryKeyConstraint('incident_id', 'indicator_id', name=op.f('pk_incident_indicators'))
    )
    with op.batch_alter_table('incident_indicators', schema=None) as batch_op:
        batch_op.create_index('ix_incident_indicators_indicator', ['indicator_id', 'incident_id'], unique=False)

    op.create_table('sightings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_sightings_incident_id_incidents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicators.id'], name=op.f('fk_sightings_indicator_id_indicators')),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_sightings_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sightings'))
    )
    with op.batch_alter_table('sightings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sightings_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sightings_indicator_id'), ['indicator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sightings_org_id'), ['org_id'], unique=False)

    op.create_table('timeline_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=400), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('internal', sa.Boolean(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_timeline_entries_incident_id_incidents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_timeline_entries_org_id_organizations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_timeline_entries_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timeline_entries'))
    )
    with op.batch_alter_table('timeline_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_timeline_entries_incident_id'), ['incident_id'], unique=False)


    _audit_append_only()
    _incident_text_index()


def downgrade() -> None:
    _drop_extras()
    with op.batch_alter_table('timeline_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_timeline_entries_incident_id'))

    op.drop_table('timeline_entries')
    with op.batch_alter_table('sightings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sightings_org_id'))
        batch_op.drop_index(batch_op.f('ix_sightings_indicator_id'))
        batch_op.drop_index(batch_op.f('ix_sightings_incident_id'))

    op.drop_table('sightings')
    with op.batch_alter_table('incident_indicators', schema=None) as batch_op:
        batch_op.drop_index('ix_incident_indicators_indicator')

    op.drop_table('incident_indicators')
    with op.batch_alter_table('incident_external_refs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_external_refs_incident_id'))

    op.drop_table('incident_external_refs')
    with op.batch_alter_table('incident_affected_sectors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_affected_sectors_sector_id'))

    op.drop_table('incident_affected_sectors')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_object')
        batch_op.drop_index(batch_op.f('ix_audit_events_at'))

    op.drop_table('audit_events')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index('ix_incidents_updated')
        batch_op.drop_index('ix_incidents_status_reported')
        batch_op.drop_index('ix_incidents_severity')
        batch_op.drop_index('ix_incidents_sector_reported')
        batch_op.drop_index('ix_incidents_reporter_reported')
        batch_op.drop_index('ix_incidents_reported')
        batch_op.drop_index(batch_op.f('ix_incidents_merged_into_id'))
        batch_op.drop_index(batch_op.f('ix_incidents_assignee_id'))

    op.drop_table('incidents')
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_keys_org_id'))

    op.drop_table('api_keys')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_org_id'))

    op.drop_table('users')
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organizations_sector_id'))

    op.drop_table('organizations')
    op.drop_table('sectors')
    op.drop_table('reference_counters')
    op.drop_table('indicators')


def _audit_append_only() -> None:
    """The database itself refuses UPDATE and DELETE on audit_events."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        )


def _incident_text_index() -> None:
    """SQLite: an external-content FTS5 table kept in step by triggers.
    PostgreSQL: a GIN index on the same expression ncert.search queries."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE incidents_fts USING fts5("
            "reference, title, description, content='incidents', content_rowid='id', "
            "tokenize='unicode61 remove_diacritics 2')"
        )
        new = "VALUES (new.id, new.reference, new.title, new.description)"
        old = "VALUES ('delete', old.id, old.reference, old.title, old.description)"
        op.execute(
            "CREATE TRIGGER incidents_fts_insert AFTER INSERT ON incidents BEGIN "
            f"INSERT INTO incidents_fts(rowid, reference, title, description) {new}; END"
        )
        op.execute(
            "CREATE TRIGGER incidents_fts_delete AFTER DELETE ON incidents BEGIN "
            f"INSERT INTO incidents_fts(incidents_fts, rowid, reference, title, description) {old}; END"
        )
        op.execute(
            "CREATE TRIGGER incidents_fts_update AFTER UPDATE OF reference, title, description ON incidents BEGIN "
            f"INSERT INTO incidents_fts(incidents_fts, rowid, reference, title, description) {old}; "
            f"INSERT INTO incidents_fts(rowid, reference, title, description) {new}; END"
        )
    else:
        op.execute(
            "CREATE INDEX ix_incidents_text ON incidents USING gin "
            "(to_tsvector('simple', coalesce(title, '') || ' ' || coalesce(description, '')))"
        )


def _drop_extras() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("incidents_fts_insert", "incidents_fts_delete", "incidents_fts_update",
                     "audit_events_no_update", "audit_events_no_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS incidents_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_incidents_text")
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")

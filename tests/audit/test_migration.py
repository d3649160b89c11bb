"""Upgrading a database that already has an audit log chains its rows (0008d),
on both backends; the append-only triggers are back afterwards."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from ncert.actor import Actor
from ncert.db import make_engine, make_session_factory
from ncert.models import AuditEvent
from ncert.schema import upgrade
from ncert.services import audit
from ncert.taxonomy import OrgKind, Role

SCHEMA = "audit_migration"


@pytest.fixture
def old_database(backend, tmp_path):
    """An empty database of the current backend at revision 0007b, before the chain."""
    kind, handle = backend
    if kind == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    else:
        with handle.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
        engine = make_engine(handle.url.render_as_string(hide_password=False),
                             connect_args={"options": f"-csearch_path={SCHEMA}"})
    upgrade(engine, "0007b")
    yield engine
    engine.dispose()
    if kind == "postgresql":
        with handle.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {SCHEMA} CASCADE"))


def test_existing_rows_are_chained_by_the_upgrade(old_database):
    with old_database.begin() as conn:
        for i, details in enumerate(('{"b": 1, "a": [2.5, null]}', "{}", '{"name": "\\u00dc"}')):
            conn.execute(text("INSERT INTO audit_events (at, actor, interface, action, object_type, object_id, "
                              "details) VALUES (:at, 'system (cli)', 'cli', 'old.event', 'thing', :i, :d)"),
                         {"at": f"2026-01-0{i + 1} 10:00:00.123456", "i": str(i), "d": details})
    upgrade(old_database)
    sessions = make_session_factory(old_database, info={"national_org": "national-cert"})
    reader = Actor(role=Role.ADMIN, org_id=1, org_kind=OrgKind.STATE_BODY, sector_id=None, interface="test",
                   label="auditor")
    with sessions() as s:
        verdict = audit.verify(s, reader)
        assert verdict.intact and verdict.rows == 3, verdict
        assert all(s.scalars(select(AuditEvent.row_hash)))
    with old_database.connect() as conn:
        with pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text("UPDATE audit_events SET actor = 'forged'"))

"""Organisations, users and API keys: hashed secrets, revocation, admin-only changes."""

import hashlib

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from ncert.db import transaction
from ncert.errors import Conflict, Forbidden, Invalid, Unauthenticated
from ncert.models import ApiKey, AuditEvent
from ncert.services import directory


def test_api_key_is_stored_hashed_and_shown_once(world):
    with transaction(world.runtime.sessions) as s:
        key, secret = directory.create_api_key(s, world.admin, org="gridco", role="sector_analyst", name="misp sync")
    assert secret.startswith(key.prefix + "_")
    with world.runtime.sessions() as s:
        stored = s.scalars(select(ApiKey).where(ApiKey.prefix == key.prefix)).one()
        assert secret not in (stored.key_hash, stored.prefix, stored.name)
        assert stored.key_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert stored.last_used_at is None
    with transaction(world.runtime.sessions) as s:
        assert directory.authenticate_key(s, secret).org.slug == "gridco"
    with world.runtime.sessions() as s:
        assert s.scalars(select(ApiKey).where(ApiKey.prefix == key.prefix)).one().last_used_at is not None


def test_revoked_and_unknown_keys_are_refused(world):
    secret = world.key("gridco")
    prefix = "_".join(secret.split("_")[:2])
    with transaction(world.runtime.sessions) as s:
        directory.revoke_api_key(s, world.admin, prefix)
    with world.runtime.sessions() as s:
        with pytest.raises(Unauthenticated, match="revoked"):
            directory.authenticate_key(s, secret)
        with pytest.raises(Unauthenticated):
            directory.authenticate_key(s, secret + "x")


def test_only_admins_manage_the_directory(world):
    op = world.operator
    with world.runtime.sessions() as s:
        for call in (
            lambda: directory.create_api_key(s, op, org="gridco", role="admin"),
            lambda: directory.add_user(s, op, email="x@y.test", name="X", role="admin", org="gridco",
                                       password="a-long-password"),
            lambda: directory.add_organization(s, op, slug="x", name="X", kind="civil-society", sector=None),
            lambda: directory.users(s, op),
        ):
            with pytest.raises(Forbidden):
                call()


def test_add_user_validates_and_authenticates(world):
    with transaction(world.runtime.sessions) as s:
        directory.add_user(s, world.admin, email="Duty.Officer@NCERT.test", name="Duty", role="soc_operator",
                           org="national-cert", password="a-long-password")
    with world.runtime.sessions() as s:
        assert directory.authenticate_password(s, "duty.officer@ncert.test", "a-long-password").role == "soc_operator"
        with pytest.raises(Unauthenticated):
            directory.authenticate_password(s, "duty.officer@ncert.test", "wrong-password!")
        with pytest.raises(Conflict):
            directory.add_user(s, world.admin, email="duty.officer@ncert.test", name="D", role="admin",
                               org="national-cert", password="a-long-password")
        with pytest.raises(Invalid):
            directory.add_user(s, world.admin, email="short@ncert.test", name="S", role="admin",
                               org="national-cert", password="short")
        with pytest.raises(Invalid):
            directory.add_user(s, world.admin, email="r@ncert.test", name="R", role="king",
                               org="national-cert", password="a-long-password")


def test_deactivated_users_cannot_log_in(world):
    with transaction(world.runtime.sessions) as s:
        directory.set_user_active(s, world.admin, world.users["operator2@ncert.test"], False)
    with world.runtime.sessions() as s, pytest.raises(Unauthenticated):
        directory.authenticate_password(s, "operator2@ncert.test", "correct horse battery staple")


def test_add_organization(world):
    with transaction(world.runtime.sessions) as s:
        org = directory.add_organization(s, world.admin, slug="watercorp", name="WaterCorp", kind="private-operator",
                                         sector="health", nis2_entity="essential")
        assert org.sector.slug == "health"
    with world.runtime.sessions() as s:
        with pytest.raises(Conflict):
            directory.add_organization(s, world.admin, slug="watercorp", name="W", kind="state-body", sector=None)
        with pytest.raises(Invalid):
            directory.add_organization(s, world.admin, slug="w2", name="W", kind="pirates", sector=None)
        with pytest.raises(Invalid):
            directory.add_organization(s, world.admin, slug="w3", name="W", kind="state-body", sector="moon")


def test_audit_log_is_append_only_in_the_database(world):
    world.key("gridco")  # writes an audit event
    with world.runtime.engine.connect() as conn:
        for sql in ("UPDATE audit_events SET actor = 'forged'", "DELETE FROM audit_events"):
            with pytest.raises(DBAPIError, match="append-only"):
                conn.execute(text(sql))
            conn.rollback()
    with world.runtime.sessions() as s:
        event = s.scalars(select(AuditEvent)).first()
        event.actor = "forged"
        with pytest.raises(PermissionError):
            s.flush()

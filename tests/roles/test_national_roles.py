"""SOC operator, leadership and admin are roles of the national centre's own
organisation (NCERT_NATIONAL_ORG): the directory service refuses them anywhere
else, so the CLI and the console's admin forms do too, and `ncert init`
reports holders made before the rule."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ncert.db import transaction
from ncert.errors import Invalid
from ncert.models import ApiKey, User
from ncert.services import directory
from ncert.taxonomy import Role
from tests.console.helpers import Console, flashes

REFUSAL = "role {role} belongs to the national centre's organisation (national-cert) only; gridco may hold " \
          "sector_analyst only"
NATIONAL_ROLES = ("soc_operator", "leadership", "admin")


def _count(world, model) -> int:
    with world.runtime.sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("role", NATIONAL_ROLES)
def test_the_service_keeps_national_roles_national(world, role):
    with world.runtime.sessions() as s:
        with pytest.raises(Invalid, match="national centre's organisation"):
            directory.add_user(s, world.admin, email="x@gridco.test", name="X", role=role, org="gridco",
                               password="a-long-password")
        with pytest.raises(Invalid, match="national centre's organisation"):
            directory.create_api_key(s, world.admin, org="gridco", role=role)
        directory.add_user(s, world.admin, email="y@ncert.test", name="Y", role=role, org="national-cert",
                           password="a-long-password")
        directory.add_user(s, world.admin, email="z@gridco.test", name="Z", role="sector_analyst", org="gridco",
                           password="a-long-password")
        s.rollback()


@pytest.mark.parametrize("role", NATIONAL_ROLES)
def test_the_cli_refuses_national_roles_elsewhere(world, ncert, role):
    users, keys = _count(world, User), _count(world, ApiKey)
    result = ncert("user", "add", "--email", "x@gridco.test", "--name", "X", "--role", role, "--org", "gridco",
                   "--password", "a-long-password")
    assert result.exit_code == 1 and REFUSAL.format(role=role) in result.output
    result = ncert("apikey", "create", "--org", "gridco", "--role", role)
    assert result.exit_code == 1 and REFUSAL.format(role=role) in result.output
    assert (_count(world, User), _count(world, ApiKey)) == (users, keys)
    ok = ncert("user", "add", "--email", "x@ncert.test", "--name", "X", "--role", role, "--org", "national-cert",
               "--password", "a-long-password")
    assert ok.exit_code == 0, ok.output


def test_the_console_user_form_refuses_national_roles_elsewhere(app, world):
    console = Console(app.test_client())
    assert console.login("admin@ncert.test").status_code == 302
    users = _count(world, User)
    response = console.post("/admin/users", {"user-email": "x@gridco.test", "user-name": "X", "user-role": "admin",
                                             "user-org": "gridco", "user-password": "a long enough password"},
                            form_page="/admin/users", follow_redirects=True)
    assert flashes(response) == [("error", REFUSAL.format(role="admin"))]
    response = console.post("/admin/api-keys", {"key-org": "gridco", "key-role": "soc_operator", "key-name": ""},
                            form_page="/admin/api-keys", follow_redirects=True)
    assert flashes(response) == [("error", REFUSAL.format(role="soc_operator"))]
    assert _count(world, User) == users and _count(world, ApiKey) == 0


def test_init_reports_national_roles_held_elsewhere_and_keeps_going(world, ncert):
    with transaction(world.runtime.sessions) as s:  # made before the rule existed: straight into the table
        s.add(User(email="old-admin@gridco.test", name="Old", role=Role.ADMIN, org_id=world.orgs["gridco"],
                   password_hash="x"))
    first, second = ncert("init"), ncert("init")
    for result in (first, second):
        assert result.exit_code == 0, result.output
        assert "warning: user old-admin@gridco.test (gridco) holds admin, a national-centre role outside " \
               "national-cert" in result.output
    assert "analyst@gridco.test" not in first.output

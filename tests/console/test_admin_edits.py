"""Admins edit and deactivate organisations (whose users then cannot sign in, nor its API keys
answer), change a user's role and reset a password; each is audited, and only admins may."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ncert.db import transaction
from ncert.errors import Conflict, Forbidden, Invalid, Unauthenticated
from ncert.models import AuditEvent, Organization, User
from ncert.services import directory
from tests.console.helpers import flashes
from tests.factories import PASSWORD

NEW_PASSWORD = "another long enough passphrase"


@pytest.fixture
def admin(as_user):
    return as_user("admin@ncert.test")


def _audited(world, action: str) -> list[tuple[str, dict]]:
    with world.runtime.sessions() as s:
        return [(e.object_id, e.details) for e in s.scalars(select(AuditEvent).where(AuditEvent.action == action))]


def test_edit_and_deactivate_an_organisation(admin, as_user, world, app):
    analyst = as_user("analyst@gridco.test")  # signed in before the deactivation
    key = world.key("gridco")
    page = admin.text("/admin/organizations/gridco")
    assert 'value="GridCo Transmission"' in page
    response = admin.post("/admin/organizations/gridco", {"org-name": "GridCo Transmission SA", "org-country": "nl",
                                                          "org-contact_email": "soc@gridco.test"},
                          form_page="/admin/organizations/gridco", follow_redirects=True)
    assert flashes(response) == [("success", "Organisation gridco saved (deactivated: its users cannot sign in).")]
    with world.runtime.sessions() as s:
        org = s.scalar(select(Organization).where(Organization.slug == "gridco"))
        assert (org.name, org.country, org.contact_email, org.active) == ("GridCo Transmission SA", "NL",
                                                                          "soc@gridco.test", False)
    assert _audited(world, "organization.deactivate")[0][0] == "gridco"
    assert analyst.get("/queue").status_code == 302  # signed out
    login = analyst.login("analyst@gridco.test")
    assert login.status_code != 302 or login.headers["Location"] != "/queue"
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    admin.post("/admin/organizations/gridco", {"org-name": "GridCo Transmission SA", "org-active": "y"},
               form_page="/admin/organizations/gridco")
    assert analyst.login("analyst@gridco.test").headers["Location"] == "/queue"
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {key}"}).status_code == 200


def test_the_national_centre_cannot_be_deactivated(world):
    with pytest.raises(Conflict, match="cannot be deactivated"), transaction(world.runtime.sessions) as s:
        directory.update_organization(s, world.admin, "national-cert", name="National CERT", active=False)


def test_change_a_role_and_reset_a_password(admin, world):
    analyst_id, operator_id = world.users["analyst@gridco.test"], world.users["operator2@ncert.test"]
    response = admin.post(f"/admin/users/{operator_id}/role", {"role": "leadership"}, form_page="/admin/users",
                          follow_redirects=True)
    assert flashes(response) == [("success", "operator2@ncert.test is now leadership.")]
    assert _audited(world, "user.role") == [("operator2@ncert.test", {"old": "soc_operator", "new": "leadership"})]
    response = admin.post(f"/admin/users/{analyst_id}/role", {"role": "admin"}, form_page="/admin/users",
                          follow_redirects=True)
    assert flashes(response)[0][0] == "error" and "national centre" in flashes(response)[0][1]
    response = admin.post(f"/admin/users/{world.users['admin@ncert.test']}/role", {"role": "leadership"},
                          form_page="/admin/users", follow_redirects=True)
    assert flashes(response) == [("error", "you cannot change your own role; ask another admin")]

    response = admin.post(f"/admin/users/{analyst_id}/password", {"password": "short"}, form_page="/admin/users",
                          follow_redirects=True)
    assert flashes(response)[0][0] == "error"
    response = admin.post(f"/admin/users/{analyst_id}/password", {"password": NEW_PASSWORD}, form_page="/admin/users",
                          follow_redirects=True)
    assert flashes(response) == [("success", "New password set for analyst@gridco.test; hand it over out of band.")]
    with world.runtime.sessions() as s:
        assert directory.authenticate_password(s, "analyst@gridco.test", NEW_PASSWORD).id == analyst_id
        with pytest.raises(Unauthenticated):
            directory.authenticate_password(s, "analyst@gridco.test", PASSWORD)
    assert [obj for obj, _ in _audited(world, "user.reset-password")] == ["analyst@gridco.test"]


@pytest.mark.parametrize("call", [
    lambda s, a, w: directory.update_organization(s, a, "gridco", name="x"),
    lambda s, a, w: directory.set_user_role(s, a, w.users["analyst@gridco.test"], "sector_analyst"),
    lambda s, a, w: directory.reset_password(s, a, w.users["analyst@gridco.test"], NEW_PASSWORD),
])
def test_only_admins(world, call):
    with pytest.raises(Forbidden), transaction(world.runtime.sessions) as s:
        call(s, world.operator, world)
    with world.runtime.sessions() as s:
        assert s.scalar(select(User.role).where(User.email == "analyst@gridco.test")) == "sector_analyst"


def test_bad_values(world):
    with pytest.raises(Invalid, match="unknown role"), transaction(world.runtime.sessions) as s:
        directory.set_user_role(s, world.admin, world.users["analyst@gridco.test"], "overlord")
    with pytest.raises(Invalid, match="needs a name"), transaction(world.runtime.sessions) as s:
        directory.update_organization(s, world.admin, "gridco", name=" ")

"""Administration pages: organisations, users and API keys, for admins only."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from ncert.errors import Unauthenticated
from ncert.models import ApiKey, Organization, User
from ncert.services import directory
from tests.console.helpers import flashes, html

ADMIN_PAGES = ("/admin/organizations", "/admin/users", "/admin/api-keys")


@pytest.fixture
def admin(as_user):
    return as_user("admin@ncert.test")


@pytest.mark.parametrize("email", ["operator@ncert.test", "leader@ncert.test", "analyst@gridco.test"])
def test_admin_pages_are_403_for_everyone_else(as_user, world, email):
    console = as_user(email)
    secret = world.key("gridco")
    prefix = "_".join(secret.split("_")[:2])
    for url in ADMIN_PAGES:
        response = console.get(url)
        assert response.status_code == 403, url
        assert "this action needs the admin role" in html(response)
    posts = {
        "/admin/organizations": {"org-slug": "evil", "org-name": "Evil", "org-kind": "state-body"},
        "/admin/users": {"user-email": "evil@ncert.test", "user-name": "Evil", "user-role": "admin",
                         "user-org": "national-cert", "user-password": "a long enough password"},
        "/admin/api-keys": {"key-org": "national-cert", "key-role": "admin"},
        f"/admin/users/{world.users['operator2@ncert.test']}/deactivate": {},
        f"/admin/api-keys/{prefix}/revoke": {},
    }
    for url, data in posts.items():
        assert console.post(url, data).status_code == 403, url
    with world.runtime.sessions() as s:
        assert s.scalar(select(Organization).where(Organization.slug == "evil")) is None
        assert s.scalar(select(User).where(User.email == "evil@ncert.test")) is None
        assert s.scalar(select(func.count()).select_from(ApiKey)) == 1
        assert s.get(User, world.users["operator2@ncert.test"]).active
        assert s.scalar(select(ApiKey.revoked_at)) is None


def test_organisations_list_and_add(admin, world):
    page = html(admin.get("/admin/organizations"))
    assert "GridCo Transmission" in page and "partner-cert" in page and "international-partner" in page
    response = admin.post("/admin/organizations", {
        "org-slug": "waterworks", "org-name": "City Waterworks", "org-kind": "private-operator", "org-sector": "health",
        "org-country": "nl", "org-nis2_entity": "essential", "org-contact_email": "soc@waterworks.example"},
        form_page="/admin/organizations", follow_redirects=True)
    assert flashes(response) == [("success", "Organisation waterworks added.")]
    assert "City Waterworks" in html(response)
    with world.runtime.sessions() as s:
        org = s.scalar(select(Organization).where(Organization.slug == "waterworks"))
        assert (org.kind, org.sector.slug, org.country, org.nis2_entity) == ("private-operator", "health", "NL",
                                                                             "essential")


def test_duplicate_organisation_is_flashed_not_written(admin, world):
    response = admin.post("/admin/organizations", {"org-slug": "gridco", "org-name": "Again", "org-kind": "state-body"},
                          form_page="/admin/organizations", follow_redirects=True)
    assert flashes(response) == [("error", "organisation 'gridco' already exists")]
    with world.runtime.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Organization).where(Organization.slug == "gridco")) == 1


def test_invalid_organisation_form_shows_field_errors(admin):
    response = admin.post("/admin/organizations", {"org-slug": "Bad Slug!", "org-name": "", "org-kind": "guild"},
                          form_page="/admin/organizations")
    assert response.status_code == 422
    page = html(response)
    assert "lower-case letters, digits and hyphens only" in page and "Not a valid choice." in page


def test_users_list_add_and_deactivate(admin, world, as_user):
    page = html(admin.get("/admin/users"))
    assert all(email in page for email in world.users)
    response = admin.post("/admin/users", {
        "user-email": "Analyst@CityHospital.test", "user-name": "Hospital Analyst", "user-role": "sector_analyst",
        "user-org": "cityhospital", "user-password": "a long enough password"},
        form_page="/admin/users", follow_redirects=True)
    assert flashes(response) == [("success", "User analyst@cityhospital.test added.")]
    as_user("analyst@cityhospital.test", "a long enough password")  # the account works
    with world.runtime.sessions() as s:
        user_id = s.scalar(select(User.id).where(User.email == "analyst@cityhospital.test"))
    response = admin.post(f"/admin/users/{user_id}/deactivate", form_page="/admin/users", follow_redirects=True)
    assert flashes(response) == [("success", "analyst@cityhospital.test deactivated.")]
    assert re.search(rf'id="user-{user_id}">.*?deactivated.*?Activate', html(response), re.S)
    with world.runtime.sessions() as s, pytest.raises(Unauthenticated):
        directory.authenticate_password(s, "analyst@cityhospital.test", "a long enough password")
    response = admin.post(f"/admin/users/{user_id}/activate", form_page="/admin/users", follow_redirects=True)
    assert flashes(response) == [("success", "analyst@cityhospital.test activated.")]


def test_short_password_and_duplicate_user_are_refused(admin, world):
    response = admin.post("/admin/users", {"user-email": "x@ncert.test", "user-name": "X", "user-role": "admin",
                                           "user-org": "national-cert", "user-password": "short"},
                          form_page="/admin/users")
    assert response.status_code == 422 and "Field must be between 12 and 1024 characters long." in html(response)
    response = admin.post("/admin/users", {"user-email": "operator@ncert.test", "user-name": "Dup",
                                           "user-role": "admin", "user-org": "national-cert",
                                           "user-password": "a long enough password"},
                          form_page="/admin/users", follow_redirects=True)
    assert flashes(response) == [("error", "user 'operator@ncert.test' already exists")]


def test_api_key_secret_is_shown_once_and_works(admin, world):
    response = admin.post("/admin/api-keys", {"key-org": "gridco", "key-role": "sector_analyst",
                                              "key-name": "gridco SIEM"}, form_page="/admin/api-keys")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = html(response)
    secret = re.search(r'id="secret" class="secret mono" type="text" readonly value="([^"]+)"', page).group(1)
    assert "shown only this once" in page
    with world.runtime.sessions() as s:
        key = directory.authenticate_key(s, secret)
        assert (key.org.slug, key.role, key.name) == ("gridco", "sector_analyst", "gridco SIEM")
        assert key.key_hash != secret
    listing = html(admin.get("/admin/api-keys"))
    assert key.prefix in listing and "gridco SIEM" in listing and "GridCo Transmission" in listing
    assert secret not in listing
    assert secret.removeprefix(key.prefix) not in listing


def test_api_key_revoke(admin, world):
    secret = world.key("centralbank")
    prefix = "_".join(secret.split("_")[:2])
    response = admin.post(f"/admin/api-keys/{prefix}/revoke", form_page="/admin/api-keys", follow_redirects=True)
    assert flashes(response) == [("success", f"API key {prefix} revoked.")]
    assert re.search(rf'id="key-{prefix}">.*?UTC</td>\s*<td></td>', html(response), re.S)  # revoked: no button
    with world.runtime.sessions() as s, pytest.raises(Unauthenticated, match="revoked"):
        directory.authenticate_key(s, secret)
    response = admin.post("/admin/api-keys/ncert_nope/revoke", form_page="/admin/api-keys", follow_redirects=True)
    assert flashes(response) == [("error", "no API key 'ncert_nope'")]

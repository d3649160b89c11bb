"""Signing in and out of the console."""

from __future__ import annotations

from sqlalchemy import select

from ncert.db import transaction
from ncert.models import User
from ncert.services import directory
from tests.console.helpers import Console, csrf_token, html


def test_sign_in_lands_on_the_queue_with_who_and_where_in_the_nav(console, world):
    response = console.login("operator@ncert.test")
    assert response.status_code == 302 and response.headers["Location"] == "/queue"
    page = html(console.get("/queue"))
    assert "Operator" in page and "National CERT" in page and "SOC operator" in page
    assert 'href="/submit"' in page and 'href="/overview"' in page
    assert 'href="/admin/users"' not in page  # admin links only for admins
    with world.runtime.sessions() as s:
        assert s.get(User, world.users["operator@ncert.test"]).last_login_at is not None


def test_root_redirects_to_the_queue(as_user):
    response = as_user("leader@ncert.test").get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/queue"


def test_nav_links_follow_the_role(as_user):
    admin = html(as_user("admin@ncert.test").get("/queue"))
    assert all(f'href="/admin/{p}"' in admin for p in ("organizations", "users", "api-keys"))
    leader = html(as_user("leader@ncert.test").get("/queue"))
    assert 'href="/submit"' not in leader and "Leadership" in leader
    analyst = html(as_user("analyst@gridco.test").get("/queue"))
    assert "GridCo Transmission" in analyst and "Sector analyst" in analyst and 'href="/submit"' in analyst


def test_wrong_password_is_refused_and_nothing_is_recorded(console, world):
    response = console.login("operator@ncert.test", "not the password")
    assert response.status_code == 401
    assert "wrong e-mail or password" in html(response)
    assert console.get("/queue").status_code == 302  # still signed out
    with world.runtime.sessions() as s:
        assert s.get(User, world.users["operator@ncert.test"]).last_login_at is None


def test_unknown_and_deactivated_users_cannot_sign_in(console, world):
    assert console.login("nobody@ncert.test").status_code == 401
    with transaction(world.runtime.sessions) as s:
        directory.set_user_active(s, world.admin, world.users["operator2@ncert.test"], False)
    response = console.login("operator2@ncert.test")
    assert response.status_code == 401 and "wrong e-mail or password" in html(response)


def test_pages_need_sign_in_and_return_there_afterwards(console, world):
    for url in ("/queue", "/overview", "/submit", "/admin/users", "/incidents/NC-2026-000001"):
        response = console.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login?next=")
    token = csrf_token(html(console.get("/login?next=/overview")))
    response = console.client.post("/login?next=/overview", data={
        "email": "leader@ncert.test", "password": "correct horse battery staple", "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/overview"


OFF_SITE = ("https://evil.example/", "//evil.example/x", "/\\evil.example", "/%09/evil.example", "/%0a/evil.example",
            "/%0d%0a/evil.example", "%09//evil.example", "/%5Cevil.example", "javascript:alert(1)", "/ /evil.example",
            "https:/evil.example", "/%2F/evil.example")


def test_sign_in_never_redirects_off_site(console, world):
    # Browsers drop tab and newline in URLs, so "/<tab>/evil.example" is "//evil.example"; a newline was a 500.
    for target in OFF_SITE:
        fresh = Console(console.client.application.test_client())
        token = csrf_token(html(fresh.get("/login")))
        response = fresh.client.post(f"/login?next={target}", data={
            "email": "leader@ncert.test", "password": "correct horse battery staple", "csrf_token": token})
        assert response.status_code == 302 and response.headers["Location"] == "/queue", target


def test_sign_in_follows_a_path_on_this_site(console, world):
    token = csrf_token(html(console.get("/login")))
    response = console.client.post("/login?next=/queue%3Fstatus%3Dnew%26page%3D2", data={
        "email": "leader@ncert.test", "password": "correct horse battery staple", "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/queue?status=new&page=2"


def test_sign_out_is_a_post_with_the_token(as_user):
    console = as_user("operator@ncert.test")
    assert console.get("/logout").status_code == 405  # a link or image cannot sign anyone out
    response = console.client.post("/logout")
    assert response.status_code == 400  # no CSRF token
    assert console.get("/queue").status_code == 200  # still signed in
    response = console.post("/logout", follow_redirects=True)
    assert "Signed out." in html(response)
    assert console.get("/queue").status_code == 302


def test_a_deactivated_user_is_signed_out_on_the_next_request(as_user, world):
    console = as_user("operator2@ncert.test")
    assert console.get("/queue").status_code == 200
    with transaction(world.runtime.sessions) as s:
        user = s.scalar(select(User).where(User.email == "operator2@ncert.test"))
        directory.set_user_active(s, world.admin, user.id, False)
    assert console.get("/queue").status_code == 302


def test_login_form_without_csrf_token_is_rejected(console, world):
    response = console.client.post("/login", data={"email": "operator@ncert.test",
                                                   "password": "correct horse battery staple"})
    assert response.status_code == 400
    assert "form could not be accepted" in html(response)
    assert console.get("/queue").status_code == 302

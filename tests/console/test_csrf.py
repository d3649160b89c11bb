"""CSRF: every console form carries a token, and a POST without a valid one is
refused with 400 before any service runs, so nothing is written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ncert.models import ApiKey, AuditEvent, Incident, Organization, User
from tests.console.helpers import html, state


@pytest.fixture
def ref(world) -> str:
    return world.submit(world.actor("analyst@gridco.test"), title="Ransomware on SCADA jump host")


def counts(runtime) -> tuple[int, ...]:
    with runtime.sessions() as s:
        return tuple(s.scalar(select(func.count()).select_from(model))
                     for model in (Incident, User, Organization, ApiKey, AuditEvent))


def test_csrf_protection_is_on(app):
    assert app.config.get("WTF_CSRF_ENABLED", True) is True


@pytest.mark.parametrize(("action", "data"), [
    ("triage", {"triage-status": "triaged", "triage-tlp": "TLP:RED", "triage-severity": "5"}),
    ("comment", {"comment-body": "hello"}),
    ("merge", {"merge-into": "NC-1999-000001"}),
    ("reopen", {"reopen-reason": "again"}),
])
@pytest.mark.parametrize("token", [None, "forged-token"])
def test_incident_actions_without_a_valid_token_are_rejected(as_user, world, ref, action, data, token):
    operator = as_user("operator@ncert.test")
    before = state(world.runtime, ref)
    form = {**data, **({"csrf_token": token} if token else {})}
    response = operator.client.post(f"/incidents/{ref}/{action}", data=form)
    assert response.status_code == 400
    assert "The form could not be accepted" in html(response)
    assert state(world.runtime, ref) == before


@pytest.mark.parametrize(("url", "data"), [
    ("/submit", {"title": "Injected", "tlp": "TLP:AMBER", "category": "", "severity": "",
                 "reporter_org": "national-cert"}),
    ("/admin/organizations", {"org-slug": "evil", "org-name": "Evil", "org-kind": "state-body"}),
    ("/admin/users", {"user-email": "evil@ncert.test", "user-name": "Evil", "user-role": "admin",
                      "user-org": "national-cert", "user-password": "a long enough password"}),
    ("/admin/api-keys", {"key-org": "national-cert", "key-role": "admin"}),
])
def test_creating_forms_without_a_token_are_rejected(as_user, world, url, data):
    admin = as_user("admin@ncert.test")
    before = counts(world.runtime)
    response = admin.client.post(url, data=data)
    assert response.status_code == 400
    assert counts(world.runtime) == before


def test_user_activation_and_key_revocation_need_the_token(as_user, world):
    secret = world.key("gridco")
    admin = as_user("admin@ncert.test")
    prefix = "_".join(secret.split("_")[:2])
    assert admin.client.post(f"/admin/users/{world.users['operator2@ncert.test']}/deactivate").status_code == 400
    assert admin.client.post(f"/admin/api-keys/{prefix}/revoke").status_code == 400
    with world.runtime.sessions() as s:
        assert s.get(User, world.users["operator2@ncert.test"]).active
        assert s.scalar(select(ApiKey).where(ApiKey.prefix == prefix)).revoked_at is None


def test_every_rendered_post_form_carries_a_token(as_user, world, ref):
    pages = {"operator@ncert.test": ["/queue", f"/incidents/{ref}", "/submit", "/overview"],
             "admin@ncert.test": ["/admin/organizations", "/admin/users", "/admin/api-keys"],
             "analyst@gridco.test": [f"/incidents/{ref}", "/submit"]}
    for email, urls in pages.items():
        console = as_user(email)
        for url in urls:
            page = html(console.get(url))
            forms = page.split('<form method="post"')[1:]
            assert forms, url
            for form in forms:
                has_token = 'csrf_token" type="hidden" value="' in form or 'name="csrf_token" value="' in form
                assert has_token, (url, form[:200])

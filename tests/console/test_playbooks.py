"""Playbook management in the console (issue 5): admins only; enable, disable,
create and edit with every version kept; drafts checked and dry-run before saving."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from ncert.db import transaction
from ncert.models import AuditEvent, PlaybookFiring, PlaybookVersion, StoredPlaybook, Task, TimelineEntry
from ncert.services import playbook_library
from playbooks.engine import DEFAULT_LIBRARY
from tests.console.helpers import csrf_token, flashes, html
from tests.playbooks.helpers import set_entity
from tests.playbooks.test_library import RANSOMWARE
from tests.playbooks.test_stored_library import PHISHING_TAG


@pytest.fixture
def imported(world):
    with transaction(world.runtime.sessions) as s:
        playbook_library.sync_folder(s, world.actor("admin@ncert.test"), DEFAULT_LIBRARY)


@pytest.fixture
def admin(as_user, imported):
    return as_user("admin@ncert.test")


def _post_editor(console, url, **fields):
    token = csrf_token(console.text(url))
    data = {"csrf_token": token, **{f"pb-{k}" if k != "action" else k: v for k, v in fields.items()}}
    page = console.text(url)
    base = re.search(r'name="pb-base_version"[^>]*value="(\d*)"', page)
    if base and "base_version" not in fields:
        data["pb-base_version"] = base.group(1)
    return console.client.post(url, data=data)


def _count(world, model) -> int:
    with world.runtime.sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("email", ["operator@ncert.test", "leader@ncert.test", "analyst@gridco.test"])
def test_playbook_pages_are_for_admins_only(as_user, world, imported, email):
    console = as_user(email)
    for url in ("/admin/playbooks", "/admin/playbooks/new", "/admin/playbooks/crisis-mode",
                "/admin/playbooks/crisis-mode/edit", "/admin/playbooks/crisis-mode/versions/1"):
        assert console.get(url).status_code == 403, url
    for url in ("/admin/playbooks/crisis-mode/disable", "/admin/playbooks/import",
                "/admin/playbooks/crisis-mode/versions/1/restore"):
        response = console.post(url)
        refusal = "leadership has read-only access" if email.startswith("leader") else "this action needs the admin role"
        assert response.status_code == 403 and refusal in html(response), url
    with world.runtime.sessions() as s:
        assert s.scalar(select(StoredPlaybook.enabled).where(StoredPlaybook.name == "crisis-mode")) is True
        assert s.scalar(select(func.count()).select_from(PlaybookVersion)) == 8


def test_list_shows_the_library_and_switches_playbooks(admin, world):
    page = admin.text("/admin/playbooks")
    assert page.count('id="playbook-') == 8 and "ransomware-essential-entity" in page
    response = admin.post("/admin/playbooks/crisis-mode/disable", form_page="/admin/playbooks", follow_redirects=True)
    assert ("success", "crisis-mode v1 disabled.") in flashes(response)
    row = re.search(r'<tr id="playbook-crisis-mode" class="inactive">.*?</tr>', html(response), re.S)
    assert row and "Enable" in row.group(0)
    admin.post("/admin/playbooks/crisis-mode/enable", form_page="/admin/playbooks")
    with world.runtime.sessions() as s:
        row = s.scalar(select(StoredPlaybook).where(StoredPlaybook.name == "crisis-mode"))
        assert (row.enabled, row.version, row.revision) == (True, 1, 3)


def test_a_broken_draft_is_shown_with_its_line_and_nothing_is_saved(admin, world):
    broken = PHISHING_TAG.replace("{fact: category, eq: fraud/phishing}", "{fact: category, eq: fraud/phishing")
    response = _post_editor(admin, "/admin/playbooks/new", text=broken, action="save")
    page = html(response)
    assert response.status_code == 422
    assert "playbook:5: invalid YAML" in page or "playbook:6: invalid YAML" in page
    assert 'class="bad"' in page and "fraud/phishing" in page  # the faulty line, numbered, in the excerpt
    assert _count(world, PlaybookVersion) == 8


def test_create_then_edit_keeps_versions_with_a_diff_and_restores(admin, world):
    response = _post_editor(admin, "/admin/playbooks/new", text=PHISHING_TAG, comment="phishing triage", action="save")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/playbooks/phishing-tag")
    edited = PHISHING_TAG.replace("priority: 50", "priority: 45")
    response = _post_editor(admin, "/admin/playbooks/phishing-tag/edit", text=edited, comment="earlier",
                            action="save")
    assert response.status_code == 302
    page = admin.text("/admin/playbooks/phishing-tag")
    assert "phishing-tag</span> v2" in page and 'id="version-1"' in page and "phishing triage" in page
    diff = html(admin.get("/admin/playbooks/phishing-tag/versions/1"))
    assert '<span class="del">-priority: 50</span>' in diff and '<span class="add">+priority: 45</span>' in diff
    response = admin.post("/admin/playbooks/phishing-tag/versions/1/restore",
                          form_page="/admin/playbooks/phishing-tag/versions/1", follow_redirects=True)
    assert ("success", "Version 1 of phishing-tag restored as version 3.") in flashes(response)
    with world.runtime.sessions() as s:
        entry = playbook_library.entry(s, "phishing-tag")
        assert entry.row.version == 3 and entry.playbook.priority == 50
        actions = list(s.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "playbook",
                                                                 AuditEvent.object_id == "phishing-tag")))
    assert sorted(actions) == ["playbook.create", "playbook.edit", "playbook.restore"]


def test_a_stale_edit_is_refused_and_writes_nothing(admin, as_user, world):
    other = as_user("admin@ncert.test")
    url = "/admin/playbooks/crisis-mode/edit"
    text = playbook_library_text(world, "crisis-mode")
    first = _post_editor(admin, url, text=text.replace("priority: 900", "priority: 901"), action="save")
    assert first.status_code == 302
    stale = _post_editor(other, url, text=text.replace("priority: 900", "priority: 902"), action="save",
                         base_version="1")
    assert stale.status_code == 409 and "is at version 2" in html(stale)
    assert "priority: 902" in html(stale)  # the admin's draft is kept on the page, not lost
    with world.runtime.sessions() as s:
        assert playbook_library.entry(s, "crisis-mode").playbook.priority == 901
        assert s.scalar(select(func.count()).select_from(PlaybookVersion)) == 9


def test_dry_run_of_a_draft_lists_what_it_would_do_and_changes_nothing(admin, world):
    set_entity(world, "gridco", "essential")
    analyst = world.actor("analyst@gridco.test")
    hit = world.submit(analyst, **RANSOMWARE)
    world.submit(analyst, title="Port scan", category="information-gathering/scanner")
    draft = PHISHING_TAG.replace("name: phishing-tag", "name: scada-ransom").replace(
        "{fact: category, eq: fraud/phishing}", "{fact: text, contains_any: [scada]}")
    before = {m: _count(world, m) for m in (TimelineEntry, AuditEvent, Task, PlaybookFiring, PlaybookVersion)}
    response = _post_editor(admin, "/admin/playbooks/new", text=draft, since="30d", action="dry-run")
    page = html(response)
    assert response.status_code == 200
    assert f'href="/incidents/{hit}"' in page and "add 1 task(s)" in page
    assert page.count('<tr><td><a class="mono" href="/incidents/') == 1
    assert "scada-ransom" in page  # the draft stays in the editor
    assert {m: _count(world, m) for m in before} == before


def test_dry_run_of_a_stored_playbook_from_its_page(admin, world):
    set_entity(world, "gridco", "essential")
    hit = world.submit(world.actor("analyst@gridco.test"), **RANSOMWARE)
    page = admin.text("/admin/playbooks/ransomware-essential-entity?since=90d")
    assert f'href="/incidents/{hit}"' in page and "raise severity to at least" in page
    response = admin.get("/admin/playbooks/ransomware-essential-entity?since=soon")
    assert response.status_code == 422 and '<ul class="form-errors"><li>since: ' in html(response)


def playbook_library_text(world, name: str) -> str:
    with world.runtime.sessions() as s:
        return playbook_library.entry(s, name).current.text

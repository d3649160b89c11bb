"""Teams in the console: the admin page (admins only), assigning a team from the
incident page, and the queue's team filter ("my teams" included)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ncert.db import transaction
from ncert.models import Team
from ncert.records import IncidentPatch
from ncert.services import incidents, teams
from tests.console.helpers import flashes, html, next_link, queue_refs


@pytest.fixture
def admin(as_user):
    return as_user("admin@ncert.test")


@pytest.fixture
def operator(as_user):
    return as_user("operator@ncert.test")


@pytest.fixture
def desk(world):
    with transaction(world.runtime.sessions) as s:
        teams.create(s, world.admin, slug="ot-desk", name="OT desk")
        teams.add_member(s, world.admin, "ot-desk", "operator@ncert.test")
    return "ot-desk"


def _stored(world) -> dict[str, list[str]]:
    with world.runtime.sessions() as s:
        return {t.slug: [u.email for u in t.members] for t in s.scalars(select(Team))}


@pytest.mark.parametrize("email", ["operator@ncert.test", "leader@ncert.test", "analyst@centralbank.test"])
def test_the_teams_page_is_403_for_everyone_but_admins(as_user, world, desk, email):
    console = as_user(email)
    assert console.get("/admin/teams").status_code == 403
    assert 'href="/admin/teams"' not in console.text("/queue")
    assert console.post("/admin/teams", {"team-slug": "duty", "team-name": "Duty"}).status_code == 403
    assert console.post("/admin/teams/ot-desk/members", {"member-email": "leader@ncert.test"}).status_code == 403
    operator_id = world.users["operator@ncert.test"]
    assert console.post(f"/admin/teams/ot-desk/members/{operator_id}/remove").status_code == 403
    assert _stored(world) == {"ot-desk": ["operator@ncert.test"]}


def test_admin_creates_a_team_and_manages_its_members(admin, world):
    assert 'href="/admin/teams"' in admin.text("/queue")
    response = admin.post("/admin/teams", {"team-slug": "duty", "team-name": "Duty team",
                                           "team-email": "duty@ncert.test"},
                          form_page="/admin/teams", follow_redirects=True)
    assert flashes(response) == [("success", "Team duty added.")]
    page = html(response)
    assert 'id="team-duty"' in page and "duty@ncert.test" in page
    # Only national-centre staff are offered as members.
    row = page[page.index('id="team-duty"'):]
    assert "leader@ncert.test" in row and "analyst@gridco.test" not in row
    response = admin.post("/admin/teams/duty/members", {"member-email": "operator2@ncert.test"},
                          form_page="/admin/teams", follow_redirects=True)
    assert flashes(response) == [("success", "operator2@ncert.test added to duty.")]
    response = admin.post("/admin/teams/duty/members", {"member-email": "operator2@ncert.test"},
                          form_page="/admin/teams", follow_redirects=True)
    assert flashes(response) == [("error", "operator2@ncert.test is already a member of duty")]
    response = admin.post("/admin/teams/duty/members", {"member-email": "analyst@gridco.test"},
                          form_page="/admin/teams", follow_redirects=True)
    assert flashes(response)[0][0] == "error"
    assert _stored(world) == {"duty": ["operator2@ncert.test"]}
    user_id = world.users["operator2@ncert.test"]
    response = admin.post(f"/admin/teams/duty/members/{user_id}/remove", form_page="/admin/teams",
                          follow_redirects=True)
    assert flashes(response) == [("success", "operator2@ncert.test removed from duty.")]
    assert _stored(world) == {"duty": []}


def test_a_duplicate_or_malformed_team_is_refused_on_the_page(admin, world, desk):
    response = admin.post("/admin/teams", {"team-slug": "ot-desk", "team-name": "Again"},
                          form_page="/admin/teams", follow_redirects=True)
    assert flashes(response) == [("error", "team 'ot-desk' already exists")]
    response = admin.post("/admin/teams", {"team-slug": "OT Desk", "team-name": "x"}, form_page="/admin/teams")
    assert response.status_code == 422 and "lower-case letters, digits and hyphens only" in html(response)
    assert list(_stored(world)) == ["ot-desk"]


def test_operator_assigns_a_team_from_the_incident_page(operator, world, desk):
    ref = world.submit(world.actor("analyst@gridco.test"), title="PLC logic changed")
    page = operator.text(f"/incidents/{ref}")
    assert 'name="triage-team"' in page and '<option value="ot-desk">OT desk</option>' in page
    response = operator.post(f"/incidents/{ref}/triage", {"triage-team": "ot-desk", "triage-reason": "OT asset"},
                             form_page=f"/incidents/{ref}", follow_redirects=True)
    assert flashes(response) == [("success", f"{ref} triaged: Team → ot-desk. Reason: OT asset")]
    assert 'id="fact-team">OT desk (ot-desk)' in html(response) and "Team → ot-desk" in html(response)
    response = operator.post(f"/incidents/{ref}/triage", {"triage-team": "nope"}, form_page=f"/incidents/{ref}",
                             follow_redirects=True)
    assert flashes(response)[0][0] == "error"
    response = operator.post(f"/incidents/{ref}/triage", {"triage-team": ""}, form_page=f"/incidents/{ref}",
                             follow_redirects=True)
    assert flashes(response) == [("success", f"{ref} triaged: Team cleared")]
    assert 'id="fact-team">none' in html(response)


def test_the_reporter_sees_the_team_but_cannot_set_it(as_user, world, desk):
    ref = world.submit(world.actor("analyst@gridco.test"), title="PLC logic changed")
    with transaction(world.runtime.sessions) as s:
        incidents.update_fields(s, world.operator, ref, IncidentPatch(team="ot-desk"))
    analyst = as_user("analyst@gridco.test")
    page = analyst.text(f"/incidents/{ref}")
    assert 'id="fact-team">OT desk (ot-desk)' in page and 'name="triage-team"' not in page
    response = analyst.post(f"/incidents/{ref}/triage", {"triage-team": ""}, form_page=f"/incidents/{ref}",
                            follow_redirects=True)
    assert flashes(response) == [("error", "only SOC operators and admins triage incidents")]
    assert 'id="fact-team">OT desk (ot-desk)' in html(response)


def test_the_queue_filters_by_team_and_my_teams_with_paging(operator, as_user, world, desk):
    analyst = world.actor("analyst@gridco.test")
    ot = [world.submit(analyst, title=f"OT {n}") for n in range(3)]
    other = world.submit(analyst, title="Phishing")
    with transaction(world.runtime.sessions) as s:
        for ref in ot:
            incidents.update_fields(s, world.operator, ref, IncidentPatch(team="ot-desk"))
    page = operator.text("/queue")
    assert '<option value="mine">my teams</option>' in page and '<td class="team col-team" data-label="Team">ot-desk</td>' in page
    first = operator.get("/queue?team=mine&limit=2")
    second = operator.get(next_link(first))
    assert queue_refs(first) + queue_refs(second) == ot[::-1] and next_link(second) is None
    assert queue_refs(operator.get("/queue?team=ot-desk")) == ot[::-1]
    assert queue_refs(operator.get("/queue?team=none")) == [other]
    assert queue_refs(as_user("operator2@ncert.test").get("/queue?team=mine")) == []
    assert operator.get("/queue?team=nope").status_code == 400

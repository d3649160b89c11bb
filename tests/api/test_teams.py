"""Teams over the REST API: PATCH ``team``, the ``team`` field of incident JSON,
and the ``team`` filter of ``GET /incidents``."""

from __future__ import annotations

import pytest

from ncert.db import transaction
from ncert.services import teams
from tests.api.helpers import refs, snapshot


@pytest.fixture
def desk(world):
    with transaction(world.runtime.sessions) as s:
        teams.create(s, world.admin, slug="ot-desk", name="OT desk")
    return "ot-desk"


def test_patch_assigns_and_clears_a_team(api, desk):
    ref = api.submit(title="PLC logic changed")["reference"]
    assert api.get(f"/incidents/{ref}", "operator").json["team"] is None
    inc = api.triage(ref, team=desk, reason="OT asset")
    assert inc["team"] == "ot-desk"
    assert [(e["kind"], e["body"]) for e in inc["timeline"]][-1] == ("team", "Team → ot-desk")
    assert api.get(f"/incidents/{ref}", "gridco").json["team"] == "ot-desk"  # whoever sees the incident
    assert api.get("/incidents", "gridco").json["items"][0]["team"] == "ot-desk"
    assert api.triage(ref, team=None)["team"] is None
    api.triage(ref, team=desk)
    assert api.triage(ref, team="")["team"] is None


def test_an_unknown_team_is_422_naming_the_field_and_changes_nothing(api, desk, runtime):
    ref = api.submit()["reference"]
    before = snapshot(runtime)
    response = api.patch(f"/incidents/{ref}", "operator", {"team": "ransomware-cell"})
    assert response.status_code == 422
    assert response.json["detail"] == "team: no team 'ransomware-cell'"
    assert snapshot(runtime) == before


def test_reporters_cannot_assign_a_team(api, desk):
    ref = api.submit()["reference"]
    assert api.patch(f"/incidents/{ref}", "gridco", {"team": desk}).status_code == 403
    assert api.patch(f"/incidents/{ref}", "leader", {"team": desk}).status_code == 403


def test_the_list_filters_by_team_and_pages(api, desk):
    mine = [api.submit(title=f"OT {n}")["reference"] for n in range(3)]
    other = api.submit(title="Phishing")["reference"]
    for ref in mine:
        api.triage(ref, team=desk)
    first = api.get("/incidents", "operator", query_string={"team": desk, "limit": 2}).json
    second = api.get("/incidents", "operator",
                     query_string={"team": desk, "limit": 2, "cursor": first["next_cursor"]}).json
    assert refs(first) + refs(second) == mine[::-1] and second["next_cursor"] is None
    assert refs(api.get("/incidents", "operator", query_string={"team": "none"}).json) == [other]
    unknown = api.get("/incidents", "operator", query_string={"team": "nope"})
    assert unknown.status_code == 400 and unknown.json["detail"] == "unknown team 'nope'"
    mine_key = api.get("/incidents", "operator", query_string={"team": "mine"})
    assert mine_key.status_code == 400 and "team" in mine_key.json["detail"]

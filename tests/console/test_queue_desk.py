"""The triage desk's queue: "Open" by default, previous pages, and bulk changes to ticked incidents."""

import pytest

from ncert.db import transaction
from ncert.services import incidents
from ncert.taxonomy import Status
from tests.console.helpers import flashes, html, next_link, queue_refs, state


@pytest.fixture
def refs(world):
    gridco = world.actor("analyst@gridco.test")
    made = [world.submit(gridco, title=f"Scan {n}") for n in range(5)]
    with transaction(world.runtime.sessions) as s:
        incidents.transition(s, world.operator, made[0], Status.CLOSED)
    return made


@pytest.fixture
def operator(as_user):
    return as_user("operator@ncert.test")


def prev_link(response) -> str | None:
    import re
    found = re.search(r'rel="prev" href="([^"]+)"', html(response))
    return found.group(1) if found else None


def test_open_is_the_default_tab(operator, refs):
    response = operator.get("/queue")
    assert queue_refs(response) == refs[:0:-1]  # the closed one is left out
    assert 'class="tab-open active"' in html(response)
    assert queue_refs(operator.get("/queue?status=all")) == refs[::-1]


def test_previous_page_walks_back_the_same_pages(operator, refs):
    first = operator.get("/queue?status=all&limit=2")
    assert prev_link(first) is None
    second = operator.get(next_link(first))
    third = operator.get(next_link(second))
    assert [queue_refs(p) for p in (first, second, third)] == [refs[:2:-1], refs[2:0:-1], refs[:1]]
    assert next_link(third) is None
    back = operator.get(prev_link(third))
    assert queue_refs(back) == queue_refs(second) and next_link(back) and prev_link(back)
    again = operator.get(prev_link(back))
    assert queue_refs(again) == queue_refs(first) and prev_link(again) is None and next_link(again)


def bulk(console, data: dict, back: str = "/queue"):
    return console.post("/queue/bulk", {**data, "bulk-back": back}, form_page="/queue", follow_redirects=True)


def test_bulk_assign_three(operator, refs, world):
    response = bulk(operator, {"bulk-ref": refs[1:4], "bulk-assignee": "operator2@ncert.test",
                               "bulk-reason": "one campaign"}, back="/queue?status=all")
    assert response.request.path == "/queue" and response.request.query_string == b"status=all"
    assert flashes(response) == [("success", f"Changed 3 of 3 incident(s): {', '.join(refs[1:4])}.")]
    assert [state(world.runtime, r).assignee_id for r in refs[1:4]] == [world.users["operator2@ncert.test"]] * 3
    assert state(world.runtime, refs[4]).assignee_id is None


def test_a_refused_incident_refuses_the_batch(operator, refs, world):
    before = [state(world.runtime, r) for r in refs]
    response = bulk(operator, {"bulk-ref": refs[:3], "bulk-status": "investigating"})
    (kind, text), = flashes(response)
    assert kind == "error" and text.startswith("nothing was changed; 1 of 3 refused: " + refs[0])
    assert [state(world.runtime, r) for r in refs] == before


def test_bulk_merge_and_its_guards(operator, refs, world):
    response = bulk(operator, {"bulk-ref": refs[1:3], "bulk-into": refs[3], "bulk-status": "triaged"})
    assert flashes(response) == [("error", "merge on its own: leave assignee, team and status unchanged")]
    response = bulk(operator, {"bulk-ref": refs[1:3], "bulk-into": refs[3].lower()})
    assert flashes(response) == [("success", f"Merged 2 incident(s) into {refs[3]}: {refs[1]}, {refs[2]}.")]
    assert [state(world.runtime, r).status for r in refs[1:3]] == ["merged", "merged"]
    assert flashes(bulk(operator, {"bulk-ref": refs[3:]})) == [
        ("error", "choose an assignee, a team, a status or an incident to merge into")]
    assert flashes(bulk(operator, {"bulk-assignee": "none"})) == [("error", "Incidents: select at least one incident")]


def test_only_operators_get_the_bulk_form(as_user, refs, world):
    analyst, leader = as_user("analyst@gridco.test"), as_user("leader@ncert.test")  # signing in is audited
    assert 'id="bulk"' not in analyst.text("/queue") and 'id="bulk"' in as_user("operator@ncert.test").text("/queue")
    before = state(world.runtime, refs[1])
    response = bulk(analyst, {"bulk-ref": refs[1:2], "bulk-status": "triaged"})
    assert flashes(response) == [("error", "only SOC operators and admins triage incidents")]
    assert leader.post("/queue/bulk", {"bulk-ref": refs[1:2], "bulk-status": "triaged"}).status_code == 403
    assert state(world.runtime, refs[1]) == before

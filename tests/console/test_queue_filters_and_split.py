"""The queue sorted by next deadline, saved filters per user, and splitting a merged report
back out from its incident page (its clocks shown as superseded while merged)."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from ncert.clocks import REGIMES
from ncert.db import transaction, utcnow
from ncert.models import Incident
from ncert.services import clocks, incidents
from tests.console.helpers import flashes, html, queue_refs, state


@pytest.fixture
def refs(world):
    gridco = world.actor("analyst@gridco.test")
    made = {name: world.submit(gridco, title=name, tlp="TLP:GREEN") for name in ("none", "late", "soon")}
    with transaction(world.runtime.sessions) as s:
        for name, hours_ago in (("late", 1), ("soon", 20)):
            inc = s.scalar(select(Incident).where(Incident.reference == made[name]))
            clocks.start(s, inc, REGIMES["nis2"], utcnow() - timedelta(hours=hours_ago))
    return made


def test_sort_by_next_deadline(as_user, refs):
    operator = as_user("operator@ncert.test")
    page = operator.get("/queue?sort=deadline&order=asc")
    assert queue_refs(page) == [refs["soon"], refs["late"], refs["none"]]
    assert 'href="/queue?sort=deadline&order=desc"' in html(page)  # the header flips the order
    assert 'href="/queue?sort=deadline&order=asc"' in html(operator.get("/queue"))  # soonest first by default
    assert queue_refs(as_user("analyst@gridco.test").get("/queue?sort=deadline&order=asc")) == queue_refs(page)


def test_saved_filters_belong_to_their_user(as_user, refs):
    operator, other = as_user("operator@ncert.test"), as_user("operator2@ncert.test")
    response = operator.post("/queue/filters", {"saved-name": "Urgent energy",
                                                "saved-query": "sector=energy&sort=deadline&order=asc&cursor=xyz"},
                             follow_redirects=True)
    assert flashes(response) == [("success", "Saved the filters as 'Urgent energy'.")]
    page = operator.text("/queue")
    link = re.search(r'<a href="(/queue\?[^"]+)">Urgent energy</a>', page).group(1)
    assert link == "/queue?sector=energy&amp;sort=deadline&amp;order=asc"
    assert "Urgent energy" not in other.text("/queue")
    again = operator.post("/queue/filters", {"saved-name": "Urgent energy", "saved-query": ""}, follow_redirects=True)
    assert flashes(again) == [("error", "you already have a saved filter called 'Urgent energy'")]
    filter_id = re.search(r'action="/queue/filters/(\d+)/delete"', page).group(1)
    refused = other.post(f"/queue/filters/{filter_id}/delete", follow_redirects=True)
    assert flashes(refused) == [("error", f"no saved filter {filter_id}")]
    deleted = operator.post(f"/queue/filters/{filter_id}/delete", follow_redirects=True)
    assert flashes(deleted) == [("success", "Deleted the saved filter 'Urgent energy'.")]
    assert "Urgent energy" not in operator.text("/queue")


def test_a_merged_reports_clocks_are_superseded_until_it_is_split_out(as_user, world, refs):
    with transaction(world.runtime.sessions) as s:
        incidents.merge(s, world.operator, refs["soon"], refs["late"], "same outage")
    operator = as_user("operator@ncert.test")
    page = operator.text(f"/incidents/{refs['soon']}")
    assert page.count(f'superseded by <a class="mono" href="/incidents/{refs["late"]}">') == 3
    assert "Record received" not in page and f"Split out of {refs['late']}" in page
    analyst_page = as_user("analyst@gridco.test").text(f"/incidents/{refs['soon']}")
    assert "superseded by" in analyst_page and 'action="/incidents/' + refs["soon"] + '/split"' not in analyst_page
    response = operator.post(f"/incidents/{refs['soon']}/split", {"split-reason": ""},
                             form_page=f"/incidents/{refs['soon']}", follow_redirects=True)
    assert flashes(response) == [("error", "Reason: This field is required.")]
    response = operator.post(f"/incidents/{refs['soon']}/split", {"split-reason": "another outage"},
                             form_page=f"/incidents/{refs['soon']}", follow_redirects=True)
    assert flashes(response) == [("success", f"{refs['soon']} split out; its clocks run again.")]
    assert state(world.runtime, refs["soon"]).status == "triaged"
    assert "superseded by" not in html(response) and "Record received" in html(response)

"""The triage queue: filters, sorting, keyset paging and status counts, all from the URL."""

from __future__ import annotations

import pytest

from ncert.db import transaction
from ncert.records import IncidentPatch
from ncert.services import incidents
from ncert.taxonomy import Status
from tests.console.helpers import html, next_link, queue_refs, tab_counts


@pytest.fixture
def refs(world) -> dict[str, str]:
    """Four incidents across sectors, severities, labels and statuses."""
    gridco, bank = world.actor("analyst@gridco.test"), world.actor("analyst@centralbank.test")
    refs = {
        "scada": world.submit(gridco, title="Ransomware on SCADA jump host", severity=4, tlp="TLP:AMBER",
                              category="malicious-code/infected-system"),
        "phish": world.submit(gridco, title="Phishing wave against field engineers", severity=2, tlp="TLP:GREEN",
                              category="fraud/phishing"),
        "ddos": world.submit(bank, title="DDoS on online banking", severity=3, tlp="TLP:GREEN",
                             category="availability/ddos", affected_sectors=["energy"]),
        "leak": world.submit(world.operator, reporter_org="cityhospital", title="Patient records leak", severity=5,
                             tlp="TLP:RED", category="information-content-security/data-leak"),
    }
    with transaction(world.runtime.sessions) as s:
        incidents.update_fields(s, world.operator, refs["scada"], IncidentPatch(status="triaged", assignee="me",
                                                                               severity=4))  # above the hint ceiling
        incidents.transition(s, world.operator, refs["ddos"], Status.INVESTIGATING)
    return refs


@pytest.fixture
def operator(as_user):
    return as_user("operator@ncert.test")


def test_default_queue_lists_every_open_incident_newest_first_with_counts(operator, refs):
    response = operator.get("/queue")
    assert queue_refs(response) == [refs["leak"], refs["ddos"], refs["phish"], refs["scada"]]
    counts = tab_counts(response)
    assert counts == {"open": 4, "all": 4, "new": 2, "triaged": 1, "investigating": 1, "contained": 0,
                      "resolved": 0, "closed": 0, "merged": 0}
    page = html(response)
    assert "All <b>4</b>" in page and "Open <b>4</b>" in page


@pytest.mark.parametrize(("query", "expected"), [
    ("status=new", ["leak", "phish"]),
    ("status=triaged", ["scada"]),
    ("status=open", ["leak", "ddos", "phish", "scada"]),
    ("status=closed", []),
    ("sector=energy", ["ddos", "phish", "scada"]),  # reporting or affected sector
    ("sector=health", ["leak"]),
    ("severity=4", ["scada"]),
    ("category=fraud", ["phish"]),
    ("category=availability/ddos", ["ddos"]),
    ("tlp=TLP:RED", ["leak"]),
    ("tlp=TLP:GREEN", ["ddos", "phish"]),
    ("assignee=me", ["scada"]),
    ("assignee=none", ["leak", "ddos", "phish"]),
    ("q=SCADA", ["scada"]),
    ("q=banking", ["ddos"]),
    ("sector=energy&status=new", ["phish"]),
    ("sector=energy&tlp=TLP:GREEN&q=phishing", ["phish"]),
])
def test_filters(operator, refs, query, expected):
    assert queue_refs(operator.get(f"/queue?{query}")) == [refs[name] for name in expected]


def test_assignee_filter_by_user(operator, refs, world):
    assert queue_refs(operator.get(f"/queue?assignee={world.users['operator@ncert.test']}")) == [refs["scada"]]
    assert queue_refs(operator.get(f"/queue?assignee={world.users['operator2@ncert.test']}")) == []


def test_counts_follow_every_filter_but_status(operator, refs):
    counts = tab_counts(operator.get("/queue?sector=energy&status=new"))
    assert counts["new"] == 1 and counts["triaged"] == 1 and counts["investigating"] == 1


def test_filters_are_kept_in_the_form_and_tab_links(operator, refs):
    page = html(operator.get("/queue?sector=energy&severity=4&status=triaged"))
    assert '<option selected value="energy">' in page
    assert '<option selected value="4">' in page
    assert 'href="/queue?sector=energy&severity=4&status=new"' in page  # the "new" tab keeps the other filters


@pytest.mark.parametrize(("query", "expected"), [
    ("sort=severity&order=asc", ["phish", "ddos", "scada", "leak"]),
    ("sort=severity&order=desc", ["leak", "scada", "ddos", "phish"]),
    ("sort=reported&order=asc", ["scada", "phish", "ddos", "leak"]),
    ("sort=updated&order=desc", ["ddos", "scada", "leak", "phish"]),
])
def test_sorting(operator, refs, query, expected):
    assert queue_refs(operator.get(f"/queue?{query}")) == [refs[name] for name in expected]


def test_keyset_paging_walks_every_incident_once_and_keeps_the_filters(operator, refs):
    url, seen, pages = "/queue?status=open&sort=severity&order=desc&limit=3", [], 0
    while url:
        response = operator.get(url)
        seen += queue_refs(response)
        pages += 1
        if pages > 1:
            assert 'href="/queue?status=open&sort=severity&order=desc&limit=3">« First page' in html(response)
        url = next_link(response)
        if url:
            assert "status=open" in url and "limit=3" in url and "cursor=" in url
    assert pages == 2
    assert seen == [refs["leak"], refs["scada"], refs["ddos"], refs["phish"]]


def test_first_page_has_no_first_page_link(operator, refs):
    page = html(operator.get("/queue?limit=2"))
    assert "First page" not in page and "Next page" in page


@pytest.mark.parametrize(("query", "message"), [
    ("status=bogus", "Status 'bogus': Not a valid choice."),
    ("severity=9", "Severity '9': Not a valid choice."),
    ("tlp=TLP:PURPLE", "TLP 'TLP:PURPLE': Not a valid choice."),
    ("sector=atlantis", "Sector 'atlantis': Not a valid choice."),
    ("category=made-up/thing", "Category 'made-up/thing': Not a valid choice."),
    ("sort=title", "Sort by 'title': Not a valid choice."),
    ("limit=0", "Per page '0': Number must be between 1 and 200."),
    ("limit=many", "Per page 'many': Not a valid integer value."),
    ("cursor=not-a-cursor", "Paging: malformed cursor. Start again from the first page."),
])
def test_invalid_filters_explain_themselves_instead_of_failing(operator, refs, query, message):
    response = operator.get(f"/queue?{query}")
    assert response.status_code == 400
    page = html(response)
    assert "These filters could not be applied" in page and message in page
    assert '<td class="ref">' not in page  # no results under a filter that was not applied


def test_a_cursor_from_another_sort_order_is_refused(operator, refs):
    cursor = next_link(operator.get("/queue?limit=1")).split("cursor=")[1].split("&")[0]
    response = operator.get(f"/queue?limit=1&sort=severity&cursor={cursor}")
    assert response.status_code == 400
    assert "cursor does not belong to this sort order" in html(response)

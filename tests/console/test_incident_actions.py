"""Every action on the incident page: one POST, one service call, a redirect
back with a flash; a refused action says why and writes nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from ncert.db import transaction
from ncert.models import TimelineEntry
from ncert.services import incidents, teams
from ncert.taxonomy import Status
from tests.console.helpers import flashes, html, state
from tests.console.test_incident_page import select_options


def select_value(page: str, name: str) -> str:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
    return re.search(r'<option selected value="([^"]*)"', select.group(1)).group(1)


@pytest.fixture
def ref(world) -> str:
    return world.submit(world.actor("analyst@gridco.test"), title="Ransomware on SCADA jump host", tlp="TLP:AMBER",
                        severity=2, category="malicious-code/infected-system")


@pytest.fixture
def operator(as_user):
    return as_user("operator@ncert.test")


def act(console, ref: str, action: str, data: dict | None = None):
    """POST an action with the token from the incident page; follow the redirect back to it."""
    response = console.post(f"/incidents/{ref}/{action}", data, form_page=f"/incidents/{ref}", follow_redirects=True)
    assert response.request.path == f"/incidents/{ref}"
    return response


def test_one_form_triages_every_field_in_one_entry(operator, ref, world):
    with transaction(world.runtime.sessions) as s:
        teams.create(s, world.admin, slug="ot-desk", name="OT desk")
    response = act(operator, ref, "triage", {
        "triage-status": "triaged", "triage-assignee": "operator2@ncert.test", "triage-team": "ot-desk",
        "triage-category": "fraud/phishing", "triage-severity": "4", "triage-communicated": "3",
        "triage-tlp": "TLP:RED", "triage-reason": "confirmed by phone"})
    shared = ("Status new → triaged; Assigned to operator2@ncert.test; Team → ot-desk; Category "
              "malicious-code/infected-system → fraud/phishing; The national centre set the severity 2 → 3; "
              "TLP TLP:AMBER → TLP:RED. Reason: confirmed by phone")
    assert flashes(response) == [("success", f"{ref} triaged: {shared}")]
    inc = state(world.runtime, ref)
    assert (inc.status, inc.category, inc.severity, inc.tlp) == ("triaged", "fraud/phishing", 4, "TLP:RED")
    with world.runtime.sessions() as s:
        entries = [(e.kind, e.body, e.internal, e.actor) for e in
                   s.scalars(select(TimelineEntry).order_by(TimelineEntry.id)).all()[1:]]
    assert entries == [("triage", shared, False, "operator@ncert.test"),
                       ("triage", "Severity 2 → 4. Reason: confirmed by phone", True, "operator@ncert.test")]


def test_the_form_offers_staying_put_the_allowed_moves_and_any_colleague(operator, ref):
    page = operator.text(f"/incidents/{ref}")
    assert select_options(page, "triage-status") == ["new", "triaged", "investigating", "resolved", "closed"]
    assert select_options(page, "triage-assignee") == ["", "admin@ncert.test", "operator2@ncert.test",
                                                       "operator@ncert.test"]
    assert len(select_options(page, "triage-severity")) == 6 == len(select_options(page, "triage-communicated"))
    assert select_options(page, "triage-tlp") == ["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT",
                                                  "TLP:RED"]
    for gone in ("assign", "status", "category", "severity", "communicated-severity", "tlp", "team"):
        assert f'action="/incidents/{ref}/{gone}"' not in page


def test_unchanged_form_changes_nothing(operator, ref, world):
    page = operator.text(f"/incidents/{ref}")
    before = state(world.runtime, ref)
    data = {f"triage-{name}": value for name in ("status", "category", "severity", "communicated", "tlp")
            for value in [select_value(page, f"triage-{name}")]}
    response = act(operator, ref, "triage", data)
    assert flashes(response) == [("info", "Nothing changed.")]
    assert state(world.runtime, ref) == before


def test_invalid_transition_shows_the_reason_and_writes_nothing(operator, ref, world):
    with transaction(world.runtime.sessions) as s:
        incidents.transition(s, world.operator, ref, Status.CLOSED)
    before = state(world.runtime, ref)
    response = act(operator, ref, "triage", {"triage-status": "triaged", "triage-tlp": "TLP:RED"})
    assert flashes(response) == [("error", f"cannot move {ref} from closed to triaged: "
                                           "closed incidents can only be reopened")]
    assert state(world.runtime, ref) == before


@pytest.mark.parametrize(("data", "message"), [
    ({"triage-status": "exploded"}, "Status: Not a valid choice."),
    ({"triage-severity": "6"}, "National severity: Not a valid choice."),
    ({"triage-assignee": "analyst@gridco.test"}, "Assignee: Not a valid choice."),
    ({"triage-team": "nope"}, "Team: Not a valid choice."),
])
def test_bad_values_are_form_errors_not_crashes(operator, ref, world, data, message):
    before = state(world.runtime, ref)
    response = act(operator, ref, "triage", {"triage-tlp": "TLP:RED", **data})
    assert flashes(response) == [("error", message)]
    assert state(world.runtime, ref) == before


def test_comment_and_internal_note(operator, ref, world, as_user):
    response = act(operator, ref, "comment", {"comment-body": "Please send the EDR export."})
    assert flashes(response) == [("success", "Comment added.")]
    response = act(operator, ref, "comment", {"comment-body": "Reporter is slow to answer.", "comment-internal": "y"})
    assert flashes(response) == [("success", "Internal note added.")]
    with world.runtime.sessions() as s:
        notes = [(e.body, e.internal) for e in s.scalars(select(TimelineEntry).where(TimelineEntry.kind == "comment"))]
    assert notes == [("Please send the EDR export.", False), ("Reporter is slow to answer.", True)]
    analyst_page = as_user("analyst@gridco.test").get(f"/incidents/{ref}").get_data(as_text=True)
    assert "Please send the EDR export." in analyst_page and "Reporter is slow to answer." not in analyst_page


def test_empty_comment_is_refused(operator, ref, world):
    before = state(world.runtime, ref)
    response = act(operator, ref, "comment", {"comment-body": "   "})
    assert flashes(response) == [("error", "Comment: This field is required.")]
    assert state(world.runtime, ref) == before


def test_reporting_analyst_comments_but_cannot_write_internal_notes_or_triage(as_user, ref, world):
    analyst = as_user("analyst@gridco.test")
    response = act(analyst, ref, "comment", {"comment-body": "EDR export attached to ticket GRID-42."})
    assert flashes(response) == [("success", "Comment added.")]
    before = state(world.runtime, ref)
    response = act(analyst, ref, "comment", {"comment-body": "sneaky", "comment-internal": "y"})
    assert flashes(response) == [("error", "internal notes are for national-centre staff")]
    response = act(analyst, ref, "triage", {"triage-status": "triaged"})
    assert flashes(response) == [("error", "only SOC operators and admins triage incidents")]
    assert state(world.runtime, ref) == before


def test_other_analysts_cannot_comment_on_a_green_incident_they_can_read(as_user, world):
    green = world.submit(world.actor("analyst@gridco.test"), title="Phishing wave", tlp="TLP:GREEN")
    analyst = as_user("analyst@centralbank.test")  # signing in is audited: before the snapshot
    before = state(world.runtime, green)
    response = act(analyst, green, "comment", {"comment-body": "we saw it too"})
    assert flashes(response) == [("error", "you can comment only on your own organisation's incidents")]
    assert state(world.runtime, green) == before


def test_leadership_is_read_only(as_user, ref, world):
    """Every incident action answers 403 to leadership before its form is read, and writes nothing."""
    leader = as_user("leader@ncert.test")
    before = state(world.runtime, ref)
    for action, data in (("comment", {"comment-body": "status?"}), ("triage", {"triage-status": "triaged"}),
                         ("merge", {"merge-into": ref})):
        response = leader.post(f"/incidents/{ref}/{action}", data, form_page=f"/incidents/{ref}")
        assert response.status_code == 403, action
        assert "leadership has read-only access" in html(response), action
    assert state(world.runtime, ref) == before


def test_merge(operator, ref, world):
    target = world.submit(world.actor("analyst@powergen.test"), title="Same C2 at PowerGen", tlp="TLP:GREEN")
    response = act(operator, ref, "merge", {"merge-into": target.lower(), "merge-reason": "same actor"})
    assert flashes(response) == [("success", f"{ref} merged into {target}.")]
    assert state(world.runtime, ref).status == "merged"
    assert f'href="/incidents/{target}"' in response.get_data(as_text=True)


def test_merge_into_an_unknown_reference_says_so_and_writes_nothing(operator, ref, world):
    before = state(world.runtime, ref)
    response = act(operator, ref, "merge", {"merge-into": "NC-1999-000001"})
    assert flashes(response) == [("error", "no incident 'NC-1999-000001'")]
    assert state(world.runtime, ref) == before


def test_merge_into_itself_is_refused(operator, ref, world):
    before = state(world.runtime, ref)
    response = act(operator, ref, "merge", {"merge-into": ref})
    assert flashes(response) == [("error", "an incident cannot be merged into itself")]
    assert state(world.runtime, ref) == before


def test_reopen(operator, ref, world):
    with transaction(world.runtime.sessions) as s:
        incidents.transition(s, world.operator, ref, Status.RESOLVED)
    before = state(world.runtime, ref)
    response = act(operator, ref, "reopen", {"reopen-reason": ""})
    assert flashes(response) == [("error", "Reason: This field is required.")]
    assert state(world.runtime, ref) == before
    response = act(operator, ref, "reopen", {"reopen-reason": "malware came back"})
    assert flashes(response) == [("success", f"{ref} reopened.")]
    assert state(world.runtime, ref).status == "triaged"
    assert "Reopened: malware came back" in response.get_data(as_text=True)


def test_reopen_of_an_open_incident_is_refused(operator, ref, world):
    before = state(world.runtime, ref)
    response = act(operator, ref, "reopen", {"reopen-reason": "why not"})
    assert flashes(response) == [("error", f"only resolved or closed incidents can be reopened; {ref} is new")]
    assert state(world.runtime, ref) == before


def test_action_on_an_unknown_incident_is_404(operator, world):
    response = operator.post("/incidents/NC-1999-000001/triage", {"triage-status": "triaged"})
    assert response.status_code == 404

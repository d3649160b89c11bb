"""Every action on the incident page: one POST, one service call, a redirect
back with a flash; a refused action says why and writes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ncert.db import transaction
from ncert.models import TimelineEntry
from ncert.services import incidents
from ncert.taxonomy import Status
from tests.console.helpers import flashes, html, state


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


def test_assign_to_me(operator, ref, world):
    response = act(operator, ref, "assign")
    assert flashes(response) == [("success", f"{ref} is assigned to you.")]
    assert state(world.runtime, ref).assignee_id == world.users["operator@ncert.test"]
    assert "Assigned to you." in response.get_data(as_text=True)


def test_status_change(operator, ref, world):
    response = act(operator, ref, "status", {"status-to": "triaged", "status-reason": "confirmed by phone"})
    assert flashes(response) == [("success", f"{ref} moved to triaged.")]
    assert state(world.runtime, ref).status == "triaged"
    with world.runtime.sessions() as s:
        entry = s.scalars(select(TimelineEntry).order_by(TimelineEntry.id.desc())).first()
        assert entry.body == "Status new → triaged: confirmed by phone" and entry.actor == "operator@ncert.test"


def test_invalid_transition_shows_the_reason_and_writes_nothing(operator, ref, world):
    with transaction(world.runtime.sessions) as s:
        incidents.transition(s, world.operator, ref, Status.CLOSED)
    before = state(world.runtime, ref)
    response = act(operator, ref, "status", {"status-to": "triaged"})
    assert flashes(response) == [("error", f"cannot move {ref} from closed to triaged: "
                                           "closed incidents can only be reopened")]
    assert state(world.runtime, ref) == before


def test_unknown_status_is_a_form_error_not_a_crash(operator, ref, world):
    before = state(world.runtime, ref)
    response = act(operator, ref, "status", {"status-to": "exploded"})
    assert flashes(response) == [("error", "Move to: Not a valid choice.")]
    assert state(world.runtime, ref) == before


def test_category(operator, ref, world):
    response = act(operator, ref, "category", {"category-category": "fraud/phishing", "category-reason": "lure"})
    assert flashes(response) == [("success", "Category set to fraud/phishing.")]
    assert state(world.runtime, ref).category == "fraud/phishing"


def test_severity(operator, ref, world):
    response = act(operator, ref, "severity", {"severity-severity": "5"})
    assert flashes(response) == [("success", "Severity set to 5 (Emergency).")]
    assert state(world.runtime, ref).severity == 5
    before = state(world.runtime, ref)
    response = act(operator, ref, "severity", {"severity-severity": "6"})
    assert flashes(response) == [("error", "Severity: Not a valid choice.")]
    assert state(world.runtime, ref) == before


def test_tlp(operator, ref, world):
    response = act(operator, ref, "tlp", {"tlp-tlp": "TLP:RED", "tlp-reason": "reporter asked"})
    assert flashes(response) == [("success", "Marked TLP:RED.")]
    assert state(world.runtime, ref).tlp == "TLP:RED"


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
    response = act(analyst, ref, "status", {"status-to": "triaged"})
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
    for action, data in (("comment", {"comment-body": "status?"}), ("assign", {}), ("status", {"status-to": "triaged"}),
                         ("tlp", {"tlp-tlp": "TLP:RED"}), ("severity", {"severity-severity": "5"}),
                         ("merge", {"merge-into": ref}), ("category", {"category-category": "fraud/phishing"})):
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
    response = operator.post("/incidents/NC-1999-000001/status", {"status-to": "triaged"})
    assert response.status_code == 404

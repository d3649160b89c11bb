"""The incident page: every field, indicators with who else reported them,
sightings, the timeline, and the actions each role is offered."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from ncert.db import transaction
from ncert.services import incidents
from tests.console.helpers import html


@pytest.fixture
def refs(world) -> dict[str, str]:
    gridco = world.actor("analyst@gridco.test")
    refs = {
        "scada": world.submit(
            gridco, title="Ransomware on SCADA jump host", description="EDR flagged mass encryption.",
            tlp="TLP:AMBER", category="malicious-code/infected-system", severity=4, affected_sectors=["finance"],
            occurred_at=datetime(2026, 1, 4, 22, 15, tzinfo=timezone.utc),
            aware_at=datetime(2026, 1, 5, 6, 30, tzinfo=timezone.utc), external_ids={"ticket": "GRID-42"},
            indicators=[{"type": "ipv4-addr", "value": "198.51.100.7"},
                        {"type": "domain-name", "value": "Update-Check.Example"}]),
        "bank": world.submit(world.actor("analyst@centralbank.test"), title="Beaconing from branch office",
                             tlp="TLP:GREEN", indicators=[{"type": "ipv4-addr", "value": "198.51.100.7"}]),
        "powergen": world.submit(world.actor("analyst@powergen.test"), title="Same C2 seen at PowerGen",
                                 tlp="TLP:AMBER", indicators=[{"type": "ipv4-addr", "value": "198.51.100.7"}]),
    }
    with transaction(world.runtime.sessions) as s:
        incidents.comment(s, world.operator, refs["scada"], "Reporter called: OT segment isolated.", internal=True)
        incidents.comment(s, world.operator, refs["scada"], "Please send the EDR export.")
    return refs


def shared_cell(page: str, value: str) -> str:
    # The value links to its indicator page and may carry warninglist chips (issue 11).
    cell = rf"<td class=\"mono value\">(?:<a href=\"[^\"]*\">)?{re.escape(value)}(?:</a>)?(?:\s*<span[^>]*>[^<]*</span>)*</td>"
    row = re.search(rf"<tr>\s*<td[^>]*>[^<]*</td>\s*{cell}(.*?)</tr>", page, re.S)
    assert row, value
    return row.group(1)


def select_options(page: str, name: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
    return re.findall(r'value="([^"]*)"', select.group(1)) if select else []


def test_operator_sees_every_field(as_user, refs):
    page = html(as_user("operator@ncert.test").get(f"/incidents/{refs['scada']}"))
    for text in (refs["scada"], "Ransomware on SCADA jump host", "EDR flagged mass encryption.", "4 Severe",
                 "TLP:AMBER", "malicious-code/infected-system", "GridCo Transmission", "gridco", "Energy",
                 ">finance<", "ticket: GRID-42", "2026-01-04 22:15 UTC", "2026-01-05 06:30 UTC", "unassigned", "api"):
        assert text in page, text


def test_indicators_show_other_incidents_and_sectors_that_share_them(as_user, refs):
    page = html(as_user("operator@ncert.test").get(f"/incidents/{refs['scada']}"))
    assert "update-check.example" in page  # normalised
    shared = shared_cell(page, "198.51.100.7")
    assert refs["bank"] in shared and refs["powergen"] in shared
    assert ">finance<" in shared and ">energy<" in shared
    assert refs["bank"] not in shared_cell(page, "update-check.example")


def test_sightings_and_timeline(as_user, refs):
    page = html(as_user("operator@ncert.test").get(f"/incidents/{refs['scada']}"))
    sightings = page[page.index("Sightings"):page.index("Timeline")]
    assert "ipv4-addr 198.51.100.7" in sightings and "GridCo Transmission" in sightings
    timeline = page[page.index('<ol class="timeline">'):]
    assert "Reported by GridCo Transmission via api" in timeline
    assert "Reporter called: OT segment isolated." in timeline and "internal" in timeline
    assert "Please send the EDR export." in timeline


def test_operator_gets_every_triage_action_and_only_allowed_next_statuses(as_user, refs):
    page = html(as_user("operator@ncert.test").get(f"/incidents/{refs['scada']}"))
    assert select_options(page, "triage-status") == ["new", "triaged", "investigating", "resolved", "closed"]
    assert len(select_options(page, "triage-severity")) == 6
    assert select_options(page, "triage-tlp") == ["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT",
                                                  "TLP:RED"]
    assert "malicious-code/infected-system" in select_options(page, "triage-category")
    for action in ("triage", "comment", "merge"):
        assert f'action="/incidents/{refs["scada"]}/{action}"' in page, action
    assert f'action="/incidents/{refs["scada"]}/reopen"' not in page  # only for resolved or closed
    assert 'name="comment-internal"' in page


def test_reporting_analyst_sees_own_incident_can_comment_and_no_more(as_user, refs):
    page = html(as_user("analyst@gridco.test").get(f"/incidents/{refs['scada']}"))
    assert "Ransomware on SCADA jump host" in page
    shared = shared_cell(page, "198.51.100.7")
    assert refs["bank"] in shared and refs["powergen"] not in shared  # PowerGen's TLP:AMBER stays hidden
    assert ">energy<" not in shared
    assert "Reporter called" not in page  # internal notes are for national staff
    assert "Please send the EDR export." in page
    assert f'action="/incidents/{refs["scada"]}/comment"' in page
    assert 'name="comment-internal"' not in page
    for action in ("triage", "merge"):
        assert f'action="/incidents/{refs["scada"]}/{action}"' not in page, action


def test_other_analysts_see_a_green_incident_read_only(as_user, refs):
    page = html(as_user("analyst@gridco.test").get(f"/incidents/{refs['bank']}"))
    assert "Beaconing from branch office" in page
    assert f'action="/incidents/{refs["bank"]}/comment"' not in page


def test_leadership_is_read_only(as_user, refs):
    page = html(as_user("leader@ncert.test").get(f"/incidents/{refs['scada']}"))
    assert "Ransomware on SCADA jump host" in page and "Reporter called" in page
    assert f'action="/incidents/{refs["scada"]}/' not in page


def test_merged_incident_links_to_its_target(as_user, refs, world):
    with transaction(world.runtime.sessions) as s:
        incidents.merge(s, world.operator, refs["powergen"], refs["scada"], "same C2")
    page = html(as_user("operator@ncert.test").get(f"/incidents/{refs['powergen']}"))
    assert re.search(rf'Merged into\s*<a class="mono" href="/incidents/{refs["scada"]}">{refs["scada"]}</a>', page)
    assert select_options(page, "status-to") == [] and "/merge" not in page


def test_reference_is_case_insensitive_and_unknown_ones_are_404(as_user, refs):
    operator = as_user("operator@ncert.test")
    response = operator.get(f"/incidents/{refs['scada'].lower()}")
    assert response.status_code == 302 and response.headers["Location"] == f"/incidents/{refs['scada']}"
    response = operator.get("/incidents/NC-1999-000001")
    assert response.status_code == 404 and "no incident 'NC-1999-000001'" in html(response)

"""The incident page's national severity score panel: operators record an assessment
through the form; everyone who sees the incident sees the score and its breakdown."""

from __future__ import annotations

import re

import pytest

from tests.console.helpers import flashes, html, state

ANSWERS = {"assess-functional_impact": "denial-of-critical-services",
           "assess-information_impact": "destruction-of-critical-system",
           "assess-recoverability": "not-recoverable", "assess-observed_activity": "effect",
           "assess-potential_impact": "severe", "assess-member_states_affected": "1", "assess-outlook": ""}


@pytest.fixture
def ref(world) -> str:
    return world.submit(world.actor("analyst@gridco.test"), title="Substation ransomware", tlp="TLP:AMBER")


def assess(console, ref, data):
    response = console.post(f"/incidents/{ref}/assessment", data, form_page=f"/incidents/{ref}",
                            follow_redirects=True)
    assert response.request.path == f"/incidents/{ref}"
    return response


def row(page: str, factor: str) -> list[str]:
    """The cells of one breakdown row, tags stripped."""
    match = re.search(rf'<tr class="factor-{factor}">(.*?)</tr>', page, re.S)
    assert match, f"no breakdown row for {factor}"
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", match.group(1), re.S)]


def test_an_operator_records_an_assessment_and_sees_the_breakdown(as_user, ref, world):
    operator = as_user("operator@ncert.test")
    assert "Not assessed yet." in operator.text(f"/incidents/{ref}")
    response = assess(operator, ref, {**ANSWERS, "assess-rationale": "two substations down"})
    assert flashes(response) == [("success", "National severity score 85/100: level 3 (High). National severity 1 → 3.")]
    page = html(response)
    assert re.search(r'id="assessment-score"><b>85</b>/100', page)
    assert "NCSC category 3" in page and "EU yellow" in page
    assert row(page, "functional_impact") == ["Functional impact", "denial of critical services", "20", "20.00"]
    assert row(page, "sector_criticality") == ["Sector criticality", "5 of 5", "15", "15.00"]
    assert row(page, "cross_sector_spread") == ["Cross sector spread", "1 sector", "15", "0.00"]
    assert "two substations down" in page
    assert state(world.runtime, ref).severity == 3
    # The form comes back filled with the current answers, for re-assessing.
    assert '<option selected value="not-recoverable">' in page


def test_checkboxes_drive_the_overrides(as_user, ref, world):
    operator = as_user("operator@ncert.test")
    minor = {**ANSWERS, "assess-functional_impact": "no-impact", "assess-information_impact": "no-impact",
             "assess-recoverability": "regular", "assess-observed_activity": "prepare",
             "assess-potential_impact": "none", "assess-safety_effect": "y", "assess-member_states_affected": "2"}
    page = html(assess(operator, ref, minor))
    assert "safety effect: at least level 4" in page and "large-scale candidate" in page
    assert state(world.runtime, ref).severity == 4


def test_a_bad_answer_is_a_form_error_and_writes_nothing(as_user, ref, world):
    operator = as_user("operator@ncert.test")
    before = state(world.runtime, ref)
    response = assess(operator, ref, {**ANSWERS, "assess-recoverability": "eventually"})
    assert flashes(response) == [("error", "Recoverability: Not a valid choice.")]
    assert state(world.runtime, ref) == before


def test_the_reporter_sees_neither_the_score_nor_the_national_severity_it_sets(as_user, ref, world):
    assess(as_user("operator@ncert.test"), ref, ANSWERS)
    page = as_user("analyst@gridco.test").text(f"/incidents/{ref}")
    assert "National severity score" not in page and 'id="assessment-score"' not in page
    assert "Record assessment" not in page and f"/incidents/{ref}/assessment" not in page
    # The score counts other organisations' reports: the reporter sees what it was told, not the outcome.
    assert '<dd id="fact-severity"><span class="sev sev-1"' in page and 'class="sev sev-3"' not in page
    leader = as_user("leader@ncert.test").text(f"/incidents/{ref}")
    assert 'id="assessment-score"><b>85</b>/100' in leader and "Record assessment" not in leader


def test_an_analyst_cannot_post_an_assessment(as_user, ref, world):
    analyst = as_user("analyst@gridco.test")
    before = state(world.runtime, ref)
    response = assess(analyst, ref, ANSWERS)
    assert flashes(response) == [("error", "only SOC operators and admins assess incidents")]
    assert state(world.runtime, ref) == before


def test_an_organisation_that_cannot_see_the_incident_gets_404(as_user, ref):
    bank = as_user("analyst@centralbank.test")
    assert bank.get(f"/incidents/{ref}").status_code == 404
    response = bank.post(f"/incidents/{ref}/assessment", ANSWERS)
    assert response.status_code == 404

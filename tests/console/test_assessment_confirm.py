"""Saving an assessment that changes the national severity: a raise is saved and said, a lowering
is shown first and saved only once confirmed; the reporter sees the new severity with a reason
written for them when the operator gives one."""

from __future__ import annotations

import re

import pytest

from tests.console.helpers import flashes, html, state

SEVERE = {"assess-functional_impact": "denial-of-critical-services",
          "assess-information_impact": "destruction-of-critical-system",
          "assess-recoverability": "not-recoverable", "assess-observed_activity": "effect",
          "assess-potential_impact": "severe", "assess-member_states_affected": "1", "assess-outlook": ""}
MILD = {**SEVERE, "assess-functional_impact": "no-impact", "assess-information_impact": "no-impact",
        "assess-recoverability": "regular", "assess-observed_activity": "engage", "assess-potential_impact": "low"}


@pytest.fixture
def ref(world) -> str:
    return world.submit(world.actor("analyst@gridco.test"), title="Substation ransomware", tlp="TLP:AMBER")


def post(console, ref, data, follow=True):
    return console.post(f"/incidents/{ref}/assessment", data, form_page=f"/incidents/{ref}", follow_redirects=follow)


def test_a_raise_is_saved_and_the_change_said(as_user, ref, world):
    operator = as_user("operator@ncert.test")
    (kind, text), = flashes(post(operator, ref, SEVERE))
    assert kind == "success" and f"National severity 1 → {state(world.runtime, ref).severity}." in text


def test_a_lowering_is_shown_first_and_saved_only_when_confirmed(as_user, ref, world):
    operator, analyst = as_user("operator@ncert.test"), as_user("analyst@gridco.test")
    post(operator, ref, SEVERE)
    high = state(world.runtime, ref)
    shown = post(operator, ref, MILD, follow=False)
    assert shown.status_code == 200 and "Lower the national severity" in html(shown)
    page = html(shown)
    low = int(re.search(r'id="severity-after">(\d)<', page).group(1))
    assert re.search(r'id="severity-before">(\d)<', page).group(1) == str(high.severity) and low < high.severity
    assert state(world.runtime, ref) == high  # nothing stored yet
    confirmed = post(operator, ref, {**MILD, "assess-confirm": "lower",
                                     "assess-tell_reporter": "The outage was limited to one test site."})
    (kind, text), = flashes(confirmed)
    assert kind == "success" and f"National severity {high.severity} → {low}." in text
    assert state(world.runtime, ref).severity == low
    reporter_page = analyst.text(f"/incidents/{ref}")
    assert f"The national centre set the severity 1 → {low}: The outage was limited to one test site." in reporter_page
    assert re.search(rf'id="fact-severity"><span class="sev sev-{low}"', reporter_page)


def test_a_reason_for_the_reporter_must_say_something(as_user, ref, world):
    operator = as_user("operator@ncert.test")
    before = state(world.runtime, ref)
    response = post(operator, ref, {**SEVERE, "assess-tell_reporter": "   "})
    assert flashes(response)[0][0] == "success"  # an empty field is no message: nothing is told
    assert state(world.runtime, ref).severity > before.severity

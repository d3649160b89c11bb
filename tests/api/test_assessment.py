"""``/incidents/<ref>/assessment``: operators record the national severity assessment,
national staff read it (in the incident JSON too); the reporting organisation sees
its outcome as the severity, never the score, which draws on other organisations' reports."""

from __future__ import annotations

from ncert import scoring
from tests.api.helpers import PREFIX, bearer, snapshot

SERIOUS = dict(functional_impact="denial-of-critical-services", information_impact="destruction-of-critical-system",
               recoverability="not-recoverable", observed_activity="effect", potential_impact="severe")


def put(api, ref, who, body):
    return api.client.put(f"{PREFIX}/incidents/{ref}/assessment", json=body, headers=bearer(api.key(who)))


def test_an_operator_assesses_and_the_severity_follows(api):
    ref = api.submit("gridco", title="Substation ransomware", tlp="TLP:AMBER")["reference"]
    response = put(api, ref, "operator", {**SERIOUS, "rationale": "two substations down"})
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["score"], body["level"], body["level_name"]) == (85.0, 3, "High")
    assert (body["ncsc_category"], body["eu_colour"]) == (3, "yellow")
    assert [item["factor"] for item in body["breakdown"]] == list(scoring.FACTORS)
    assert body["breakdown"][3] == {"factor": "sector_criticality", "answer": "5 of 5", "value": 1.0,
                                    "weight": 15, "points": 15.0}
    assert body["inputs"] == {**SERIOUS, "member_states_affected": 1, "safety_effect": False,
                              "operations_disrupted": False, "outlook": None, "rationale": "two substations down"}
    assert body["derived"] == {"sector_criticality": 5, "sectors_affected": 1, "entity_class": None}
    assert body["assessed_by"].startswith("api-key ") and body["assessed_by"].endswith(" (national-cert)")

    incident = api.get(f"/incidents/{ref}", "operator").json
    assert incident["severity"] == 3 and incident["assessment"] == body
    assert [e["kind"] for e in incident["timeline"]][-2:] == ["assessment", "severity"]
    assert api.get(f"/incidents/{ref}/assessment", "leader").json == body

    # The score counts other organisations' reports: neither it nor the national
    # severity it sets reaches the reporter, who sees what it was told (its hint, none here).
    reporter = api.get(f"/incidents/{ref}", "gridco").json
    assert reporter["severity"] == 1 and reporter["communicated_severity"] == 1 and reporter["assessment"] is None
    kinds = [e["kind"] for e in reporter["timeline"]]
    assert "assessment" not in kinds and "severity" not in kinds  # both notes are internal
    response = api.get(f"/incidents/{ref}/assessment", "gridco")
    assert response.status_code == 403 and "national staff only" in response.json["detail"]


def test_overrides_and_flags_are_in_the_answer(api):
    ref = api.submit("gridco", title="Safety PLC tampered", tlp="TLP:AMBER")["reference"]
    minor = dict(functional_impact="no-impact", information_impact="no-impact", recoverability="regular",
                 observed_activity="prepare", potential_impact="none")
    body = put(api, ref, "admin", {**minor, "safety_effect": True, "member_states_affected": 2}).json
    assert body["base_level"] == 0 and body["level"] == 4
    assert body["overrides"] == ["safety effect: at least level 4"]
    assert body["flags"] == [scoring.LARGE_SCALE_CANDIDATE]


def test_not_assessed_yet(api):
    ref = api.submit("gridco", title="Fresh")["reference"]
    assert api.get(f"/incidents/{ref}", "operator").json["assessment"] is None
    response = api.get(f"/incidents/{ref}/assessment", "operator")
    assert response.status_code == 404 and response.json["error"] == "not_assessed"


def test_an_organisation_that_cannot_see_the_incident_gets_404(api):
    ref = api.submit("gridco", title="Amber", tlp="TLP:AMBER")["reference"]
    assert put(api, ref, "operator", SERIOUS).status_code == 200
    for who in ("centralbank", "partner"):
        response = api.get(f"/incidents/{ref}/assessment", who)
        assert response.status_code == 404 and response.json["error"] == "not_found"
    assert api.get(f"/incidents/{ref}/assessment", "gridco").status_code == 403  # sees the incident, not the score
    assert api.get(f"/incidents/{ref}/assessment", "operator").status_code == 200


def test_analysts_and_leadership_cannot_assess(api, world):
    ref = api.submit("gridco", title="Mine", tlp="TLP:AMBER")["reference"]
    before = snapshot(world.runtime)
    for who in ("gridco", "leader"):
        response = put(api, ref, who, SERIOUS)
        assert response.status_code == 403 and response.json["error"] == "forbidden"
    assert snapshot(world.runtime) == before


def test_bad_input_is_a_422_naming_the_field_and_its_values(api, world):
    ref = api.submit("gridco", title="Mine")["reference"]
    before = snapshot(world.runtime)
    response = put(api, ref, "operator", {**SERIOUS, "recoverability": "eventually"})
    assert response.status_code == 422
    body = response.json
    assert body["error"] == "invalid" and body["detail"].startswith("recoverability: Input should be 'regular'")
    assert body["errors"][0]["loc"] == ["recoverability"] and "'not-recoverable'" in body["errors"][0]["msg"]

    derived = put(api, ref, "operator", {**SERIOUS, "sectors_affected": 4})
    assert derived.status_code == 422 and derived.json["errors"][0]["loc"] == ["sectors_affected"]
    missing = put(api, ref, "operator", {"functional_impact": "no-impact"})
    assert missing.status_code == 422 and {tuple(e["loc"]) for e in missing.json["errors"]} == {
        ("information_impact",), ("recoverability",), ("observed_activity",), ("potential_impact",)}
    assert snapshot(world.runtime) == before


def test_reassessing_replaces_it(api):
    ref = api.submit("gridco", title="Evolving", tlp="TLP:AMBER")["reference"]
    first = put(api, ref, "operator", SERIOUS).json
    second = put(api, ref, "operator", {**SERIOUS, "functional_impact": "no-impact", "outlook": "worsening"}).json
    assert second["score"] == first["score"] - 20 and second["inputs"]["outlook"] == "worsening"
    assert second["overrides"] == ["outlook worsening: one level higher"]
    timeline = api.get(f"/incidents/{ref}", "operator").json["timeline"]
    latest = [e for e in timeline if e["kind"] == "assessment"][-1]
    assert f"(was {first['score']:g}/100, level 3 (High))" in latest["body"]
    assert latest["details"]["previous"] == {"score": first["score"], "level": 3}

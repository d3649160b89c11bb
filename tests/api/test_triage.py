"""POST /incidents/<ref>/triage: PATCH's fields with one reason as one timeline entry."""

from __future__ import annotations

from tests.api.helpers import snapshot


def test_one_entry_for_the_reporter_and_one_internal_for_the_national_severity(api):
    ref = api.submit(title="Credential phishing", severity=1, tlp="TLP:AMBER")["reference"]
    response = api.post(f"/incidents/{ref}/triage", "operator", {
        "status": "triaged", "assignee": "operator2@ncert.test", "category": "fraud/phishing", "severity": 3,
        "tlp": "TLP:GREEN", "reason": "confirmed by the bank"})
    assert response.status_code == 200, response.json
    inc = response.json
    assert (inc["status"], inc["assignee"], inc["severity"], inc["tlp"]) == ("triaged", "operator2@ncert.test", 3,
                                                                           "TLP:GREEN")
    assert [(e["kind"], e["internal"]) for e in inc["timeline"]] == [("created", False), ("triage", False),
                                                                     ("triage", True)]
    shared = inc["timeline"][1]
    assert shared["body"] == ("Status new → triaged; Assigned to operator2@ncert.test; Category other/undetermined"
                              " → fraud/phishing; TLP TLP:AMBER → TLP:GREEN. Reason: confirmed by the bank")
    assert [c["action"] for c in shared["details"]["changes"]] == [
        "incident.status", "incident.assign", "incident.categorise", "incident.tlp"]
    reporter = api.get(f"/incidents/{ref}", "gridco").json
    assert [e["kind"] for e in reporter["timeline"]] == ["created", "triage"]
    assert "Severity 1 → 3" not in str(reporter)


def test_a_refused_field_refuses_the_triage_and_writes_nothing(api, runtime):
    ref = api.submit()["reference"]
    before = snapshot(runtime)
    response = api.post(f"/incidents/{ref}/triage", "operator", {"status": "triaged", "assignee": "analyst@gridco.test"})
    assert response.status_code == 422 and "not an active SOC operator" in response.json["detail"]
    response = api.post(f"/incidents/{ref}/triage", "operator", {"tlp": "TLP:RED", "status": "contained"})
    assert response.status_code == 409 and response.json["error"] == "invalid_transition"
    response = api.post(f"/incidents/{ref}/triage", "gridco", {"status": "triaged"})
    assert response.status_code == 403
    response = api.post(f"/incidents/{ref}/triage", "operator", {"reason": "nothing else"})
    assert response.status_code == 422
    assert snapshot(runtime) == before


def test_a_hidden_incident_answers_like_a_missing_one(api):
    ref = api.submit("gridco", tlp="TLP:RED")["reference"]
    hidden = api.post(f"/incidents/{ref}/triage", "powergen", {"status": "triaged"})
    missing = api.post("/incidents/NC-1999-000001/triage", "powergen", {"status": "triaged"})
    assert (hidden.status_code, hidden.json) == (missing.status_code, missing.json) == (403, hidden.json)
    assert api.post("/incidents/NC-1999-000001/triage", "operator", {"status": "triaged"}).status_code == 404


def exercise(check, api) -> None:
    """The triage operation against its documented schemas (tests/api/test_openapi.py)."""
    path = "/api/v1/incidents/{reference}/triage"
    ref = api.submit(title="Scan")["reference"]
    url = f"/api/v1/incidents/{ref}/triage"
    check(path, "post", api.post(url[len("/api/v1"):], "operator", {"status": "triaged", "reason": "seen"}))
    check(path, "post", api.post(url[len("/api/v1"):], "gridco", {"status": "closed"}))  # 403
    check(path, "post", api.post(url[len("/api/v1"):], "operator", {"status": "merged"}))  # 409
    check(path, "post", api.post(url[len("/api/v1"):], "operator", {"tlp": "TLP:PURPLE"}))  # 422

"""Submitting and reading incidents, and /me."""

from __future__ import annotations

from datetime import datetime

from tests.api.helpers import PREFIX, bearer, snapshot

SUMMARY_KEYS = {
    "reference", "title", "status", "severity", "severity_label", "severity_hint", "communicated_severity",
    "category", "tlp", "sector", "affected_sectors",
    "reporter_org", "assignee", "team", "source_channel", "merged_into", "occurred_at", "aware_at", "reported_at",
    "acknowledged_at", "resolved_at", "closed_at", "updated_at", "work",
}
DETAIL_KEYS = SUMMARY_KEYS | {"description", "external_ids", "merged", "indicators", "sightings", "timeline", "deadlines",
                                 "assessment", "anomaly_score", "risks", "category_suggestion"}

RANSOMWARE = {
    "title": "Ransomware on SCADA jump host",
    "description": "Encrypted files on the engineering workstation.",
    "category": {"class": "malicious-code", "type": "infected-system"},
    "severity": 3,
    "tlp": "amber",
    "affected_sectors": ["health"],
    "occurred_at": "2026-01-10T08:00:00+01:00",
    "aware_at": "2026-01-10T09:30:00Z",
    "external_ids": {"gridco-ticket": "INC-7731"},
    "indicators": [
        {"type": "ipv4-addr", "value": "198.51.100.7", "confidence": 80, "count": 3},
        {"type": "domain-name", "value": "Evil.Example.COM.", "first_seen": "2026-01-09T00:00:00Z"},
    ],
}


def _utc(text: str) -> datetime:
    assert text.endswith("Z"), text
    return datetime.fromisoformat(text)


def test_submit_answers_201_with_the_incident_and_its_location(api):
    response = api.post("/incidents", "gridco", RANSOMWARE)

    assert response.status_code == 201
    assert response.content_type == "application/json"
    inc = response.json
    assert set(inc) == DETAIL_KEYS
    assert response.headers["Location"] == f"{PREFIX}/incidents/{inc['reference']}"
    assert inc["reference"].startswith("NC-")
    assert inc["status"] == "new"
    assert (inc["severity"], inc["severity_label"]) == (3, "High")
    assert inc["category"] == {"class": "malicious-code", "type": "infected-system"}
    assert inc["tlp"] == "TLP:AMBER"
    assert (inc["sector"], inc["reporter_org"], inc["affected_sectors"]) == ("energy", "gridco", ["health"])
    assert (inc["assignee"], inc["merged_into"], inc["source_channel"]) == (None, None, "api")
    assert inc["external_ids"] == {"gridco-ticket": "INC-7731"}
    assert _utc(inc["occurred_at"]) == _utc("2026-01-10T07:00:00Z")
    assert _utc(inc["reported_at"]) <= _utc(inc["updated_at"])
    assert inc["acknowledged_at"] is inc["resolved_at"] is inc["closed_at"] is None

    by_type = {i["type"]: i for i in inc["indicators"]}
    assert by_type["domain-name"]["value"] == "evil.example.com"
    assert by_type["ipv4-addr"]["confidence"] == 80
    assert by_type["ipv4-addr"]["shared_with"] == {"incidents": [], "sectors": [], "count": 0, "count_capped": False}
    assert _utc(by_type["domain-name"]["first_seen"]) == _utc("2026-01-09T00:00:00Z")
    assert {(s["type"], s["org"], s["count"]) for s in inc["sightings"]} == {
        ("ipv4-addr", "gridco", 3), ("domain-name", "gridco", 1)}
    assert [e["kind"] for e in inc["timeline"]] == ["created"]

    fetched = api.client.get(response.headers["Location"], headers=bearer(api.key("gridco")))
    assert fetched.status_code == 200
    assert fetched.json == inc


def test_resubmitting_an_external_id_answers_200_with_the_first_incident_and_writes_nothing(api, runtime):
    first = api.submit(**RANSOMWARE)
    before = snapshot(runtime)

    again = api.post("/incidents", "gridco", {**RANSOMWARE, "title": "Same ticket, resent"})

    assert again.status_code == 200
    assert "Location" not in again.headers
    assert again.json["reference"] == first["reference"]
    assert again.json["title"] == RANSOMWARE["title"]
    assert snapshot(runtime) == before


def test_the_same_external_id_from_another_org_is_a_new_incident(api):
    first = api.submit("gridco", title="A", external_ids={"ticket": "1"})
    other = api.post("/incidents", "powergen", {"title": "B", "external_ids": {"ticket": "1"}})
    assert other.status_code == 201
    assert other.json["reference"] != first["reference"]


def test_national_staff_may_report_on_behalf_of_an_organisation(api):
    inc = api.submit("operator", title="Phone report", reporter_org="cityhospital", tlp="TLP:RED")
    assert (inc["reporter_org"], inc["sector"], inc["tlp"]) == ("cityhospital", "health", "TLP:RED")


def test_an_analyst_cannot_report_for_another_organisation(api, runtime):
    before = snapshot(runtime)
    response = api.post("/incidents", "gridco", {"title": "x", "reporter_org": "powergen"})
    assert response.status_code == 403
    assert response.json["error"] == "forbidden"
    assert snapshot(runtime) == before


def test_leadership_keys_do_not_submit(api):
    response = api.post("/incidents", "leader", {"title": "x"})
    assert response.status_code == 403
    assert set(response.json) == {"error", "detail"}


def test_schema_violations_are_422_with_located_errors(api, runtime):
    before = snapshot(runtime)
    response = api.post("/incidents", "gridco", {
        "title": "Bad indicator", "severity": 9,
        "indicators": [{"type": "ipv4-addr", "value": "198.51.100.7"}, {"type": "ipv4-addr", "value": "not-an-ip"}],
    })
    assert response.status_code == 422
    body = response.json
    assert body["error"] == "invalid"
    locs = [e["loc"] for e in body["errors"]]
    assert ["severity"] in locs
    assert any(loc[:2] == ["indicators", 1] for loc in locs)
    assert all(set(e) == {"loc", "msg", "type"} for e in body["errors"])
    assert snapshot(runtime) == before


def test_domain_rule_violations_are_422(api, runtime):
    before = snapshot(runtime)
    unknown_sector = api.post("/incidents", "gridco", {"title": "x", "affected_sectors": ["space"]})
    future = api.post("/incidents", "gridco", {"title": "x", "occurred_at": "2999-01-01T00:00:00Z"})
    bad_category = api.post("/incidents", "gridco", {"title": "x", "category": "fraud/spam"})
    for response in (unknown_sector, future, bad_category):
        assert response.status_code == 422, response.json
        assert response.json["error"] == "invalid"
        assert isinstance(response.json["errors"], list)
    assert "space" in unknown_sector.json["detail"]
    assert snapshot(runtime) == before


def test_get_accepts_any_case_and_unknown_references_are_404(api):
    inc = api.submit()
    assert api.get(f"/incidents/{inc['reference'].lower()}", "gridco").json["reference"] == inc["reference"]
    missing = api.get("/incidents/NC-1999-000001", "operator")
    assert missing.status_code == 404
    assert missing.json["error"] == "not_found"


def test_me_describes_the_key(api):
    response = api.get("/me", "gridco")
    assert response.status_code == 200
    me = response.json
    assert (me["org"], me["org_name"], me["role"]) == ("gridco", "GridCo Transmission", "sector_analyst")
    assert api.key("gridco").startswith(me["key_prefix"] + "_")
    assert set(me) == {"org", "org_name", "role", "key_prefix", "key_name"}

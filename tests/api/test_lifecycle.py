"""Triage over the API: PATCH, invalid transitions, merge, reopen and comments."""

from __future__ import annotations

from tests.api.helpers import snapshot


def test_patch_triages_assigns_and_recategorises(api, world):
    ref = api.submit(title="Credential phishing", severity=1)["reference"]

    inc = api.triage(ref, status="triaged", assignee="operator@ncert.test", category="fraud/phishing",
                     severity=3, tlp="TLP:RED", reason="confirmed by the bank")

    assert inc["status"] == "triaged"
    assert inc["acknowledged_at"] is not None
    assert inc["assignee"] == "operator@ncert.test"
    assert inc["category"] == {"class": "fraud", "type": "phishing"}
    assert (inc["severity"], inc["severity_label"], inc["tlp"]) == (3, "High", "TLP:RED")
    assert [e["kind"] for e in inc["timeline"]] == ["created", "status", "assignee", "category", "severity", "tlp"]
    assert api.get(f"/incidents/{ref}", "operator").json == inc

    by_id = api.triage(ref, assignee=world.users["operator2@ncert.test"])
    assert by_id["assignee"] == "operator2@ncert.test"
    assert api.triage(ref, assignee=None)["assignee"] is None


def test_an_invalid_transition_is_409_with_the_reason(api, runtime):
    ref = api.submit()["reference"]
    before = snapshot(runtime)

    response = api.patch(f"/incidents/{ref}", "operator", {"status": "contained"})

    assert response.status_code == 409
    assert response.json["error"] == "invalid_transition"
    assert "allowed from new: triaged, investigating, resolved, closed" in response.json["detail"]
    assert snapshot(runtime) == before


def test_a_patch_that_fails_halfway_writes_nothing(api, runtime):
    """The status move is applied and logged before the assignee is refused; all of it rolls back."""
    ref = api.submit()["reference"]
    before = snapshot(runtime)

    response = api.patch(f"/incidents/{ref}", "operator", {"status": "triaged", "assignee": "analyst@gridco.test"})

    assert response.status_code == 422
    assert "not an active SOC operator" in response.json["detail"]
    assert snapshot(runtime) == before
    assert api.get(f"/incidents/{ref}", "operator").json["status"] == "new"


def test_patch_validation(api, runtime):
    ref = api.submit()["reference"]
    before = snapshot(runtime)
    for body in ({}, {"reason": "only a reason"}, {"status": "bogus"}, {"severity": None}, {"tlp": "TLP:PURPLE"},
                 {"category": "fraud"}, {"colour": "red"}, ["status", "triaged"], {"assignee": 2**40},
                 {"assignee": 0}):
        response = api.patch(f"/incidents/{ref}", "operator", body)
        assert response.status_code == 422, body
        assert response.json["errors"], body
    assert snapshot(runtime) == before


def test_only_operators_and_admins_triage(api):
    ref = api.submit(tlp="TLP:GREEN")["reference"]
    for who in ("gridco", "powergen", "leader"):
        response = api.patch(f"/incidents/{ref}", who, {"status": "triaged"})
        assert response.status_code == 403, who
        assert response.json["error"] == "forbidden"
    assert api.patch(f"/incidents/{ref}", "admin", {"status": "triaged"}).status_code == 200


def test_merge_moves_indicators_and_marks_the_duplicate(api):
    keep = api.submit("gridco", title="Botnet C2", indicators=[{"type": "ipv4-addr", "value": "203.0.113.5"}])
    dup = api.submit("powergen", title="Same botnet", indicators=[{"type": "domain-name", "value": "c2.example.net"}])

    response = api.post(f"/incidents/{dup['reference']}/merge", "operator",
                        {"into": keep["reference"], "reason": "same C2"})

    assert response.status_code == 200
    merged = response.json
    assert (merged["reference"], merged["status"], merged["merged_into"]) == (
        dup["reference"], "merged", keep["reference"])
    assert merged["timeline"][-1]["kind"] == "merged"
    kept = api.get(f"/incidents/{keep['reference']}", "operator").json
    assert {i["value"] for i in kept["indicators"]} == {"203.0.113.5", "c2.example.net"}
    assert kept["timeline"][-1]["kind"] == "merge-received"
    assert api.get("/incidents", "operator", query_string={"status": "merged"}).json["items"][0]["merged_into"] == \
        keep["reference"]


def test_merge_conflicts_are_409_and_write_nothing(api, runtime):
    a, b, c = (api.submit(title=t)["reference"] for t in "abc")
    api.triage(c, status="closed")
    api.post(f"/incidents/{b}/merge", "operator", {"into": a})
    before = snapshot(runtime)

    for source, target in ((a, a), (b, a), (a, b), (a, c)):
        response = api.post(f"/incidents/{source}/merge", "operator", {"into": target})
        assert response.status_code == 409, (source, target)
        assert response.json["error"] == "conflict"
    assert api.post(f"/incidents/{a}/merge", "operator", {"into": "NC-1999-000001"}).status_code == 404
    assert api.post(f"/incidents/{a}/merge", "operator", {"reason": "no target"}).status_code == 422
    assert snapshot(runtime) == before


def test_merged_into_is_withheld_when_the_caller_cannot_see_the_target(api):
    own = api.submit("gridco", title="Our copy", tlp="TLP:GREEN")["reference"]
    hidden = api.submit("powergen", title="Their case", tlp="TLP:AMBER")["reference"]
    api.post(f"/incidents/{own}/merge", "operator", {"into": hidden})

    seen = api.get(f"/incidents/{own}", "gridco").json
    assert (seen["status"], seen["merged_into"]) == ("merged", None)
    assert api.get(f"/incidents/{own}", "operator").json["merged_into"] == hidden


def test_reopen(api, runtime):
    ref = api.submit()["reference"]
    api.triage(ref, status="resolved")

    not_open = api.post(f"/incidents/{api.submit()['reference']}/reopen", "operator", {"reason": "why not"})
    assert not_open.status_code == 409
    assert not_open.json["error"] == "invalid_transition"
    before = snapshot(runtime)
    for body in ({}, {"reason": "   "}):
        assert api.post(f"/incidents/{ref}/reopen", "operator", body).status_code == 422
    assert api.post(f"/incidents/{ref}/reopen", "gridco", {"reason": "x"}).status_code == 403
    assert snapshot(runtime) == before

    response = api.post(f"/incidents/{ref}/reopen", "operator", {"reason": "attacker came back"})

    assert response.status_code == 200
    inc = response.json
    assert (inc["status"], inc["resolved_at"], inc["closed_at"]) == ("triaged", None, None)
    assert inc["timeline"][-1]["body"] == "Reopened: attacker came back"


def test_comments_and_internal_notes(api):
    ref = api.submit("gridco", title="Our incident")["reference"]

    public = api.post(f"/incidents/{ref}/comments", "gridco", {"body": "Logs attached to the ticket."})
    note = api.post(f"/incidents/{ref}/comments", "operator", {"body": "Looks like APT-X", "internal": True})
    reply = api.post(f"/incidents/{ref}/comments", "operator", {"body": "Thanks, looking at it."})

    assert public.status_code == note.status_code == reply.status_code == 201
    entry = note.json
    assert set(entry) == {"id", "at", "kind", "actor", "body", "internal", "details"}
    assert (entry["kind"], entry["body"], entry["internal"]) == ("comment", "Looks like APT-X", True)
    assert entry["at"].endswith("Z")

    staff_view = [e["body"] for e in api.get(f"/incidents/{ref}", "operator").json["timeline"]]
    reporter_view = [e["body"] for e in api.get(f"/incidents/{ref}", "gridco").json["timeline"]]
    assert "Looks like APT-X" in staff_view
    assert "Looks like APT-X" not in reporter_view
    assert {"Logs attached to the ticket.", "Thanks, looking at it."} <= set(reporter_view)


def test_comment_permissions_and_validation(api, runtime):
    ref = api.submit("gridco", title="Our incident", tlp="TLP:GREEN")["reference"]
    before = snapshot(runtime)

    assert api.post(f"/incidents/{ref}/comments", "gridco", {"body": "x", "internal": True}).status_code == 403
    assert api.post(f"/incidents/{ref}/comments", "powergen", {"body": "me too"}).status_code == 403
    assert api.post(f"/incidents/{ref}/comments", "leader", {"body": "well done"}).status_code == 403
    for body in ({}, {"body": ""}, {"body": "   "}, {"body": "x", "internal": "perhaps"}, {"body": "x" * 20_001}):
        response = api.post(f"/incidents/{ref}/comments", "gridco", body)
        assert response.status_code == 422, body
        assert response.json["error"] == "invalid"
    assert snapshot(runtime) == before

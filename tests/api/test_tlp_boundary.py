"""TLP 2.0 boundary over every API route (rules in ncert/access.py).

An analyst never reads another organisation's TLP:AMBER, TLP:AMBER+STRICT or
TLP:RED incident, and a hidden incident answers exactly like one that does not
exist, so no route confirms it is there.
"""

from __future__ import annotations

import pytest

from tests.api.helpers import snapshot

SECRET = "zebracorn"  # a word only the hidden incidents contain
SHARED_IP = "192.0.2.66"
MISSING = "NC-1999-999999"
HIDDEN_LABELS = ("TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED")


@pytest.fixture
def boundary(api):
    """powergen's hidden incidents, its GREEN and CLEAR ones, and gridco's own, all sharing one indicator."""
    ioc = [{"type": "ipv4-addr", "value": SHARED_IP}]
    hidden = {label: api.submit("powergen", title=f"{SECRET} {label}", description=f"{SECRET} details", tlp=label,
                                indicators=ioc)["reference"] for label in HIDDEN_LABELS}
    green = api.submit("powergen", title="Green scan report", tlp="TLP:GREEN", indicators=ioc)["reference"]
    clear = api.submit("powergen", title="Clear advisory", tlp="TLP:CLEAR", indicators=ioc)["reference"]
    own = api.submit("gridco", title="Our incident", tlp="TLP:GREEN", indicators=ioc)["reference"]
    api.triage(own, status="resolved")
    return {"hidden": hidden, "green": green, "clear": clear, "own": own}


def _same_as_missing(hidden_response, missing_response, hidden_ref: str) -> None:
    assert hidden_response.status_code == missing_response.status_code
    assert hidden_response.json["error"] == missing_response.json["error"]
    assert hidden_response.json["detail"].replace(hidden_ref, MISSING) == missing_response.json["detail"]
    assert SECRET not in hidden_response.get_data(as_text=True)


def _requests(api, who: str, ref: str, visible_ref: str):
    """Every route that names an incident, as (label, response) pairs."""
    return [
        ("get", api.get(f"/incidents/{ref}", who)),
        ("patch", api.patch(f"/incidents/{ref}", who, {"status": "triaged"})),
        ("comment", api.post(f"/incidents/{ref}/comments", who, {"body": "hello"})),
        ("merge source", api.post(f"/incidents/{ref}/merge", who, {"into": visible_ref})),
        ("merge target", api.post(f"/incidents/{visible_ref}/merge", who, {"into": ref})),
        ("reopen", api.post(f"/incidents/{ref}/reopen", who, {"reason": "x"})),
    ]


@pytest.mark.parametrize("who", ["gridco", "partner"])
@pytest.mark.parametrize("label", HIDDEN_LABELS)
def test_hidden_incidents_answer_like_missing_ones_on_every_route(api, runtime, boundary, who, label):
    ref = boundary["hidden"][label]
    before = snapshot(runtime)

    hidden = _requests(api, who, ref, boundary["own"])
    missing = _requests(api, who, MISSING, boundary["own"])

    for (route, h), (_, m) in zip(hidden, missing):
        assert h.status_code in (403, 404), route
        _same_as_missing(h, m, ref)
    assert snapshot(runtime) == before


def test_the_listing_never_shows_hidden_incidents(api, boundary):
    for params in ({}, {"q": SECRET}, {"tlp": ",".join(HIDDEN_LABELS)}, {"reporter_org": "powergen"},
                   {"counts": "true"}, {"q": boundary["hidden"]["TLP:RED"]}):
        response = api.get("/incidents", "gridco", query_string=params)
        assert response.status_code == 200
        assert SECRET not in response.get_data(as_text=True), params
        assert not set(boundary["hidden"].values()) & {i["reference"] for i in response.json["items"]}
    counts = api.get("/incidents", "gridco", query_string={"counts": "true"}).json["counts"]
    assert sum(counts.values()) == 3  # powergen's GREEN and CLEAR, and gridco's own


def test_the_owner_and_national_staff_see_every_label(api, boundary):
    for ref in boundary["hidden"].values():
        assert api.get(f"/incidents/{ref}", "powergen").status_code == 200
        assert api.get(f"/incidents/{ref}", "operator").status_code == 200
        assert api.get(f"/incidents/{ref}", "leader").status_code == 200
    assert len(api.get("/incidents", "operator", query_string={"q": SECRET}).json["items"]) == 3


def test_clear_and_green_follow_the_community(api, boundary):
    # A national constituent reads another organisation's GREEN and CLEAR.
    assert api.get(f"/incidents/{boundary['green']}", "centralbank").status_code == 200
    assert api.get(f"/incidents/{boundary['clear']}", "centralbank").status_code == 200
    # An international partner is outside the national community: CLEAR only.
    assert api.get(f"/incidents/{boundary['clear']}", "partner").status_code == 200
    assert api.get(f"/incidents/{boundary['green']}", "partner").status_code == 404
    assert {i["tlp"] for i in api.get("/incidents", "partner").json["items"]} == {"TLP:CLEAR"}


def test_shared_with_names_only_incidents_the_caller_may_see(api, boundary):
    own = api.get(f"/incidents/{boundary['own']}", "gridco").json
    (indicator,) = own["indicators"]
    assert set(indicator["shared_with"]["incidents"]) == {boundary["green"], boundary["clear"]}
    assert indicator["shared_with"]["sectors"] == ["energy"]
    assert SECRET not in str(own)

    staff = api.get(f"/incidents/{boundary['own']}", "operator").json
    assert set(staff["indicators"][0]["shared_with"]["incidents"]) == {
        boundary["green"], boundary["clear"], *boundary["hidden"].values()}


def test_analysts_see_only_their_own_sightings(api, boundary):
    green = api.get(f"/incidents/{boundary['green']}", "gridco").json
    assert green["sightings"] == []
    assert {s["org"] for s in api.get(f"/incidents/{boundary['green']}", "operator").json["sightings"]} == {"powergen"}

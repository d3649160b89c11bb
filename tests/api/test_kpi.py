"""``/api/v1/kpi``: cards with value, previous value, target and status; who reads which
card; reviews, responsible persons and targets; clear 4xx answers for bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ncert.models import KpiReview, KpiTarget, ResponsiblePerson
from tests.api.helpers import PREFIX, bearer
from tests.api.helpers import snapshot as incident_snapshot
from tests.services.kpi_helpers import Q3, deadline, place

GRIDCO_CARD = "/kpi/organizations/gridco"


def reported(api, who: str, days: int, **fields) -> str:
    """An incident ``who`` reported ``days`` days into 2026Q3 (negative: 2026Q2)."""
    ref = api.submit(who, **fields)["reference"]
    place(api.world, ref, reported_at=Q3 + timedelta(days=days))
    return ref


def snapshot(runtime) -> dict:
    """Everything a request could write, the card's own tables included."""
    with runtime.sessions() as s:
        rows = {model.__tablename__: s.scalar(select(func.count()).select_from(model))
                for model in (KpiReview, KpiTarget, ResponsiblePerson)}
    return {**incident_snapshot(runtime), **rows}


def figure(card: dict, key: str) -> dict:
    return next(f for f in card["figures"] if f["key"] == key)


def cert_get(api, path: str, **kw):
    """GET as an analyst of the energy sector's CERT."""
    return api.client.get(PREFIX + path, headers=bearer(api.world.key("energy-cert")), **kw)


def test_a_card_gives_each_figure_with_previous_value_target_and_status(api):
    ref = reported(api, "gridco", 1)
    reported(api, "gridco", 2)
    reported(api, "gridco", -3)
    deadline(api.world, ref, "early-warning", Q3 + timedelta(days=2), received=Q3 + timedelta(days=1))

    response = api.get(GRIDCO_CARD, "leader", query_string={"period": "2026Q3"})
    assert response.status_code == 200, response.json
    card = response.json
    assert (card["kind"], card["slug"], card["name"], card["sector"]) == (
        "organization", "gridco", "GridCo Transmission", "energy")
    assert (card["period"]["label"], card["previous_period"]["label"]) == ("2026Q3", "2026Q2")
    assert card["period"]["start"] == "2026-07-01T00:00:00Z" and card["period"]["end"] == "2026-10-01T00:00:00Z"
    incidents = figure(card, "incidents")
    assert (incidents["value"], incidents["previous"], incidents["target"], incidents["status"]) == (2, 1, None, None)
    early = figure(card, "nis2_early_warning_on_time")
    assert (early["value"], early["count"], early["unit"], early["status"]) == (100.0, 1, "percent", "green")
    assert early["target"] == {"target": 95.0, "amber": 85.0, "source": "default"}
    assert figure(card, "time_to_acknowledge_median")["value"] is None  # nothing acknowledged
    assert card["responsible"] is None and card["review"] is None and card["history"] == []


def test_a_custom_range_and_the_current_quarter_by_default(api):
    reported(api, "gridco", 10)
    custom = api.get(GRIDCO_CARD, "gridco", query_string={"from": "2026-07-05", "to": "2026-07-20"}).json
    assert custom["period"]["label"] == "2026-07-05..2026-07-20"
    assert custom["previous_period"]["label"] == "2026-06-19..2026-07-04"
    assert figure(custom, "incidents")["value"] == 1
    assert api.get(GRIDCO_CARD, "gridco").json["period"]["label"].endswith(("Q1", "Q2", "Q3", "Q4"))


@pytest.mark.parametrize(("query", "says"), [
    ({"period": "2026Q5"}, "not a quarter like 2026Q3"),
    ({"period": "last-year"}, "not a quarter like 2026Q3"),
    ({"from": "2026-07-01"}, "needs both from and to"),
    ({"from": "2026-07-10", "to": "2026-07-01"}, "to is before from"),
    ({"from": "2026-02-30", "to": "2026-03-01"}, "not a day like"),
    ({"from": "2020-01-01", "to": "2026-01-01"}, "at most"),
    ({"period": "2026Q3", "from": "2026-07-01", "to": "2026-07-02"}, "either period or from/to"),
    ({"quarter": "2026Q3"}, "quarter"),
])
def test_a_bad_period_is_a_400_saying_why(api, query, says):
    before = snapshot(api.world.runtime)
    response = api.get(GRIDCO_CARD, "leader", query_string=query)
    assert response.status_code == 400
    assert response.json["error"] == "bad_request" and says in response.json["detail"]
    assert snapshot(api.world.runtime) == before


def test_who_reads_which_card(api):
    reported(api, "gridco", 1, tlp="TLP:GREEN")
    reported(api, "gridco", 2, tlp="TLP:AMBER")
    reported(api, "powergen", 3, tlp="TLP:AMBER")
    query = {"period": "2026Q3"}
    for who in ("leader", "operator", "admin"):
        assert figure(api.get("/kpi/sectors/energy", who, query_string=query).json, "incidents")["value"] == 3
    assert figure(api.get(GRIDCO_CARD, "gridco", query_string=query).json, "incidents")["value"] == 2
    assert figure(cert_get(api, GRIDCO_CARD, query_string=query).json, "incidents")["value"] == 1
    assert figure(cert_get(api, "/kpi/sectors/energy", query_string=query).json, "incidents")["value"] == 1

    hidden = [api.get("/kpi/organizations/powergen", "gridco"), api.get("/kpi/sectors/energy", "gridco"),
              api.get("/kpi/organizations/gridco", "centralbank"), cert_get(api, "/kpi/organizations/centralbank"),
              cert_get(api, "/kpi/sectors/finance"), api.get("/kpi/organizations/gridco", "partner")]
    assert [r.status_code for r in hidden] == [404] * len(hidden)
    missing = api.get("/kpi/organizations/no-such-org", "gridco")
    assert missing.status_code == 404
    assert hidden[0].json == {"error": "not_found", "detail": missing.json["detail"].replace("no-such-org",
                                                                                             "powergen")}


def test_leadership_reviews_and_signs_off_a_quarter(api):
    reported(api, "gridco", 1)
    reviews = f"{GRIDCO_CARD}/reviews"
    first = api.post(reviews, "leader", {"period": "2026Q3", "comments": "Draft"})
    assert first.status_code == 201 and first.json["signed_off"] is False
    signed = api.post(reviews, "leader", {"period": "2026Q3", "comments": "Approved", "sign_off": True})
    assert signed.status_code == 200
    assert (signed.json["signed_off"], signed.json["comments"]) == (True, "Approved")
    assert signed.json["figures"]["incidents"] == {"value": 1, "previous": 0, "count": 1, "status": None}

    before = snapshot(api.world.runtime)
    again = api.post(reviews, "leader", {"period": "2026Q3", "comments": "Edited"})
    assert again.status_code == 409 and again.json["error"] == "signed_off"
    assert snapshot(api.world.runtime) == before

    own = api.get(GRIDCO_CARD, "gridco", query_string={"period": "2026Q4"}).json
    assert [(r["period"], r["comments"]) for r in own["history"]] == [("2026Q3", "Approved")]
    assert own["history"][0]["figures"]["incidents"]["value"] == 1  # its own whole card
    assert cert_get(api, GRIDCO_CARD).json["history"][0]["figures"] is None  # a partial view of GridCo


def test_sector_cards_are_reviewed_too(api):
    response = api.post("/kpi/sectors/energy/reviews", "leader", {"period": "2026Q3", "sign_off": True})
    assert response.status_code == 201 and response.json["signed_off"]
    assert [r["period"] for r in cert_get(api, "/kpi/sectors/energy").json["history"]] == ["2026Q3"]


@pytest.mark.parametrize(("who", "path", "body", "status"), [
    ("operator", f"{GRIDCO_CARD}/reviews", {"period": "2026Q3"}, 403),
    ("gridco", f"{GRIDCO_CARD}/reviews", {"period": "2026Q3"}, 403),
    ("gridco", "/kpi/organizations/powergen/reviews", {"period": "2026Q3"}, 404),
    ("leader", f"{GRIDCO_CARD}/reviews", {"period": "2026Q3", "sign_of": True}, 422),
    ("leader", f"{GRIDCO_CARD}/reviews", {}, 422),
    ("leader", f"{GRIDCO_CARD}/reviews", {"period": "2026Q9"}, 400),
    ("leader", f"{GRIDCO_CARD}/reviews", {"period": "2099Q1"}, 422),
    ("gridco", f"{GRIDCO_CARD}/responsible", {"name": "Me"}, 403),
    ("leader", f"{GRIDCO_CARD}/responsible", {"name": ""}, 422),
    ("leader", "/kpi/organizations/nobody/responsible", {"name": "X"}, 404),
])
def test_rejected_writes_change_nothing(api, who, path, body, status):
    before = snapshot(api.world.runtime)
    send = api.post if path.endswith("reviews") else _put(api)
    response = send(path, who, body)
    assert response.status_code == status, response.json
    assert set(response.json) >= {"error", "detail"}
    assert snapshot(api.world.runtime) == before


def _put(api):
    def put(path, who, body):
        return api.client.put(PREFIX + path, headers=bearer(api.key(who)), json=body)
    return put


def test_the_responsible_person_is_named_on_the_card(api):
    body = {"name": "Aysel Mammadova", "position": "Deputy CEO", "email": "aysel@gridco.test"}
    response = _put(api)(f"{GRIDCO_CARD}/responsible", "leader", body)
    assert response.status_code == 200 and response.json == body
    assert api.get(GRIDCO_CARD, "gridco").json["responsible"] == body


def test_targets_national_and_per_organisation_set_the_status(api):
    reported(api, "gridco", 1, tlp="TLP:GREEN")
    reported(api, "gridco", 2, tlp="TLP:GREEN")
    put = _put(api)
    query = {"period": "2026Q3"}
    for ref in api.get("/incidents", "operator").json["items"]:
        api.triage(ref["reference"], severity=4, communicated_severity=4)  # told to the reporter too
    assert figure(api.get(GRIDCO_CARD, "leader", query_string=query).json, "open_criticals")["status"] == "red"

    national = put("/kpi/targets/open_criticals", "admin", {"target": 1, "amber": 2})
    assert national.status_code == 200 and national.json == {"target": 1.0, "amber": 2.0, "source": "national"}
    assert figure(api.get(GRIDCO_CARD, "leader", query_string=query).json, "open_criticals")["status"] == "amber"
    override = put("/kpi/targets/open_criticals", "leader", {"target": 2, "amber": 3, "organization": "gridco"})
    assert override.json["source"] == "organization"
    found = figure(api.get(GRIDCO_CARD, "gridco", query_string=query).json, "open_criticals")
    assert (found["value"], found["status"], found["target"]["source"]) == (2, "green", "organization")

    before = snapshot(api.world.runtime)
    assert put("/kpi/targets/open_criticals", "gridco", {"target": 5, "amber": 9}).status_code == 403
    assert put("/kpi/targets/open_criticals", "leader", {"target": 3, "amber": 1}).status_code == 422
    assert put("/kpi/targets/incidents", "leader", {"target": 3, "amber": 4}).status_code == 404
    assert put("/kpi/targets/open_criticals", "leader", {"target": "x", "amber": 4}).status_code == 422
    assert snapshot(api.world.runtime) == before

"""GET /incidents: filters, sorting, keyset paging, counts and malformed parameters."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone

import pytest

from ncert.db import utcnow
from tests.api.helpers import refs

SUMMARY_ONLY = {"indicators", "sightings", "timeline", "description"}


def page_through(api, who: str, **params) -> list[dict]:
    """Every item of a listing, following next_cursor; each page checked for its limit."""
    items, cursor, pages = [], None, 0
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = api.get("/incidents", who, query_string=query)
        assert response.status_code == 200, response.json
        page = response.json
        assert len(page["items"]) <= page["limit"]
        items += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            return items
        assert len(page["items"]) == page["limit"]
        assert pages < 100


@pytest.fixture
def queue(api):
    """Thirteen incidents with varied severity, category, TLP, sector and status."""
    made = []
    for n in range(13):
        made.append(api.submit(
            "gridco" if n % 2 else "powergen",
            title=f"Incident {n} {'phishing wave' if n % 3 == 0 else 'scanner noise'}",
            severity=n % 4,
            category="fraud/phishing" if n % 3 == 0 else "information-gathering/scanner",
            tlp="TLP:GREEN" if n % 5 else "TLP:CLEAR",
            affected_sectors=["finance"] if n == 4 else [],
        ))
    return made


def test_items_are_summaries_newest_first_with_default_limit(api, queue):
    page = api.get("/incidents", "operator").json
    assert page["limit"] == 50
    assert page["next_cursor"] is None
    assert "counts" not in page
    assert refs(page) == [i["reference"] for i in reversed(queue)]
    assert not SUMMARY_ONLY & set(page["items"][0])


@pytest.mark.parametrize("sort", ["reported_at", "-reported_at", "updated_at", "-updated_at", "severity", "-severity"])
def test_cursor_paging_visits_every_incident_once_in_order(api, queue, sort):
    items = page_through(api, "operator", sort=sort, limit=4)

    assert sorted(refs({"items": items})) == sorted(i["reference"] for i in queue)
    key = sort.lstrip("-")
    values = [item[key] for item in items]
    assert values == sorted(values, reverse=sort.startswith("-"))


def test_paging_with_ties_on_the_sort_key_has_no_duplicates_or_gaps(api, queue):
    items = page_through(api, "operator", sort="-severity", limit=3, tlp="TLP:GREEN,TLP:CLEAR")
    references = [i["reference"] for i in items]
    assert len(references) == len(set(references)) == 13


def test_filters(api, queue, world):
    def listed(**params) -> set[str]:
        response = api.get("/incidents", "operator", query_string=params)
        assert response.status_code == 200, response.json
        return set(refs(response.json))

    def where(pred) -> set[str]:
        return {i["reference"] for i in queue if pred(i)}

    api.triage(queue[0]["reference"], status="triaged", assignee="operator@ncert.test")
    api.triage(queue[1]["reference"], status="investigating", assignee=world.users["operator2@ncert.test"])
    api.triage(queue[2]["reference"], status="closed")

    assert listed(status="triaged,investigating") == {queue[0]["reference"], queue[1]["reference"]}
    assert listed(status="closed") == {queue[2]["reference"]}
    assert listed(severity="0,3") == where(lambda i: i["severity"] in (0, 3))
    assert listed(severity_min="2") == where(lambda i: i["severity"] >= 2)
    assert listed(category="fraud") == where(lambda i: i["category"]["class"] == "fraud")
    assert listed(category="information-gathering/scanner") == where(lambda i: i["category"]["type"] == "scanner")
    assert listed(category="information-gathering/sniffing") == set()
    assert listed(tlp="clear") == where(lambda i: i["tlp"] == "TLP:CLEAR")
    assert listed(reporter_org="gridco") == where(lambda i: i["reporter_org"] == "gridco")
    assert listed(reporter_org="nobody") == set()
    assert listed(sector="finance") == {queue[4]["reference"]}  # an affected sector counts
    assert listed(sector="energy,health") == where(lambda i: True)
    assert listed(assignee="operator@ncert.test") == {queue[0]["reference"]}
    assert listed(assignee=str(world.users["operator2@ncert.test"])) == {queue[1]["reference"]}
    assert listed(assignee="none") == where(lambda i: True) - {queue[0]["reference"], queue[1]["reference"]}
    assert listed(q="phishing") == where(lambda i: "phishing" in i["title"])
    assert listed(q="phishing wave", severity_min="1", reporter_org="gridco") == where(
        lambda i: "phishing" in i["title"] and i["severity"] >= 1 and i["reporter_org"] == "gridco")


def test_reported_window(api):
    early = [api.submit(title=f"early {n}")["reference"] for n in range(3)]
    boundary = utcnow()
    late = [api.submit(title=f"late {n}")["reference"] for n in range(2)]

    def listed(**params) -> set[str]:
        response = api.get("/incidents", "operator", query_string=params)
        assert response.status_code == 200, response.json
        return set(refs(response.json))

    assert listed(reported_after=boundary.isoformat()) == set(late)
    assert listed(reported_before=boundary.isoformat()) == set(early)
    naive_utc = boundary.astimezone(timezone.utc).replace(tzinfo=None).isoformat()
    assert listed(reported_after=naive_utc) == set(late)
    as_z = boundary.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert listed(reported_after=as_z, reported_before="2999-01-01T00:00:00Z") == set(late)
    # An unencoded '+' in the offset arrives as a space; it still means +00:00.
    assert listed(reported_before=boundary.isoformat().replace("+", " ")) == set(early)


def test_counts_cover_every_status_under_the_other_filters(api, queue):
    api.triage(queue[0]["reference"], status="triaged")
    api.triage(queue[3]["reference"], status="triaged")
    api.triage(queue[6]["reference"], status="resolved")

    page = api.get("/incidents", "operator", query_string={"counts": "true", "status": "triaged",
                                                            "category": "fraud"}).json

    assert set(refs(page)) == {queue[0]["reference"], queue[3]["reference"]}
    phishing = [i for i in queue if i["category"]["class"] == "fraud"]
    assert page["counts"] == {"new": len(phishing) - 3, "triaged": 2, "investigating": 0, "contained": 0,
                              "resolved": 1, "closed": 0, "merged": 0}


def test_counts_are_scoped_to_what_the_caller_sees(api):
    api.submit("gridco", title="own amber", tlp="TLP:AMBER")
    api.submit("powergen", title="their amber", tlp="TLP:AMBER")
    api.submit("powergen", title="their green", tlp="TLP:GREEN")
    assert api.get("/incidents", "gridco", query_string={"counts": "1"}).json["counts"]["new"] == 2
    assert api.get("/incidents", "partner", query_string={"counts": "1"}).json["counts"]["new"] == 0


@pytest.mark.parametrize("params, names", [
    ({"status": "open"}, "status"),
    ({"severity": "1,9"}, "severity"),
    ({"severity": "high"}, "severity"),
    ({"severity_min": "-1"}, "severity_min"),
    ({"category": "malware"}, "category"),
    ({"category": "fraud/spam"}, "category"),
    ({"tlp": "TLP:PURPLE"}, "tlp"),
    ({"reported_after": "last tuesday"}, "reported_after"),
    ({"reported_before": "2026-13-01"}, "reported_before"),
    ({"sort": "title"}, "sort"),
    ({"sort": "--severity"}, "sort"),
    ({"limit": "0"}, "limit"),
    ({"limit": "501"}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"counts": "maybe"}, "counts"),
    ({"assignee": "me"}, "assignee"),
    ({"page": "2"}, "page"),
    ({"cursor": "!!!not-a-cursor"}, "cursor"),
    ({"q": "x" * 501}, "q"),
])
def test_malformed_parameters_are_400_naming_the_parameter(api, params, names):
    response = api.get("/incidents", "operator", query_string=params)
    assert response.status_code == 400
    assert response.json["error"] == "bad_request"
    assert names in response.json["detail"]


def test_a_repeated_parameter_is_400(api):
    response = api.get("/incidents?status=new&status=triaged", "operator")
    assert response.status_code == 400
    assert "comma-separated" in response.json["detail"]


def test_a_cursor_only_works_with_its_own_sort(api, queue):
    cursor = api.get("/incidents", "operator", query_string={"limit": 2}).json["next_cursor"]
    response = api.get("/incidents", "operator", query_string={"limit": 2, "cursor": cursor, "sort": "severity"})
    assert response.status_code == 400
    assert "cursor" in response.json["detail"]


@pytest.mark.parametrize("parts", [
    ["-reported_at", "2026-01-01T00:00:00", 1],  # no offset
    ["-reported_at", "0001-01-01T00:00:00+14:00", 1],  # no UTC equivalent
    ["-reported_at", "2026-01-01T00:00:00Z", 2**40],  # id beyond the column
    ["severity", 9, 1],
    ["severity", True, 1],
    ["severity", 1, "1"],
    ["-reported_at", "2026-01-01T00:00:00Z"],
])
def test_a_forged_cursor_is_400(api, queue, parts):
    cursor = base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")
    response = api.get("/incidents", "operator", query_string={"cursor": cursor, "sort": parts[0]})
    assert response.status_code == 400
    assert "cursor" in response.json["detail"]


def test_limit_up_to_the_configured_maximum(api, runtime, queue):
    most = runtime.settings.page_size_max
    assert api.get("/incidents", "operator", query_string={"limit": most}).json["limit"] == most
    assert api.get("/incidents", "operator", query_string={"limit": most + 1}).status_code == 400


def test_timestamps_are_utc_iso8601(api, queue):
    item = api.get("/incidents", "operator", query_string={"limit": 1}).json["items"][0]
    assert item["reported_at"].endswith("Z")
    assert datetime.fromisoformat(item["reported_at"]).utcoffset().total_seconds() == 0

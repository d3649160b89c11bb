"""``GET /api/v1/search/incidents`` on every backend: the search interface behind a bearer key."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ncert.db import transaction
from ncert.models import TaxiiCollection
from ncert.services import taxii
from tests.search.conftest import settle
from tests.taxii.stix_data import TLP_AMBER, indicator

PATH = "/api/v1/search/incidents"
INDICATORS = "/api/v1/search/indicators"
STIX = "/api/v1/search/stix"


def push(api, org: str, alias: str, *objects: dict) -> None:
    """Objects pushed over TAXII by an organisation's key, delivered to the index."""
    with transaction(api.world.runtime.sessions) as s:
        taxii.ensure_collections(s)
        collection = s.scalar(select(TaxiiCollection.id).where(TaxiiCollection.alias == alias))
    response = api.client.post(f"/taxii2/ncert/collections/{collection}/objects/", json={"objects": list(objects)},
                               headers={"Authorization": f"Bearer {api.key(org)}",
                                        "Accept": "application/taxii+json;version=2.1",
                                        "Content-Type": "application/taxii+json;version=2.1"})
    assert response.status_code == 202, response.data
    settle(api.world.runtime)


def exercise(check, api) -> None:
    """The search operation against its documented schemas (tests/api/test_openapi.py)."""
    api.submit("gridco", title="Phishing of engineers", tlp="TLP:GREEN")
    settle(api.world.runtime)
    query = {"q": "phish", "highlight": "true", "aggregations": "over_time,sector,category,severity", "limit": 1}
    check(PATH, "get", api.get("/search/incidents", "gridco", query_string=query))
    check(PATH, "get", api.get("/search/incidents", "gridco", query_string={"aggregations": "colour"}))  # 400
    api.submit("gridco", tlp="TLP:GREEN", indicators=[{"type": "ipv4-addr", "value": "198.51.100.20"}])
    settle(api.world.runtime)
    query = {"q": "198.51.100.0/24", "aggregations": "type,over_time", "limit": 1}
    check(INDICATORS, "get", api.get("/search/indicators", "gridco", query_string=query))
    check(INDICATORS, "get", api.get("/search/indicators", "gridco", query_string={"type": "colour"}))  # 400
    push(api, "gridco", "inbox-energy", indicator("198.51.100.20", name="Emotet C2"))
    query = {"q": "emotet", "aggregations": "type,collection", "limit": 1}
    check(STIX, "get", api.get("/search/stix", "gridco", query_string=query))
    check(STIX, "get", api.get("/search/stix", "gridco", query_string={"sort": "colour"}))  # 400


def test_search_over_the_api(api):
    mine = api.submit("gridco", title="Phishing of grid engineers", tlp="TLP:GREEN",
                      description="Lures <i>imitate</i> the login page", category="fraud/phishing")
    api.submit("powergen", title="Phishing kit", tlp="TLP:AMBER", category="fraud/phishing")
    theirs = api.submit("centralbank", title="Phishing wave", tlp="TLP:CLEAR", category="fraud/phishing")
    settle(api.world.runtime)

    page = api.get("/search/incidents", "gridco", query_string={
        "q": "phishing lures", "highlight": "true", "aggregations": "category,sector"})
    assert page.status_code == 200, page.json
    assert [i["reference"] for i in page.json["items"]] == [mine["reference"]]
    assert page.json["highlights"] == {mine["reference"]: {
        "title": "<em>Phishing</em> of grid engineers",
        "description": "<em>Lures</em> &lt;i&gt;imitate&lt;&#x2F;i&gt; the login page"}}
    assert page.json["aggregations"] == {"category": {"fraud": 1}, "sector": {"energy": 1}}

    first = api.get("/search/incidents", "gridco", query_string={"q": "phishing", "limit": 1, "sort": "reported_at"})
    second = api.get("/search/incidents", "gridco", query_string={
        "q": "phishing", "limit": 1, "sort": "reported_at", "cursor": first.json["next_cursor"]})
    assert [i["reference"] for i in first.json["items"] + second.json["items"]] == [
        mine["reference"], theirs["reference"]]  # powergen's AMBER report is not among them
    assert second.json["next_cursor"] is None

    counts = api.get("/search/incidents", "operator", query_string={"aggregations": "category"}).json
    assert counts["aggregations"] == {"category": {"fraud": 3}}


@pytest.mark.parametrize("query", [{"sort": "title"}, {"interval": "year"}, {"limit": "0"}, {"tlp": "TLP:PURPLE"},
                                   {"cursor": "forged"}, {"unknown": "1"}])
def test_bad_search_queries_are_400(api, query):
    response = api.get("/search/incidents", "gridco", query_string=query)
    assert response.status_code == 400 and set(response.json) >= {"error", "detail"}, response.json


def test_the_indicator_pivot_over_the_api(api):
    api.submit("gridco", tlp="TLP:GREEN", indicators=[
        {"type": "domain-name", "value": "c2.evil-example.net", "last_seen": "2026-03-05T08:00:00Z"}])
    api.submit("powergen", tlp="TLP:AMBER", indicators=[
        {"type": "domain-name", "value": "c2.evil-example.net", "last_seen": "2026-03-20T08:00:00Z"},
        {"type": "domain-name", "value": "c2.evil-example.org", "last_seen": "2026-03-21T08:00:00Z"}])
    api.submit("centralbank", tlp="TLP:CLEAR", indicators=[
        {"type": "url", "value": "https://c2.evil-example.net/x", "last_seen": "2026-03-04T08:00:00Z"}])
    settle(api.world.runtime)

    page = api.get("/search/indicators", "gridco", query_string={"q": "c2.evil-example", "aggregations": "type"})
    assert page.status_code == 200, page.json
    assert [(i["type"], i["value"], i["last_seen"]) for i in page.json["items"]] == [
        ("domain-name", "c2.evil-example.net", "2026-03-05T08:00:00Z")]  # its own report's date
    assert page.json["aggregations"] == {"type": {"domain-name": 1}}
    national = api.get("/search/indicators", "operator", query_string={"q": "c2.evil-example hxxps://c2.evil",
                                                                         "sort": "value", "limit": 2}).json
    assert [i["value"] for i in national["items"]] == ["c2.evil-example.net", "c2.evil-example.org"]
    rest = api.get("/search/indicators", "operator", query_string={
        "q": "c2.evil-example hxxps://c2.evil", "sort": "value", "limit": 2, "cursor": national["next_cursor"]}).json
    assert [i["value"] for i in rest["items"]] == ["https://c2.evil-example.net/x"] and rest["next_cursor"] is None
    assert national["items"][0]["last_seen"] == "2026-03-20T08:00:00Z"


@pytest.mark.parametrize("query", [{"sort": "severity"}, {"type": "colour"}, {"aggregations": "sector"},
                                   {"cursor": "forged"}, {"last_seen_after": "yesterday"}])
def test_bad_indicator_queries_are_400(api, query):
    response = api.get("/search/indicators", "gridco", query_string=query)
    assert response.status_code == 400 and set(response.json) >= {"error", "detail"}, response.json


def test_stix_search_over_the_api(api):
    push(api, "gridco", "inbox-energy", indicator("198.51.100.20", day=3, name="Emotet C2"),
         indicator("198.51.100.21", day=4, name="Emotet relay", marking=TLP_AMBER))
    push(api, "powergen", "inbox-energy", indicator("198.51.100.22", name="Emotet dropper"))

    page = api.get("/search/stix", "gridco", query_string={"q": "emotet", "aggregations": "collection"})
    assert page.status_code == 200, page.json
    assert [(i["type"], i["modified"], i["collection"]) for i in page.json["items"]] == [
        ("indicator", "2026-03-04T10:00:00.000000Z", "inbox-energy"),
        ("indicator", "2026-03-03T10:00:00.000000Z", "inbox-energy")]  # its own two, not powergen's
    assert page.json["aggregations"] == {"collection": {"inbox-energy": 2}}
    assert len(api.get("/search/stix", "operator", query_string={"q": "emotet"}).json["items"]) == 3
    assert api.get("/search/stix", "centralbank", query_string={"q": "emotet"}).json["items"] == []
    assert api.get("/search/stix", "gridco", query_string={"cursor": "forged"}).status_code == 400

"""The OpenAPI document is valid, lists exactly the routes the server has, and
real responses match the schemas it documents."""

from __future__ import annotations

import re

import jsonschema
import pytest
from openapi_spec_validator import validate
from sqlalchemy import select

from ncert.clocks import REGIMES
from ncert.db import transaction
from ncert.models import Incident
from ncert.services import clocks, taxii
from tests.advisories.test_api import exercise as exercise_advisories
from tests.api.helpers import PREFIX, bearer
from tests.api.test_category_suggestion import exercise as exercise_category_decision
from tests.api.test_indicator_pivots import exercise as exercise_indicators
from tests.api.test_kpi_openapi import exercise as exercise_kpi
from tests.api.test_risks import exercise as exercise_risks
from tests.api.test_tasks_and_rfis import exercise as exercise_tasks_and_rfis
from tests.api.test_triage import exercise as exercise_triage
from tests.search.test_api import exercise as exercise_search

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def doc(client):
    response = client.get(f"{PREFIX}/openapi.json")  # no key needed
    assert response.status_code == 200
    assert response.content_type == "application/json"
    return response.json


def test_the_document_is_valid_openapi(doc):
    validate(doc)
    assert doc["openapi"].startswith("3.1")


def test_the_document_lists_exactly_the_flask_routes(app, doc):
    served = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(PREFIX + "/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(path, method) for path, item in doc["paths"].items() for method in item if method in METHODS}
    assert documented == served
    assert len(served) == 53


def test_every_route_but_the_document_needs_a_key(doc):
    assert doc["security"] == [{"apiKey": []}]
    for path, item in doc["paths"].items():
        for method, op in item.items():
            public = op.get("security") == []
            assert public == (path == f"{PREFIX}/openapi.json"), (path, method)
            assert ("401" in op["responses"]) is not public


def test_the_documented_page_size_is_the_configured_one(doc, runtime):
    params = {p["name"]: p for p in doc["paths"][f"{PREFIX}/incidents"]["get"]["parameters"]}
    assert params["limit"]["schema"]["maximum"] == runtime.settings.page_size_max
    assert set(params) == {"status", "sector", "severity", "severity_min", "category", "tlp", "assignee", "team",
                           "reporter_org", "q", "reported_after", "reported_before", "sort", "limit", "cursor",
                           "counts"}
    assert params["status"]["style"] == "form" and params["status"]["explode"] is False


class Checker:
    """Validates real responses against the schema the document gives for (path, method, status)."""

    def __init__(self, doc: dict):
        self.doc = doc
        self.seen: set[tuple[str, str, int]] = set()

    def __call__(self, path: str, method: str, response) -> dict:
        op = self.doc["paths"][path][method]
        status = str(response.status_code)
        assert status in op["responses"], f"{method.upper()} {path} answered undocumented {status}"
        documented = op["responses"][status]
        assert response.content_type == "application/json"
        schema = {**documented["content"]["application/json"]["schema"], "components": self.doc["components"]}
        jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(response.json)
        for header in documented.get("headers", {}):
            assert header in response.headers, (path, method, status, header)
        self.seen.add((path, method, response.status_code))
        return response.json


def test_real_responses_match_the_documented_schemas(api, doc, world):
    check = Checker(doc)
    op_key, an_key = bearer(api.key("operator")), bearer(api.key("gridco"))
    c = api.client
    incidents, one = f"{PREFIX}/incidents", f"{PREFIX}/incidents/{{reference}}"

    check(f"{PREFIX}/openapi.json", "get", c.get(f"{PREFIX}/openapi.json"))
    check(f"{PREFIX}/openapi.json", "get", c.get(f"{PREFIX}/openapi.json?x=%00"))  # 400
    check(f"{PREFIX}/me", "get", c.get(f"{PREFIX}/me", headers=an_key))
    check(f"{PREFIX}/me", "get", c.get(f"{PREFIX}/me"))

    record = {"title": "Full record", "description": "d", "category": "fraud/phishing", "severity": 2,
              "tlp": "TLP:GREEN", "affected_sectors": ["finance"], "occurred_at": "2026-01-01T00:00:00Z",
              "aware_at": "2026-01-02T00:00:00Z", "external_ids": {"t": "1"},
              "indicators": [{"type": "url", "value": "HTTP://Example.com/login"},
                             {"type": "sha256", "value": "a" * 64, "confidence": 90}]}
    created = check(incidents, "post", c.post(incidents, json=record, headers=an_key))
    ref = created["reference"]
    check(incidents, "post", c.post(incidents, json=record, headers=an_key))  # replay, 200
    check(incidents, "post", c.post(incidents, json={"title": ""}, headers=an_key))  # 422
    check(incidents, "post", c.post(incidents, data="{", content_type="application/json", headers=an_key))  # 400
    check(incidents, "post", c.post(incidents, data="x", content_type="text/plain", headers=an_key))  # 415
    check(incidents, "post", c.post(incidents, json={"title": "x"}, headers=bearer(api.key("leader"))))  # 403
    other = api.submit("powergen", title="Other", indicators=[{"type": "url", "value": "http://example.com/login"}])

    check(incidents, "get", c.get(incidents, headers=op_key, query_string={"counts": "true", "limit": 1}))
    check(incidents, "get", c.get(incidents, headers=an_key))
    check(incidents, "get", c.get(incidents, headers=op_key, query_string={"sort": "nope"}))  # 400

    check(one, "get", c.get(f"{incidents}/{ref}", headers=an_key))
    check(one, "get", c.get(f"{incidents}/NC-1999-000001", headers=an_key))  # 404
    check(one, "get", c.get(f"{incidents}/NC-%00", headers=an_key))  # 400

    patch = {"status": "triaged", "assignee": world.users["operator@ncert.test"], "severity": 4}
    check(one, "patch", c.patch(f"{incidents}/{ref}", json=patch, headers=op_key))
    check(one, "patch", c.patch(f"{incidents}/{ref}", json={"status": "new"}, headers=an_key))  # 403
    check(one, "patch", c.patch(f"{incidents}/{ref}", json={"status": "merged"}, headers=op_key))  # 409

    comments = f"{PREFIX}/incidents/{{reference}}/comments"
    check(comments, "post", c.post(f"{incidents}/{ref}/comments", json={"body": "hi"}, headers=an_key))
    check(comments, "post", c.post(f"{incidents}/{ref}/comments", json={"body": "note", "internal": True},
                                   headers=an_key))  # 403

    reopen = f"{PREFIX}/incidents/{{reference}}/reopen"
    check(reopen, "post", c.post(f"{incidents}/{ref}/reopen", json={"reason": "x"}, headers=op_key))  # 409
    check(one, "patch", c.patch(f"{incidents}/{ref}", json={"status": "closed"}, headers=op_key))
    check(reopen, "post", c.post(f"{incidents}/{ref}/reopen", json={"reason": "back"}, headers=op_key))

    merge = f"{PREFIX}/incidents/{{reference}}/merge"
    merged = check(merge, "post", c.post(f"{incidents}/{other['reference']}/merge", json={"into": ref},
                                         headers=op_key))
    assert merged["merged_into"] == ref
    check(merge, "post", c.post(f"{incidents}/{other['reference']}/merge", json={"into": ref},
                                headers=op_key))  # 409
    check(merge, "post", c.post(f"{incidents}/{ref}/merge", data=b"x" * (300 * 1024),
                                content_type="application/json", headers=op_key))  # 413

    stix = f"{PREFIX}/incidents/{{reference}}/stix"
    check(stix, "get", c.get(f"{incidents}/{ref}/stix", headers=an_key))
    check(stix, "get", c.get(f"{incidents}/NC-1999-000001/stix", headers=an_key))  # 404
    with transaction(world.runtime.sessions) as s:
        taxii.ensure_collections(s)
    publish = f"{PREFIX}/incidents/{{reference}}/publish"
    share = {"collection": "national-sector-certs", "tlp": "TLP:GREEN"}
    check(publish, "post", c.post(f"{incidents}/{ref}/publish", json=share, headers=op_key))
    check(publish, "post", c.post(f"{incidents}/{ref}/publish", json=share, headers=an_key))  # 403
    check(publish, "post", c.post(f"{incidents}/{ref}/publish", json={**share, "tlp": "TLP:RED"},
                                  headers=op_key))  # 422
    published = f"{PREFIX}/indicators/publish"
    indicator_set = {**share, "indicators": [{"type": "url", "value": "http://example.com/login"}]}
    check(published, "post", c.post(published, json=indicator_set, headers=op_key))
    check(published, "post", c.post(published, json={**indicator_set, "indicators": []}, headers=op_key))  # 422
    carrying = f"{PREFIX}/indicators/incidents"
    listed = check(carrying, "get", c.get(carrying, headers=an_key,
                                          query_string={"type": "url", "value": "http://example.com/login"}))
    assert [i["reference"] for i in listed["items"]] == [ref]
    check(carrying, "get", c.get(carrying, headers=an_key, query_string={"type": "url"}))  # 400

    received = f"{PREFIX}/incidents/{{reference}}/deadlines/received"
    report = {"regime": "nis2", "stage": "early-warning"}
    check(received, "post", c.post(f"{incidents}/{ref}/deadlines/received", json=report, headers=op_key))  # 404
    with transaction(world.runtime.sessions) as s:
        incident = s.scalar(select(Incident).where(Incident.reference == ref))
        clocks.start(s, incident, REGIMES["nis2"], incident.reported_at)
    answered = check(received, "post", c.post(f"{incidents}/{ref}/deadlines/received", json=report, headers=op_key))
    assert [d["state"] for d in answered["deadlines"] if d["stage"] == "early-warning"] == ["satisfied"]
    check(received, "post", c.post(f"{incidents}/{ref}/deadlines/received", json=report, headers=an_key))  # 403

    assessment = f"{PREFIX}/incidents/{{reference}}/assessment"
    answers = {"functional_impact": "no-impact", "information_impact": "no-impact", "recoverability": "regular",
               "observed_activity": "engage", "potential_impact": "low"}
    check(assessment, "get", c.get(f"{incidents}/{ref}/assessment", headers=op_key))  # 404, not assessed
    check(assessment, "put", c.put(f"{incidents}/{ref}/assessment", json=answers, headers=op_key))
    check(assessment, "put", c.put(f"{incidents}/{ref}/assessment", json=answers, headers=an_key))  # 403
    check(assessment, "put", c.put(f"{incidents}/{ref}/assessment", json={}, headers=op_key))  # 422
    check(assessment, "get", c.get(f"{incidents}/{ref}/assessment", headers=op_key))
    check(assessment, "get", c.get(f"{incidents}/{ref}/assessment", headers=an_key))  # 403: national staff only
    assert check(one, "get", c.get(f"{incidents}/{ref}", headers=op_key))["assessment"]["level"] == 3  # 2 sectors
    assert check(one, "get", c.get(f"{incidents}/{ref}", headers=an_key))["assessment"] is None

    exercise_kpi(check, api)
    exercise_risks(check, api)
    exercise_indicators(check, api)
    exercise_triage(check, api)
    exercise_search(check, api)
    exercise_tasks_and_rfis(check, api)
    exercise_category_decision(check, api)
    exercise_advisories(check, api)

    # Every documented operation was exercised with a success and at least one error.
    for path, item in doc["paths"].items():
        for method, op in item.items():
            statuses = {s for p, m, s in check.seen if (p, m) == (path, method)}
            assert any(s < 300 for s in statuses), (path, method)
            assert any(s >= 400 for s in statuses), (path, method)

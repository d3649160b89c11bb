"""Bad requests get the documented 4xx JSON error and write nothing.

For each route that takes a body: a valid request succeeds (so the others
fail for the reason under test), then malformed JSON, a wrong content type,
an oversized body, a schema violation, a missing key and a revoked key are
each refused, and the database is unchanged.
"""

from __future__ import annotations

import orjson
import pytest
from sqlalchemy import select

from ncert.clocks import REGIMES
from ncert.db import transaction
from ncert.models import Incident
from ncert.services import clocks, taxii
from tests.api.helpers import PREFIX, bearer, snapshot

OVERSIZED = 300 * 1024  # conftest sets MAX_CONTENT_LENGTH to 256 KiB


@pytest.fixture
def incidents(api, runtime):
    """A resolved incident (for reopen) and two open ones (for patch, comment and merge)."""
    resolved = api.submit(title="Resolved one")["reference"]
    api.triage(resolved, status="resolved")
    with transaction(runtime.sessions) as s:  # the national collections that publishing writes to
        taxii.ensure_collections(s)
    a = api.submit(title="A", indicators=[{"type": "md5", "value": "1" * 32}])["reference"]
    with transaction(runtime.sessions) as s:  # a NIS2 clock running on A, for the report-received route
        incident = s.scalar(select(Incident).where(Incident.reference == a))
        clocks.start(s, incident, REGIMES["nis2"], incident.reported_at)
    return {"resolved": resolved, "a": a, "b": api.submit(title="B")["reference"]}


# route -> (method, path, valid body, success status); paths are formatted with the incidents fixture.
BODY_ROUTES = {
    "submit": ("POST", "/incidents", {"title": "New one", "indicators": [{"type": "md5", "value": "0" * 32}]}, 201),
    "patch": ("PATCH", "/incidents/{a}", {"status": "triaged"}, 200),
    "comment": ("POST", "/incidents/{a}/comments", {"body": "Seen this too"}, 201),
    "merge": ("POST", "/incidents/{a}/merge", {"into": "{b}", "reason": "duplicate"}, 200),
    "reopen": ("POST", "/incidents/{resolved}/reopen", {"reason": "it is back"}, 200),
    "publish": ("POST", "/incidents/{a}/publish", {"collection": "national-sector-certs", "tlp": "TLP:GREEN"}, 200),
    "report received": ("POST", "/incidents/{a}/deadlines/received", {"regime": "nis2", "stage": "early-warning"},
                        200),
    "publish indicators": ("POST", "/indicators/publish", {"collection": "national-partners", "tlp": "TLP:CLEAR",
                                                           "indicators": [{"type": "md5", "value": "1" * 32}]}, 200),
}

SCHEMA_VIOLATIONS = {
    "submit": {"title": "x", "tlp": "TLP:PURPLE"},
    "patch": {"status": "sideways"},
    "comment": {"body": 42},
    "merge": {"into": ["a", "b"]},
    "reopen": {"why": "no reason field"},
    "publish": {"collection": "national-sector-certs", "tlp": "TLP:PURPLE"},
    "publish indicators": {"collection": "national-partners", "tlp": "TLP:CLEAR", "indicators": "md5"},
    "report received": {"regime": "nis2", "stage": "early-warning", "at": "yesterday"},
}


def _send(api, route: str, incidents: dict, *, data: bytes | None = None, content_type="application/json",
          headers: dict | None = None, body=None):
    method, path, valid, _ = BODY_ROUTES[route]
    if data is None:
        data = orjson.dumps(body if body is not None else valid).replace(b"{b}", incidents["b"].encode())
    return api.client.open(PREFIX + path.format(**incidents), method=method, data=data, content_type=content_type,
                           headers=headers if headers is not None else bearer(api.key("operator")))


def _oversized(route: str) -> bytes:
    body = dict(BODY_ROUTES[route][2])
    body["padding"] = "x" * OVERSIZED
    return orjson.dumps(body)


CASES = {
    # case -> (request overrides, status, error code)
    "malformed JSON": (lambda api, route: {"data": b'{"title": "unterminated'}, 400, "bad_request"),
    "not JSON at all": (lambda api, route: {"data": b"\xff\xfe garbage"}, 400, "bad_request"),
    "empty body": (lambda api, route: {"data": b""}, 400, "bad_request"),
    "form content type": (lambda api, route: {"content_type": "application/x-www-form-urlencoded"}, 415,
                          "unsupported_media_type"),
    "text content type": (lambda api, route: {"content_type": "text/plain"}, 415, "unsupported_media_type"),
    "oversized body": (lambda api, route: {"data": _oversized(route)}, 413, "payload_too_large"),
    "schema violation": (lambda api, route: {"body": SCHEMA_VIOLATIONS[route]}, 422, "invalid"),
    "missing key": (lambda api, route: {"headers": {}}, 401, "unauthenticated"),
    "unknown key": (lambda api, route: {"headers": bearer("ncert_00000000_not-a-real-key")}, 401, "unauthenticated"),
    "not a bearer key": (lambda api, route: {"headers": {"Authorization": f"Basic {api.key('operator')}"}}, 401,
                         "unauthenticated"),
    "revoked key": (lambda api, route: {"headers": bearer(api.revoked_key())}, 401, "unauthenticated"),
}


@pytest.mark.parametrize("route", BODY_ROUTES)
def test_a_valid_request_succeeds_and_writes(api, runtime, incidents, route):
    before = snapshot(runtime)
    response = _send(api, route, incidents)
    assert response.status_code == BODY_ROUTES[route][3], response.json
    assert snapshot(runtime) != before


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("route", BODY_ROUTES)
def test_a_bad_request_is_refused_and_writes_nothing(api, runtime, incidents, route, case):
    overrides, status, code = CASES[case]
    kwargs = overrides(api, route)
    before = snapshot(runtime)

    response = _send(api, route, incidents, **kwargs)

    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.content_type == "application/json"
    body = response.json
    assert body["error"] == code
    assert body["detail"]
    assert set(body) == ({"error", "detail", "errors"} if status == 422 else {"error", "detail"})
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    if case == "schema violation":
        assert body["errors"] and all(e["loc"] for e in body["errors"])
    assert snapshot(runtime) == before


@pytest.mark.parametrize("path", ["/incidents", "/incidents/{a}", "/incidents/{a}/stix", "/me"])
def test_reads_need_a_live_key(api, incidents, path):
    url = PREFIX + path.format(**incidents)
    for headers in ({}, bearer(api.revoked_key()), bearer("ncert_00000000_nope"), {"Authorization": "Bearer "}):
        response = api.client.get(url, headers=headers)
        assert response.status_code == 401, headers
        assert response.json["error"] == "unauthenticated"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert api.client.get(url, headers=bearer(api.key("operator"))).status_code == 200


def test_revoked_and_unknown_keys_say_why(api):
    revoked = api.client.get(f"{PREFIX}/me", headers=bearer(api.revoked_key()))
    assert "revoked" in revoked.json["detail"]
    assert 'error="invalid_token"' in revoked.headers["WWW-Authenticate"]
    missing = api.client.get(f"{PREFIX}/me")
    assert "Bearer" in missing.json["detail"]
    assert "invalid_token" not in missing.headers["WWW-Authenticate"]


def test_unknown_urls_and_methods_are_json(api, incidents):
    missing = api.client.get(f"{PREFIX}/nothing-here")
    assert missing.status_code == 404
    assert missing.json["error"] == "not_found"

    wrong = api.client.delete(f"{PREFIX}/incidents/{incidents['a']}", headers=bearer(api.key("operator")))
    assert wrong.status_code == 405
    assert wrong.json["error"] == "method_not_allowed"
    assert set(wrong.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "PATCH"}

    put_me = api.client.put(f"{PREFIX}/me", json={})
    assert put_me.status_code == 405
    assert put_me.content_type == "application/json"


def test_pages_outside_the_api_keep_their_own_errors(client):
    response = client.get("/no-such-page-anywhere")
    assert response.status_code == 404
    assert response.content_type != "application/json"


def test_the_api_needs_no_csrf_token(app, api):
    """CSRF protection stays on for the console; the API's bearer keys are exempt."""
    assert app.config.get("WTF_CSRF_ENABLED", True)
    assert api.post("/incidents", "gridco", {"title": "no token"}).status_code == 201


def test_nul_characters_are_refused_before_they_reach_the_database(api, runtime, incidents):
    """PostgreSQL text cannot hold U+0000; every backend refuses it alike."""
    before = snapshot(runtime)
    body = api.post("/incidents", "gridco", {"title": "ok", "external_ids": {"ticket": "a\x00b"}})
    assert body.status_code == 422
    assert body.json["errors"][0]["loc"] == ["external_ids", "ticket"]
    comment = api.post(f"/incidents/{incidents['a']}/comments", "operator", {"body": "\x00"})
    assert comment.status_code == 422
    for url in (f"{PREFIX}/incidents?q=%00", f"{PREFIX}/incidents/NC-%00"):
        response = api.client.get(url, headers=bearer(api.key("operator")))
        assert response.status_code == 400, url
        assert "NUL" in response.json["detail"]
    assert snapshot(runtime) == before

"""The /misp/ door's wire rules: CakePHP paths, the key, MISP-shaped 4xx, nothing half-written."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from ncert.db import transaction
from ncert.models import AuditEvent, Incident, MispAttribute, MispEvent, MispTag, Sighting

EVENT = {"info": "Wire test", "Tag": [{"name": "tlp:green"}],
         "Attribute": [{"type": "ip-dst", "value": "192.0.2.5", "to_ids": True}]}


def _counts(world) -> tuple[int, ...]:
    with transaction(world.runtime.sessions) as s:
        return tuple(s.scalar(select(func.count()).select_from(m))
                     for m in (Incident, MispEvent, MispAttribute, MispTag, Sighting, AuditEvent))


@pytest.fixture
def call(client, world):
    key = world.key("gridco")

    def request(method: str, path: str, body=None, *, headers=None, raw: bytes | None = None):
        sent = {"Authorization": key, "Accept": "application/json", "Content-Type": "application/json"}
        sent.update(headers or {})
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        return client.open(f"/misp/{path}", method=method, data=data, headers=sent)
    return request


@pytest.fixture
def event_id(call) -> str:
    return call("POST", "events/add", EVENT).get_json()["Event"]["id"]


def _misp_error(resp, status: int) -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_json()
    assert set(body) >= {"name", "message", "url"} and body["url"].startswith("/misp/")
    return body


def test_json_suffix_named_segments_and_either_key_header(call, client, world, event_id):
    assert call("GET", f"events/view/{event_id}.json").get_json()["Event"]["id"] == event_id
    assert call("GET", f"events/view/{event_id}/noSightings:1").status_code == 200
    assert call("POST", "events/add/metadata:1", {**EVENT, "info": "Meta"}).get_json()["Event"]["info"] == "Meta"
    assert call("GET", "servers/getVersion.json").get_json()["version"] == "2.5.34"
    assert call("GET", "servers/getPyMISPVersion.json").status_code == 200
    resp = client.get(f"/misp/events/view/{event_id}", headers={"X-MISP-AUTH": world.key("gridco")})
    assert resp.status_code == 200
    assert call("HEAD", "events/view/424242").status_code == 404


@pytest.mark.parametrize("headers, status", [({"Authorization": ""}, 401), ({"Authorization": "nope"}, 401)])
def test_credentials(call, headers, status):
    _misp_error(call("GET", "servers/getVersion", headers=headers), status)


def test_unknown_actions_and_methods(call, client):
    _misp_error(call("GET", "events/frobnicate/1"), 404)
    _misp_error(call("GET", "events/add"), 405)
    _misp_error(call("DELETE", "tags/index"), 405)
    _misp_error(call("GET", "users/view/3"), 404)
    _misp_error(call("GET", "events/view/not-an-id"), 404)
    _misp_error(call("GET", "events/view"), 404)
    _misp_error(call("PATCH", "events/edit/1"), 405)  # unrouted by Flask: the door's handler answers


BAD_ADDS = [
    (b"{not json", "application/json", 400),
    (json.dumps(EVENT).encode(), "text/plain", 415),
    (b"", "application/json", 400),
    (json.dumps({"Attribute": []}).encode(), "application/json", 422),  # no info
    (json.dumps([EVENT]).encode(), "application/json", 422),
    (json.dumps({**EVENT, "threat_level_id": 9}).encode(), "application/json", 422),
    (json.dumps({**EVENT, "info": "bad\u0000nul"}).encode(), "application/json", 422),
    (json.dumps({**EVENT, "date": "2999-01-01"}).encode(), "application/json", 422),
    (json.dumps({**EVENT, "uuid": "not-a-uuid-" * 5}).encode(), "application/json", 422),
]


@pytest.mark.parametrize("raw, mime, status", BAD_ADDS)
def test_bad_events_write_nothing(call, world, raw, mime, status):
    before = _counts(world)
    _misp_error(call("POST", "events/add", raw=raw, headers={"Content-Type": mime}), status)
    assert _counts(world) == before


def test_duplicate_uuid_is_refused(call, world):
    first = call("POST", "events/add", {**EVENT, "uuid": "6f1e5a4e-0b1c-4bb0-9b5e-8a6d3c2f1e0d"})
    assert first.status_code == 200
    before = _counts(world)
    again = call("POST", "events/add", {**EVENT, "uuid": "6f1e5a4e-0b1c-4bb0-9b5e-8a6d3c2f1e0d"})
    # MISP's answer (EventsController::add): 404, the message clients match on, the event's URL in Location.
    body = _misp_error(again, 404)
    assert body["message"] == "Event already exists, if you would like to edit it, use the url in the location header."
    assert again.headers["Location"] == f"/misp/events/{first.get_json()['Event']['id']}"
    assert _counts(world) == before


@pytest.mark.parametrize("method, path, body, status", [
    ("POST", "attributes/add/{id}", {"type": "ip-dst"}, 422),
    ("POST", "attributes/add/{id}", [{"type": "domain", "value": "ok.example"}, {"value": "no type"}], 422),
    ("POST", "attributes/add/{id}", {"type": "made-up", "value": "x"}, 422),
    ("POST", "attributes/add/{id}", [], 422),
    ("POST", "attributes/add/424242", {"type": "domain", "value": "ok.example"}, 404),
    ("POST", "events/edit/{id}", {"Attribute": []}, 422),
    ("POST", "events/edit/{id}", {"info": "x", "uuid": "6f1e5a4e-0b1c-4bb0-9b5e-000000000000"}, 422),
    ("POST", "sightings/add", {"value": "203.0.113.250"}, 404),
    ("POST", "sightings/add", {"value": "192.0.2.5", "type": "7"}, 422),
    ("POST", "sightings/add", {"source": "nothing to match"}, 422),
    ("POST", "tags/add", {"name": ""}, 422),
    ("POST", "tags/add", {"name": "ok", "colour": "red"}, 422),
    ("POST", "tags/attachTagToObject", {"uuid": "6f1e5a4e-0b1c-4bb0-9b5e-000000000000", "tag": "x"}, 404),
    ("POST", "tags/attachTagToObject", {"tag": "x"}, 422),
    ("POST", "events/restSearch", {"limit": "many"}, 400),
    ("POST", "events/restSearch", {"from": "yesterday-ish"}, 400),
    ("POST", "events/restSearch", {"tags": {"XOR": ["a"]}}, 400),
    ("POST", "events/restSearch", {"returnFormat": "stix"}, 400),
    ("POST", "attributes/restSearch", {"last": "soon"}, 400),
    ("POST", "attributes/restSearch", {"published": "maybe"}, 400),
    ("POST", "events/index", {"page": 0}, 400),
    ("POST", "events/restSearch", {"limit": 10**20}, 400),
    ("POST", "events/restSearch", {"eventid": str(10**20)}, 400),
    ("GET", f"events/view/{10**20}", None, 404),
    ("POST", "sightings/add", {"id": str(10**30)}, 404),
    ("POST", "attributes/add/{id}", {"type": "ip-dst", "value": "192.0.2.9", "uuid": "x" * 40}, 422),
    ("POST", "events/restSearch", ["not", "an", "object"], 400),
])
def test_bad_input_on_every_endpoint_writes_nothing(call, world, event_id, method, path, body, status):
    before = _counts(world)
    stamp = call("GET", f"events/view/{event_id}").get_json()["Event"]["timestamp"]
    _misp_error(call(method, path.format(id=event_id), body), status)
    assert _counts(world) == before
    assert call("GET", f"events/view/{event_id}").get_json()["Event"]["timestamp"] == stamp


def test_leadership_reads_but_cannot_write(client, world, call, event_id):
    key = world.key("national-cert", "leadership")
    headers = {"Authorization": key, "Content-Type": "application/json"}
    assert client.get(f"/misp/events/view/{event_id}", headers=headers).status_code == 200
    before = _counts(world)
    resp = client.post("/misp/events/add", data=json.dumps(EVENT), headers=headers)
    _misp_error(resp, 403)
    resp = client.post(f"/misp/attributes/add/{event_id}", data=json.dumps({"type": "domain", "value": "a.example"}),
                       headers=headers)
    assert _misp_error(resp, 403)["message"] == "You do not have permission to do that."
    assert _counts(world) == before


def test_extreme_search_bounds_answer_empty(call, event_id):
    for body in ({"timestamp": 10**30}, {"publish_timestamp": [10**30, None]}, {"last": "999999999w"},
                 {"from": "9999-12-31"}):
        resp = call("POST", "events/restSearch", body)
        assert resp.status_code == 200 and resp.get_json() == {"response": []}, body
    assert len(call("POST", "events/restSearch", {"timestamp": [0, 10**30]}).get_json()["response"]) == 1


def test_oversized_body_is_a_misp_error(client, world, app):
    limit = app.extensions["ncert"].settings.taxii_max_content_length  # the bulk-intake limit
    key = world.key("gridco")
    before = _counts(world)
    resp = client.post("/misp/events/add", data=b"{}", headers={"Authorization": key,
                                                               "Content-Type": "application/json"},
                       environ_overrides={"CONTENT_LENGTH": str(limit + 1)})
    _misp_error(resp, 413)
    assert _counts(world) == before


def test_an_edit_marked_deleted_soft_deletes(call, world, event_id):
    assert call("POST", f"events/edit/{event_id}", {"info": "Gone", "deleted": True}).status_code == 200
    _misp_error(call("GET", f"events/view/{event_id}"), 404)
    with transaction(world.runtime.sessions) as s:
        event = s.get(MispEvent, int(event_id))
        assert event.deleted and s.get(Incident, event.incident_id).title == "Gone"

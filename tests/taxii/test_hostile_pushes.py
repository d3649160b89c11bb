"""Hostile objects in a TAXII push fail alone (issue 9, section 1).

Whatever an object is (nested hundreds or thousands deep, past what storage
can serialise, a type name longer than storage keeps, a pattern too long for
the slow validator), it is one failure in the status resource; the objects beside
it are stored, in the in-memory path and in the streamed one alike.
"""

import dataclasses

import orjson
import pytest
from sqlalchemy import select

from ncert.models import StixObject
from ncert.taxii import views
from tests.taxii.stix_data import indicator

TAXII = "application/taxii+json;version=2.1"


def nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


def envelope_bytes(*parts: bytes) -> bytes:
    return b'{"objects": [' + b",".join(parts) + b"]}"


@pytest.fixture(params=["in-memory", "streamed"])
def path(request, monkeypatch):
    """Both ways a push is read: parsed whole (small bodies) or streamed (large ones)."""
    if request.param == "streamed":
        monkeypatch.setattr(views, "IN_MEMORY_BODY", 0)
    return request.param


def push(client, world, cid, body: bytes):
    return client.post(f"/taxii2/ncert/collections/{cid}/objects/", data=body,
                       headers={"Authorization": f"Bearer {world.key('gridco')}", "Accept": TAXII,
                                "Content-Type": TAXII})


def stored_ids(world) -> set[str]:
    with world.runtime.sessions() as s:
        return set(s.scalars(select(StixObject.stix_id)))


def deep_indicator(depth: int) -> bytes:
    obj = orjson.dumps(indicator("198.51.100.99", ident="indicator--8f6a0a6e-7f2a-4a3e-9a51-3b7c1d2e3f99"))
    return obj[:-1] + b',"x_nested":' + nested(depth) + b"}"


@pytest.mark.parametrize("depth", [70, 400, 2_000, 100_000])
def test_an_object_nested_too_deep_is_one_failure_beside_stored_neighbours(client, world, collections, path, depth):
    before, after = indicator("198.51.100.1"), indicator("198.51.100.2")
    body = envelope_bytes(orjson.dumps(before), deep_indicator(depth), orjson.dumps(after))
    r = push(client, world, collections["inbox-energy"], body)
    assert r.status_code == 202, r.data
    assert (r.json["success_count"], r.json["failure_count"]) == (2, 1)
    (failure,) = r.json["failures"]
    assert failure["id"] == "indicator--8f6a0a6e-7f2a-4a3e-9a51-3b7c1d2e3f99"
    assert failure["message"] == "the object nests deeper than 64 levels of arrays and objects"
    assert stored_ids(world) == {before["id"], after["id"]}


def test_the_depth_limit_is_the_setting(client, world, collections, path):
    rt = client.application.extensions["ncert"]
    rt.settings = dataclasses.replace(rt.settings, max_json_depth=3)
    shallow = {**indicator("198.51.100.3"), "x_nested": {"a": {"b": 1}}}  # 3 levels with the object itself
    deeper = {**indicator("198.51.100.4"), "x_nested": {"a": {"b": [1]}}}
    r = push(client, world, collections["inbox-energy"], orjson.dumps({"objects": [shallow, deeper]}))
    assert r.json["failures"] == [{"id": deeper["id"], "version": deeper["modified"],
                                   "message": "the object nests deeper than 3 levels of arrays and objects"}]
    assert stored_ids(world) == {shallow["id"]}


def test_a_type_name_longer_than_storage_keeps_is_one_failure(client, world, collections, path):
    good, kind = indicator("198.51.100.5"), "x-" + "a" * 70  # STIX allows 250 characters (§3.1)
    bad = {"type": kind, "spec_version": "2.1", "id": f"{kind}--8f6a0a6e-7f2a-4a3e-9a51-3b7c1d2e3f98",
           "created": "2026-03-01T10:00:00.000Z", "modified": "2026-03-01T10:00:00.000Z"}
    r = push(client, world, collections["inbox-energy"], orjson.dumps({"objects": [bad, good]}))
    assert r.status_code == 202, r.data
    assert r.json["failures"] == [{"id": bad["id"], "version": bad["modified"],
                                   "message": "'type' longer than 64 characters is not stored here"}]
    assert stored_ids(world) == {good["id"]}


def test_a_long_pattern_outside_the_fast_path_is_one_clear_failure(client, world, collections, path):
    long_pattern = " AND ".join(f"[file:name MATCHES '^a{i}$']" for i in range(400))
    bad = {**indicator("198.51.100.7"), "pattern": long_pattern}
    fine = {**indicator("198.51.100.8"), "pattern": " AND ".join(f"[file:name MATCHES '^a{i}$']" for i in range(3))}
    simple_but_long = {**indicator("198.51.100.9"),
                       "pattern": " OR ".join(f"[ipv4-addr:value = '10.0.{i // 256}.{i % 256}']" for i in range(600))}
    r = push(client, world, collections["inbox-energy"], orjson.dumps({"objects": [bad, fine, simple_but_long]}))
    assert (r.json["success_count"], r.json["failure_count"]) == (2, 1)
    assert r.json["failures"][0]["message"] == (
        f"'pattern' is not a valid STIX pattern: it is {len(long_pattern):,} characters long; beyond simple "
        "equality comparisons, patterns of up to 8,192 characters are accepted")
    assert stored_ids(world) == {fine["id"], simple_but_long["id"]}

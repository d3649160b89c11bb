"""Deep JSON bodies at the REST and MISP doors: a clear 400, never a 500 or a slow crawl (issue 9, section 1)."""

import pytest
from sqlalchemy import func, select

from ncert.models import AuditEvent, Incident, MispEvent

DEPTHS = [65, 300, 5_000, 100_000]  # 100,000 levels: 200 KB, under the test runtime's 256 KB body limit


def deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def written(world) -> tuple[int, ...]:
    with world.runtime.sessions() as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in (Incident, MispEvent, AuditEvent))


@pytest.mark.parametrize("depth", DEPTHS)
def test_a_rest_body_nested_too_deep_is_a_400_naming_the_limit(client, world, depth):
    key = world.key("gridco")
    before = written(world)
    r = client.post("/api/v1/incidents", data=b'{"title": "Deep", "description": ' + deep(depth) + b"}",
                    headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    assert r.status_code == 400 and r.is_json, r.data
    if depth <= 1000:  # past orjson's own 1024 levels it is malformed JSON, also a 400
        assert r.json == {"error": "too_deep", "detail": "the body nests deeper than 64 levels of arrays and objects"}
    else:
        assert r.json["error"] == "bad_request" and r.json["detail"].startswith("malformed JSON")
    assert written(world) == before


@pytest.mark.parametrize("depth", DEPTHS)
def test_a_misp_body_nested_too_deep_is_a_400_in_misps_error_shape(client, world, depth):
    key = world.key("gridco")
    before = written(world)
    r = client.post("/misp/events/add", data=b'{"Event": {"info": "Deep", "Tag": ' + deep(depth) + b"}}",
                    headers={"Authorization": key, "Accept": "application/json",
                             "Content-Type": "application/json"})
    assert r.status_code == 400 and r.is_json, r.data
    if depth <= 1000:
        assert r.json["message"] == "the body nests deeper than 64 levels of arrays and objects"
    else:
        assert r.json["message"].startswith("malformed JSON")
    assert written(world) == before

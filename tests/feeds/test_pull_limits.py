"""Feed pulls parse under the same JSON limits as every door (issue 9, section 1): an event nested too
deep fails alone, and a document past the bulk-intake size is refused while it is read."""

import dataclasses
import json

from ncert.runtime import Runtime
from ncert.services import directory, feeds
from tests.feeds.fixture_server import FeedServer, misp_event
from tests.feeds.test_pull import FAST, add_feed, stored


def pull(runtime: Runtime) -> feeds.PullResult:
    with runtime.sessions() as s:
        system = directory.system_actor(s, "national-cert", "test")
    return feeds.pull(runtime.sessions, system, "energy", retry=FAST)


def test_an_event_nested_too_deep_fails_alone(world):
    good, deep = (misp_event(info, stamp=1_767_600_000, ip=ip)
                  for info, ip in (("Good event", "203.0.113.5"), ("Deep event", "203.0.113.6")))
    with FeedServer(key="energy-feed-key") as server:
        server.publish_misp("/feed", [good, deep])
        body = json.loads(server.files[f"/feed/{deep.uuid}.json"][1])
        body["Event"]["x_nested"] = json.loads("[" * 200 + "]" * 200)
        server.files[f"/feed/{deep.uuid}.json"] = (200, json.dumps(body).encode())
        add_feed(world, server.url + "/feed")
        result = pull(world.runtime)
    assert result.counts == {"fetched": 2, "created": 1, "failed": 1}
    assert result.errors == [f"{deep.uuid}: {server.url}/feed/{deep.uuid}.json nests deeper than 64 levels of "
                             "arrays and objects"]
    assert set(stored(world)) == {good.uuid}


def test_a_document_past_the_bulk_intake_size_is_refused(world):
    small = Runtime.create(dataclasses.replace(world.runtime.settings, taxii_max_content_length=2_000),
                           engine=world.runtime.engine)
    events = [misp_event(f"Event {i}", stamp=1_767_600_000, ip=f"203.0.113.{i}") for i in range(1, 40)]
    with FeedServer(key="energy-feed-key") as server:
        server.publish_misp("/feed", events)
        assert len(server.files["/feed/manifest.json"][1]) > 2_000
        add_feed(world, server.url + "/feed")
        result = pull(small)
    assert not result.ok
    assert result.errors == [f"manifest.json is not JSON within the limits: {server.url}/feed/manifest.json is "
                             "larger than 2,000 bytes"]
    assert stored(world) == {}

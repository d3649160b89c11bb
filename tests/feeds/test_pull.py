"""Pulling registered feeds from a local HTTP server serving fixture MISP feeds."""

import json
import socket

import pytest
from sqlalchemy import func, select

from ncert.db import transaction
from ncert.models import ExternalRef, FeedSource, Incident
from ncert.services import feeds
from tests.feeds.fixture_server import FeedServer, misp_event

FAST = feeds.Retry(attempts=3, base_s=0.01, max_s=0.05)


@pytest.fixture
def server():
    with FeedServer(key="energy-feed-key") as s:
        yield s


def add_feed(world, url: str, name: str = "energy", **kwargs) -> None:
    with transaction(world.runtime.sessions) as s:
        feeds.add_source(s, world.admin, name=name, kind="misp", url=url, org="energy-cert",
                         api_key=kwargs.pop("api_key", "energy-feed-key"), **kwargs)


def pull(world, name: str = "energy", retry=FAST) -> feeds.PullResult:
    with world.runtime.sessions() as s:
        from ncert.services import directory
        system = directory.system_actor(s, "national-cert", "test")
    return feeds.pull(world.runtime.sessions, system, name, retry=retry)


def stored(world) -> dict[str, Incident]:
    """Incidents from the feed, by MISP event UUID."""
    with world.runtime.sessions() as s:
        rows = s.execute(select(ExternalRef.value, Incident).join(Incident, ExternalRef.incident_id == Incident.id)
                         .where(ExternalRef.system == "misp")).all()
        return {value: incident for value, incident in rows}


def source(world, name: str = "energy") -> FeedSource:
    with world.runtime.sessions() as s:
        return feeds.source(s, name)


def test_first_then_incremental_pull(world, server):
    one = misp_event("Phishing wave", stamp=1_767_600_000, ip="203.0.113.5")
    two = misp_event("Scanner", stamp=1_767_600_100, ip="203.0.113.6")
    server.publish_misp("/feed", [one, two])
    add_feed(world, server.url + "/feed/")

    first = pull(world)
    assert first.ok and first.counts == {"fetched": 2, "created": 2}
    incidents = stored(world)
    assert {i.title for i in incidents.values()} == {"Phishing wave", "Scanner"}
    with world.runtime.sessions() as s:
        reporter = {s.get(Incident, i.id).reporter_org.slug for i in incidents.values()}
    assert reporter == {"energy-cert"}  # the feed's organisation is the submitter
    assert source(world).last_success_at is not None

    # Only the changed event is fetched again.
    two_v2 = misp_event("Scanner, now with more hosts", stamp=1_767_600_200, ip="203.0.113.7",
                        event_uuid=two.uuid)
    server.publish_misp("/feed", [one, two_v2])
    server.requests.clear()
    second = pull(world)
    assert second.ok and second.counts == {"fetched": 1, "updated": 1}
    assert server.requests == {"/feed/manifest.json": 1, f"/feed/{two.uuid}.json": 1}
    assert stored(world)[two.uuid].title == "Scanner, now with more hosts"

    server.requests.clear()
    assert pull(world).counts == {}
    assert server.requests == {"/feed/manifest.json": 1}
    assert len(stored(world)) == 2


def test_garbage_is_reported_and_nothing_stored_is_lost(world, server):
    good = misp_event("Good event", stamp=1_767_600_000, ip="203.0.113.5")
    server.publish_misp("/feed", [good])
    add_feed(world, server.url + "/feed")
    assert pull(world).ok

    broken = misp_event("Broken event", stamp=1_767_600_100, ip="203.0.113.9")
    fine = misp_event("Fine event", stamp=1_767_600_100, ip="203.0.113.10")
    server.publish_misp("/feed", [good, broken, fine])
    server.files[f"/feed/{broken.uuid}.json"] = (200, b'{"Event": {"info": "truncated", "Attribute": [')
    result = pull(world)
    assert result.counts == {"fetched": 2, "created": 1, "failed": 1}
    assert set(stored(world)) == {good.uuid, fine.uuid}
    feed = source(world)
    assert broken.uuid in feed.last_error and feed.last_counts == {"fetched": 2, "created": 1, "failed": 1}
    assert broken.uuid not in feed.seen  # tried again next time

    server.files["/feed/manifest.json"] = (200, b'["not", "a", "manifest"]')
    result = pull(world)
    assert not result.ok and "manifest" in result.errors[0]
    assert set(stored(world)) == {good.uuid, fine.uuid}
    assert "manifest" in source(world).last_error

    server.files["/feed/manifest.json"] = (200, b"<html>oops</html>")
    assert "not JSON" in pull(world).errors[0]
    assert set(stored(world)) == {good.uuid, fine.uuid}


def test_a_feed_that_is_down_is_reported_after_backing_off(world):
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    add_feed(world, f"http://127.0.0.1:{port}/feed/")
    waits = []
    result = pull(world, retry=feeds.Retry(attempts=4, base_s=0.5, max_s=1.5, sleep=waits.append))
    assert waits == [0.5, 1.0, 1.5]  # exponential, capped, between the four attempts
    assert not result.ok and "cannot reach the feed" in result.errors[0] and "4 attempts" in result.errors[0]
    feed = source(world)
    assert feed.last_error_at is not None and feed.last_success_at is None


def test_server_errors_are_retried_then_succeed(world, server):
    event = misp_event("After a hiccup", stamp=1_767_600_000, ip="203.0.113.5")
    server.publish_misp("/feed", [event])
    add_feed(world, server.url + "/feed/")
    manifest = server.files["/feed/manifest.json"]
    server.files["/feed/manifest.json"] = (503, b"busy")
    waits = []

    def recover(seconds):
        waits.append(seconds)
        server.files["/feed/manifest.json"] = manifest

    result = pull(world, retry=feeds.Retry(attempts=3, base_s=0.01, sleep=recover))
    assert result.ok and result.counts["created"] == 1 and waits == [0.01]


def test_a_wrong_key_is_reported_without_retrying(world, server):
    server.publish_misp("/feed", [misp_event("x", stamp=1, ip="203.0.113.5")])
    add_feed(world, server.url + "/feed/", api_key="wrong")
    result = pull(world)
    assert result.errors == ["the feed answered HTTP 403"]
    assert server.requests == {"/feed/manifest.json": 1}


def test_cli_feeds_add_list_and_pull(world, server, runtime, ncert):
    server.publish_misp("/feed", [misp_event("From the CLI", stamp=1_767_600_000, ip="203.0.113.5")])
    added = ncert("feeds", "add", "--name", "energy", "--kind", "misp", "--url", server.url + "/feed/",
                  "--org", "energy-cert", "--key", "energy-feed-key", "--interval", "15")
    assert added.exit_code == 0, added.output
    listed = ncert("feeds", "list")
    assert listed.exit_code == 0 and "energy\tmisp" in listed.output and "every 15 min" in listed.output
    pulled = ncert("feeds", "pull", "energy")
    assert pulled.exit_code == 0, pulled.output
    assert "created 1" in pulled.output and "fetched 1" in pulled.output
    with runtime.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Incident)) == 1
    assert ncert("feeds", "pull", "nope").exit_code == 1


def test_an_event_deleted_at_the_source_is_a_soft_delete(world, server):
    event = misp_event("Defacement", stamp=1_767_600_000, ip="203.0.113.40")
    server.publish_misp("/feed", [event])
    add_feed(world, server.url + "/feed/")
    assert pull(world).counts == {"fetched": 1, "created": 1}
    deleted = misp_event("Defacement", stamp=1_767_600_500, ip="203.0.113.40", event_uuid=event.uuid)
    server.publish_misp("/feed", [deleted])
    # PyMISP's to_feed drops the event-level flag; a feed that keeps it says so like this.
    body = json.loads(server.files[f"/feed/{event.uuid}.json"][1])
    body["Event"]["deleted"] = True
    server.files[f"/feed/{event.uuid}.json"] = (200, json.dumps(body).encode())
    assert pull(world).counts == {"fetched": 1, "deleted": 1}
    kept = stored(world)[event.uuid]  # still in the queue, as evidence
    with world.runtime.sessions() as s:
        from ncert.models import TimelineEntry
        kinds = s.scalars(select(TimelineEntry.kind).where(TimelineEntry.incident_id == kept.id)).all()
    assert kinds[-1] == "withdrawn"

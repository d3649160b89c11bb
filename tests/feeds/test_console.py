"""The admin feeds page: list with last success, error and counts; add a feed; pull now."""

import pytest

from ncert import outbox
from ncert.services import feeds
from tests.console.helpers import Console, flashes, html
from tests.feeds.fixture_server import FeedServer, misp_event


@pytest.fixture
def admin_console(app) -> Console:
    console = Console(app.test_client())
    assert console.login("admin@ncert.test").status_code == 302
    return console


def test_admin_adds_a_feed_and_pulls_it_now(app, world, admin_console):
    with FeedServer(key="k-123") as server:
        server.publish_misp("/feed", [misp_event("Pulled from the console", stamp=1_767_600_000, ip="203.0.113.5")])
        added = admin_console.post("/admin/feeds", {
            "feed-name": "energy", "feed-kind": "misp", "feed-url": server.url + "/feed/", "feed-org": "energy-cert",
            "feed-api_key": "k-123", "feed-interval": "30", "feed-enabled": "y"}, form_page="/admin/feeds",
            follow_redirects=True)
        assert ("success", "Feed energy added.") in flashes(added)
        page = html(added)
        assert 'id="feed-energy"' in page and "every 30 min" in page and "never" in page

        pulled = admin_console.post("/admin/feeds/energy/pull", form_page="/admin/feeds", follow_redirects=True)
        assert ("success", "Pull of energy queued: its outcome shows here when it is done.") in flashes(pulled)
        assert "never" in html(pulled).split('id="feed-energy"')[1].split("</tr>")[0]  # not pulled in the request
        assert outbox.deliver_due(world.runtime) == 1  # what the worker or the serving process does next
        row = html(admin_console.get("/admin/feeds")).split('id="feed-energy"')[1].split("</tr>")[0]
        assert "created 1, fetched 1" in row and "never" not in row


def test_a_failing_feed_shows_its_error(world, admin_console, monkeypatch):
    monkeypatch.setattr(feeds, "DEFAULT_RETRY", feeds.Retry(attempts=1))
    admin_console.post("/admin/feeds", {
        "feed-name": "down", "feed-kind": "misp", "feed-url": "http://127.0.0.1:9/feed/", "feed-org": "energy-cert",
        "feed-interval": "60"}, form_page="/admin/feeds")
    admin_console.post("/admin/feeds/down/pull", form_page="/admin/feeds", follow_redirects=True)
    assert outbox.deliver_due(world.runtime) == 1
    row = html(admin_console.get("/admin/feeds")).split('id="feed-down"')[1].split("</tr>")[0]
    assert "cannot reach the feed" in row


def test_pull_now_of_an_unknown_feed_is_refused_and_queues_nothing(world, admin_console):
    refused = admin_console.post("/admin/feeds/nope/pull", form_page="/admin/feeds", follow_redirects=True)
    [(kind, message)] = flashes(refused)
    assert kind == "error" and "nope" in message
    assert outbox.deliver_due(world.runtime) == 0


def test_only_admins_see_the_feeds_page(app, world):
    console = Console(app.test_client())
    console.login("operator@ncert.test")
    assert console.get("/admin/feeds").status_code == 403
    assert 'href="/admin/feeds"' not in console.text("/queue")

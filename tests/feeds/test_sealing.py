"""Feed credentials are sealed at rest: the database holds no API key or password in
clear, pulls still authenticate, older plain values are sealed by `ncert init`, and a
changed secret key is a clear feed error, not a crash."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text, update

from ncert.cli import Context, main
from ncert.db import transaction
from ncert.models import FeedSource
from ncert.sealing import PREFIX, Sealer, is_sealed
from tests.feeds.fixture_server import FeedServer, misp_event
from tests.feeds.test_pull import add_feed, pull, source

KEY = "energy-feed-key"


@pytest.fixture
def server():
    with FeedServer(key=KEY) as s:
        s.publish_misp("/feed", [misp_event("Phishing wave", stamp=1_767_600_000, ip="203.0.113.5")])
        yield s


def _raw(world) -> tuple[str | None, str | None]:
    with world.runtime.engine.connect() as conn:
        return conn.execute(text("SELECT api_key, password FROM feed_sources WHERE name = 'energy'")).one()


def test_credentials_are_stored_sealed_and_still_authenticate(world, server):
    add_feed(world, server.url + "/feed/")
    add_feed(world, server.url + "/other/", name="other", api_key=None, username="ncert", password="basic-secret")
    api_key, _ = _raw(world)
    assert api_key.startswith(PREFIX) and KEY not in api_key
    with world.runtime.engine.connect() as conn:
        password = conn.execute(text("SELECT password FROM feed_sources WHERE name = 'other'")).scalar()
    assert password.startswith(PREFIX) and "basic-secret" not in password
    assert pull(world).ok  # the fixture server refuses any other Authorization than the key


def test_init_seals_credentials_stored_in_clear_by_an_older_release(world, server, runtime):
    add_feed(world, server.url + "/feed/")
    with transaction(world.runtime.sessions) as s:
        s.execute(update(FeedSource).values(api_key=KEY))
    assert pull(world).ok  # a plain value is still read
    env = {"NCERT_DATABASE_URL": runtime.settings.database_url, "NCERT_DATA_DIR": str(runtime.settings.data_dir),
           "NCERT_SECRET_KEY": runtime.settings.secret_key}
    ctx = Context()
    try:
        result = CliRunner().invoke(main, ["init"], env=env, obj=ctx)
    finally:
        ctx._runtime and ctx._runtime.engine.dispose()
    assert result.exit_code == 0, result.output
    assert "feed credentials sealed at rest: 1 feed(s)" in result.output
    assert is_sealed(_raw(world)[0])
    assert pull(world).ok


def test_a_changed_secret_key_is_a_feed_error(world, server):
    add_feed(world, server.url + "/feed/")
    with transaction(world.runtime.sessions) as s:
        s.execute(update(FeedSource).values(api_key=Sealer("another-secret").seal(KEY)))
    result = pull(world)
    assert not result.ok and "cannot be decrypted with this NCERT_SECRET_KEY" in result.errors[0]
    assert server.requests == {}  # nothing was sent to the feed without its credentials
    assert "enter the credential again" in source(world).last_error
    with world.runtime.sessions() as s:
        assert s.scalar(select(FeedSource.last_success_at)) is None

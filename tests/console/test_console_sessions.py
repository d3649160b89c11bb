"""Console sessions live on the server: signing out, idling and age end them,
whatever copy of the cookie a browser (or a thief) kept."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ncert.models import ConsoleSession
from ncert.services.console_sessions import Lifetime
from tests.console.helpers import Console


def cookie(console: Console) -> str:
    return console.client.get_cookie("session").value


def with_cookie(app, value: str) -> Console:
    """A second browser holding a copy of someone's session cookie."""
    client = app.test_client()
    client.set_cookie("session", value)
    return Console(client)


def age(runtime, *, idle: timedelta = timedelta(), since_sign_in: timedelta = timedelta()) -> None:
    """Move every console session back in time, as if ``idle`` and ``since_sign_in`` had passed."""
    with runtime.sessions() as s:
        for row in s.scalars(select(ConsoleSession)):
            row.last_seen_at -= idle
            row.created_at -= since_sign_in
        s.commit()


def test_a_cookie_saved_before_sign_out_stops_working(app, as_user):
    console = as_user("operator@ncert.test")
    saved = cookie(console)
    assert with_cookie(app, saved).get("/queue").status_code == 200  # the copy works while signed in
    assert console.post("/logout").status_code == 302
    replayed = with_cookie(app, saved).get("/queue")
    assert replayed.status_code == 302 and replayed.headers["Location"].startswith("/login")


def test_signing_out_in_one_browser_leaves_the_others_signed_in(as_user):
    laptop, phone = as_user("operator@ncert.test"), as_user("operator@ncert.test")
    laptop.post("/logout")
    assert phone.get("/queue").status_code == 200


def test_a_session_idle_for_longer_than_the_idle_timeout_ends(as_user, runtime):
    console = as_user("operator@ncert.test")
    idle = Lifetime.of(runtime.settings).idle
    age(runtime, idle=idle - timedelta(minutes=2))
    assert console.get("/queue").status_code == 200  # in time: the request renews the session
    age(runtime, idle=idle - timedelta(minutes=2))
    assert console.get("/queue").status_code == 200
    age(runtime, idle=idle)
    assert console.get("/queue").status_code == 302


def test_a_session_ends_at_the_absolute_timeout_however_active(as_user, runtime):
    console = as_user("operator@ncert.test")
    age(runtime, since_sign_in=Lifetime.of(runtime.settings).absolute - timedelta(minutes=1))
    assert console.get("/queue").status_code == 200
    age(runtime, since_sign_in=timedelta(minutes=1))
    assert console.get("/queue").status_code == 302


def test_the_cookie_holds_a_token_the_database_keeps_only_hashed(as_user, runtime):
    console = as_user("operator@ncert.test")
    with console.client.session_transaction() as flask_session:
        token = flask_session["ncert_session"]
    with runtime.sessions() as s:
        [row] = s.scalars(select(ConsoleSession))
        assert row.token_hash != token and token not in row.token_hash and row.ended_at is None

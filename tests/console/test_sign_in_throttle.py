"""Sign-in is throttled per account and per address, costs the same for unknown
and known e-mails, and is audited without the password."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from ncert.models import AuditEvent, SignInFailure
from ncert.runtime import Runtime
from ncert.services import directory
from ncert.services.sign_in import Throttle
from ncert.web import create_app
from tests.console.helpers import Console, csrf_token, html
from tests.differential import Differential
from tests.factories import PASSWORD

WRONG = "not the password at all"


@pytest.fixture
def app_with(runtime, world):
    """``app_with(**settings)`` → the console app over the same database with changed settings."""

    def make(**settings):
        app = create_app(Runtime(dataclasses.replace(runtime.settings, **settings), runtime.engine, runtime.sessions))
        app.config.update(TESTING=True)
        return app

    return make


def attempt(app, email: str, password: str, address: str):
    """One sign-in from ``address`` in a fresh browser."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    console = Console(client)
    token = csrf_token(console.text("/login"))
    response = console.client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    return console, response


def test_an_account_is_locked_after_its_limit_of_failures_from_any_address(app_with):
    app = app_with(signin_account_limit=3)
    for n in range(3):
        assert attempt(app, "operator@ncert.test", WRONG, f"198.51.100.{n}")[1].status_code == 401
    console, locked = attempt(app, "operator@ncert.test", PASSWORD, "198.51.100.9")  # even the right password
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert "too many failed sign-ins" in html(locked)
    assert console.get("/queue").status_code == 302
    assert attempt(app, "leader@ncert.test", PASSWORD, "198.51.100.0")[1].status_code == 302  # others sign in


def test_an_address_is_locked_after_its_limit_of_failures_on_any_account(app_with):
    app = app_with(signin_address_limit=3)
    for email in ("operator@ncert.test", "leader@ncert.test", "nobody@ncert.test"):
        assert attempt(app, email, WRONG, "203.0.113.5")[1].status_code == 401
    assert attempt(app, "admin@ncert.test", PASSWORD, "203.0.113.5")[1].status_code == 429
    assert attempt(app, "admin@ncert.test", PASSWORD, "203.0.113.6")[1].status_code == 302


def test_the_lock_ends_when_the_failures_leave_the_window(app_with, runtime):
    app = app_with(signin_account_limit=2)
    for n in range(2):
        attempt(app, "operator@ncert.test", WRONG, f"198.51.100.{n}")
    assert attempt(app, "operator@ncert.test", PASSWORD, "198.51.100.9")[1].status_code == 429
    with runtime.sessions() as s:  # one window on
        for failure in s.scalars(select(SignInFailure)):
            failure.at -= Throttle.of(runtime.settings).window
        s.commit()
    assert attempt(app, "operator@ncert.test", PASSWORD, "198.51.100.9")[1].status_code == 302


def test_a_success_clears_the_accounts_failures(app_with):
    app = app_with(signin_account_limit=3)
    for n in range(2):
        attempt(app, "operator@ncert.test", WRONG, f"198.51.100.{n}")
    assert attempt(app, "operator@ncert.test", PASSWORD, "198.51.100.9")[1].status_code == 302
    for n in range(2):
        assert attempt(app, "operator@ncert.test", WRONG, f"198.51.100.{n}")[1].status_code == 401


def test_unknown_and_known_e_mails_get_the_same_answers_and_the_same_lock(app_with):
    app = app_with(signin_account_limit=3)
    addresses = iter(f"192.0.2.{n}" for n in range(100))

    def try_until_locked(email: str) -> list:
        answers = []
        for password in (WRONG, WRONG, WRONG, WRONG, PASSWORD):
            _, response = attempt(app, email, password, next(addresses))
            answers.append((response.status_code, html(response), "Retry-After" in response.headers))
        return answers

    Differential(secret="operator@ncert.test", control="nobody@ncert.test").assert_same(try_until_locked)


def test_unknown_e_mails_cost_a_password_check_like_known_ones(console, world, monkeypatch):
    checked = []

    def spy(pwhash: str, password: str) -> bool:  # the real check, noting which kind of hash it ran
        checked.append(pwhash.split("$", 1)[0])
        return real(pwhash, password)

    real = directory.check_password_hash
    monkeypatch.setattr(directory, "check_password_hash", spy)
    assert console.login("operator@ncert.test", WRONG).status_code == 401
    assert console.login("nobody@ncert.test", WRONG).status_code == 401
    assert len(checked) == 2 and checked[0] == checked[1]  # same method and cost, e.g. scrypt:32768:8:1


def audit_rows(runtime) -> list[AuditEvent]:
    with runtime.sessions() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action.like("auth.%")).order_by(AuditEvent.id)))


def test_sign_in_success_failure_and_sign_out_are_audited_without_the_password(app_with, world, runtime):
    app = app_with()
    attempt(app, "operator@ncert.test", WRONG, "198.51.100.1")
    attempt(app, "ghost@ncert.test", WRONG, "198.51.100.2")
    console, _ = attempt(app, "operator@ncert.test", PASSWORD, "198.51.100.3")
    assert console.post("/logout").status_code == 302
    rows = audit_rows(runtime)
    operator = world.users["operator@ncert.test"]
    assert [(r.action, r.actor, r.user_id, r.interface, r.object_id) for r in rows] == [
        ("auth.sign_in_failed", "operator@ncert.test", operator, "console", "operator@ncert.test"),
        ("auth.sign_in_failed", "anonymous (198.51.100.2)", None, "console", "ghost@ncert.test"),
        ("auth.sign_in", "operator@ncert.test", operator, "console", "operator@ncert.test"),
        ("auth.sign_out", "operator@ncert.test", operator, "console", "operator@ncert.test"),
    ]
    assert rows[0].details == {"email": "operator@ncert.test", "address": "198.51.100.1",
                               "reason": "wrong e-mail or password"}
    assert rows[2].details == {"address": "198.51.100.3"}
    for row in rows:
        assert WRONG not in repr(row.details) and PASSWORD not in repr(row.details)


def test_a_locked_attempt_is_audited_too(app_with, runtime):
    app = app_with(signin_account_limit=1)
    attempt(app, "nobody@ncert.test", WRONG, "198.51.100.1")
    assert attempt(app, "nobody@ncert.test", WRONG, "198.51.100.2")[1].status_code == 429
    assert [r.details["reason"] for r in audit_rows(runtime)] == ["wrong e-mail or password", "locked"]


def test_another_accounts_lockout_changes_nothing_an_unrelated_user_sees(app_with):
    app = app_with(signin_account_limit=2)

    def analyst_view(locked_email: str) -> list[str]:
        for n in range(3):
            attempt(app, locked_email, WRONG, f"198.51.100.{n}")
        analyst, response = attempt(app, "analyst@gridco.test", PASSWORD, "192.0.2.10")
        assert response.status_code == 302
        return [analyst.text("/queue"), analyst.text("/overview"), Console(app.test_client()).text("/login")]

    Differential(secret="operator@ncert.test", control="nobody@ncert.test").assert_same(analyst_view)

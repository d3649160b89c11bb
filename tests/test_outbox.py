"""The outbox (``ncert.outbox``): side effects written in the transaction and delivered after commit,
through a real local SMTP server and HTTP endpoint (``tests.playbooks.sinks``): nothing for a
rolled-back change, retries with back-off and one idempotency key per row, delivery right after
commit in the serving process, and two deliverers never delivering one row twice."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select

from ncert import outbox
from ncert.db import transaction, utcnow
from ncert.models import Incident, Notification, OutboxMessage
from ncert.records import IncidentRecord
from ncert.services import incidents, notifications
from playbooks import engine
from tests.playbooks.sinks import HttpSink, SmtpSink
from tests.serving import serving

WAIT_S = 60  # waiting for a background delivery, not timing it


@pytest.fixture
def smtp(monkeypatch):
    with SmtpSink() as sink:
        monkeypatch.setenv("NCERT_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("NCERT_SMTP_PORT", str(sink.port))
        monkeypatch.setenv("NCERT_SMTP_FROM", "soc@ncert.test")
        yield sink


@pytest.fixture
def allow_local(monkeypatch):
    monkeypatch.setenv("NCERT_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8")  # the sinks are local: allowed on purpose


def _incident(s, reference: str) -> Incident:
    return s.scalar(select(Incident).where(Incident.reference == reference))


def _rows(world) -> list[OutboxMessage]:
    with world.runtime.sessions() as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _note(world) -> Notification:
    with world.runtime.sessions() as s:
        return s.scalar(select(Notification))


def test_a_rolled_back_change_sends_nothing(world, smtp, allow_local, tmp_path):
    with HttpSink() as http:
        (tmp_path / "hook.yaml").write_text(f"""
name: hook-every-report
version: 1
triggers: [incident.created]
actions:
  - {{type: notify, channel: webhook, url: "{http.url}/soc", template: "New {{reference}}"}}
  - {{type: notify, channel: email, recipients: [duty@ncert.test], template: "New {{reference}}"}}
""")
        engine.install(world.runtime, tmp_path)
        try:  # the playbook writes both notifications, then the transaction fails
            with pytest.raises(RuntimeError, match="after the playbook acted"):
                with transaction(world.runtime.sessions) as s:
                    incidents.submit(s, world.actor("analyst@gridco.test"), IncidentRecord(title="Odd logins"),
                                     channel="api")
                    assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 2
                    raise RuntimeError("the change fails after the playbook acted")
        finally:
            engine.uninstall(world.runtime)
        assert outbox.deliver_due(world.runtime) == 0
        assert http.attempts == [] and smtp.messages == []
    assert _rows(world) == [] and _note(world) is None


def test_delivery_runs_after_commit_in_the_serving_process(world, smtp):
    ref = world.submit(world.actor("analyst@gridco.test"), title="Odd logins")
    deliverer = outbox.start_delivery(world.runtime, poll=3600)  # only a commit that enqueued wakes it
    try:
        with transaction(world.runtime.sessions) as s:
            notifications.email(s, _incident(s, ref), ["duty@ncert.test"], "Odd logins", "Look", created_by="t")
            s.flush()
            assert outbox.deliver_due(world.runtime) == 0  # another connection: not committed, not there
            assert smtp.messages == []
        deadline = time.monotonic() + WAIT_S
        while not smtp.messages:
            assert time.monotonic() < deadline, "the commit did not wake the deliverer"
            time.sleep(0.05)
    finally:
        deliverer.stop()
    [(rcpt, message)] = smtp.messages
    [row] = _rows(world)
    assert rcpt == ["duty@ncert.test"] and message["Subject"] == "Odd logins"
    assert message["Message-ID"] == f"<{row.idempotency_key}@ncert.test>"
    assert (row.status, row.attempts, row.last_error) == ("delivered", 1, "")
    assert _note(world).status == "sent" and _note(world).sent_at is not None


def test_a_failing_webhook_is_retried_with_back_off_under_one_idempotency_key(world, allow_local):
    ref = world.submit(world.actor("analyst@gridco.test"), title="Odd logins")
    with HttpSink(fail=2) as http:
        with transaction(world.runtime.sessions) as s:
            notifications.webhook(s, _incident(s, ref), f"{http.url}/hook", {"incident": ref}, created_by="t")
        t0 = utcnow()
        assert outbox.deliver_due(world.runtime, now=t0) == 1
        [row] = _rows(world)
        assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 1, t0 + timedelta(seconds=30))
        assert row.last_error == "OSError: HTTP 503 Service Unavailable"
        assert (_note(world).status, _note(world).error) == ("pending", row.last_error)

        assert outbox.deliver_due(world.runtime, now=t0 + timedelta(seconds=29)) == 0  # backing off
        assert outbox.deliver_due(world.runtime, now=t0 + timedelta(seconds=30)) == 1
        [row] = _rows(world)
        assert (row.attempts, row.next_attempt_at) == (2, t0 + timedelta(seconds=30 + 60))  # doubled
        assert outbox.deliver_due(world.runtime, now=t0 + timedelta(seconds=89)) == 0
        assert outbox.deliver_due(world.runtime, now=t0 + timedelta(seconds=90)) == 1
        assert outbox.deliver_due(world.runtime, now=t0 + timedelta(days=1)) == 0  # delivered once
    [row] = _rows(world)
    assert (row.status, row.attempts, row.last_error) == ("delivered", 3, "")
    assert [status for status, _ in http.attempts] == [503, 503, 204]
    assert {headers["Idempotency-Key"] for _, headers in http.attempts} == {row.idempotency_key}
    assert http.requests == [("/hook", {"incident": ref})]
    assert (_note(world).status, _note(world).error) == ("sent", "")


def test_a_mail_keeps_its_message_id_across_retries(world, monkeypatch):
    ref = world.submit(world.actor("analyst@gridco.test"), title="Odd logins")
    with SmtpSink() as first:
        closed = first.port  # nothing listens there once this sink is gone
    monkeypatch.setenv("NCERT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("NCERT_SMTP_PORT", str(closed))
    with transaction(world.runtime.sessions) as s:
        notifications.email(s, _incident(s, ref), ["duty@ncert.test"], "Odd logins", "Look", created_by="t")
    t0 = utcnow()
    assert outbox.deliver_due(world.runtime, now=t0) == 1
    assert _note(world).status == "pending" and _note(world).error.startswith("ConnectionRefusedError")
    with SmtpSink() as smtp:
        monkeypatch.setenv("NCERT_SMTP_PORT", str(smtp.port))
        assert outbox.deliver_due(world.runtime, now=t0 + outbox.backoff(1)) == 1
    [(_, message)] = smtp.messages
    [row] = _rows(world)
    assert message["Message-ID"] == f"<{row.idempotency_key}@localhost>" and row.attempts == 2
    assert _note(world).status == "sent"


def test_a_refused_target_fails_at_once_and_an_operator_retries_it(world, ncert, monkeypatch):
    ref = world.submit(world.actor("analyst@gridco.test"), title="Odd logins")
    with HttpSink() as http:
        with transaction(world.runtime.sessions) as s:  # a loopback URL, not allowed: never retried by itself
            notifications.webhook(s, _incident(s, ref), f"{http.url}/hook", {"incident": ref}, created_by="t")
        assert outbox.deliver_due(world.runtime) == 1
        [row] = _rows(world)
        assert (row.status, row.attempts) == ("failed", 1) and row.last_error.startswith("Permanent: 127.0.0.1")
        assert _note(world).status == "failed"
        assert outbox.deliver_due(world.runtime, now=utcnow() + timedelta(days=1)) == 0

        shown = ncert("outbox", "status")
        assert shown.exit_code == 0, shown.output
        assert "notification.webhook" in shown.output and f"failed #{row.id}" in shown.output

        monkeypatch.setenv("NCERT_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8")  # the operator allows the target
        retried = ncert("outbox", "retry", str(row.id))
        assert retried.exit_code == 0 and "1 failed row(s) queued again" in retried.output
        assert outbox.deliver_due(world.runtime) == 1
    [row] = _rows(world)
    assert (row.status, row.attempts) == ("delivered", 1)
    assert http.requests == [("/hook", {"incident": ref})] and _note(world).status == "sent"


def test_two_deliverers_never_deliver_one_row_twice(world):
    delivered: list[int] = []
    lock = threading.Lock()

    @outbox.handler("test.count")
    def count(runtime, message) -> None:
        with lock:
            delivered.append(message.payload["n"])

    with transaction(world.runtime.sessions) as s:
        for n in range(300):
            outbox.enqueue(s, "test.count", {"n": n}, key=f"n:{n}")
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            while outbox.deliver_due(world.runtime, limit=7):
                pass
        except BaseException as exc:  # reported to the test below
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Counter(delivered) == Counter(range(300))
    with world.runtime.sessions() as s:
        assert s.execute(select(OutboxMessage.status, OutboxMessage.attempts, func.count())
                         .group_by(OutboxMessage.status, OutboxMessage.attempts)).all() == [("delivered", 1, 300)]


def test_a_batch_handler_gets_the_due_rows_together(world):
    batches: list[list[str]] = []

    @outbox.handler("test.batch", batch=True)
    def index(runtime, messages) -> None:
        batches.append([m.key for m in messages])

    with transaction(world.runtime.sessions) as s:
        for n in range(5):
            outbox.enqueue(s, "test.batch", {}, key=f"incident:{n}")
    assert outbox.deliver_due(world.runtime, limit=3) == 3
    assert outbox.deliver_due(world.runtime, limit=3) == 2
    assert batches == [["incident:0", "incident:1", "incident:2"], ["incident:3", "incident:4"]]


def test_a_row_whose_deliverer_died_is_delivered_again_under_its_key_after_the_lease(world):
    seen: list[tuple[str, int]] = []

    @outbox.handler("test.lease")
    def record(runtime, message) -> None:
        seen.append((message.idempotency_key, message.attempts))

    with transaction(world.runtime.sessions) as s:
        key = outbox.enqueue(s, "test.lease", {}).idempotency_key
    t0 = utcnow()
    [claimed] = outbox._claim(world.runtime, 10, t0, ["test.lease"])  # a deliverer claims it, then dies
    assert claimed.idempotency_key == key
    assert outbox.deliver_due(world.runtime, now=t0 + outbox.LEASE - timedelta(seconds=1)) == 0  # still leased
    assert outbox.deliver_due(world.runtime, now=t0 + outbox.LEASE) == 1
    assert seen == [(key, 2)]


def test_the_sweep_delivers_what_is_due_and_forgets_rows_delivered_a_week_ago(world):
    @outbox.handler("test.sweep")
    def accept(runtime, message) -> None:
        pass

    with transaction(world.runtime.sessions) as s:
        for n in range(250):  # more than one deliver_due batch
            outbox.enqueue(s, "test.sweep", {"n": n})
    t0 = utcnow()
    assert outbox.sweep(world.runtime, now=t0) == 250
    with transaction(world.runtime.sessions) as s:
        outbox.enqueue(s, "test.sweep", {"n": "late"})
    assert outbox.sweep(world.runtime, now=t0 + outbox.KEEP_DELIVERED + timedelta(seconds=1)) == 1
    assert [row.payload for row in _rows(world)] == [{"n": "late"}]


def test_ncert_serve_delivers_what_its_requests_queued(world, allow_local, monkeypatch, tmp_path):
    """The embedded default: no worker runs, the serving process itself delivers after the request's commit."""
    with HttpSink() as http:
        (tmp_path / "hook.yaml").write_text(f"""
name: hook-every-report
version: 1
triggers: [incident.created]
actions: [{{type: notify, channel: webhook, url: "{http.url}/soc", template: "New {{reference}}"}}]
""")
        monkeypatch.setenv("NCERT_PLAYBOOKS_DIR", str(tmp_path))
        with serving(world.runtime) as server:
            created = requests.post(f"{server.url}/api/v1/incidents", json={"title": "Odd logins"}, timeout=60,
                                    headers={"Authorization": f"Bearer {world.key('gridco')}"})
            assert created.status_code == 201, created.text
            deadline = time.monotonic() + WAIT_S
            while not http.requests:
                assert time.monotonic() < deadline and server.process.poll() is None, "nothing delivered"
                time.sleep(0.1)
    [(path, body)] = http.requests
    assert path == "/soc" and body["incident"] == created.json()["reference"]
    [row] = _rows(world)
    assert row.status == "delivered" and http.attempts[0][1]["Idempotency-Key"] == row.idempotency_key

"""The audit log's hash chain, checked by `ncert audit verify`, on both backends.

Tampering goes around ncert as a database owner would: the append-only
triggers are lifted on a raw connection, the row changed, the triggers put back.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, text

from ncert.db import transaction
from ncert.models import AuditEvent
from ncert.services import audit


@pytest.fixture
def verify(ncert):
    """Run `ncert audit verify` against the test database; returns the click Result."""
    return lambda: ncert("audit", "verify")


def _record(world, n: int, **details) -> list[int]:
    with transaction(world.runtime.sessions) as s:
        for i in range(n):
            audit.record(s, world.admin, "test.event", "thing", i, **details)
    return _ids(world)


def _ids(world) -> list[int]:
    with world.runtime.sessions() as s:
        return list(s.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))


def _as_owner(runtime, sql: str, **params) -> None:
    """Run ``sql`` with the append-only triggers lifted, as the database owner could."""
    with runtime.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
            conn.execute(text("DROP TRIGGER audit_events_no_delete"))
            conn.execute(text(sql), params)
            for verb in ("UPDATE", "DELETE"):
                conn.execute(text(f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                                  "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"))
        else:
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
            conn.execute(text(sql), params)
            conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))


def test_an_untouched_log_verifies(world, verify):
    # Key order, nesting, None, floats and non-ASCII text hash the same once read back from either database.
    ids = _record(world, 3, zeta={"b": None, "a": [1, 2.5, True]}, name="Ünïcode ✓", nothing=None)
    result = verify()
    assert result.exit_code == 0, result.output
    assert f"audit log intact: {len(ids)} row(s); head row {ids[-1]}" in result.output


def test_a_changed_row_is_named(world, verify):
    ids = _record(world, 5)
    _as_owner(world.runtime, "UPDATE audit_events SET actor = 'someone else' WHERE id = :id", id=ids[2])
    result = verify()
    assert result.exit_code == 1
    assert f"audit log broken at row {ids[2]}: its content does not match its hash" in result.output


def test_a_changed_detail_is_named(world, verify):
    ids = _record(world, 3, reason="grid impact")
    _as_owner(world.runtime, "UPDATE audit_events SET details = :d WHERE id = :id", d='{"reason": "none"}', id=ids[1])
    result = verify()
    assert result.exit_code == 1 and f"broken at row {ids[1]}: its content does not match" in result.output


def test_a_row_removed_from_the_middle_breaks_the_next_link(world, verify):
    ids = _record(world, 5)
    _as_owner(world.runtime, "DELETE FROM audit_events WHERE id = :id", id=ids[2])
    result = verify()
    assert result.exit_code == 1
    assert f"audit log broken at row {ids[3]}: its link to the previous row is broken (expected the hash of " \
           f"row {ids[1]})" in result.output


def test_a_rehashed_row_still_breaks_the_next_link(world, verify):
    """Recomputing a changed row's own hash is not enough: the next row holds the old one."""
    from ncert.models.audit import chain_hash

    ids = _record(world, 4)
    with world.runtime.sessions() as s:
        row = s.get(AuditEvent, ids[1])
        s.expunge(row)
    row.actor = "someone else"
    _as_owner(world.runtime, "UPDATE audit_events SET actor = :a, row_hash = :h WHERE id = :id",
              a=row.actor, h=chain_hash(row.prev_hash, row), id=ids[1])
    result = verify()
    assert result.exit_code == 1 and f"broken at row {ids[2]}: its link to the previous row" in result.output


def test_rows_cut_off_the_end_are_noticed(world, verify):
    ids = _record(world, 4)
    _as_owner(world.runtime, "DELETE FROM audit_events WHERE id >= :id", id=ids[-2])
    result = verify()
    assert result.exit_code == 1
    assert f"broken at row {ids[-1]}: the chain head names row {ids[-1]}, which is missing" in result.output


def test_a_row_written_around_the_service_is_named(world, verify):
    ids = _record(world, 2)
    with world.runtime.engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_events (at, actor, interface, action, object_type, object_id, details) "
                          "VALUES (:at, 'forger', 'cli', 'x', 'y', 'z', '{}')"), {"at": "2026-01-01 00:00:00"})
    result = verify()
    assert result.exit_code == 1 and f"broken at row {ids[-1] + 1}: it is not chained" in result.output


def test_interleaved_transactions_chain_in_commit_order(world, verify):
    """The chain is extended at commit, so a transaction that recorded first but commits
    last still lands after the other one, never beside it (no fork)."""
    first, second = world.runtime.sessions(), world.runtime.sessions()
    try:
        audit.record(first, world.admin, "test.first", "thing", 1)
        first.flush()
        audit.record(second, world.admin, "test.second", "thing", 2)
        second.commit()
        first.commit()
    finally:
        first.close()
        second.close()
    with world.runtime.sessions() as s:
        assert list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.id))) == ["test.second", "test.first"]
    assert verify().exit_code == 0


def test_concurrent_writers_keep_one_chain(world, verify):
    admin, errors = world.admin, []

    def write(worker: int) -> None:
        try:
            for i in range(8):
                with transaction(world.runtime.sessions) as s:
                    audit.record(s, admin, "test.concurrent", "worker", worker, i=i)
                    audit.record(s, admin, "test.concurrent", "worker", worker, i=i, second=True)
        except Exception as exc:  # reported below: a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    result = verify()
    assert result.exit_code == 0, result.output
    assert "audit log intact: 64 row(s)" in result.output


def test_an_event_recorded_in_a_rolled_back_savepoint_is_not_written(world):
    with transaction(world.runtime.sessions) as s:
        audit.record(s, world.admin, "test.kept", "thing", 1)
        try:
            with s.begin_nested():
                audit.record(s, world.admin, "test.dropped", "thing", 2)
                raise ValueError("this part fails")
        except ValueError:
            pass
        with s.begin_nested():
            audit.record(s, world.admin, "test.kept", "thing", 3)
    with world.runtime.sessions() as s:
        assert list(s.scalars(select(AuditEvent.object_id).order_by(AuditEvent.id))) == ["1", "3"]


def test_a_rolled_back_transaction_writes_no_event(world):
    with pytest.raises(ValueError), transaction(world.runtime.sessions) as s:
        audit.record(s, world.admin, "test.dropped", "thing", 1)
        raise ValueError("the request failed")
    assert _ids(world) == []

"""Advisory references stay unique and without gaps when people draft at the same time, and one
approved revision is published once when two people publish it at the same time: each on SQLite and
on PostgreSQL, with real concurrent transactions (threads with their own sessions)."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

import pytest
from alembic import command
from sqlalchemy import func, select, text

from ncert.db import transaction
from ncert.errors import Conflict
from ncert.models import AuditEvent
from ncert.models.advisories import AdvisoryCounter
from ncert.schema import alembic_config, upgrade
from ncert.services import advisories
from tests.advisories.helpers import content

HOLD = 0.5  # seconds the first transaction stays open after writing, while the second one runs


def _run(*targets) -> list[BaseException]:
    errors: list[BaseException] = []

    def guarded(target):
        try:
            target()
        except BaseException as exc:  # noqa: BLE001 (handed back to the test)
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
        assert not thread.is_alive(), "a drafting thread hung"
    return errors


@pytest.mark.parametrize("counter_exists", [False, True], ids=["first-of-the-year", "counter-row-exists"])
def test_a_second_drafter_waits_and_takes_the_next_number(world, counter_exists):
    """The first drafter holds its transaction open after numbering; the second drafts meanwhile.
    Counting the year's advisories gave both the same number and failed the second on the unique
    reference; the counter makes the second wait for the first's commit and take the next one. Without
    a counter row yet, both try to create it: the second's insert fails, and it bumps the first's."""
    operator, admin = world.operator, world.admin
    year = None
    if counter_exists:
        with transaction(world.runtime.sessions) as s:
            year = int(advisories.create(s, operator, content()).reference.split("-")[2])
    first_numbered, refs = threading.Event(), {}

    def first():
        try:
            with transaction(world.runtime.sessions) as s:
                refs["first"] = advisories.create(s, operator, content()).reference
                first_numbered.set()
                time.sleep(HOLD)
        finally:
            first_numbered.set()

    def second():
        assert first_numbered.wait(30)
        started = time.monotonic()
        with transaction(world.runtime.sessions) as s:
            refs["second"] = advisories.create(s, admin, content()).reference
            refs["waited"] = time.monotonic() - started

    assert _run(first, second) == []
    offset = 1 if counter_exists else 0
    year = year or int(refs["first"].split("-")[2])
    assert refs["first"] == f"NCERT-SA-{year}-{offset + 1:04d}"
    assert refs["second"] == f"NCERT-SA-{year}-{offset + 2:04d}"
    assert refs["waited"] > HOLD / 2  # it did run while the first was open, and waited for it
    with world.runtime.sessions() as s:
        assert s.scalar(select(AdvisoryCounter.value).where(AdvisoryCounter.year == year)) == offset + 2


def test_many_drafters_at_once_take_every_number_once(world):
    """Four threads drafting three advisories each, all released together: twelve references,
    0001 to 0012, none twice and none skipped."""
    actors = [world.operator, world.admin, world.actor("operator2@ncert.test"), world.operator]
    start, refs, lock = threading.Barrier(len(actors)), [], threading.Lock()

    def drafter(actor):
        def run():
            start.wait(30)
            for _ in range(3):
                with transaction(world.runtime.sessions) as s:
                    ref = advisories.create(s, actor, content()).reference
                with lock:
                    refs.append(ref)
        return run

    assert _run(*(drafter(a) for a in actors)) == []
    year = refs[0].split("-")[2]
    assert sorted(refs) == [f"NCERT-SA-{year}-{n:04d}" for n in range(1, 13)]


def test_a_rolled_back_draft_leaves_no_gap(world):
    with pytest.raises(RuntimeError), transaction(world.runtime.sessions) as s:
        advisories.create(s, world.operator, content())
        raise RuntimeError("the drafter's request failed after numbering")
    with transaction(world.runtime.sessions) as s:
        assert advisories.create(s, world.operator, content()).reference.endswith("-0001")


def test_two_publishers_of_one_approved_revision_publish_it_once(world):
    """The first publisher holds its transaction open; the second publishes the same revision
    meanwhile: it waits for the first, then finds the revision published (409), so the advisory is
    shared once."""
    with transaction(world.runtime.sessions) as s:
        ref = advisories.create(s, world.operator, content()).reference
    with transaction(world.runtime.sessions) as s:
        advisories.submit(s, world.operator, ref, 1)
        advisories.approve(s, world.actor("leader@ncert.test"), ref, 1)
    operator, operator2 = world.operator, world.actor("operator2@ncert.test")
    first_published, outcome = threading.Event(), {}

    def first():
        try:
            with transaction(world.runtime.sessions) as s:
                advisories.publish(s, operator, ref, 1)
                first_published.set()
                time.sleep(HOLD)
        finally:
            first_published.set()

    def second():
        assert first_published.wait(30)
        try:
            with transaction(world.runtime.sessions) as s:
                advisories.publish(s, operator2, ref, 1)
            outcome["second"] = "published"
        except Conflict as exc:
            outcome["second"] = exc.detail

    assert _run(first, second) == []
    assert outcome["second"] == f"{ref} has no unpublished revision 1"
    with world.runtime.sessions() as s:
        actions = list(s.scalars(select(AuditEvent.action).where(AuditEvent.object_id == ref)))
        assert actions.count("advisory.publish") == 1 and actions.count("advisory.share") == 1
        assert s.scalar(select(func.count()).select_from(AuditEvent)
                        .where(AuditEvent.action == "advisory.publish")) == 1


def test_the_migration_starts_each_years_counter_after_the_advisories_stored(runtime, world):
    """Migration 0026 fills the counters from the references already given, so the next draft of a
    year follows the highest of that year (not their count: 0002 is missing here)."""
    engine = runtime.engine
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0025")
    try:
        with engine.begin() as conn:
            for ref in ("NCERT-SA-2025-0007", "NCERT-SA-2026-0001", "NCERT-SA-2026-0003"):
                conn.execute(text("INSERT INTO advisories (reference, created_by, created_at) "
                                  "VALUES (:ref, 'before 0026', :at)"), {"ref": ref, "at": datetime.now(timezone.utc)})
        upgrade(engine)
        with engine.connect() as conn:
            counters = dict(conn.execute(text("SELECT year, value FROM advisory_counters")).all())
        assert counters == {2025: 7, 2026: 3}
    finally:  # the PostgreSQL database is the session's: leave it migrated
        upgrade(engine)

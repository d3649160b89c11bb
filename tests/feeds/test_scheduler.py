"""The scheduler's job table: one job per enabled feed, at its interval (no waiting on real time)."""

from datetime import timedelta

from ncert import scheduler
from ncert.db import transaction
from ncert.models import FeedSource
from ncert.services import feeds


def _add(world, name, interval, enabled=True):
    with transaction(world.runtime.sessions) as s:
        feeds.add_source(s, world.admin, name=name, kind="misp", url=f"http://127.0.0.1:9/{name}/",
                         org="energy-cert", interval_minutes=interval, enabled=enabled)


def _table(sched):
    return {job.id: (job.trigger.interval, job.max_instances, job.coalesce)
            for job in sched.get_jobs()
            if job.id not in (scheduler.SYNC_JOB, scheduler.CLOCKS_JOB, scheduler.DETECTION_JOB, scheduler.RISKS_JOB,
                              scheduler.STATISTICS_JOB, scheduler.OUTBOX_JOB)}


def test_one_job_per_enabled_feed(world):
    _add(world, "energy", 15)
    _add(world, "finance", 60)
    _add(world, "paused", 5, enabled=False)
    sched = scheduler.build(world.runtime)
    sched.start(paused=True)
    try:
        assert _table(sched) == {"feed:energy": (timedelta(minutes=15), 1, True),
                                 "feed:finance": (timedelta(minutes=60), 1, True)}
        assert sched.get_job(scheduler.SYNC_JOB) is not None
        clocks = sched.get_job(scheduler.CLOCKS_JOB)
        assert (clocks.trigger.interval, clocks.max_instances) == (timedelta(minutes=1), 1)
        assert sched.get_job("feed:energy").args == ("energy",)

        # the table follows the feed registry: a disabled feed loses its job, a new interval replaces it
        with transaction(world.runtime.sessions) as s:
            feeds.source(s, "energy").enabled = False
            feeds.source(s, "finance").interval_minutes = 30
            s.flush()
        scheduler.sync(sched, world.runtime)
        assert _table(sched) == {"feed:finance": (timedelta(minutes=30), 1, True)}
    finally:
        sched.shutdown(wait=False)


def test_a_scheduled_pull_of_a_disabled_feed_does_nothing(world):
    _add(world, "paused", 5, enabled=False)
    result = feeds.pull_due(world.runtime.sessions, "national-cert", "paused")
    assert result.counts == {} and result.ok
    with world.runtime.sessions() as s:
        assert s.get(FeedSource, feeds.source(s, "paused").id).last_error_at is None


def test_the_clock_job_fires_owed_deadlines(world):
    """The scheduler's clock job runs the engine's deadline check in its own transaction."""
    from ncert.db import utcnow
    from ncert.models import RegulatoryDeadline
    from playbooks import engine
    from tests.playbooks.helpers import set_entity
    from tests.playbooks.test_library import RANSOMWARE

    set_entity(world, "gridco", "essential")
    engine.install(world.runtime)
    try:  # an essential entity's ransomware, aware 25 h ago: the 24 h early warning is overdue
        world.submit(world.actor("analyst@gridco.test"), aware_at=utcnow() - timedelta(hours=25), **RANSOMWARE)
    finally:
        engine.uninstall(world.runtime)
    scheduler.check_clocks(world.runtime)
    with world.runtime.sessions() as s:
        fired = {d.stage: d.overdue_fired_at is not None for d in s.query(RegulatoryDeadline)}
    assert fired["early-warning"] is True and fired["incident-notification"] is False

"""Planner statistics (issue 15): ANALYZE after bulk work, SQLite's PRAGMA optimize or
PostgreSQL's ANALYZE every hour from the scheduler."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from ncert import planner_statistics, scheduler

TITLE = "Statistics probe 7f3a"


def _knows(runtime) -> bool:
    """Whether the planner's statistics describe the incidents table as it is now: SQLite has
    index statistics for it; PostgreSQL counts TITLE as the title column's common value."""
    with runtime.engine.connect() as conn:
        if runtime.engine.dialect.name == "sqlite":
            if not conn.scalar(text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")):
                return False
            return conn.scalar(text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'incidents'")) > 0
        common = conn.scalar(text("SELECT most_common_vals::text FROM pg_stats "
                                  "WHERE tablename = 'incidents' AND attname = 'title'"))
        return TITLE in (common or "")


def _bulk(world) -> None:
    gridco = world.actor("analyst@gridco.test")
    for _ in range(5):
        world.submit(gridco, title=TITLE)


def test_after_bulk_work_the_planner_knows_the_incidents_table(world):
    _bulk(world)
    assert not _knows(world.runtime)
    planner_statistics.refresh(world.runtime.engine, after_bulk=True)
    assert _knows(world.runtime)


def test_the_scheduled_refresh_runs_hourly(world):
    _bulk(world)
    scheduler.refresh_statistics(world.runtime)  # what the hourly job runs: PRAGMA optimize or ANALYZE
    if world.runtime.engine.dialect.name == "postgresql":
        assert _knows(world.runtime)

    job = scheduler.build(world.runtime).get_job(scheduler.STATISTICS_JOB)
    assert (job.trigger.interval, job.max_instances, job.coalesce) == (timedelta(hours=1), 1, True)

"""Planner statistics (issue 15): ANALYZE after bulk work, SQLite's PRAGMA optimize or
PostgreSQL's ANALYZE every hour from the scheduler."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from ncert import planner_statistics, scheduler
from ncert.db import transaction, utcnow
from ncert.records import IncidentRecord
from ncert.services import bulk_intake

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


def test_statistics_describe_a_column_of_few_values_from_the_whole_index(world):
    """1,500 TLP:AMBER and 1,500 TLP:GREEN incidents: the tlp index holds 1,500 rows per label.
    (Read from its first 1,000 entries it would say 1,001, and the analyst queue's plan follows.)
    PostgreSQL's sample sees each label as half the table."""
    history = [bulk_intake.HistoricalIncident(
        record=IncidentRecord(title=f"Old {n}", reporter_org="gridco", tlp=label, external_ids={"legacy": str(n)}),
        reported_at=utcnow() - timedelta(minutes=n)) for n, label in enumerate(["TLP:AMBER", "TLP:GREEN"] * 1500)]
    with transaction(world.runtime.sessions) as s:
        bulk_intake.load(s, world.admin, history)
    planner_statistics.refresh(world.runtime.engine, after_bulk=True)
    with world.runtime.engine.connect() as conn:
        if world.runtime.engine.dialect.name == "sqlite":
            stat = conn.scalar(text("SELECT stat FROM sqlite_stat1 WHERE idx = 'ix_incidents_tlp_reported'"))
            assert stat.split()[:2] == ["3000", "1500"]
            return
        freqs = conn.execute(text("SELECT most_common_vals::text, most_common_freqs::text FROM pg_stats "
                                  "WHERE tablename = 'incidents' AND attname = 'tlp'")).one()
    assert freqs == ("{TLP:AMBER,TLP:GREEN}", "{0.5,0.5}")

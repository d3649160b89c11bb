"""The scheduler of ``ncert serve`` (in-process) or of ``ncert worker`` (alone, beside web processes
started with ``--no-scheduler``): one APScheduler job per enabled feed,
the minute-by-minute check of regulatory deadlines,
the hourly detection run (anomaly model and categoriser retraining, volume spikes), and the hourly
refresh of the query planner's statistics (``ncert.planner_statistics``).

APScheduler 3 ``BackgroundScheduler`` (https://apscheduler.readthedocs.io/en/3.x/):
each feed's job runs at its interval with ``max_instances=1`` (a slow pull is
never overlapped by the next) and ``coalesce`` (missed runs collapse into
one). A housekeeping job re-reads the feed table every minute, so feeds added,
changed or disabled from the console or CLI take effect without a restart.
Pulls run as the system actor (``feeds.pull_due``).

Every job is a module-level function with picklable arguments (a feed's name at most): it finds
the runtime of its process with ``current()``, so ``ncert worker`` keeps its jobs in APScheduler's
``SQLAlchemyJobStore`` (the ``apscheduler_jobs`` table, in ncert's database; ``build(persistent=True)``)
and the embedded default (``ncert serve``) in memory. Either way the jobs are rebuilt from the
database at start (the feed table, the owed deadlines, the due outbox rows), so a restarted worker
loses nothing. Run one scheduler per database: APScheduler 3 cannot share a job store among
processes (https://apscheduler.readthedocs.io/en/3.x/faq.html, "How do I share a single job store
among one or more worker processes?").

The outbox sweep (``ncert.outbox.sweep``) runs every ``OUTBOX_SECONDS``: the deliveries after
commit of processes that do not deliver themselves (``--no-scheduler``), and every retry.

APScheduler 3 writes a job's next run time from its scheduling thread and lets that thread die when
the write raises: one "database is locked" from SQLite beside busy web processes, or a dropped
PostgreSQL connection, and a worker that looks alive runs nothing again. The job store here retries
such a write (``RETRY_DELAYS``), and ``ncert worker`` exits when the thread is gone anyway, so its
supervisor starts it again (it loses nothing, see above).
"""

from __future__ import annotations

import logging
import time

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from ncert import outbox, planner_statistics
from ncert.db import transaction, utcnow
from ncert.models import FeedSource
from ncert.runtime import Runtime
from ncert.services import feeds

SYNC_JOB = "feeds:sync"
SYNC_MINUTES = 1
CLOCKS_JOB = "clocks:check"
CLOCKS_MINUTES = 1  # regulatory deadlines are checked every minute (issue 5)
DETECTION_JOB = "detection:hourly"
DETECTION_MINUTES = 60  # retrain the anomaly model and look for volume spikes
RISKS_JOB = "risks:daily"
RISKS_MINUTES = 24 * 60  # risk reviews due or overdue, and drift (issue 10)
STATISTICS_JOB = "planner:statistics"
STATISTICS_MINUTES = 60  # SQLite's docs suggest PRAGMA optimize "once per day or once per hour" (issue 15)
OUTBOX_JOB = "outbox:sweep"
OUTBOX_SECONDS = 10
JOB_TABLE = "apscheduler_jobs"  # declared in ncert.models.outbox, made by migration 0012d
RETRY_DELAYS = (0.5, 1, 2, 4, 8)  # seconds before each new attempt at a job store write the database refused
log = logging.getLogger(__name__)

_process: dict = {"runtime": None, "scheduler": None}


def current() -> Runtime:
    """The runtime of this process's scheduler; a job restored in a process that built none makes it
    from the environment's settings (``Runtime.start``)."""
    if _process["runtime"] is None:
        _process["runtime"] = Runtime.start()
    return _process["runtime"]


def job_id(feed_name: str) -> str:
    return f"feed:{feed_name}"


def sync(scheduler: BackgroundScheduler, runtime: Runtime) -> None:
    """Make the job table match the enabled feeds and their intervals."""
    with runtime.sessions() as session:
        wanted = {f.name: f.interval_minutes for f in session.scalars(select(FeedSource).where(FeedSource.enabled))}
    for job in scheduler.get_jobs():
        name = job.id.removeprefix("feed:")
        if job.id.startswith("feed:") and name not in wanted:
            job.remove()
    for name, minutes in wanted.items():
        current = scheduler.get_job(job_id(name))
        if current is not None and current.trigger.interval.total_seconds() == minutes * 60:
            continue
        scheduler.add_job(pull_feed, IntervalTrigger(minutes=minutes), id=job_id(name), name=f"pull {name}",
                          args=[name], max_instances=1, coalesce=True, replace_existing=True)


def pull_feed(name: str) -> None:
    """A feed's job: pull it if it is still enabled."""
    runtime = current()
    feeds.pull_due(runtime.sessions, runtime.settings.national_org, name)


def sync_feeds() -> None:
    """The housekeeping job: keep this process's scheduler's feed jobs in step with the feed table."""
    sync(_process["scheduler"], current())


def check_clocks(runtime: Runtime) -> None:
    """Fire the deadline.approaching / deadline.overdue playbook triggers that are owed."""
    from playbooks.engine import check_deadlines

    with transaction(runtime.sessions) as session:
        check_deadlines(session)


def detect(runtime: Runtime) -> None:
    """Retrain the anomaly model on the recent history and the categorisers on operators' decisions,
    then flag sector volume spikes."""
    from detection import service

    with transaction(runtime.sessions) as session:
        service.train(session)
    with transaction(runtime.sessions) as session:
        service.train_categorisers(session)
    with transaction(runtime.sessions) as session:
        service.flag_volume_spikes(session)


def check_risks(runtime: Runtime) -> None:
    """E-mail the owners of risks due or overdue for review, then look for drift."""
    from ncert.services import directory, risk_evidence, risk_reviews

    with transaction(runtime.sessions) as session:
        system = directory.system_actor(session, runtime.settings.national_org, "scheduler")
        risk_reviews.notify_reviews(session, system)
        risk_evidence.check_drift(session, system, runtime.settings.risk_drift_days)


def refresh_statistics(runtime: Runtime) -> None:
    """Keep the planner's statistics fresh as the tables grow."""
    planner_statistics.refresh(runtime.engine)


def run_clocks() -> None:
    check_clocks(current())


def run_detection() -> None:
    detect(current())


def run_risks() -> None:
    check_risks(current())


def run_statistics() -> None:
    refresh_statistics(current())


def run_outbox() -> None:
    outbox.sweep(current())


class RetryingJobStore(SQLAlchemyJobStore):
    """APScheduler's SQLAlchemy job store, trying a write again when the database refused it for the
    moment (``OperationalError``: locked, or the connection lost) instead of failing the scheduling
    thread. Other errors (a job id taken: ``ConflictingIdError``) are the caller's, as before."""

    def add_job(self, job):
        return _retrying(super().add_job, job)

    def update_job(self, job):
        return _retrying(super().update_job, job)

    def remove_job(self, job_id):
        return _retrying(super().remove_job, job_id)


def _retrying(write, *args):
    for delay in (*RETRY_DELAYS, None):
        try:
            return write(*args)
        except OperationalError as exc:
            if delay is None:
                raise
            log.warning("job store write refused (%s); trying again in %s s", exc.orig, delay)
            time.sleep(delay)


def alive(scheduler: BackgroundScheduler) -> bool:
    """Whether ``scheduler``'s thread still runs (APScheduler keeps saying "running" after it died)."""
    thread = getattr(scheduler, "_thread", None)  # APScheduler 3's BackgroundScheduler; no public accessor
    return scheduler.running and thread is not None and thread.is_alive()


def build(runtime: Runtime, persistent: bool = False) -> BackgroundScheduler:
    """A scheduler holding the feed jobs, the housekeeping job, the deadline check, detection, risk reviews,
    the planner's statistics and the outbox sweep, for ``runtime`` in this process; not started.
    ``persistent`` keeps the jobs in the database (``SQLAlchemyJobStore``), else in memory."""
    store = RetryingJobStore(engine=runtime.engine, tablename=JOB_TABLE) if persistent else MemoryJobStore()
    scheduler = BackgroundScheduler(timezone="UTC", jobstores={"default": store})
    _process.update(runtime=runtime, scheduler=scheduler)
    sync(scheduler, runtime)
    every = {"max_instances": 1, "coalesce": True, "replace_existing": True}
    scheduler.add_job(sync_feeds, IntervalTrigger(minutes=SYNC_MINUTES), id=SYNC_JOB, **every)
    scheduler.add_job(run_clocks, IntervalTrigger(minutes=CLOCKS_MINUTES), id=CLOCKS_JOB, **every,
                      next_run_time=utcnow())  # and at start
    scheduler.add_job(run_detection, IntervalTrigger(minutes=DETECTION_MINUTES), id=DETECTION_JOB, **every,
                      next_run_time=utcnow())  # and at start
    scheduler.add_job(run_risks, IntervalTrigger(minutes=RISKS_MINUTES), id=RISKS_JOB, **every,
                      next_run_time=utcnow())
    scheduler.add_job(run_statistics, IntervalTrigger(minutes=STATISTICS_MINUTES), id=STATISTICS_JOB, **every)
    scheduler.add_job(run_outbox, IntervalTrigger(seconds=OUTBOX_SECONDS), id=OUTBOX_JOB, **every,
                      next_run_time=utcnow())  # and at start: what waited while no deliverer ran
    return scheduler


def start(runtime: Runtime, persistent: bool = False) -> BackgroundScheduler:
    scheduler = build(runtime, persistent)
    scheduler.start()
    return scheduler

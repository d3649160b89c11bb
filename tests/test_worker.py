"""``ncert worker``: the scheduler as its own process. Started beside the web processes, it
fires the deadlines owed when it starts, delivers what they queued in the outbox, keeps its jobs in
the database (APScheduler's SQLAlchemyJobStore), and stops cleanly on SIGTERM (what ``docker stop`` sends)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import threading
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from ncert import scheduler
from ncert.db import make_engine, transaction, utcnow
from ncert.models import Incident, Notification, RegulatoryDeadline
from ncert.models.outbox import scheduler_jobs
from ncert.services import notifications
from playbooks import engine
from tests.playbooks.helpers import set_entity
from tests.playbooks.sinks import HttpSink
from tests.playbooks.test_library import RANSOMWARE
from tests.serving import NCERT

STARTUP_TIMEOUT_S = 120


def fired(runtime) -> dict[str, bool]:
    with runtime.sessions() as s:
        return {d.stage: d.overdue_fired_at is not None for d in s.query(RegulatoryDeadline)}


@contextmanager
def running_worker(world, tmp_path, **env):
    """``ncert worker`` on the world's database, its output in ``tmp_path/worker.log``; killed at the end
    if it still runs."""
    env = {**os.environ, "NCERT_DATABASE_URL": world.runtime.settings.database_url,
           "NCERT_DATA_DIR": str(tmp_path / "worker"), "NCERT_SECRET_KEY": world.runtime.settings.secret_key, **env}
    log = tmp_path / "worker.log"
    with open(log, "wb") as out:
        worker = subprocess.Popen([str(NCERT), "worker"], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield worker, log
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


def wait_until(worker, log, done) -> None:
    """Wait for ``done()`` while the worker runs (waiting for the work, not timing it)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not done():
        assert worker.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)


def test_the_worker_fires_owed_deadlines_and_stops_on_sigterm(world, tmp_path):
    set_entity(world, "gridco", "essential")
    engine.install(world.runtime)
    try:  # an essential entity's ransomware, aware 25 h ago: the 24 h early warning is overdue
        world.submit(world.actor("analyst@gridco.test"), aware_at=utcnow() - timedelta(hours=25), **RANSOMWARE)
    finally:
        engine.uninstall(world.runtime)
    assert fired(world.runtime)["early-warning"] is False
    with running_worker(world, tmp_path) as (worker, log):
        wait_until(worker, log, lambda: fired(world.runtime)["early-warning"])
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0, log.read_text()
    assert fired(world.runtime) == {"early-warning": True, "incident-notification": False, "final-report": False}
    assert "ncert worker: stopped" in log.read_text()


def test_the_worker_keeps_its_jobs_in_the_database_and_delivers_the_outbox(world, tmp_path):
    ref = world.submit(world.actor("analyst@gridco.test"), title="Odd logins")
    with HttpSink() as http:
        with transaction(world.runtime.sessions) as s:  # queued by a web process that delivers nothing itself
            incident = s.scalar(select(Incident).where(Incident.reference == ref))
            notifications.webhook(s, incident, f"{http.url}/hook", {"incident": ref}, created_by="web")
        # the sink is local: allowed on purpose
        with running_worker(world, tmp_path, NCERT_WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8") as (worker, log):
            wait_until(worker, log, lambda: http.requests)
            with world.runtime.engine.connect() as conn:
                stored = set(conn.scalars(select(scheduler_jobs.c.id)))
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=60) == 0, log.read_text()
    assert http.requests == [("/hook", {"incident": ref})]
    assert {scheduler.OUTBOX_JOB, scheduler.CLOCKS_JOB, scheduler.SYNC_JOB, scheduler.DETECTION_JOB} <= stored
    with world.runtime.sessions() as s:
        assert s.scalar(select(Notification.status)) == "sent"


def test_a_job_store_write_the_database_refuses_for_a_moment_is_tried_again(tmp_path):
    """SQLite refuses a write while another connection holds its write lock ("database is locked" once the
    busy timeout passes): APScheduler's own store lets that kill the scheduling thread, the worker's waits."""
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    impatient = make_engine(url, connect_args={"timeout": 0.05, "check_same_thread": False})
    jobs = BackgroundScheduler(timezone="UTC")
    jobs.start(paused=True)  # a started scheduler gives its jobs their defaults; paused, it runs none
    job = jobs.add_job(scheduler.run_outbox, IntervalTrigger(seconds=10), id="probe", next_run_time=utcnow())
    plain = SQLAlchemyJobStore(engine=impatient, tablename=scheduler.JOB_TABLE)
    retrying = scheduler.RetryingJobStore(engine=impatient, tablename=scheduler.JOB_TABLE)
    for store in (plain, retrying):
        store.start(jobs, "default")
    retrying.add_job(job)
    holder = sqlite3.connect(tmp_path / "jobs.db", isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another writer, for about a second
    release = threading.Timer(1.0, holder.execute, ("COMMIT",))
    release.start()
    try:
        job.next_run_time = utcnow() + timedelta(hours=1)
        with pytest.raises(OperationalError, match="locked"):
            plain.update_job(job)
        retrying.update_job(job)  # waits the lock out
    finally:
        release.join()
        jobs.shutdown(wait=False)
    assert retrying.lookup_job("probe").next_run_time == job.next_run_time
    impatient.dispose()


def test_the_worker_exits_when_its_scheduling_thread_dies(world, tmp_path):
    """A job store write that fails for good (here a trigger refuses every update of a job's next run)
    ends APScheduler's scheduling thread: the worker exits with status 1 for its supervisor to start it
    again, instead of staying up doing nothing."""
    try:
        with running_worker(world, tmp_path) as (worker, log):
            wait_until(worker, log, lambda: "jobs scheduled" in log.read_text())
            with world.runtime.engine.begin() as conn:
                for statement in REFUSE_JOB_UPDATES[conn.dialect.name]:
                    conn.exec_driver_sql(statement)
            assert worker.wait(timeout=120) == 1, log.read_text()  # the outbox sweep is due every 10 s
    finally:
        with world.runtime.engine.begin() as conn:
            for statement in ALLOW_JOB_UPDATES[conn.dialect.name]:
                conn.exec_driver_sql(statement)
    assert "the scheduling thread died" in log.read_text()


REFUSE_JOB_UPDATES = {
    "sqlite": ["CREATE TRIGGER refuse BEFORE UPDATE ON apscheduler_jobs BEGIN SELECT RAISE(ABORT, 'refused'); END"],
    "postgresql": ["CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$",
                   "CREATE TRIGGER refuse BEFORE UPDATE ON apscheduler_jobs FOR EACH ROW EXECUTE FUNCTION refuse()"],
}
ALLOW_JOB_UPDATES = {"sqlite": ["DROP TRIGGER IF EXISTS refuse"],
                     "postgresql": ["DROP TRIGGER IF EXISTS refuse ON apscheduler_jobs", "DROP FUNCTION IF EXISTS refuse()"]}

"""``ncert worker``: the scheduler as its own process. Started beside the web processes, it
fires the deadlines owed when it starts, delivers what they queued in the outbox, keeps its jobs in
the database (APScheduler's SQLAlchemyJobStore), and stops cleanly on SIGTERM (what ``docker stop`` sends)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import timedelta

from sqlalchemy import select

from ncert import scheduler
from ncert.db import transaction, utcnow
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


def test_the_worker_fires_owed_deadlines_and_stops_on_sigterm(world, tmp_path):
    set_entity(world, "gridco", "essential")
    engine.install(world.runtime)
    try:  # an essential entity's ransomware, aware 25 h ago: the 24 h early warning is overdue
        world.submit(world.actor("analyst@gridco.test"), aware_at=utcnow() - timedelta(hours=25), **RANSOMWARE)
    finally:
        engine.uninstall(world.runtime)
    assert fired(world.runtime)["early-warning"] is False
    env = {**os.environ, "NCERT_DATABASE_URL": world.runtime.settings.database_url,
           "NCERT_DATA_DIR": str(tmp_path / "worker"), "NCERT_SECRET_KEY": world.runtime.settings.secret_key}
    log = tmp_path / "worker.log"
    with open(log, "wb") as out:
        worker = subprocess.Popen([str(NCERT), "worker"], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S  # waiting for the work, not timing it
        while not fired(world.runtime)["early-warning"]:
            assert worker.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0, log.read_text()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert fired(world.runtime) == {"early-warning": True, "incident-notification": False, "final-report": False}
    assert "ncert worker: stopped" in log.read_text()


def test_the_worker_keeps_its_jobs_in_the_database_and_delivers_the_outbox(world, tmp_path):
    ref = world.submit(world.actor("analyst@gridco.test"), title="Odd logins")
    env = {**os.environ, "NCERT_DATABASE_URL": world.runtime.settings.database_url,
           "NCERT_DATA_DIR": str(tmp_path / "worker"), "NCERT_SECRET_KEY": world.runtime.settings.secret_key,
           "NCERT_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8"}  # the sink is local: allowed on purpose
    log = tmp_path / "worker.log"
    with HttpSink() as http:
        with transaction(world.runtime.sessions) as s:  # queued by a web process that delivers nothing itself
            incident = s.scalar(select(Incident).where(Incident.reference == ref))
            notifications.webhook(s, incident, f"{http.url}/hook", {"incident": ref}, created_by="web")
        with open(log, "wb") as out:
            worker = subprocess.Popen([str(NCERT), "worker"], env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT_S  # waiting for the work, not timing it
            while not http.requests:
                assert worker.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
            with world.runtime.engine.connect() as conn:
                stored = set(conn.scalars(select(scheduler_jobs.c.id)))
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=60) == 0, log.read_text()
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    assert http.requests == [("/hook", {"incident": ref})]
    assert {scheduler.OUTBOX_JOB, scheduler.CLOCKS_JOB, scheduler.SYNC_JOB, scheduler.DETECTION_JOB} <= stored
    with world.runtime.sessions() as s:
        assert s.scalar(select(Notification.status)) == "sent"

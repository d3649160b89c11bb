"""Migration 0012a: requests kept as reporter-visible tasks become requests for information
addressed to the reporter (answered when the task was done); internal tasks stay tasks."""

from __future__ import annotations

from alembic import command
from sqlalchemy import select, text

from ncert.models import Rfi, Task
from ncert.schema import alembic_config, upgrade


def test_reporter_visible_tasks_become_requests(world):
    ref = world.submit(world.actor("analyst@gridco.test"), title="Wiper on HMI")
    engine = world.runtime.engine
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0012a-1")
    with engine.begin() as conn:
        incident_id = conn.execute(text("SELECT id FROM incidents WHERE reference = :r"), {"r": ref}).scalar_one()
        insert = text("INSERT INTO incident_tasks (incident_id, title, detail, visible_to_reporter, status, created_by,"
                      " created_at, done_at, done_by) VALUES (:i, :t, :d, :v, :s, 'playbook x v1', :c, :done, :by)")
        for title, visible, status in (("Send logs", True, "done"), ("Name the vendor", True, "open"),
                                       ("Image the HMI", False, "done")):
            conn.execute(insert, {"i": incident_id, "t": title, "d": f"{title}, please", "v": visible, "s": status,
                                  "c": "2026-11-01 10:00:00", "done": "2026-11-01 12:00:00" if status == "done" else None,
                                  "by": "someone" if status == "done" else None})
    upgrade(engine)
    with world.runtime.sessions() as s:
        asked = [(r.title, r.question, r.org_id, r.state, r.answered_at is not None)
                 for r in s.scalars(select(Rfi).order_by(Rfi.id))]
        assert asked == [("Send logs", "Send logs, please", world.orgs["gridco"], "answered", True),
                         ("Name the vendor", "Name the vendor, please", world.orgs["gridco"], "open", False)]
        assert [(t.title, t.status, t.closed_by, t.mandatory) for t in s.scalars(select(Task))] == [
            ("Image the HMI", "done", "someone", False)]

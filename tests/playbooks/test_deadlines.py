"""Regulatory clocks on incidents, checked with explicit ``now`` values:
approaching, overdue, satisfied; each trigger fires once and reaches playbooks."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ncert.clocks import add_months
from ncert.db import transaction, utcnow
from ncert.models import Incident
from ncert.services import clocks, directory
from playbooks import engine
from playbooks.loader import load_library, parse_playbook
from tests.playbooks.helpers import look, set_entity
from tests.playbooks.test_library import RANSOMWARE

CHASE = parse_playbook("""
name: chase-late-reports
version: 1
triggers: [deadline.overdue]
actions:
  - {type: add_tasks, tasks: [Chase the late report]}
""")


def _ransomware(world):
    """An essential entity's ransomware incident, aware an hour ago: the NIS2 clock runs."""
    set_entity(world, "gridco", "essential")
    aware = (utcnow() - timedelta(hours=1)).replace(microsecond=0)
    engine.install(world.runtime)
    try:
        ref = world.submit(world.actor("analyst@gridco.test"), aware_at=aware, **RANSOMWARE)
    finally:
        engine.uninstall(world.runtime)
    return ref, aware


def _check(world, now, library=()):
    with transaction(world.runtime.sessions) as s:
        actor = directory.system_actor(s, "national-cert", "scheduler")
        fired = engine.check_deadlines(s, now, library=list(library), actor=actor)
        return [(d.stage, d.overdue_fired_at is not None) for d in fired]


def test_nis2_deadlines_count_from_awareness(world):
    ref, aware = _ransomware(world)
    with look(world, ref) as it:
        due = {d.stage: d.due_at for d in it.deadlines()}
    assert due["early-warning"] == aware + timedelta(hours=24)
    assert due["incident-notification"] == aware + timedelta(hours=72)


def test_approaching_then_overdue_each_fire_once(world):
    ref, aware = _ransomware(world)
    assert _check(world, aware + timedelta(hours=17)) == []  # 7 h left: not yet within the 6 h warning
    assert _check(world, aware + timedelta(hours=19)) == [("early-warning", False)]
    assert _check(world, aware + timedelta(hours=19, minutes=1)) == []
    assert _check(world, aware + timedelta(hours=24, minutes=1), [CHASE]) == [("early-warning", True)]
    assert _check(world, aware + timedelta(hours=24, minutes=2), [CHASE]) == []
    with look(world, ref) as it:
        assert [t.title for t in it.tasks()].count("Chase the late report") == 1
        assert "chase-late-reports" in it.fired()


def test_a_received_report_satisfies_its_deadline(world):
    ref, aware = _ransomware(world)
    with transaction(world.runtime.sessions) as s:
        incident = s.scalar(select(Incident).where(Incident.reference == ref))
        clocks.receive(s, world.operator, incident, "nis2", "early-warning", aware + timedelta(hours=20),
                       now=aware + timedelta(hours=20))
    assert _check(world, aware + timedelta(hours=30)) == []
    assert _check(world, aware + timedelta(hours=61)) == [("incident-notification", False)]


def test_the_final_report_moves_with_the_notification_receipt(world):
    ref, aware = _ransomware(world)
    sent = aware + timedelta(hours=50)
    with transaction(world.runtime.sessions) as s:
        incident = s.scalar(select(Incident).where(Incident.reference == ref))
        clocks.receive(s, world.operator, incident, "nis2", "incident-notification", sent, now=sent)
    with look(world, ref) as it:
        final = next(d for d in it.deadlines() if d.stage == "final-report")
    assert final.due_at == add_months(sent, 1)


def test_crisis_status_clock_repeats_hourly(world):
    library = load_library(engine.DEFAULT_LIBRARY)
    engine.install(world.runtime)
    try:
        ref = world.submit(world.operator, reporter_org="gridco", severity=4, title="Grid instability")
    finally:
        engine.uninstall(world.runtime)
    with transaction(world.runtime.sessions) as s:
        incident = s.scalar(select(Incident).where(Incident.reference == ref))
        [first] = clocks.of_incident(s, world.operator, incident)
        clocks.receive(s, world.operator, incident, "crisis-status", "status-report", first.due_at,
                       now=first.due_at)
        stages = [(d.stage, d.due_at - first.due_at) for d in clocks.of_incident(s, world.operator, incident)]
    assert stages == [("status-report", timedelta(0)), ("status-report#2", timedelta(hours=1))]
    assert _check(world, first.due_at + timedelta(minutes=50), library) == [("status-report#2", False)]

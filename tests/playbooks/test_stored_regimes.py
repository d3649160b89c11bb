"""Reporting regimes stored as data (issue 5): a national rule assigned to a
sector replaces NIS2 when a playbook starts the clock for that sector's
incidents, and its deadlines fire through ``engine.check_deadlines``."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from sqlalchemy import select

from ncert.db import transaction, utcnow
from ncert.models import Incident, TimelineEntry
from ncert.services import clocks, directory, regimes
from playbooks import engine
from playbooks.loader import parse_playbook
from playbooks.schema import StartClock
from tests.playbooks.helpers import look, set_entity
from tests.playbooks.test_library import RANSOMWARE

CENTRAL_BANK = regimes.parse_stages("""
initial-report 4 hours warn 1 hours
intermediate-report 3 days after previous warn 12 hours
""")

STARTER = parse_playbook("""
name: start-a-clock
version: 1
triggers: [incident.updated]
actions:
  - {type: start_clock, regime: nis2}
""")


def _store(world, assign_to: str | None = "finance"):
    with transaction(world.runtime.sessions) as s:
        regimes.save(s, world.admin, name="central-bank-4h", title="Central bank major incident reporting",
                     repeat=False, stages=CENTRAL_BANK, new=True)
        if assign_to:
            regimes.assign(s, world.admin, assign_to, "central-bank-4h")


def _bank_ransomware(world):
    set_entity(world, "centralbank", "essential")
    aware = (utcnow() - timedelta(hours=1)).replace(microsecond=0)
    engine.install(world.runtime)
    try:
        ref = world.submit(world.actor("analyst@centralbank.test"), aware_at=aware, **RANSOMWARE)
    finally:
        engine.uninstall(world.runtime)
    return ref, aware


def _check(world, now):
    with transaction(world.runtime.sessions) as s:
        actor = directory.system_actor(s, "national-cert", "scheduler")
        return [(d.stage, d.overdue_fired_at is not None) for d in engine.check_deadlines(s, now, library=[],
                                                                                           actor=actor)]


def test_a_sector_assigned_a_stored_regime_reports_under_it(world):
    _store(world)
    ref, aware = _bank_ransomware(world)
    with look(world, ref) as it:
        due = {d.regime + "/" + d.stage: d.due_at for d in it.deadlines()}
    assert due == {"central-bank-4h/initial-report": aware + timedelta(hours=4),
                   "central-bank-4h/intermediate-report": aware + timedelta(hours=4, days=3)}


def test_stored_deadlines_approach_and_go_overdue_by_their_own_warnings(world):
    _store(world)
    ref, aware = _bank_ransomware(world)
    assert _check(world, aware + timedelta(hours=2, minutes=59)) == []  # 1 h 1 m left: outside the 1 h warning
    assert _check(world, aware + timedelta(hours=3, minutes=1)) == [("initial-report", False)]
    assert _check(world, aware + timedelta(hours=4, minutes=1)) == [("initial-report", True)]
    assert _check(world, aware + timedelta(hours=4, days=2, minutes=-1)) == []
    assert _check(world, aware + timedelta(hours=4 + 13, days=2)) == [("intermediate-report", False)]
    with world.runtime.sessions() as s:
        notes = [e.body for e in s.scalars(select(TimelineEntry).where(TimelineEntry.kind == "deadline"))]
    assert any(n.startswith("Central bank major incident reporting: initial-report overdue") for n in notes)


def test_receiving_a_stored_stage_re_times_the_next(world):
    _store(world)
    ref, aware = _bank_ransomware(world)
    with transaction(world.runtime.sessions) as s:
        incident = s.scalar(select(Incident).where(Incident.reference == ref))
        clocks.receive(s, world.operator, incident, "central-bank-4h", "initial-report", aware + timedelta(hours=2),
                       now=aware + timedelta(hours=2))
    with look(world, ref) as it:
        due = {d.stage: d.due_at for d in it.deadlines()}
    assert due["intermediate-report"] == aware + timedelta(hours=2, days=3)


def test_other_sectors_keep_nis2(world):
    _store(world)
    set_entity(world, "gridco", "essential")
    engine.install(world.runtime)
    try:
        ref = world.submit(world.actor("analyst@gridco.test"), **RANSOMWARE)
    finally:
        engine.uninstall(world.runtime)
    with look(world, ref) as it:
        assert {d.regime for d in it.deadlines()} == {"nis2"}


def test_removing_the_assignment_goes_back_to_nis2(world):
    _store(world)
    with transaction(world.runtime.sessions) as s:
        regimes.assign(s, world.admin, "finance", None)
    ref, _ = _bank_ransomware(world)
    with look(world, ref) as it:
        assert {d.regime for d in it.deadlines()} == {"nis2"}


def _run(world, ref, regime: str) -> list[str]:
    book = dataclasses.replace(STARTER, actions=(StartClock(regime),))
    with transaction(world.runtime.sessions) as s:
        incident = s.scalar(select(Incident).where(Incident.reference == ref))
        return engine.run(s, world.operator, "incident.updated", incident, [book]).fired[0][2]


def test_a_clock_naming_an_unknown_regime_is_noted_not_a_crash(world):
    ref = world.submit(world.actor("analyst@gridco.test"), title="Odd report")
    assert _run(world, ref, "no-such-regime") == ["clock no-such-regime not started: no such reporting regime"]
    with look(world, ref) as it:
        assert it.deadlines() == []
        assert "clock no-such-regime not started: no such reporting regime" in it.notes()[-1].body


def test_a_clock_naming_a_stored_regime_starts_it(world):
    _store(world, assign_to=None)
    ref = world.submit(world.actor("analyst@gridco.test"), title="Odd report")
    assert _run(world, ref, "central-bank-4h") == ["clock central-bank-4h started (2 deadline(s))"]

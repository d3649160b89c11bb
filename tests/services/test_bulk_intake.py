"""Historical bulk intake (issue 15's generator path): the rows submit would write, moved on
by the history given; idempotent by external id; administrators only; rollups kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from ncert.db import transaction, utcnow
from ncert.errors import Forbidden
from ncert.models import (
    Incident,
    IncidentIndicator,
    IncidentRollup,
    RegulatoryDeadline,
    Sighting,
    TimelineEntry,
)
from ncert.records import IncidentRecord
from ncert.services import bulk_intake, queue
from ncert.services.bulk_intake import Clock, Entry, HistoricalIncident
from ncert.taxonomy import Status


def _history(now) -> list[HistoricalIncident]:
    reported = now - timedelta(days=400)
    first = IncidentRecord(
        title="Phishing wave against the grid operator", category="fraud/phishing", severity=5, tlp="TLP:AMBER",
        reporter_org="gridco", aware_at=reported - timedelta(hours=2), external_ids={"legacy": "T-1"},
        indicators=[{"type": "domain-name", "value": "Login-GridCo.Example.", "confidence": 90,
                     "first_seen": reported - timedelta(days=1), "last_seen": reported}])
    duplicate = IncidentRecord(title="Update: phishing wave", category="fraud/phishing", severity=2,
                               tlp="TLP:GREEN", reporter_org="powergen", external_ids={"legacy": "T-2"},
                               indicators=[{"type": "domain-name", "value": "login-gridco.example"}])
    acked, closed = reported + timedelta(minutes=20), reported + timedelta(days=3)
    return [
        HistoricalIncident(
            record=first, reported_at=reported, status=Status.CLOSED, severity=4, acknowledged_at=acked,
            resolved_at=closed, closed_at=closed,
            timeline=(Entry(reported, "created", "Reported by GridCo via import", "GridCo"),
                      Entry(acked, "status", "Status new → triaged", "operator@ncert.test",
                            details={"old": "new", "new": "triaged"}),
                      Entry(acked, "severity", "Severity → 4", "operator@ncert.test", internal=True)),
            clocks=(Clock("nis2", reported - timedelta(hours=2), {"early-warning": reported}),)),
        HistoricalIncident(record=duplicate, reported_at=reported + timedelta(hours=1), status=Status.MERGED,
                           merged_into=("gridco", "legacy", "T-1")),
    ]


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_history_is_stored_as_submit_would_then_moved_on(world):
    now = utcnow()
    items = _history(now)
    with transaction(world.runtime.sessions) as s:
        ids = bulk_intake.load(s, world.admin, items)
    with world.runtime.sessions() as s:
        first, duplicate = (s.get(Incident, i) for i in ids)
        year = items[0].reported_at.year
        assert first.reference.startswith(f"NC-{year}-") and duplicate.reference.startswith(f"NC-{year}-")
        assert (first.severity, first.reported_severity, first.communicated_severity) == (4, 5, 5)
        assert duplicate.severity == 2 and duplicate.merged_into_id == first.id
        assert first.status is Status.CLOSED and first.acknowledged_at == items[0].acknowledged_at
        assert first.updated_at == items[0].acknowledged_at and first.reporter_org.slug == "gridco"
        assert duplicate.sector.slug == duplicate.reporter_org.sector.slug  # the reporter's own sector
        entries = s.scalars(select(TimelineEntry).where(TimelineEntry.incident_id == first.id)
                            .order_by(TimelineEntry.id)).all()
        assert [(e.kind, e.internal) for e in entries] == [("created", False), ("status", False), ("severity", True)]
        assert first.shared_updated_at == items[0].acknowledged_at
        # The value normalised once by IncidentRecord: one indicator, each report keeping its own facts.
        links = s.scalars(select(IncidentIndicator).order_by(IncidentIndicator.incident_id)).all()
        assert [link.indicator.value for link in links] == ["login-gridco.example"] * 2
        assert [link.confidence for link in links] == [90, 50]
        assert _count(s, Sighting) == 2
        deadlines = s.scalars(select(RegulatoryDeadline).order_by(RegulatoryDeadline.due_at)).all()
        assert [(d.stage, d.received_at is not None) for d in deadlines] == [
            ("early-warning", True), ("incident-notification", False), ("final-report", False)]
        # The merged duplicate is counted in the incident it joined, not on its own.
        assert s.scalar(select(func.sum(IncidentRollup.incidents))) == 1


def test_a_replay_stores_nothing_twice(world):
    with transaction(world.runtime.sessions) as s:
        bulk_intake.load(s, world.admin, _history(utcnow()))
    with transaction(world.runtime.sessions) as s:
        assert bulk_intake.load(s, world.admin, _history(utcnow())) == [None, None]
    with world.runtime.sessions() as s:
        assert (_count(s, Incident), _count(s, TimelineEntry), _count(s, IncidentIndicator)) == (2, 3, 2)


def test_the_reference_counter_continues_after_a_load(world):
    now = utcnow()
    record = IncidentRecord(title="This year's", reporter_org="gridco", external_ids={"legacy": "T-3"})
    with transaction(world.runtime.sessions) as s:
        [loaded] = bulk_intake.load(s, world.admin, [HistoricalIncident(record=record, reported_at=now)])
        loaded_ref = s.get(Incident, loaded).reference
    submitted = world.submit(world.operator, title="After the load", reporter_org="gridco")
    assert int(submitted.rsplit("-", 1)[1]) == int(loaded_ref.rsplit("-", 1)[1]) + 1


@pytest.mark.parametrize("who", ["operator", "analyst"])
def test_only_an_administrator_loads_history(world, who):
    actor = world.operator if who == "operator" else world.actor("analyst@gridco.test")
    with pytest.raises(Forbidden), transaction(world.runtime.sessions) as s:
        bulk_intake.load(s, actor, _history(utcnow()))
    with world.runtime.sessions() as s:
        assert _count(s, Incident) == 0


def _found(world, actor, words: str) -> list[str]:
    with world.runtime.sessions() as s:
        page = queue.list_incidents(s, actor, queue.QueueFilter(q=words), sort="-reported_at", limit=10)
        return sorted(i.title for i in page.items)


def test_loaded_incidents_are_found_by_their_words_and_later_ones_still_are(world):
    """SQLite indexes a batch's text in one pass with its per-row trigger suspended for the load
    only: both the loaded reports and one submitted afterwards are found."""
    with transaction(world.runtime.sessions) as s:
        bulk_intake.load(s, world.admin, _history(utcnow()))
    world.submit(world.operator, title="Phishing kit hosted on a compromised site", reporter_org="gridco")
    assert _found(world, world.operator, "phishing wave") == [
        "Phishing wave against the grid operator", "Update: phishing wave"]
    assert _found(world, world.operator, "compromised") == ["Phishing kit hosted on a compromised site"]


def test_a_failed_load_leaves_the_text_index_and_its_trigger_as_they_were(world):
    items = _history(utcnow())
    with pytest.raises(RuntimeError), transaction(world.runtime.sessions) as s:
        bulk_intake.load(s, world.admin, items)
        raise RuntimeError("the caller fails after the load")
    assert _found(world, world.operator, "phishing") == []
    world.submit(world.operator, title="Ransomware note found on a file server", reporter_org="gridco")
    assert _found(world, world.operator, "ransomware") == ["Ransomware note found on a file server"]


def test_a_load_that_doubles_the_incidents_refreshes_the_planner_statistics_on_postgresql(world):
    """A load into an empty database leaves PostgreSQL's statistics counting what it loaded
    (pg_class.reltuples is -1 before the first ANALYZE); SQLite's are left to ANALYZE after it."""
    with transaction(world.runtime.sessions) as s:
        bulk_intake.load(s, world.admin, _history(utcnow()))
        if s.connection().dialect.name != "postgresql":
            return
    with world.runtime.sessions() as s:
        counted = s.execute(text("SELECT relname, reltuples FROM pg_class WHERE relname IN "
                                 "('incidents', 'incident_external_refs', 'incident_rollups')")).all()
        assert dict(counted) == {"incidents": 2, "incident_external_refs": 2, "incident_rollups": 1}

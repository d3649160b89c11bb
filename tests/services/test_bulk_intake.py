"""Historical bulk intake (issue 15's generator path): the rows submit would write, moved on
by the history given; idempotent by external id; administrators only; rollups kept."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from ncert.db import transaction, utcnow
from ncert.errors import Forbidden
from ncert.models import (
    Incident,
    IncidentIndicator,
    IncidentRollup,
    RegulatoryDeadline,
    Sighting,
    StatusCell,
    StatusTotal,
    TermRollup,
    TimelineEntry,
)
from ncert.records import IncidentRecord
from ncert.services import bulk_intake, queue, rollups
from ncert.services.bulk_intake import Clock, Entry, HistoricalIncident
from ncert.taxonomy import Status
from tests.services.kpi_helpers import place
from tests.services.test_rollups import rollup_rows


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


def _rollup_state(session) -> dict:
    """Every rollup table's rows without their ids: what counting row by row must reproduce."""
    def rows(model, *skip):
        cols = [c for c in model.__table__.c if c.name not in ("id", *skip)]
        return sorted((tuple(r) for r in session.execute(select(*cols))), key=repr)
    return {"rollups": rollup_rows(session), "terms": rows(TermRollup), "cells": rows(StatusCell),
            "totals": [r for r in rows(StatusTotal) if r[-1]]}


def _batches(now) -> list[list[HistoricalIncident]]:
    """Three batches over four days: days straddle batches, many reports share every rollup key (so
    later batches add to rows earlier ones wrote), with CVEs, containment, closures and merges
    (into this batch and into an earlier one)."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=30)
    orgs, labels = ("gridco", "powergen"), ("TLP:GREEN", "TLP:AMBER")
    batches: list[list[HistoricalIncident]] = [[], [], []]
    for n in range(60):
        reported = day + timedelta(hours=n * 1.5 + 0.25, seconds=n * 37)
        acked = reported + timedelta(minutes=5 + n % 7)
        contained_at = acked + timedelta(hours=1 + n % 3)
        ended = contained_at + timedelta(days=1 + n % 2)
        status = (Status.NEW, Status.TRIAGED, Status.CONTAINED, Status.CLOSED)[n % 4]
        timeline = [Entry(reported, "created", "Reported", "GridCo")]
        if status is not Status.NEW:
            timeline.append(Entry(acked, "status", "Status new → triaged", "op", details={"old": "new", "new": "triaged"}))
        if status in (Status.CONTAINED, Status.CLOSED):
            timeline.append(Entry(contained_at, "status", "Status triaged → contained", "op", internal=n % 8 == 3,
                                  details={"old": "triaged", "new": "contained"}))
        if status is Status.CLOSED:
            timeline.append(Entry(ended, "status", "Status contained → closed", "op",
                                  details={"old": "contained", "new": "closed"}))
        record = IncidentRecord(
            title=f"Report {n}", category="fraud/phishing", severity=n % 3, tlp=labels[n % 2 if n < 40 else 0],
            reporter_org=orgs[n % 2], aware_at=reported - timedelta(minutes=n), external_ids={"legacy": f"B-{n}"},
            indicators=[{"type": "cve", "value": ("CVE-2024-3400", "CVE-2023-4966")[n % 3 == 0]},
                        {"type": "ipv4-addr", "value": f"198.51.100.{n % 9 + 1}"}])
        merged = n in (17, 45)  # 17 joins a report of its own batch, 45 one loaded two batches before
        batches[min(n // 22, 2)].append(HistoricalIncident(
            record=record, reported_at=reported, status=Status.MERGED if merged else status,
            acknowledged_at=None if status is Status.NEW else acked,
            resolved_at=ended if status is Status.CLOSED else None, closed_at=ended if status is Status.CLOSED else None,
            timeline=tuple(timeline), merged_into=(orgs[1], "legacy", f"B-{n - 2}") if merged else None))
    return batches


def test_loaded_rollups_equal_those_counted_row_by_row(world):
    """The rollups a load counts from the rows in hand (rollups.add_new) are the rows a recount of
    every day writes, with reports already in the cells, and batches adding to rows written before."""
    now = utcnow()
    batches = _batches(now)
    first_day = batches[0][0].reported_at
    for n in range(3):  # reports submitted the usual way, counted on write, in the days the load fills
        ref = world.submit(world.actor("analyst@gridco.test"), title=f"Submitted {n}", severity=n,
                           indicators=[{"type": "cve", "value": "CVE-2024-3400"}])
        place(world, ref, reported_at=first_day + timedelta(hours=20 * n + 2), severity=n)
    for batch in batches:
        with transaction(world.runtime.sessions) as s:
            assert None not in bulk_intake.load(s, world.admin, batch)
    with world.runtime.sessions() as s:
        loaded = _rollup_state(s)
        assert s.scalar(select(func.count()).select_from(Incident).where(Incident.merged_into_id.is_not(None))) == 2
    assert sum(row[0][-1] for row in loaded["rollups"]) == 61  # 63 reports, two merged away
    assert len(loaded["rollups"]) < 61 and any(t[-1] > 1 for t in loaded["terms"])  # rows shared by reports
    with transaction(world.runtime.sessions) as s:
        assert rollups.rebuild(s, world.operator) == 61
    with world.runtime.sessions() as s:
        assert _rollup_state(s) == loaded


def _index_state(session) -> tuple:
    """Every index of the tables a load fills, as defined, and those tables' storage options."""
    tables = list(bulk_intake._DEFERRED)
    return (sorted(session.execute(text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(:t) "
                                        "AND schemaname = current_schema()"), {"t": tables}).all()),
            sorted(session.execute(text("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), "
                                        "convalidated FROM pg_constraint WHERE conrelid::regclass::text = ANY(:t)"),
                                   {"t": tables}).all()),
            sorted(session.execute(text("SELECT relname, reloptions FROM pg_class WHERE relname = ANY(:t) "
                                        "AND relnamespace = current_schema()::regnamespace"), {"t": tables}).all()))


@pytest.mark.parametrize("fails", [False, True])
def test_an_initial_load_builds_the_indexes_it_deferred_as_they_were(world, fails):
    """PostgreSQL: the secondary indexes and foreign keys an initial load drops are made again from
    their own definitions when it ends, failed or not, autovacuum is given the tables back, and what
    was loaded is found through them; a database with incidents already keeps its indexes."""
    engine = world.runtime.engine
    if engine.dialect.name != "postgresql":
        with bulk_intake.initial_load(engine) as deferred, world.runtime.sessions() as s:
            assert deferred is False  # SQLite: nothing deferred, a larger page cache for the load's connections
            assert s.execute(text("PRAGMA cache_size")).scalar() == -bulk_intake.LOAD_CACHE_KIB
        with world.runtime.sessions() as s:
            assert s.execute(text("PRAGMA cache_size")).scalar() == -65536  # ncert.db.make_engine's
        return
    with world.runtime.sessions() as s:
        before = _index_state(s)
    with pytest.raises(RuntimeError) if fails else contextlib.nullcontext():
        with bulk_intake.initial_load(engine) as deferred:
            assert deferred
            with world.runtime.sessions() as s:
                during = _index_state(s)
                assert "ix_incidents_text" not in dict(during[0]) and "ix_incident_rollups_org_day" in dict(during[0])
                assert "uq_incidents_reference" in dict(during[0])
                assert all(options == ["autovacuum_enabled=false"] for _, options in during[2])
                assert {kind for *_, kind in s.execute(text(
                    "SELECT contype FROM pg_constraint WHERE conrelid = 'timeline_entries'::regclass")).all()} \
                    == {"p"}  # its foreign keys wait for the end
            for batch in _batches(utcnow()):
                with transaction(world.runtime.sessions) as s:
                    bulk_intake.load(s, world.admin, batch)
            if fails:
                raise RuntimeError("the load stops half-way")
    with world.runtime.sessions() as s:
        assert _index_state(s) == before
    assert _found(world, world.operator, "report 18") == ["Report 18"]
    with bulk_intake.initial_load(engine) as deferred:  # incidents there now: nothing is dropped
        assert deferred is False
        with world.runtime.sessions() as s:
            assert _index_state(s) == before


def test_a_row_breaking_a_deferred_foreign_key_fails_the_initial_load(world):
    """PostgreSQL: the foreign keys an initial load adds back check every row: one pointing nowhere fails it."""
    engine = world.runtime.engine
    if engine.dialect.name != "postgresql":
        return
    with world.runtime.sessions() as s:
        before = _index_state(s)
    try:
        with pytest.raises(IntegrityError):
            with bulk_intake.initial_load(engine):
                with transaction(world.runtime.sessions) as s:
                    s.execute(text("INSERT INTO timeline_entries (incident_id, at, kind, actor, body, internal, details) "
                                   "VALUES (999999, now(), 'comment', 'x', 'orphan', false, '{}')"))
        with world.runtime.sessions() as s:
            after = _index_state(s)
        assert after[0] == before[0] and after[2] == before[2]  # indexes and storage options are back
    finally:  # the next test's schema: the orphan goes and the keys come back
        with transaction(world.runtime.sessions) as s:
            s.execute(text("DELETE FROM timeline_entries WHERE incident_id = 999999"))
            have = {(table, name) for table, name, *_ in _index_state(s)[1]}
            for table, name, definition, _ in before[1]:
                if (table, name) not in have:
                    s.execute(text(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'))
    with world.runtime.sessions() as s:
        assert _index_state(s) == before

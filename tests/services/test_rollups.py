"""Incident rollups (issue 15): kept on write, equal to a recount and to the figures
computed straight from the incidents, and the only rows the leadership figures read."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from ncert import periods
from ncert.access import scope, severity_column
from ncert.db import transaction, utcnow
from ncert.models import Incident, IncidentRollup, RollupDuration, StatusCell, StatusTotal, TimelineEntry
from ncert.records import IncidentPatch
from ncert.services import incidents, kpi, queue, rollups
from ncert.services.incident_stats import (
    counted,
    durations,
    durations_in,
    reported_in,
    rolled_in,
    seconds_between,
    spread,
)
from ncert.services.landscape import landscape
from ncert.services.overview import overview, recent
from ncert.taxonomy import OPEN_STATUSES, SEVERITY_LEVELS, Status
from tests.services.kpi_helpers import contained, place

ORGS = ("gridco", "centralbank", "powergen", "cityhospital")  # the hospital's through an operator
TLPS = ("TLP:GREEN", "TLP:AMBER", "TLP:CLEAR", "TLP:RED", "TLP:GREEN")
READERS = ("operator@ncert.test", "analyst@gridco.test", "analyst@powergen.test", "analyst@partner.test")
RESOLUTION = 2 ** (1 / 4)  # a percentile read from a histogram lies within its bucket's edges (rollups.py)


@pytest.fixture
def story(world) -> dict[str, str]:
    """Thirty-two incidents over nine weeks from four organisations at every label, then the
    lifecycle: triage, containment, resolution, a merge, a reopening, severity and label
    changes, and a report moved to another day (another rollup cell)."""
    today = utcnow().replace(hour=12, minute=0, second=0, microsecond=0)
    refs = {}
    for i in range(32):
        org = ORGS[i % 4]
        who = world.operator if org == "cityhospital" else world.actor(f"analyst@{org}.test")
        ref = world.submit(who, title=f"Report {i}", tlp=TLPS[i % 5], severity=i % 4,
                           category=("availability/ddos", "fraud/phishing")[i % 2],
                           **({"reporter_org": org} if org == "cityhospital" else {}))
        reported = today - timedelta(days=2 * i, hours=i)
        place(world, ref, reported_at=reported, aware_at=reported - timedelta(hours=3 * i + 1),
              acknowledged_at=reported + timedelta(minutes=7 * i + 3) if i % 5 else None,
              resolved_at=reported + timedelta(hours=5 * i + 2) if i % 3 != 2 else None,
              severity=(i * 7) % 6)
        refs[f"r{i}"] = ref
    with transaction(world.runtime.sessions) as s:
        op = world.operator
        incidents.transition(s, op, refs["r0"], Status.TRIAGED)
        incidents.transition(s, op, refs["r0"], Status.INVESTIGATING)
        incidents.transition(s, op, refs["r0"], Status.CONTAINED)
        incidents.transition(s, op, refs["r0"], Status.RESOLVED)
        incidents.reopen(s, op, refs["r0"], "the attacker came back")
        incidents.transition(s, op, refs["r2"], Status.TRIAGED)
        incidents.transition(s, op, refs["r2"], Status.CLOSED)
        incidents.update_fields(s, op, refs["r3"], IncidentPatch(severity=5, communicated_severity=4))
        incidents.update_fields(s, op, refs["r5"], IncidentPatch(tlp="TLP:RED"))
        incidents.update_fields(s, op, refs["r6"], IncidentPatch(tlp="TLP:CLEAR"))
        incidents.merge(s, op, refs["r8"], into=refs["r4"], reason="same DDoS")
    contained(world, refs["r7"], utcnow() - timedelta(days=13))
    place(world, refs["r9"], reported_at=utcnow().replace(microsecond=0) - timedelta(days=1, hours=3))
    with world.runtime.sessions() as s:  # moved while its old values are expired: the flush cannot know them
        moved = s.scalar(select(Incident).where(Incident.reference == refs["r10"]))
        s.commit()
        moved.reported_at = utcnow() - timedelta(days=33, hours=5)
        s.commit()
    return refs


def rollup_rows(session) -> list[tuple]:
    """Every rollup row and its histogram, without ids: what a recount must reproduce."""
    keys = [c for c in IncidentRollup.__table__.c if c.name != "id"]
    out = []
    for row in session.execute(select(IncidentRollup.id, *keys)):
        buckets = session.execute(select(RollupDuration.measure, RollupDuration.bucket, RollupDuration.n,
                                         RollupDuration.least, RollupDuration.greatest)
                                  .where(RollupDuration.rollup_id == row[0])
                                  .order_by(RollupDuration.measure, RollupDuration.bucket)).all()
        out.append((tuple(row[1:]), tuple(tuple(b) for b in buckets)))
    return sorted(out, key=repr)


def test_rollups_kept_on_write_equal_a_recount(world, story):
    with world.runtime.sessions() as s:
        kept = rollup_rows(s)
    assert sum(row[0][-1] for row in kept) == 31  # thirty-two reports, one merged away
    with transaction(world.runtime.sessions) as s:
        assert rollups.rebuild(s, world.operator) == 31
    with transaction(world.runtime.sessions) as s:
        assert rollup_rows(s) == kept
        assert rollups.rebuild(s, world.operator) == 31  # idempotent
    with world.runtime.sessions() as s:
        assert rollup_rows(s) == kept


def counted_rows(session) -> dict:
    """What the rollups hold: the incident rollups, the status cells and the status totals."""
    cells = session.execute(select(StatusCell.day, StatusCell.reporter_org_id, StatusCell.tlp, StatusCell.status,
                                   StatusCell.n)).all()
    return {"rollups": rollup_rows(session), "cells": sorted(map(tuple, cells), key=repr),
            "totals": status_totals(session)}


def write_and_compare(world, ref: str, change, seen):
    """Commit ``change`` to the incident ``ref``, take ``seen()`` of the commit, and check that the
    rollup rows, status cells and totals it left are those a rebuild writes."""
    with transaction(world.runtime.sessions) as s:
        change(s, s.scalar(select(Incident).where(Incident.reference == ref)))
    observed = seen()
    with world.runtime.sessions() as s:
        kept = counted_rows(s)
    with transaction(world.runtime.sessions) as s:
        rollups.rebuild(s, world.operator)
    with world.runtime.sessions() as s:
        assert counted_rows(s) == kept
    return observed


def test_a_write_in_a_busy_cell_tallies_only_the_rows_it_changes(world, monkeypatch):
    """Twelve reports of one organisation on one day, most sharing their rollup rows: each write
    (a status change leaving and joining shared rows, a reporting delay changed in place, a merge,
    a report moved to another day) leaves the rows a full recount would, and the commit tallies
    again only the incidents of the rows the write touched, never the whole day."""
    gridco = world.actor("analyst@gridco.test")
    day = utcnow().replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=3)
    refs = []
    for i in range(12):
        refs.append(world.submit(gridco, title=f"Busy day {i}", category="fraud/phishing"))
        place(world, refs[-1], reported_at=day + timedelta(minutes=i), aware_at=day - timedelta(hours=i + 1),
              severity=2 if i < 8 else 3)
    tallied: list[int] = []
    original = rollups._tally

    def counting(day, rows):
        rows = list(rows)
        tallied.append(len(rows))
        return original(day, rows)

    monkeypatch.setattr(rollups, "_tally", counting)

    def write(change) -> list[int]:
        """Rows tallied by the commit of ``change``, once its rollups proved equal to a rebuild's."""
        tallied.clear()
        return write_and_compare(world, refs[0], change, lambda: list(tallied))

    def triage(s, incident):
        incidents.transition(s, world.operator, incident.reference, Status.TRIAGED)

    # Taken out of the row of the seven others still new at level 2 (its delay is alone in its histogram
    # bucket), and merged into its new row: only itself is tallied.
    assert write(triage) == [1]
    assert write(lambda s, incident: setattr(incident, "aware_at", day - timedelta(days=2))) == [1]  # in place
    merge = write(lambda s, incident: incidents.merge(s, world.operator, refs[1], into=refs[0], reason="same"))
    assert sum(merge) <= 6 + 1  # the merged report leaves the row of the six left new at level 2
    assert sum(write(lambda s, incident: setattr(incident, "reported_at", day - timedelta(days=1)))) == 0 + 1
    with world.runtime.sessions() as s:
        assert sum(row[0][-1] for row in rollup_rows(s)) == 11  # twelve reports, one merged away


def test_a_commit_reads_the_stored_rows_of_the_incidents_it_moves_not_their_day(world, monkeypatch):
    """A write that moves incidents (another key, status or label) finds where they were counted from
    their stored rows, read as the flush starts, even when a key column was set without being loaded;
    only the rows of the keys they had and have are tallied again, the day's status cells change by
    the moves alone (never recounted from the day's incidents), and every row is a rebuild's."""
    gridco = world.actor("analyst@gridco.test")
    refs = [world.submit(gridco, title=f"Loaded {i}", category="fraud/phishing") for i in range(6)]
    tallied: list[int] = []
    recounted_days: list = []
    tally, statuses = rollups._tally, rollups._replace_statuses
    monkeypatch.setattr(rollups, "_tally", lambda day, rows: tallied.append(len(rows := list(rows))) or
                        tally(day, rows))
    monkeypatch.setattr(rollups, "_replace_statuses", lambda *args: recounted_days.append(args[1]) or
                        statuses(*args))

    def write(change) -> tuple[int, int]:
        """Incidents tallied by the commit of ``change``, and days whose statuses it recounted."""
        tallied.clear()
        recounted_days.clear()
        return write_and_compare(world, refs[0], change, lambda: (sum(tallied), len(recounted_days)))

    def expired_then_set(s, incident):
        s.expire(incident, ["severity"])
        incident.severity = 4

    # The six share one row: moving one takes it out of the row and merges it into its new one.
    assert write(lambda s, incident: setattr(incident, "severity", 3)) == (1, 0)
    assert write(lambda s, incident: incidents.transition(s, world.operator, incident.reference,
                                                          Status.TRIAGED)) == (0 + 1, 0)  # alone in its row
    assert write(expired_then_set) == (0 + 1, 0)
    assert write(lambda s, incident: setattr(incident, "title", "Renamed")) == (0, 0)  # counted by none of it


def test_a_leaving_incident_is_taken_out_of_its_row_unless_it_held_a_buckets_least_or_greatest(world, monkeypatch):
    """Four reports share a row and one histogram bucket (reporting delays of 1,100 to 1,200 s). One whose
    delay lies inside the bucket's range leaves without the row being tallied again; one whose delay was
    the bucket's greatest leaves the row to be tallied again from its incidents (its next greatest is
    not known otherwise). Either way the rows are a rebuild's."""
    gridco = world.actor("analyst@gridco.test")
    day = utcnow().replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=2)
    refs = []
    for n, delay in enumerate((1100, 1150, 1200, 1180)):
        refs.append(world.submit(gridco, title=f"Delay {delay}", category="fraud/phishing"))
        reported = day + timedelta(minutes=n)
        place(world, refs[-1], reported_at=reported, aware_at=reported - timedelta(seconds=delay), severity=2)
    assert len({rollups.bucket_of(delay) for delay in (1100, 1150, 1200, 1180)}) == 1
    tallied: list[int] = []
    original = rollups._tally
    monkeypatch.setattr(rollups, "_tally", lambda day, rows: tallied.append(len(rows := list(rows))) or
                        original(day, rows))

    def raise_severity(ref: str) -> list[int]:
        tallied.clear()
        return write_and_compare(world, ref, lambda s, incident: setattr(incident, "severity", 3),
                                 lambda: list(tallied))

    assert raise_severity(refs[1]) == [1]  # 1,150 s: taken out; merged into its new row
    assert raise_severity(refs[2]) == [2, 1]  # 1,200 s, the greatest: the row of the two left is tallied again


def test_a_new_report_is_merged_into_its_row_without_reading_the_rows_other_incidents(world, monkeypatch):
    """A report joining a row that already counts others (as every new report of a busy day does) is
    tallied alone and merged in: counts add, histograms merge; the row is then a rebuild's."""
    gridco = world.actor("analyst@gridco.test")
    for i in range(5):
        world.submit(gridco, title=f"Earlier {i}", category="fraud/phishing")
    tallied: list[int] = []
    original = rollups._tally
    monkeypatch.setattr(rollups, "_tally", lambda day, rows: tallied.append(len(rows := list(rows))) or
                        original(day, rows))
    world.submit(gridco, title="Later", category="fraud/phishing")
    assert tallied == [1]
    with world.runtime.sessions() as s:
        kept = counted_rows(s)
    assert [row[0][-1] for row in kept["rollups"]] == [6]
    with transaction(world.runtime.sessions) as s:
        rollups.rebuild(s, world.operator)
    with world.runtime.sessions() as s:
        assert counted_rows(s) == kept


def test_a_write_through_a_stale_copy_counts_the_incident_where_it_is_stored(world):
    """Derived data must not drift when two writers change one incident: this session loaded it,
    another transaction then moved it (a status change) and committed, and this one changes its
    severity. The commit counts it where the other left it, not where this session's copy says:
    the rollups, status cells and totals stay a rebuild's."""
    gridco = world.actor("analyst@gridco.test")
    ref = world.submit(gridco, title="Two writers", category="fraud/phishing")
    world.submit(gridco, title="A neighbour in the cell", category="fraud/phishing")

    def change(s, incident):
        with transaction(world.runtime.sessions) as other:  # commits while this session holds its copy
            incidents.transition(other, world.operator, ref, Status.TRIAGED)
        incident.severity = 3

    write_and_compare(world, ref, change, lambda: None)
    with world.runtime.sessions() as s:
        assert status_totals(s) == {(world.orgs["gridco"], "TLP:AMBER", "triaged"): 1,
                                    (world.orgs["gridco"], "TLP:AMBER", "new"): 1}


def status_totals(session) -> dict[tuple, int]:
    return {(org, str(tlp), str(status)): n for org, tlp, status, n in session.execute(
        select(StatusTotal.reporter_org_id, StatusTotal.tlp, StatusTotal.status, StatusTotal.n)) if n}


def _direct_statuses(session, actor=None) -> dict:
    stmt = select(Incident.status, func.count()).group_by(Incident.status)
    return {str(status): n for status, n in session.execute(scope(actor, stmt) if actor else stmt)}


@pytest.mark.parametrize("reader", READERS)
def test_status_totals_kept_on_write_equal_the_incidents(world, story, reader):
    actor = world.actor(reader)
    with world.runtime.sessions() as s:
        direct = _direct_statuses(s, actor)
        assert queue.status_counts(s, actor, queue.QueueFilter()) == {str(st): direct.get(st, 0) for st in Status}
        kept = status_totals(s)
        assert sum(kept.values()) == 32 and kept == {
            (org, str(tlp), str(status)): n for org, tlp, status, n in s.execute(
                select(Incident.reporter_org_id, Incident.tlp, Incident.status, func.count())
                .group_by(Incident.reporter_org_id, Incident.tlp, Incident.status))}
    with transaction(world.runtime.sessions) as s:
        rollups.rebuild(s, world.operator)
    with world.runtime.sessions() as s:
        assert status_totals(s) == kept


def test_a_hidden_report_leaves_an_analysts_counts_alone(world, story):
    """Derived data is data: another organisation's TLP:AMBER report changes national staff's
    counts and none of what GridCo's analyst is told."""
    gridco = world.actor("analyst@gridco.test")
    with world.runtime.sessions() as s:
        before = {who: queue.status_counts(s, world.actor(who), queue.QueueFilter()) for who in READERS}
    world.submit(world.actor("analyst@powergen.test"), title="Hidden", tlp="TLP:AMBER")
    with world.runtime.sessions() as s:
        after = {who: queue.status_counts(s, world.actor(who), queue.QueueFilter()) for who in READERS}
        assert queue.bounded_status_counts(s, gridco, queue.QueueFilter()).counts == before["analyst@gridco.test"]
    assert after["operator@ncert.test"] == {**before["operator@ncert.test"],
                                            "new": before["operator@ncert.test"]["new"] + 1}
    for who in ("analyst@gridco.test", "analyst@partner.test"):
        assert after[who] == before[who]


def test_concurrent_writers_of_one_cell_keep_every_count(world):
    """Writers changing one organisation's reports of one day, at once, each in its own
    transaction: the rollups and status totals they leave are a recount's (on PostgreSQL each
    recount of a cell waits for the one before it to commit, and then reads it). The rows are
    written through the ORM alone, as any path may: the services' audit chain would otherwise
    put the transactions one after the other anyway."""
    gridco = world.actor("analyst@gridco.test")
    writers, each = 6, 4
    refs = [[world.submit(gridco, title=f"Writer {n} report {i}") for i in range(each)] for n in range(writers)]
    start = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(mine: list[str]) -> None:
        try:
            start.wait()
            for i, ref in enumerate(mine):
                with transaction(world.runtime.sessions) as s:
                    incident = s.scalar(select(Incident).where(Incident.reference == ref))
                    incident.status = Status.INVESTIGATING if i % 2 else Status.TRIAGED
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(mine,)) for mine in refs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    half = writers * each // 2
    with world.runtime.sessions() as s:
        kept, totals = rollup_rows(s), status_totals(s)
        assert _direct_statuses(s) == {"triaged": half, "investigating": half}
    assert sum(row[0][-1] for row in kept) == writers * each
    assert totals == {(world.orgs["gridco"], "TLP:AMBER", "triaged"): half,
                      (world.orgs["gridco"], "TLP:AMBER", "investigating"): half}
    with transaction(world.runtime.sessions) as s:
        rollups.rebuild(s, world.operator)
    with world.runtime.sessions() as s:
        assert rollup_rows(s) == kept and status_totals(s) == totals


def test_only_national_staff_rebuild(world):
    from ncert.errors import Forbidden

    with transaction(world.runtime.sessions) as s, pytest.raises(Forbidden):
        rollups.rebuild(s, world.actor("analyst@gridco.test"))


def _direct_by(session, actor, key, *where) -> dict:
    stmt = counted(actor, key, func.count()).where(*where).group_by(key)
    return {value: n for value, n in session.execute(stmt)}


def _close(rolled: float | None, direct: float | None) -> bool:
    if rolled is None or direct is None:
        return rolled is direct
    if direct <= 0 or rolled <= 0:
        return abs(rolled - direct) < 1.0  # the sub-second bucket
    return 1 / RESOLUTION - 1e-6 <= rolled / direct <= RESOLUTION + 1e-6


@pytest.mark.parametrize("reader", READERS)
def test_overview_from_rollups_equals_the_incidents(world, story, reader):
    actor = world.actor(reader)
    period = recent()
    window = reported_in(period)
    slugs = {sid: slug for slug, sid in world.sectors.items()}
    with world.runtime.sessions() as s:
        o = overview(s, actor, period)
        severity = severity_column(actor)
        assert o.by_severity == dict.fromkeys(SEVERITY_LEVELS, 0) | _direct_by(s, actor, severity, window)
        statuses = {str(k): v for k, v in _direct_by(s, actor, Incident.status, window).items()}
        assert {k: v for k, v in o.by_status.items() if v} == statuses
        assert {c.slug: c.count for c in o.by_sector} == {
            slugs[sid]: n for sid, n in _direct_by(s, actor, Incident.sector_id, window).items()}
        assert o.open_by_severity == dict.fromkeys(SEVERITY_LEVELS, 0) | _direct_by(
            s, actor, severity, Incident.status.in_(OPEN_STATUSES))
        waits = spread(s, counted(actor, seconds_between(Incident.acknowledged_at, Incident.reported_at))
                       .where(window), at=(0.5,))
    assert o.total == sum(statuses.values()) > 0
    assert o.acknowledged == waits.count
    median = o.median_time_to_acknowledge.total_seconds() if o.median_time_to_acknowledge else None
    assert _close(median, round(waits.percentiles[0.5]) if waits.percentiles[0.5] is not None else None)


def _direct_card(session, actor, org_id: int, period) -> dict:
    mine = (Incident.reporter_org_id == org_id, reported_in(period))
    severity = severity_column(actor)
    by_severity = _direct_by(session, actor, severity, *mine)
    out = {f"severity_{level}": by_severity.get(level, 0) for level in SEVERITY_LEVELS}
    out["incidents"] = sum(by_severity.values())
    first_contained = (scope(actor, select(TimelineEntry.incident_id, func.min(TimelineEntry.at).label("at")),
                             TimelineEntry)
                       .where(TimelineEntry.kind == "status", TimelineEntry.details["new"].as_string() == "contained")
                       .group_by(TimelineEntry.incident_id).subquery())
    contain = spread(session, counted(actor, seconds_between(func.coalesce(first_contained.c.at, Incident.resolved_at),
                                                               Incident.reported_at))
                     .outerjoin(first_contained, first_contained.c.incident_id == Incident.id).where(*mine))
    for p, suffix in ((0.5, "median"), (0.9, "p90")):
        out[f"time_to_contain_{suffix}"] = (contain.percentiles[p] if contain.count >= kpi.MIN_COUNT else None,
                                            contain.count)
    for name, later, earlier in (
            ("time_to_acknowledge", Incident.acknowledged_at, Incident.reported_at),
            ("time_to_resolve", Incident.resolved_at, Incident.reported_at),
            ("reporting_delay", Incident.reported_at, func.coalesce(Incident.aware_at, Incident.occurred_at))):
        values = spread(session, counted(actor, seconds_between(later, earlier)).where(*mine))
        for p, suffix in ((0.5, "median"), (0.9, "p90")):
            out[f"{name}_{suffix}"] = (values.percentiles[p] if values.count >= kpi.MIN_COUNT else None, values.count)
    return out


@pytest.mark.parametrize("reader", ("operator@ncert.test", "analyst@gridco.test"))
def test_kpi_card_from_rollups_equals_the_incidents(world, story, reader):
    actor = world.actor(reader)
    today = utcnow().date()
    period = periods.parse(None, str(today - timedelta(days=60)), str(today), now=utcnow())
    with world.runtime.sessions() as s:
        for slug in ("gridco", "powergen") if actor.is_national else ("gridco",):
            figures = {f.key: f for f in kpi.organization_card(s, actor, slug, period).figures}
            direct = _direct_card(s, actor, world.orgs[slug], period)
            assert [key for key, v in direct.items() if isinstance(v, tuple) and v[0] is not None]  # percentiles met
            for key, expected in direct.items():
                if isinstance(expected, tuple):
                    value, n = expected
                    assert figures[key].count == n, key
                    assert _close(figures[key].value, value), (key, figures[key].value, value)
                else:
                    assert figures[key].value == expected, key


class Statements:
    """Every SQL statement the engine runs while in use."""

    def __init__(self, engine):
        self.engine, self.seen = engine, []

    def _record(self, conn, cursor, statement, *args):
        self.seen.append(statement)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._record)

    def reading(self, table: str) -> list[str]:
        return [sql for sql in self.seen if re.search(rf"\b(FROM|JOIN)\s+{table}\b", sql, re.IGNORECASE)]


@pytest.mark.parametrize("reader", ("leader@ncert.test", "analyst@gridco.test"))
def test_leadership_figures_read_only_rollup_rows(world, story, reader):
    actor = world.actor(reader)
    period = periods.quarter_of(utcnow())
    with world.runtime.sessions() as s:
        with Statements(world.runtime.engine) as overview_sql:
            overview(s, actor)
        with Statements(world.runtime.engine) as card_sql:
            kpi.organization_card(s, actor, "gridco", period)
        with Statements(world.runtime.engine) as landscape_sql:
            landscape(s, actor, period)
    assert overview_sql.reading("incident_rollups")
    assert overview_sql.reading("incidents") == []
    assert card_sql.reading("incident_rollups")
    # Only the NIS2 stages and requests for information, which are not incidents, join them.
    assert [sql for sql in card_sql.reading("incidents") if not re.search(r"\b(regulatory_deadlines|rfis)\b", sql)] == []
    # The landscape's ranked terms come from their own rollups; only national incidents (national staff's) join.
    assert landscape_sql.reading("incident_rollups") and landscape_sql.reading("incident_term_rollups")
    assert [sql for sql in landscape_sql.reading("incidents") if "national_incident_members" not in sql] == []


def test_national_percentiles_by_day_match_those_through_the_rollup_rows(world):
    """The overview's median time to acknowledge, read from the histograms by day alone, is the
    one read through the rollup rows; an analyst's still goes through its scoped rows."""
    gridco = world.actor("analyst@gridco.test")
    for n in range(7):
        ref = world.submit(gridco, title=f"Outage {n}", tlp="TLP:GREEN" if n % 2 else "TLP:AMBER")
        with transaction(world.runtime.sessions) as s:
            incidents.update_fields(s, world.operator, ref, IncidentPatch(status="triaged"))
    period = recent()
    with world.runtime.sessions() as s:
        for actor in (world.operator, world.actor("analyst@centralbank.test")):
            by_day = durations_in(s, actor, "acknowledge", period)
            joined = durations(s, actor, "acknowledge", rolled_in(period))
            assert by_day == joined
        assert durations_in(s, world.operator, "acknowledge", period).count == 7
        assert durations_in(s, world.actor("analyst@centralbank.test"), "acknowledge", period).count == 3

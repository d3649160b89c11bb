"""Query shapes that stop early (issue 15), asserted in rows and plans, never in time.

Thirty incidents and pages of five: a queue page, a search page and the bounded
counts and "also in" lists must read about a page of rows whatever the table
holds, on SQLite and PostgreSQL. Plans are read after ANALYZE; PostgreSQL's
with sequential scans disabled, since on thirty rows a scan is rightly cheapest
and the question is which index the query can walk.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ncert import periods, planner_statistics
from ncert.access import scope
from ncert.db import transaction, utcnow
from ncert.models import Incident, RegulatoryDeadline
from ncert.records import IncidentPatch, IncidentRecord
from ncert.search import text as search  # the database backends' text match
from ncert.services import bulk_intake, clocks, directory, incidents, indicators, landscape, next_due, queue
from ncert.taxonomy import TLP, Status
from tests.sql_rows import Statements

PAGE = 5
NO_SEQSCAN = "enable_seqscan = off"


@pytest.fixture
def many(world) -> list[str]:
    """30 phishing reports by GridCo and the central bank; every third is TLP:AMBER."""
    gridco, bank = world.actor("analyst@gridco.test"), world.actor("analyst@centralbank.test")
    refs = [world.submit(gridco if i % 2 else bank, title=f"Phishing wave {i}", severity=i % 4,
                         tlp="TLP:AMBER" if i % 3 == 0 else "TLP:GREEN") for i in range(30)]
    with transaction(world.runtime.sessions) as s:
        incidents.update_fields(s, world.operator, refs[0], IncidentPatch(status="triaged"))
    planner_statistics.refresh(world.runtime.engine, after_bulk=True)
    return refs


def _page(world, actor, filters, sort="-reported_at"):
    statements = Statements(world.runtime.engine)
    with statements.recording(), world.runtime.sessions() as s:
        page = queue.list_incidents(s, actor, filters, sort=sort, limit=PAGE)
        refs = [i.reference for i in page.items]
    return refs, statements


def _walks_an_index(statements: Statements, which: int) -> bool:
    plan = statements.plan(which, NO_SEQSCAN)
    if statements.engine.dialect.name == "sqlite":
        return "USING" in plan and "INDEX" in plan and "TEMP B-TREE" not in plan
    return "Index" in plan and "Sort" not in plan and "Bitmap" not in plan


@pytest.mark.parametrize("who", ["operator@ncert.test", "analyst@gridco.test"])
@pytest.mark.parametrize(("filters", "sort"), [
    (queue.QueueFilter(), "-reported_at"),
    (queue.QueueFilter(status=(Status.NEW,)), "-reported_at"),
    (queue.QueueFilter(), "-severity"),
    (queue.QueueFilter(status=(Status.NEW,)), "-severity"),
    (queue.QueueFilter(), "updated_at"),
])
def test_a_queue_page_selects_a_page_of_ids_then_loads_only_those(world, many, who, filters, sort):
    refs, statements = _page(world, world.actor(who), filters, sort)
    assert len(refs) == PAGE
    ids_query = statements.seen[0][0]
    assert "JOIN" not in ids_query.upper()  # the joins come after the limit, with the page's ids
    assert max(statements.rows()) == PAGE + 1  # no statement returns more than the page and its look-ahead
    assert _walks_an_index(statements, 0), statements.plan(0, NO_SEQSCAN)


def test_one_status_by_severity_walks_its_own_index(world, many):
    _, statements = _page(world, world.operator, queue.QueueFilter(status=(Status.NEW,)), "-severity")
    assert "ix_incidents_status_severity" in statements.plan(0, NO_SEQSCAN)


def test_paging_with_ids_first_still_visits_every_visible_row_once(world, many):
    analyst = world.actor("analyst@gridco.test")
    seen, cursor = [], None
    with world.runtime.sessions() as s:
        while True:
            page = queue.list_incidents(s, analyst, queue.QueueFilter(), sort="-severity", limit=PAGE, cursor=cursor)
            seen += [(i.communicated_severity, i.id) for i in page.items]
            if not page.next_cursor:
                break
            cursor = page.next_cursor
    visible = [r for i, r in enumerate(many) if i % 2 or i % 3]  # its own reports, and the bank's GREEN ones
    assert len(seen) == len(set(seen)) == len(visible)
    assert seen == sorted(seen, reverse=True)


@pytest.mark.parametrize("who", ["operator@ncert.test", "analyst@gridco.test"])
def test_a_common_word_is_checked_along_the_date_index_and_stops_at_the_page(world, many, monkeypatch, who):
    actor = world.actor(who)
    monkeypatch.setattr(search, "COMMON_MATCHES", 40)  # 30 matches: rare, found through the text index
    rare, _ = _page(world, actor, queue.QueueFilter(q="phishing"))
    monkeypatch.setattr(search, "COMMON_MATCHES", 3)  # common: walked
    common, statements = _page(world, actor, queue.QueueFilter(q="phishing"))

    assert common == rare and len(common) == PAGE
    ids_at = next(n for n, (sql, _) in enumerate(statements.seen) if "ORDER BY" in sql)
    rows = statements.rows()  # the probe, (on SQLite) the prefix's terms, the page's ids
    assert rows[0] == 1 and rows[ids_at] == PAGE + 1
    assert _walks_an_index(statements, ids_at), statements.plan(ids_at, NO_SEQSCAN)
    assert "ix_incidents_reported" in statements.plan(ids_at, NO_SEQSCAN)


@pytest.mark.parametrize("who", ["operator@ncert.test", "analyst@gridco.test"])
def test_a_rare_words_matches_are_found_before_the_page_query(world, many, who):
    """A word matching no incident (or a few) is looked up in the text index first; on PostgreSQL the
    page query then filters by those ids and never tokenises rows along its sort index (its planner
    expects a prefix query to match a default share of rows, and walked a million for a word in none)."""
    for word, found in (("quokka", 0), ("phishing", PAGE)):
        refs, statements = _page(world, world.actor(who), queue.QueueFilter(q=word))
        assert len(refs) == found
        page_sql = next(sql for sql, _ in statements.seen if "ORDER BY" in sql)
        if world.runtime.engine.dialect.name == "postgresql":
            assert "to_tsvector" not in page_sql
        else:
            assert "incidents_fts" in page_sql


def test_the_common_word_probe_reads_one_match_past_its_threshold(world, many, monkeypatch):
    monkeypatch.setattr(search, "COMMON_MATCHES", 3)
    statements = Statements(world.runtime.engine)
    with statements.recording(), world.runtime.sessions() as s:
        assert search.is_common(s, s.get_bind().dialect.name, ["phishing"])
        assert not search.is_common(s, s.get_bind().dialect.name, ["ransomware"])
    assert "LIMIT" in statements.seen[0][0].upper()


@pytest.mark.parametrize("who", ["operator@ncert.test", "analyst@gridco.test"])
def test_unfiltered_counts_read_the_status_totals_alone(world, many, who):
    actor = world.actor(who)
    statements = Statements(world.runtime.engine)
    with world.runtime.sessions() as s, statements.recording():
        exact = queue.status_counts(s, actor, queue.QueueFilter())
        tabs = queue.bounded_status_counts(s, actor, queue.QueueFilter(status=(Status.NEW,)))
        mine = queue.status_counts(s, actor, queue.QueueFilter(tlp=(TLP.GREEN,), reporter_org="gridco"))
    with world.runtime.sessions() as s:
        direct = dict(s.execute(scope(actor, select(Incident.status, func.count()).group_by(Incident.status))).all())
        green = dict(s.execute(scope(actor, select(Incident.status, func.count()).group_by(Incident.status)
                                     .where(Incident.tlp == TLP.GREEN,
                                            Incident.reporter_org_id == world.orgs["gridco"]))).all())
    assert exact == {str(st): direct.get(st, 0) for st in Status} and exact["new"] > 4
    assert tabs == queue.StatusCounts(exact, None)  # exact: nothing capped
    assert mine == {str(st): green.get(st, 0) for st in Status} and 0 < mine["new"] < exact["new"]
    assert len(statements.seen) == 4  # the three counts and the reporter's id
    for sql, _ in statements.seen:  # a few rows per organisation, whatever the incidents table holds
        assert " incidents" not in sql and ("incident_status_totals" in sql or "organizations" in sql), sql


@pytest.mark.parametrize("who", ["operator@ncert.test", "analyst@gridco.test"])
def test_filtered_tab_counts_stop_at_their_cap(world, many, who):
    actor = world.actor(who)
    everything = queue.QueueFilter(severity_min=0)  # matches every report, and the totals do not answer it
    statements = Statements(world.runtime.engine)
    with world.runtime.sessions() as s, statements.recording():
        exact = queue.status_counts(s, actor, everything)
        bounded = queue.bounded_status_counts(s, actor, everything, cap=3)
        under_cap = queue.bounded_status_counts(s, actor, everything, cap=100)
    with world.runtime.sessions() as s:
        assert exact == queue.status_counts(s, actor, queue.QueueFilter())
    assert exact["new"] > 4
    assert bounded == queue.StatusCounts({**exact, "new": 4}, 3)  # a capped status is cap + 1; the others exact
    assert under_cap == queue.StatusCounts(exact, 100)
    assert statements.seen[1][0].upper().count("LIMIT") == len(Status)
    plan = statements.plan(1, NO_SEQSCAN)
    assert "SCAN incidents" not in plan and "Seq Scan" not in plan, plan  # each arm walks an index to its limit


def test_an_also_in_list_names_a_few_and_counts_up_to_its_cap(world, monkeypatch):
    monkeypatch.setattr(indicators, "SHARED_SHOWN", 2)
    monkeypatch.setattr(indicators, "SHARED_COUNTED", 3)
    gridco, powergen = world.actor("analyst@gridco.test"), world.actor("analyst@powergen.test")
    ioc = [{"type": "cve", "value": "CVE-2026-1234"}]
    mine = world.submit(gridco, title="Exploited VPN", tlp="TLP:GREEN", indicators=ioc)
    others = [world.submit(powergen, title=f"Same CVE {i}", tlp="TLP:GREEN", indicators=ioc) for i in range(5)]
    world.submit(powergen, title="Same CVE, hidden", tlp="TLP:AMBER", indicators=ioc)

    statements = Statements(world.runtime.engine)
    with world.runtime.sessions() as s:
        inc = incidents.get(s, gridco, mine)
        [fact] = indicators.facts_of(s, gridco, inc)
        with statements.recording():
            shared = indicators.shared(s, gridco, inc, [fact.id])[fact.id]
    assert shared.references == (others[4], others[3])  # the newest two
    assert (shared.count, shared.capped, shared.sectors) == (3, True, ("energy",))
    assert max(statements.rows()) <= 4  # cap + 1 links, never all of them

    monkeypatch.setattr(indicators, "SHARED_COUNTED", 1000)
    with world.runtime.sessions() as s:
        inc = incidents.get(s, gridco, mine)
        assert indicators.shared(s, gridco, inc, [fact.id])[fact.id].count == 5  # the AMBER one is not counted


def test_looking_up_indicators_and_external_ids_searches_their_unique_index(world):
    """Intake finds known indicators and external ids by their unique keys: an index search per
    key, never a scan of the table (SQLite scans for a row-value IN list). Planned without
    statistics, as for a large table: on a handful of rows a scan is rightly cheapest."""
    world.submit(world.operator, title="Known values", indicators=[
        {"type": "ipv4-addr", "value": "203.0.113.7"}, {"type": "domain-name", "value": "bad.example"}])
    statements = Statements(world.runtime.engine)
    history = [bulk_intake.HistoricalIncident(
        record=IncidentRecord(title="Old", reporter_org=org, external_ids={"legacy": f"T-{n}", "ticket": "7"}),
        reported_at=utcnow()) for n, org in enumerate(("gridco", "centralbank"))]
    with statements.recording(), world.runtime.sessions() as s:
        found = indicators.lookup_ids(s, [("ipv4-addr", "203.0.113.7"), ("domain-name", "bad.example"),
                                          ("domain-name", "unknown.example")])
        bulk_intake._known_external_ids(s, {o.slug: o for o in directory.organizations(s)}, history)
    assert sorted(found) == [("domain-name", "bad.example"), ("ipv4-addr", "203.0.113.7")]
    lookups = [n for n, (sql, _) in enumerate(statements.seen)
               if "FROM indicators" in sql or "FROM incident_external_refs" in sql]
    assert len(lookups) == 2
    for n in lookups:
        plan = statements.plan(n, NO_SEQSCAN)
        if statements.engine.dialect.name == "sqlite":
            assert "SEARCH" in plan and "SCAN" not in plan, plan
        else:
            assert "Index" in plan and "Seq Scan" not in plan, plan


def test_an_incidents_open_clocks_are_read_through_its_own_index(world):
    """``next_due.refresh`` reads one incident's open deadlines by (incident, received_at), even where
    statistics say received_at is nearly unique (most received clocks differ; open ones are NULL)."""
    refs = [world.submit(world.operator, title=f"Clocked {i}") for i in range(12)]
    start = utcnow()
    with transaction(world.runtime.sessions) as s:
        for n, ref in enumerate(refs):
            incident = s.scalar(select(Incident).where(Incident.reference == ref))
            for k, stage in enumerate(("early-warning", "incident-notification", "final-report")):
                due = start + timedelta(hours=24 * (k + 1))
                s.add(RegulatoryDeadline(incident_id=incident.id, regime="nis2", stage=stage, aware_at=start,
                                         due_at=due, received_at=due - timedelta(minutes=n + k) if n % 4 else None))
    planner_statistics.refresh(world.runtime.engine, after_bulk=True)
    statements = Statements(world.runtime.engine)
    with statements.recording(), world.runtime.sessions() as s:
        next_due.refresh(s, s.scalar(select(Incident).where(Incident.reference == refs[0])))
    [soonest, *_] = [n for n, (sql, _) in enumerate(statements.seen)
                     if "FROM regulatory_deadlines" in sql and "received_at IS NULL" in sql]
    plan = statements.plan(soonest, NO_SEQSCAN)
    if statements.engine.dialect.name == "sqlite":
        assert "ix_regulatory_deadlines_incident_open (incident_id=? AND received_at=?)" in plan, plan
    else:
        assert "ix_regulatory_deadlines_incident_open" in plan, plan

    # A queue page's countdowns: the page's incidents' clocks, by incident
    statements = Statements(world.runtime.engine)
    with statements.recording(), world.runtime.sessions() as s:
        ids = list(s.scalars(select(Incident.id).where(Incident.reference.in_(refs[:4]))))
        assert len(clocks.next_open(s, world.operator, ids)) == 1  # refs[0]; the others' clocks were received
    plan = statements.plan(len(statements.seen) - 1, NO_SEQSCAN)
    assert "ix_regulatory_deadlines_incident_open" in plan and "ix_regulatory_deadlines_open" not in plan, plan


def _statement(statements: Statements, *fragments: str) -> list[int]:
    return [n for n, (sql, _) in enumerate(statements.seen) if all(f in sql for f in fragments)]


def test_the_landscapes_national_counts_read_the_covering_rollup_index(world, many):
    statements = Statements(world.runtime.engine)
    with statements.recording(), world.runtime.sessions() as s:
        landscape.landscape(s, world.operator, periods.parse("2026Q4", now=utcnow()))
    scans = _statement(statements, "FROM incident_rollups", "incident_rollups.day >=")
    assert len(scans) == 6  # three trends, each by month and the previous period
    for n in scans:
        plan = statements.plan(n, NO_SEQSCAN)
        if world.runtime.engine.dialect.name == "sqlite":
            assert "COVERING INDEX ix_incident_rollups_day_cover" in plan, plan
        else:  # on a few rows either covering index serves; the table is never read
            assert "Index Only Scan using ix_incident_rollups_" in plan and "Heap" not in plan, plan


def test_a_walked_prefix_is_spelled_as_its_terms_and_finds_the_same_incidents(world, many, monkeypatch):
    """A common prefix is checked row by row as the terms it stands for (SQLite re-reads a prefix's
    doclists at every row): the same page as the prefix query, longer words included."""
    longer = world.submit(world.operator, title="Phishingkit sold on a forum")
    operator = world.operator
    monkeypatch.setattr(search, "COMMON_MATCHES", 40)  # rare: the prefix query through the text index
    rare, _ = _page(world, operator, queue.QueueFilter(q="phish"))
    monkeypatch.setattr(search, "COMMON_MATCHES", 3)  # common: walked
    common, statements = _page(world, operator, queue.QueueFilter(q="phish"))
    assert common == rare and rare[0] == longer
    if world.runtime.engine.dialect.name == "sqlite":
        [walk] = [params for sql, params in statements.seen if "EXISTS" in sql]
        assert '("phishing" OR "phishingkit")' in walk

    monkeypatch.setattr(search, "MAX_EXPANSION", 1)  # more terms than that: the prefix query itself
    again, statements = _page(world, operator, queue.QueueFilter(q="phish"))
    assert again == rare
    if world.runtime.engine.dialect.name == "sqlite":
        [walk] = [params for sql, params in statements.seen if "EXISTS" in sql]
        assert '"phish"*' in walk


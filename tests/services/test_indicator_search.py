"""Issue 11: the queue's search finds incidents by indicator value through indexed lookups only,
on SQLite and PostgreSQL, and within the caller's scope."""

from __future__ import annotations

import pytest

from ncert import planner_statistics
from ncert.services import indicator_search, queue
from tests.sql_rows import Statements

NO_SEQSCAN = "enable_seqscan = off"


@pytest.fixture
def carriers(world) -> dict[str, str]:
    """Reports by GridCo carrying an address, a network, a URL and a sha1; one hidden from GridCo by PowerGen."""
    gridco, powergen = world.actor("analyst@gridco.test"), world.actor("analyst@powergen.test")
    refs = {
        "address": world.submit(gridco, title="Beacon", indicators=[{"type": "ipv4-addr", "value": "198.51.100.20"}]),
        "network": world.submit(gridco, title="Scan", indicators=[{"type": "ipv4-addr", "value": "198.51.100.0/28"}]),
        "v6": world.submit(gridco, title="Six", indicators=[{"type": "ipv6-addr", "value": "2001:db8::20"}]),
        "url": world.submit(gridco, title="Phish", indicators=[{"type": "url", "value": "https://login-update.com/x"}]),
        "sha1": world.submit(gridco, title="Dropper", indicators=[{"type": "sha1", "value": "b" * 40}]),
        "hidden": world.submit(powergen, title="Red", tlp="TLP:RED",
                               indicators=[{"type": "ipv4-addr", "value": "198.51.100.21"}]),
    }
    for i in range(20):  # unrelated reports, so the planner has a table to choose against
        world.submit(gridco, title=f"Noise {i}", indicators=[{"type": "domain-name", "value": f"n{i}.example.com"}])
    planner_statistics.refresh(world.runtime.engine, after_bulk=True)
    return refs


def _found(world, who: str, q: str) -> set[str]:
    with world.runtime.sessions() as s:
        page = queue.list_incidents(s, world.actor(who), queue.QueueFilter(q=q), limit=50)
        return {i.reference for i in page.items}


@pytest.mark.parametrize(("q", "expected"), [
    ("198.51.100.20", {"address"}),
    ("198.51.100[.]20", {"address"}),
    ("198.51.100.0/24", {"address", "network"}),  # the network lies inside the query
    ("198.51.100.16/28", {"address"}),
    ("198.51.100.0/28", {"network"}),  # exact network value; the address .20 is outside it
    ("2001:db8::/64", {"v6"}),
    ("hxxps://login-update[.]com/x", {"url"}),
    ("B" * 40, {"sha1"}),
    ("198.51.100.20 " + "b" * 40, {"address", "sha1"}),  # every word a value: carriers of any
])
def test_a_search_finds_the_incidents_carrying_the_values_it_names(world, carriers, q, expected):
    assert _found(world, "analyst@gridco.test", q) == {carriers[k] for k in expected}


def test_a_search_never_finds_through_a_report_the_caller_may_not_see(world, carriers):
    assert carriers["hidden"] not in _found(world, "analyst@gridco.test", "198.51.100.21")
    assert carriers["hidden"] in _found(world, "operator@ncert.test", "198.51.100.21")
    assert _found(world, "operator@ncert.test", "198.51.100.0/24") == {
        carriers["address"], carriers["network"], carriers["hidden"]}


def test_words_that_are_not_all_values_search_the_text_only(world, carriers):
    assert indicator_search.values_in("beacon 198.51.100.20") == []
    assert _found(world, "analyst@gridco.test", "Beacon") == {carriers["address"]}


@pytest.mark.parametrize(("indicators", "carried"), [(1000, 1), (1000, 2000), (0, 2000)])
def test_past_the_caps_the_match_is_checked_per_incident_with_the_same_answer(
        world, carriers, monkeypatch, indicators, carried):
    monkeypatch.setattr(indicator_search, "MAX_INDICATORS", indicators)
    monkeypatch.setattr(indicator_search, "MAX_CARRIERS", carried)
    assert _found(world, "analyst@gridco.test", "198.51.100.0/24") == {carriers["address"], carriers["network"]}
    assert _found(world, "analyst@gridco.test", "b" * 40) == {carriers["sha1"]}


@pytest.mark.parametrize("q", ["198.51.100.20 " + "b" * 40, "198.51.100.0/24"])
def test_the_values_are_found_through_the_indicator_indexes(world, carriers, q):
    statements = Statements(world.runtime.engine)
    with statements.recording(), world.runtime.sessions() as s:
        queue.list_incidents(s, world.actor("analyst@gridco.test"), queue.QueueFilter(q=q), limit=5)
    lookups = [i for i, (sql, _) in enumerate(statements.seen) if "FROM indicators" in sql
               and "incident_indicators" not in sql]
    assert lookups, statements.seen
    plan = statements.plan(lookups[0], NO_SEQSCAN)
    sqlite = world.runtime.engine.dialect.name == "sqlite"
    unique = "sqlite_autoindex_indicators_1" if sqlite else "uq_indicators_type_value"
    assert ("ix_indicators_ip_from" if "/" in q else unique) in plan, plan
    assert ("SCAN indicators" if sqlite else "Seq Scan") not in plan, plan
    carrying = [i for i, (sql, _) in enumerate(statements.seen) if "FROM incident_indicators" in sql]
    assert "ix_incident_indicators_indicator" in statements.plan(carrying[0], NO_SEQSCAN)

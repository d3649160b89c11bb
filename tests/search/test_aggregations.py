"""The dashboards' aggregations of one search (``over_time``, ``sector``, ``category``, ``severity``),
the same cases on SQLite FTS5, PostgreSQL full text and Elasticsearch: asked together they count as
each asked alone, each bucket is what the queue lists under the matching filter, the severity is the
one the reader sees, and a report the reader may not see moves no count."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from ncert.db import transaction
from ncert.models import Incident
from ncert.records import IncidentPatch
from ncert.search import AGGREGATIONS, SearchQuery, search_incidents
from ncert.services import incidents
from ncert.services.queue import QueueFilter, list_incidents
from tests.differential import Differential
from tests.search.conftest import settle

READERS = ["operator", "analyst@gridco.test", "analyst@partner.test"]
# (reporter, title, label, severity, category, affected sectors, day of March 2026)
REPORTS = [
    ("gridco", "Substation outage spreads to hospitals", "TLP:GREEN", 3, "availability/outage",
     ["energy", "health"], 2),  # its own (reporting) sector named affected too: counts once there
    ("centralbank", "Payment outage at utilities", "TLP:CLEAR", 2, "availability/outage", ["energy"], 3),
    ("centralbank", "Card skimmers at branches", "TLP:CLEAR", 1, "fraud/masquerade", [], 9),
    ("powergen", "Turbine outage, hospitals at risk", "TLP:AMBER", 5, "intrusions/system-compromise",
     ["health", "finance"], 16),  # hidden from every analyst but powergen's
    ("centralbank", "Branch systems outage", "TLP:RED", 4, "availability/outage", ["energy"], 31),
]


def submit_at(world, reporter: str, title: str, day: int, **fields) -> str:
    ref = world.submit(world.actor(f"analyst@{reporter}.test"), title=title, **fields)
    with transaction(world.runtime.sessions) as s:  # an ORM write: Elasticsearch hears it through the outbox
        s.scalar(select(Incident).where(Incident.reference == ref)).reported_at = datetime(
            2026, 3, day, 9, tzinfo=timezone.utc)
    return ref


@pytest.fixture
def reports(world):
    for reporter, title, label, severity, category, affected, day in REPORTS:
        submit_at(world, reporter, title, day, tlp=label, severity=severity, category=category,
                  affected_sectors=affected)
    settle(world.runtime)


def reader(world, who: str):
    return world.operator if who == "operator" else world.actor(who)


def aggregated(world, who: str, names=AGGREGATIONS, **query) -> dict[str, dict[str, int]]:
    with world.runtime.sessions() as s:
        return search_incidents(s, reader(world, who), SearchQuery(aggregations=tuple(names), **query)).aggregations


def listed(world, who: str, **filters) -> int:
    with world.runtime.sessions() as s:
        return len(list_incidents(s, reader(world, who), QueueFilter(**filters), limit=200).items)


@pytest.mark.parametrize("who", READERS)
@pytest.mark.parametrize("text", [None, "outage"])
def test_aggregations_asked_together_count_as_each_alone_and_as_the_queue_lists(world, reports, who, text):
    together = aggregated(world, who, text=text, interval="week")
    assert together == {name: aggregated(world, who, (name,), text=text, interval="week")[name]
                        for name in AGGREGATIONS}
    total = listed(world, who, q=text)
    assert sum(together["over_time"].values()) == sum(together["category"].values()) == total
    assert sum(together["severity"].values()) == total
    for sector, n in together["sector"].items():
        assert listed(world, who, q=text, sector=(sector,)) == n, sector
    for category, n in together["category"].items():
        assert listed(world, who, q=text, category=category) == n, category
    for severity, n in together["severity"].items():
        assert listed(world, who, q=text, severity=(int(severity),)) == n, severity


def test_a_sector_counts_its_reports_and_those_naming_it_affected_once_each(world, reports):
    assert aggregated(world, "operator", ("sector",)) == {"sector": {"energy": 4, "finance": 4, "health": 2}}
    # gridco sees neither powergen's AMBER report nor the bank's RED one
    assert aggregated(world, "analyst@gridco.test", ("sector",), text="outage") == {
        "sector": {"energy": 2, "finance": 1, "health": 1}}
    assert aggregated(world, "analyst@partner.test", ("sector", "category")) == {  # TLP:CLEAR only
        "sector": {"energy": 1, "finance": 2}, "category": {"availability": 1, "fraud": 1}}


def test_severity_counts_the_severity_each_reader_sees(world):
    gridco = world.actor("analyst@gridco.test")
    ref = world.submit(gridco, title="Phishing of grid engineers", severity=1, tlp="TLP:GREEN",
                       category="fraud/phishing")
    with transaction(world.runtime.sessions) as s:  # the national severity: not told to the reporter
        incidents.update_fields(s, world.operator, ref, IncidentPatch(severity=4))
    settle(world.runtime)
    for who, seen in (("operator", {"4": 1}), ("analyst@gridco.test", {"1": 1}),
                      ("analyst@centralbank.test", {"1": 1})):
        assert aggregated(world, who, ("severity", "category"), text="phishing") == {
            "severity": seen, "category": {"fraud": 1}}, who
    with transaction(world.runtime.sessions) as s:
        incidents.update_fields(s, world.operator, ref, IncidentPatch(communicated_severity=3, reason="worse"))
    settle(world.runtime)
    assert aggregated(world, "analyst@gridco.test", ("severity",))["severity"] == {"3": 1}
    assert aggregated(world, "operator", ("severity",))["severity"] == {"4": 1}


PROBE = Differential(secret="203.0.113.88", control="203.0.113.89")


@pytest.mark.parametrize("label", ["TLP:AMBER", "TLP:RED"])
def test_a_hidden_report_moves_no_aggregation(world, label):
    """Differentially: another organisation's hidden report of the secret value, from the prober's own
    sector, naming the prober's affected sectors and others, in another class and severity, on another
    day, leaves every aggregation of the prober's search for the value as it is without it."""
    def views(value: str) -> list:
        if value == PROBE.secret:
            submit_at(world, "powergen", f"Outage traced to {value}", 4, tlp=label, severity=5,
                      category="intrusions/system-compromise", affected_sectors=["energy", "health", "finance"],
                      description=f"Callbacks to {value}", indicators=[{"type": "ipv4-addr", "value": value}])
        submit_at(world, "gridco", f"Outage traced to {value}", 6, tlp="TLP:GREEN", severity=2,
                  category="availability/outage", affected_sectors=["energy", "health"],
                  indicators=[{"type": "ipv4-addr", "value": value}])
        settle(world.runtime)
        return [aggregated(world, "analyst@gridco.test", text=value, interval=interval, **more)
                for interval in ("day", "month") for more in ({}, {"sector": ("finance",)}, {"sector": ("energy",)})]

    PROBE.assert_same(views)

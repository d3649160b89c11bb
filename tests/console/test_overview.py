"""The leadership overview: scoped counts over the last 90 days and the median
time to acknowledge, from the service and on the page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from ncert import periods
from ncert.db import transaction, utcnow
from ncert.models import Incident
from ncert.records import IncidentPatch
from ncert.services import incidents
from ncert.services.overview import overview
from ncert.taxonomy import Status
from tests.console.helpers import html


def backdate(world, ref: str, *, reported_ago: timedelta, acknowledged_after: timedelta | None = None) -> None:
    with transaction(world.runtime.sessions) as s:
        inc = s.scalar(select(Incident).where(Incident.reference == ref))
        inc.reported_at = utcnow() - reported_ago
        inc.acknowledged_at = inc.reported_at + acknowledged_after if acknowledged_after is not None else None


@pytest.fixture
def refs(world) -> dict[str, str]:
    gridco, bank, powergen = (world.actor(f"analyst@{org}.test") for org in ("gridco", "centralbank", "powergen"))
    refs = {
        "a": world.submit(gridco, title="Ransomware", tlp="TLP:AMBER", severity=4),
        "b": world.submit(bank, title="DDoS", tlp="TLP:GREEN", severity=3),
        "c": world.submit(powergen, title="C2 beacon", tlp="TLP:AMBER", severity=2),
        "d": world.submit(gridco, title="Old but still open", tlp="TLP:GREEN", severity=5),
        "e": world.submit(world.operator, reporter_org="cityhospital", title="Records leak", tlp="TLP:RED", severity=1),
    }
    with transaction(world.runtime.sessions) as s:
        incidents.transition(s, world.operator, refs["a"], Status.TRIAGED)
        for ref, level in ((refs["a"], 4), (refs["d"], 5)):  # hints above the ceiling take an operator's decision
            incidents.update_fields(s, world.operator, ref, IncidentPatch(severity=level))
        incidents.transition(s, world.operator, refs["b"], Status.RESOLVED)
        incidents.transition(s, world.operator, refs["c"], Status.INVESTIGATING)
    backdate(world, refs["a"], reported_ago=timedelta(days=1), acknowledged_after=timedelta(minutes=10))
    backdate(world, refs["b"], reported_ago=timedelta(days=2), acknowledged_after=timedelta(minutes=30))
    backdate(world, refs["c"], reported_ago=timedelta(days=3), acknowledged_after=timedelta(hours=2))
    backdate(world, refs["d"], reported_ago=timedelta(days=120))
    return refs


def test_national_view_counts_everything_in_the_window(world, refs):
    with world.runtime.sessions() as s:
        o = overview(s, world.actor("leader@ncert.test"))
    assert o.total == 4  # d is older than 90 days
    assert [(c.slug, c.count) for c in o.by_sector] == [("energy", 2), ("finance", 1), ("health", 1)]
    assert o.by_severity == {0: 0, 1: 1, 2: 1, 3: 1, 4: 1, 5: 0}
    assert {k: v for k, v in o.by_status.items() if v} == {"new": 1, "triaged": 1, "investigating": 1, "resolved": 1}
    assert o.open_by_severity == {0: 0, 1: 1, 2: 1, 3: 0, 4: 1, 5: 1}  # d counts: open, whatever its age
    assert o.acknowledged == 3
    assert o.median_time_to_acknowledge == timedelta(minutes=30)


def test_analyst_view_is_scoped(world, refs):
    with world.runtime.sessions() as s:
        o = overview(s, world.actor("analyst@gridco.test"))
    # Own a and d, and the bank's TLP:GREEN b; never PowerGen's TLP:AMBER c or the hospital's TLP:RED e.
    assert o.total == 2
    assert [(c.slug, c.count) for c in o.by_sector] == [("energy", 1), ("finance", 1)]
    assert o.by_severity == {0: 0, 1: 0, 2: 0, 3: 1, 4: 1, 5: 0}
    assert o.open_by_severity == {0: 0, 1: 0, 2: 0, 3: 0, 4: 1, 5: 1}
    assert o.median_time_to_acknowledge == timedelta(minutes=20)


def test_no_acknowledged_incidents_means_no_median(world):
    world.submit(world.actor("analyst@gridco.test"), title="Fresh")
    with world.runtime.sessions() as s:
        o = overview(s, world.operator)
    assert (o.total, o.acknowledged, o.median_time_to_acknowledge) == (1, 0, None)


def kpi(page: str, name: str) -> str:
    return re.search(rf'id="kpi-{name}">([^<]*)<', page).group(1)


@pytest.mark.parametrize(("email", "total", "mtta", "open_now"), [
    ("leader@ncert.test", "4", "30m", "4"),
    ("operator@ncert.test", "4", "30m", "4"),
    ("analyst@gridco.test", "2", "20m", "2"),
    ("analyst@partner.test", "0", "—", "0"),  # international partners see TLP:CLEAR only
])
def test_overview_page(as_user, refs, email, total, mtta, open_now):
    page = html(as_user(email).get("/overview"))
    assert (kpi(page, "total"), kpi(page, "mtta"), kpi(page, "open")) == (total, mtta, open_now)
    assert "Median time to acknowledge" in page and "By reporting sector" in page


def test_overview_page_rows(as_user, refs):
    page = html(as_user("leader@ncert.test").get("/overview"))
    sectors = page[page.index('id="by-sector"'):page.index("By severity")]
    assert re.findall(r'>([A-Za-z ]+)</a></th><td class="n">(\d+)<', sectors) == [
        ("Energy", "2"), ("Banking and financial market infrastructure", "1"), ("Health", "1")]


def test_merged_duplicates_are_not_counted(world, refs):
    with transaction(world.runtime.sessions) as s:
        incidents.merge(s, world.operator, refs["c"], refs["a"])
    with world.runtime.sessions() as s:
        o = overview(s, world.actor("leader@ncert.test"))
    assert o.total == 3 and "merged" not in o.by_status
    assert [(c.slug, c.count) for c in o.by_sector] == [("energy", 1), ("finance", 1), ("health", 1)]
    assert o.acknowledged == 2


def test_a_quarter_or_a_custom_range_is_picked(as_user, world, refs):
    q = periods.quarter_of(utcnow() - timedelta(days=250))  # ends before d (120 days ago) was reported
    backdate(world, refs["b"], reported_ago=utcnow() - (q.start + timedelta(days=1)),
             acknowledged_after=timedelta(minutes=40))
    leader = as_user("leader@ncert.test")
    page = html(leader.get("/overview", query_string={"period": q.label}))
    assert f"in {q.label}" in page and f'<option value="{q.label}" selected>' in page
    assert kpi(page, "total") == "1" and kpi(page, "mtta") == "40m"
    day = (q.start + timedelta(days=1)).date().isoformat()
    page = html(leader.get("/overview", query_string={"from": day, "to": day}))
    assert f"in {day}..{day}" in page and kpi(page, "total") == "1"
    page = html(leader.get("/overview", query_string={"days": "2"}))
    assert "in the last 2 days" in page and kpi(page, "total") == "2"  # a (a day ago) and e (just now)


@pytest.mark.parametrize("query", [{"period": "2026Q9"}, {"from": "2026-01-01"}, {"days": "zero"}])
def test_a_bad_period_is_a_400_page(as_user, query):
    response = as_user("leader@ncert.test").get("/overview", query_string=query)
    assert response.status_code == 400
